//! Erasing personal data: a customer's, everywhere, on request; or the content of cases closed
//! long ago, by the desk's retention rule. Rows stay, so what the desk counts stays (cases,
//! messages and their times, the engine's readings as numbers, amounts granted, survey scores);
//! their words go, from every table and search index, in one transaction. The search indexes
//! follow the migrations' triggers; the audit trail keeps who did what to which record and
//! when, and loses only what it quoted.

use amends_core::audit::AuditContext;
use amends_core::{events, Timestamp};
use sqlx::AnyConnection;

use crate::{audit, Backend, Store, StoreError};

/// What an erasure emptied, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Cases whose content went.
    pub cases: i64,
    /// Messages whose text went.
    pub messages: i64,
    /// Mails whose raw bytes went.
    pub mails: i64,
    /// Attachments whose content went.
    pub attachments: i64,
}

/// The customer's cases, as SQL over `$1` (the customer).
pub(crate) const CASES: &str = "select id from cases where customer_id = $1";
/// Their messages.
pub(crate) const MESSAGES: &str =
    "select messages.id from messages join cases on cases.id = messages.case_id \
     where cases.customer_id = $1";

/// Statements emptying the content of the cases `{cases}` (SQL naming their ids), at `{now}`.
const CASE_CONTENT: &[&str] = &[
    "update attachments set name = '', content = null, omitted = 'erased', updated_at = {now} \
     where message_id in (select id from messages where case_id in ({cases}))",
    "update messages set body = '', body_html = null, assessment = null, external_id = null, \
     updated_at = {now} where case_id in ({cases})",
    "update cases set subject = '', expectation_words = null, plan_answer = null, \
     content_erased_at = {now}, updated_at = {now} where id in ({cases})",
    "update facts set text = '', updated_at = {now} where case_id in ({cases})",
    "update promises set description = '', updated_at = {now} where case_id in ({cases})",
    "update plan_steps set description = '', updated_at = {now} where case_id in ({cases})",
    "update summaries set body = '', answer_comment = null, updated_at = {now} \
     where case_id in ({cases})",
    "update surveys set comment = null, updated_at = {now} where case_id in ({cases})",
    "update compensation set reason = '', updated_at = {now} where case_id in ({cases})",
    "update notifications set body = '', updated_at = {now} where case_id in ({cases})",
    "update notices set to_address = null, subject = '', body = '', mail = null, \
     status = case when status = 'queued' then 'failed' else status end, \
     last_error = case when status = 'queued' then 'the content was erased' else last_error end, \
     updated_at = {now} where case_id in ({cases})",
    "delete from social_routes where case_id in ({cases})",
    "delete from knowledge_gaps where case_id in ({cases})",
    "delete from custom_values where record_id in ({cases}) and field_id in \
     (select id from custom_fields where owner_kind = 'case')",
];

/// Statements emptying what identifies the customer `{customer}` beyond their cases.
const CUSTOMER: &[&str] = &[
    "update chats set visitor_name = null, site_customer_id = null, email = null, \
     bot_order = null, bot_email = null, updated_at = {now} where customer_id = {customer}",
    "delete from custom_values where record_id = {customer} and field_id in \
     (select id from custom_fields where owner_kind = 'customer')",
    "update incident_customers set comment = null where customer_id = {customer}",
    "update incident_notices set to_address = null, \
     status = case when status = 'queued' then 'failed' else status end, \
     last_error = case when status = 'queued' then 'the customer was erased' else last_error end, \
     updated_at = {now} where customer_id = {customer}",
    "update customers set name = 'Erased customer', plan = null, invoice_dates = '[]', \
     notes = '', erased_at = {now}, updated_at = {now} where id = {customer}",
];

