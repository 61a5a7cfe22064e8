//! The compensation ledger and what each customer costs against what they bring.

use amends_core::audit::AuditContext;
use amends_core::compensation::{
    self, AlreadyGranted, Compensation, CompensationKind, CompensationState, NewCompensation,
};
use amends_core::standing::{self, Standing, StandingPolicy};
use amends_core::{Agent, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::customers::load_customer;
use crate::table::cases::load_case;
use crate::{audit, Backend, Store, StoreError};

#[derive(sqlx::FromRow)]
struct CompensationRow {
    id: i64,
    case_id: i64,
    customer_id: i64,
    kind: String,
    amount_minor: i64,
    currency: String,
    reason: String,
    state: String,
    granted_by: i64,
    decided_by: Option<i64>,
    created_at: i64,
    decided_at: Option<i64>,
}

const COMPENSATION_COLUMNS: &str = "id, case_id, customer_id, kind, amount_minor, currency, \
    reason, state, granted_by, decided_by, created_at, decided_at";

impl TryFrom<CompensationRow> for Compensation {
    type Error = StoreError;

    fn try_from(row: CompensationRow) -> Result<Compensation, StoreError> {
        let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("{what} {value:?}"));
        Ok(Compensation {
            id: row.id,
            case_id: row.case_id,
            customer_id: row.customer_id,
            kind: CompensationKind::parse(&row.kind)
                .ok_or_else(|| corrupt("compensation kind", &row.kind))?,
            amount_minor: row.amount_minor,
            currency: row.currency,
            reason: row.reason,
            state: CompensationState::parse(&row.state)
                .ok_or_else(|| corrupt("compensation state", &row.state))?,
            granted_by: row.granted_by,
            decided_by: row.decided_by,
            created_at: Timestamp(row.created_at),
            decided_at: row.decided_at.map(Timestamp),
        })
    }
}

impl Store {
    /// Grants compensation on a case as `agent`: granted at once within their authority (over
    /// the case and over what the customer was given in the last `period_days`), otherwise
    /// recorded as awaiting a supervisor's approval (and a supervisor is told). Nothing above
    /// the limit counts until approved.
    pub async fn grant_compensation(
        &self,
        case_id: i64,
        agent: &Agent,
        new: &NewCompensation,
        period_days: i64,
        context: &AuditContext,
    ) -> Result<Compensation, StoreError> {
        let mut tx = self.write.begin().await?;
        // Locking the case and its customer serialises grants to one customer, so two grants
        // (on one case or on two) cannot both fit the limit.
        let lock = self.backend == Backend::Postgres;
        let case = load_case(&mut tx, case_id, lock).await?;
        if lock {
            sqlx::query("select id from customers where id = $1 for update")
                .bind(case.customer_id)
                .execute(&mut *tx)
                .await?;
        }
        let customer = load_customer(&mut tx, case.customer_id).await?;
        if customer.currency != new.currency {
            return Err(FieldError::new(
                "currency",
                format!("the customer is billed in {}", customer.currency),
            )
            .into());
        }
        let since = compensation::authority_period_start(context.at, period_days);
        let already = already_granted(&mut tx, case_id, case.customer_id, since).await?;
        let state = compensation::initial_state(agent, already, new.amount_minor);
        let row: CompensationRow = sqlx::query_as(&format!(
            "insert into compensation (case_id, customer_id, kind, amount_minor, currency, \
             reason, state, granted_by, created_at, updated_at) values ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $9) returning {COMPENSATION_COLUMNS}"
        ))
        .bind(case_id)
        .bind(case.customer_id)
        .bind(new.kind.as_str())
        .bind(new.amount_minor)
        .bind(&new.currency)
        .bind(&new.reason)
        .bind(state.as_str())
        .bind(agent.id)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let line = Compensation::try_from(row)?;
        apply(&mut tx, context, compensation::recorded(&line, agent)).await?;
        tx.commit().await?;
        Ok(line)
    }

