//! The rest of the recovery protocol's records: facts, win-back, the abuse policy's steps,
//! notifications to staff, notices to customers and the desk's shared secrets.

use amends_core::audit::AuditContext;
use amends_core::case::Case;
use amends_core::protocol::{self, AbusePolicy, AbuseStep, Fact, FactSource};
use amends_core::Timestamp;
use amends_core::{abuse, conversation, events, AuditEvent, CaseSight, FieldError, Message};

use crate::apply::apply;
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::table::notices::{notice_of, Notice, NoticeRow, NOTICE_COLUMNS};
use crate::table::notifications::Notification;
use crate::{audit, Backend, Store, StoreError};

#[derive(sqlx::FromRow)]
struct FactRow {
    id: i64,
    case_id: i64,
    text: String,
    source: String,
    read_back: i64,
    confirmed: i64,
    created_at: i64,
    updated_at: i64,
}

const FACT_COLUMNS: &str =
    "id, case_id, text, source, read_back, confirmed, created_at, updated_at";

impl TryFrom<FactRow> for Fact {
    type Error = StoreError;

    fn try_from(row: FactRow) -> Result<Fact, StoreError> {
        Ok(Fact {
            id: row.id,
            case_id: row.case_id,
            text: row.text,
            source: FactSource::parse(&row.source)
                .ok_or_else(|| StoreError::Corrupt(format!("fact source {:?}", row.source)))?,
            read_back: row.read_back != 0,
            confirmed: row.confirmed != 0,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

impl Store {
    /// Notes a fact on a case.
    pub async fn add_fact(
        &self,
        case_id: i64,
        text: &str,
        source: FactSource,
        context: &AuditContext,
    ) -> Result<Fact, StoreError> {
        let text = protocol::parse_fact_text(text)?;
        let mut tx = self.write.begin().await?;
        load_case(&mut tx, case_id, false).await?;
        let row: FactRow = sqlx::query_as(&format!(
            "insert into facts (case_id, text, source, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) returning {FACT_COLUMNS}"
        ))
        .bind(case_id)
        .bind(&text)
        .bind(source.as_str())
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let fact = Fact::try_from(row)?;
        let event = events::fact_added(fact.id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(fact)
    }

    /// A case's facts, in the order they were noted.
    pub async fn case_facts(&self, case_id: i64) -> Result<Vec<Fact>, StoreError> {
        let rows: Vec<FactRow> = sqlx::query_as(&format!(
            "select {FACT_COLUMNS} from facts where case_id = $1 order by id"
        ))
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Fact::try_from).collect()
    }

    /// Loads a fact, lets `decide` change it, saves it with its event.
    pub async fn update_fact(
        &self,
        id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Fact) -> Result<(Fact, AuditEvent), FieldError>,
    ) -> Result<Fact, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: FactRow =
            sqlx::query_as(&format!("select {FACT_COLUMNS} from facts where id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("fact"))?;
        let (next, event) = decide(&Fact::try_from(row)?)?;
        sqlx::query(
            "update facts set text = $1, read_back = $2, confirmed = $3, updated_at = $4 \
             where id = $5",
        )
        .bind(&next.text)
        .bind(i64::from(next.read_back))
        .bind(i64::from(next.confirmed))
        .bind(next.updated_at.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Marks a case's customer as threatening to leave: flags it for win-back (once), raises
    /// its priority and tells a supervisor.
    pub async fn mark_churn_threat(
        &self,
        case_id: i64,
        context: &AuditContext,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let Some((flagged, outcome)) = conversation::threatens_to_leave(&case, context.at) else {
            return Ok(case);
        };
        save_case(&mut tx, &flagged).await?;
        let flagged = refresh_case(&mut tx, case_id, context.at).await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(flagged)
    }

    /// Takes the next step of the abuse policy on a case: says (records) the step's script to
    /// the customer, and when the step ends the contact, hands the case to a supervisor.
    /// Refused when every step was taken.
    pub async fn take_abuse_step(
        &self,
        case_id: i64,
        policy: &AbusePolicy,
        agent_id: i64,
        context: &AuditContext,
    ) -> Result<(AbuseStep, Message), StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let taken: i64 = sqlx::query_scalar("select count(*) from abuse_steps where case_id = $1")
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        let step = abuse::next_step(policy, taken)?;
        let step_id: i64 = sqlx::query_scalar(
            "insert into abuse_steps (case_id, customer_id, step_index, name, agent_id, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
        )
        .bind(case_id)
        .bind(case.customer_id)
        .bind(taken)
        .bind(&step.name)
        .bind(agent_id)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let (next, outcome) = abuse::step_taken(&case, &step, step_id, agent_id, context.at);
        if next != case {
            save_case(&mut tx, &next).await?;
            refresh_case(&mut tx, case_id, context.at).await?;
        }
        let message = apply(&mut tx, context, outcome)
            .await?
            .messages
            .pop()
            .ok_or_else(|| StoreError::Corrupt("the step's words were not written".to_owned()))?;
        tx.commit().await?;
        Ok((step, message))
    }

    /// How many abuse-policy steps were taken with a customer, over all their cases.
    pub async fn abuse_steps_for_customer(&self, customer_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("select count(*) from abuse_steps where customer_id = $1")
                .bind(customer_id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// An agent's latest notifications, newest first.
    pub async fn notifications(
        &self,
        agent_id: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows: Vec<(i64, Option<i64>, String, String, i64)> = sqlx::query_as(
            "select id, case_id, kind, body, created_at from notifications where agent_id = $1 \
             order by id desc limit $2",
        )
        .bind(agent_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, case_id, kind, body, at)| Notification {
                id,
                case_id,
                kind,
                body,
                created_at: Timestamp(at),
            })
            .collect())
    }

    /// Notices to customers, newest first: those of one case, or all; for an agent with
    /// narrowed access, only those of the cases in their `sight`.
    pub async fn notices(
        &self,
        case_id: Option<i64>,
        sight: Option<CaseSight>,
        limit: i64,
    ) -> Result<Vec<Notice>, StoreError> {
        let in_sight = sight.map_or(String::new(), |sight| {
            crate::sight::through_cases_in_sight("case_id", "id", sight, "$3")
        });
        let sql = format!(
            "select {NOTICE_COLUMNS} from notices where ($1 = 0 or case_id = $1){in_sight} \
             order by id desc limit $2"
        );
        let mut select = sqlx::query_as(&sql).bind(case_id.unwrap_or(0)).bind(limit);
        if let Some(sight) = sight {
            select = select.bind(sight.agent_id);
        }
        let rows: Vec<NoticeRow> = select.fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(notice_of).collect())
    }

    /// The desk's secret called `name`, made from `fresh` the first time it is asked for. Every
    /// server on the database reads the same one.
    pub async fn desk_secret(
        &self,
        name: &str,
        fresh: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "insert into desk_secrets (name, value, created_at) values ($1, $2, $3) \
             on conflict (name) do nothing",
        )
        .bind(name)
        .bind(fresh)
        .bind(now.millis())
        .execute(&self.write)
        .await?;
        Ok(
            sqlx::query_scalar("select value from desk_secrets where name = $1")
                .bind(name)
                .fetch_one(&self.write)
                .await?,
        )
    }
}