impl Store {
    /// Erases a customer's personal data everywhere, recording the erasure (counts only) in
    /// the audit trail. Erasing twice erases what arrived since.
    pub async fn erase_customer(
        &self,
        customer_id: i64,
        context: &AuditContext,
    ) -> Result<Erased, StoreError> {
        let mut tx = self.write.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("select id from customers where id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *tx)
            .await?;
        exists.ok_or(StoreError::NotFound("customer"))?;
        let cases = format!("select id from cases where customer_id = {customer_id}");
        let now = context.at.millis();
        // Mail sent from their addresses but never filed (set aside) goes too, found by the
        // addresses before they go.
        let from_them = sqlx::query(&format!(
            "update inbound_mails set raw = null, from_address = null, subject = null, \
             reason = null, message_id = null, updated_at = {now} \
             where case_id is null and lower(from_address) in (select lower(value) \
             from customer_contacts where customer_id = {customer_id} and kind = 'email')"
        ))
        .execute(&mut *tx)
        .await?;
        let mut erased = empty_cases(&mut tx, &cases, context.at).await?;
        erased.mails += i64::try_from(from_them.rows_affected()).unwrap_or(0);
        run_each(
            &mut tx,
            CUSTOMER,
            &[
                ("{customer}", customer_id.to_string()),
                ("{now}", now.to_string()),
            ],
        )
        .await?;
        redact_audit(&mut tx, "customer", &customer_id.to_string()).await?;
        sqlx::query("delete from customer_contacts where customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        self.purge_search_words(&mut tx).await?;
        let event = events::customer_erased(customer_id, erased.cases, erased.messages);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// Erases the content of up to `batch` cases closed before `closed_before` whose content
    /// is still kept (the retention rule); answers what went. Their customers stay on file.
    pub async fn erase_closed_cases(
        &self,
        closed_before: Timestamp,
        batch: i64,
        context: &AuditContext,
    ) -> Result<Erased, StoreError> {
        let mut tx = self.write.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "select id from cases where status = 'closed' and closed_at < $1 \
             and content_erased_at is null order by id limit $2",
        )
        .bind(closed_before.millis())
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(Erased::default());
        }
        let cases = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let erased = empty_cases(&mut tx, &cases, context.at).await?;
        self.purge_search_words(&mut tx).await?;
        let events: Vec<_> = ids
            .iter()
            .map(|id| events::case_content_erased(*id))
            .collect();
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// FTS5 keeps a deleted word in its older segments until they merge: merge them, so the
    /// words are gone from the index's own tables too. It rewrites the indexes, a cost paid
    /// once per erasure (PostgreSQL's generated columns need nothing).
    async fn purge_search_words(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            for index in ["message_words", "case_words", "customer_words"] {
                sqlx::query(&format!(
                    "insert into {index} ({index}) values ('optimize')"
                ))
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    /// Records that everything kept about a customer was exported.
    pub async fn record_customer_export(
        &self,
        customer_id: i64,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut conn = self.write.acquire().await?;
        let event = events::customer_exported(customer_id);
        audit::record(&mut conn, context, &[event]).await
    }
}

/// Empties the content of the cases `cases` (SQL naming their ids) and what they hold: raw
/// mail, attachments, agents' reminders to come, the audit trail's quotes.
async fn empty_cases(
    conn: &mut AnyConnection,
    cases: &str,
    at: Timestamp,
) -> Result<Erased, StoreError> {
    let counted = count(conn, cases).await?;
    let messages = format!("select id from messages where case_id in ({cases})");
    let mails = sqlx::query(&format!(
        "update inbound_mails set raw = null, from_address = null, subject = null, \
         reason = null, message_id = null, updated_at = {now} \
         where case_id in ({cases}) or message_row_id in ({messages})",
        now = at.millis()
    ))
    .execute(&mut *conn)
    .await?;
    // The audit trail's quotes first: the records are found by the cases' ids.
    for (kind, ids) in case_records(cases) {
        redact_audit(conn, kind, &ids).await?;
    }
    forget_reminders(conn, cases).await?;
    run_each(
        conn,
        CASE_CONTENT,
        &[
            ("{cases}", cases.to_owned()),
            ("{now}", at.millis().to_string()),
        ],
    )
    .await?;
    Ok(Erased {
        mails: i64::try_from(mails.rows_affected()).unwrap_or(i64::MAX),
        ..counted
    })
}

/// Runs each statement with its `{names}` replaced by their values (ids and times, numbers).
async fn run_each(
    conn: &mut AnyConnection,
    statements: &[&str],
    values: &[(&str, String)],
) -> Result<(), StoreError> {
    for statement in statements {
        let sql = values
            .iter()
            .fold((*statement).to_owned(), |sql, (name, value)| {
                sql.replace(name, value)
            });
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn count(conn: &mut AnyConnection, cases: &str) -> Result<Erased, StoreError> {
    let mut figures = [0i64; 3];
    let messages = format!("select id from messages where case_id in ({cases})");
    let sql = [
        format!("select count(*) from cases where id in ({cases})"),
        format!("select count(*) from messages where case_id in ({cases})"),
        format!("select count(*) from attachments where message_id in ({messages})"),
    ];
    for (figure, sql) in figures.iter_mut().zip(sql) {
        *figure = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await?;
    }
    let [cases, messages, attachments] = figures;
    Ok(Erased {
        cases,
        messages,
        mails: 0,
        attachments,
    })
}

/// Agents' reminders still to come on the cases keep their time, not their words.
async fn forget_reminders(conn: &mut AnyConnection, cases: &str) -> Result<(), StoreError> {
    let cases: Vec<i64> =
        sqlx::query_scalar(&format!("select id from cases where id in ({cases})"))
            .fetch_all(&mut *conn)
            .await?;
    let pending: Vec<(i64, String)> = sqlx::query_as(
        "select id, payload from jobs where kind = 'case.reminder' and status in ('pending', 'running')",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (id, payload) in pending {
        let case_id = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|p| p["case_id"].as_i64());
        if let Some(case_id) = case_id.filter(|c| cases.contains(c)) {
            let emptied = serde_json::json!({"case_id": case_id, "note": ""}).to_string();
            sqlx::query("update jobs set payload = $1 where id = $2")
                .bind(emptied)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Empties what the audit trail quoted about the records `ids` (SQL) of `kind` (names, words,
/// reasons) and the addresses customers acted from; who did what, to which record and when,
/// stays.
async fn redact_audit(conn: &mut AnyConnection, kind: &str, ids: &str) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "update audit_events set changes = '[]', \
         remote_addr = case when actor_kind = 'customer' then null else remote_addr end \
         where record_kind = '{kind}' and record_id in ({ids}) \
         and (changes <> '[]' or (actor_kind = 'customer' and remote_addr is not null))"
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The records of the cases `cases` (SQL naming their ids) the audit trail may name: each
/// kind with its ids as SQL.
fn case_records(cases: &str) -> [(&'static str, String); 6] {
    [
        (
            "case",
            format!("select id from cases where id in ({cases})"),
        ),
        (
            "message",
            format!("select id from messages where case_id in ({cases})"),
        ),
        (
            "fact",
            format!("select id from facts where case_id in ({cases})"),
        ),
        (
            "promise",
            format!("select id from promises where case_id in ({cases})"),
        ),
        (
            "compensation",
            format!("select id from compensation where case_id in ({cases})"),
        ),
        (
            "notice",
            format!("select id from notices where case_id in ({cases})"),
        ),
    ]
}

/// The records of a customer the audit trail may name: each kind with its ids as SQL over `$1`.
pub(crate) fn audited_records() -> Vec<(&'static str, String)> {
    let mut records = vec![("customer", "select cast($1 as bigint)".to_owned())];
    records.extend(case_records(CASES));
    records
}