    /// A supervisor approves or refuses a grant that waits for approval (within their own
    /// authority over the customer's last `period_days`; above it only an admin approves).
    pub async fn decide_compensation(
        &self,
        id: i64,
        decider: &Agent,
        approve: bool,
        period_days: i64,
        context: &AuditContext,
    ) -> Result<Compensation, StoreError> {
        let mut tx = self.write.begin().await?;
        let lock = if self.backend == Backend::Postgres {
            " for update"
        } else {
            ""
        };
        let row: CompensationRow = sqlx::query_as(&format!(
            "select {COMPENSATION_COLUMNS} from compensation where id = $1{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("compensation"))?;
        let request = Compensation::try_from(row)?;
        let since = compensation::authority_period_start(context.at, period_days);
        let already = already_granted(&mut tx, request.case_id, request.customer_id, since).await?;
        let (decided, event) =
            compensation::decide(&request, decider, approve, already, context.at)
                .map_err(|e| FieldError::new("approve", e.to_string()))?;
        sqlx::query(
            "update compensation set state = $1, decided_by = $2, decided_at = $3, \
             updated_at = $3 where id = $4",
        )
        .bind(decided.state.as_str())
        .bind(decided.decided_by)
        .bind(context.at.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// The ledger of one case, or every grant awaiting approval when `case_id` is `None`.
    pub async fn compensation(
        &self,
        case_id: Option<i64>,
    ) -> Result<Vec<Compensation>, StoreError> {
        let rows: Vec<CompensationRow> = match case_id {
            Some(case_id) => {
                sqlx::query_as(&format!(
                    "select {COMPENSATION_COLUMNS} from compensation where case_id = $1 order by id"
                ))
                .bind(case_id)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "select {COMPENSATION_COLUMNS} from compensation \
                     where state = 'awaiting_approval' order by id"
                ))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.into_iter().map(Compensation::try_from).collect()
    }

    /// A customer's ledger over all their cases, oldest first.
    pub async fn customer_compensation(
        &self,
        customer_id: i64,
    ) -> Result<Vec<Compensation>, StoreError> {
        let rows: Vec<CompensationRow> = sqlx::query_as(&format!(
            "select {COMPENSATION_COLUMNS} from compensation where customer_id = $1 order by id"
        ))
        .bind(customer_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Compensation::try_from).collect()
    }

    /// What a customer costs against what they bring, with the flags of `policy`.
    pub async fn customer_standing(
        &self,
        customer_id: i64,
        policy: &StandingPolicy,
        now: Timestamp,
    ) -> Result<Standing, StoreError> {
        let mut conn = self.read.acquire().await?;
        let customer = load_customer(&mut conn, customer_id).await?;
        // PostgreSQL sums bigints as numeric: cast back so both databases answer an integer.
        let granted: i64 = sqlx::query_scalar(
            "select cast(coalesce(sum(amount_minor), 0) as bigint) from compensation \
             where customer_id = $1 and state = 'granted'",
        )
        .bind(customer_id)
        .fetch_one(&mut *conn)
        .await?;
        let opened: Vec<i64> =
            sqlx::query_scalar("select opened_at from cases where customer_id = $1 order by id")
                .bind(customer_id)
                .fetch_all(&mut *conn)
                .await?;
        let opened: Vec<Timestamp> = opened.into_iter().map(Timestamp).collect();
        Ok(standing::standing(&customer, granted, &opened, policy, now))
    }
}

/// What the case and its customer (since `since`) were already granted.
async fn already_granted(
    conn: &mut AnyConnection,
    case_id: i64,
    customer_id: i64,
    since: Timestamp,
) -> Result<AlreadyGranted, StoreError> {
    // PostgreSQL sums bigints as numeric: cast back so both databases answer an integer.
    let (on_case_minor, to_customer_minor): (i64, i64) = sqlx::query_as(
        "select \
           cast(coalesce(sum(case when case_id = $1 then amount_minor else 0 end), 0) as bigint), \
           cast(coalesce(sum(case when created_at >= $3 then amount_minor else 0 end), 0) as bigint) \
         from compensation where customer_id = $2 and state = 'granted'",
    )
    .bind(case_id)
    .bind(customer_id)
    .bind(since.millis())
    .fetch_one(&mut *conn)
    .await?;
    Ok(AlreadyGranted {
        on_case_minor,
        to_customer_minor,
    })
}
