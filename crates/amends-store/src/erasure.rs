//! Erasing a customer: their personal data removed from every table and search index in one
//! transaction, while what the desk counts stays (cases, messages and their times, the engine's
//! readings as numbers, amounts granted, survey scores). The search indexes follow the
//! migrations' triggers; the audit trail keeps who did what to which record and when, and
//! loses only what it quoted.

use amends_core::audit::AuditContext;
use amends_core::events;
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

/// Each statement empties one kind of content; `$1` is the customer, `$2` now. Rows stay, so
/// every count and time the figures read is kept.
const EMPTYING: &[&str] = &[
    "update messages set body = '', body_html = null, assessment = null, external_id = null, \
     updated_at = $2 where case_id in (select id from cases where customer_id = $1)",
    "update cases set subject = '', expectation_words = null, plan_answer = null, updated_at = $2 \
     where customer_id = $1",
    "update facts set text = '', updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update promises set description = '', updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update plan_steps set description = '', updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update summaries set body = '', answer_comment = null, updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update surveys set comment = null, updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update compensation set reason = '', updated_at = $2 where customer_id = $1",
    "update notifications set body = '', updated_at = $2 \
     where case_id in (select id from cases where customer_id = $1)",
    "update notices set to_address = null, subject = '', body = '', mail = null, \
     status = case when status = 'queued' then 'failed' else status end, \
     last_error = case when status = 'queued' then 'the customer was erased' else last_error end, \
     updated_at = $2 where customer_id = $1",
    "update chats set visitor_name = null, site_customer_id = null, email = null, \
     bot_order = null, bot_email = null, updated_at = $2 where customer_id = $1",
    "delete from social_routes where case_id in (select id from cases where customer_id = $1)",
    "delete from custom_values where (record_id = $1 and field_id in \
     (select id from custom_fields where owner_kind = 'customer')) or (field_id in \
     (select id from custom_fields where owner_kind = 'case') and record_id in \
     (select id from cases where customer_id = $1))",
    "update customers set name = 'Erased customer', plan = null, invoice_dates = '[]', \
     notes = '', erased_at = $2, updated_at = $2 where id = $1",
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
        let counted = count(&mut tx, customer_id).await?;
        let erased_mails = empty_mail(&mut tx, customer_id, context.at.millis()).await?;
        for sql in EMPTYING {
            sqlx::query(sql)
                .bind(customer_id)
                .bind(context.at.millis())
                .execute(&mut *tx)
                .await?;
        }
        forget_reminders(&mut tx, customer_id).await?;
        redact_audit(&mut tx, customer_id).await?;
        // Their contacts last: the mail above was found by the addresses.
        sqlx::query("delete from customer_contacts where customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        let erased = Erased {
            mails: erased_mails,
            ..counted
        };
        if self.backend == Backend::Sqlite {
            // FTS5 keeps a deleted word in its older segments until they merge: merge them,
            // so the words are gone from the index's own tables too. It rewrites the indexes,
            // a cost paid once per erasure (PostgreSQL's generated columns need nothing).
            for index in ["message_words", "case_words", "customer_words"] {
                sqlx::query(&format!(
                    "insert into {index} ({index}) values ('optimize')"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        let event = events::customer_erased(customer_id, erased.cases, erased.messages);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(erased)
    }
}

impl Store {
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

async fn count(conn: &mut AnyConnection, customer_id: i64) -> Result<Erased, StoreError> {
    let mut figures = [0i64; 3];
    let sql = [
        format!("select count(*) from ({CASES}) c"),
        format!("select count(*) from ({MESSAGES}) m"),
        format!("select count(*) from attachments where message_id in ({MESSAGES})"),
    ];
    for (figure, sql) in figures.iter_mut().zip(sql) {
        *figure = sqlx::query_scalar(&sql)
            .bind(customer_id)
            .fetch_one(&mut *conn)
            .await?;
    }
    let [cases, messages, attachments] = figures;
    Ok(Erased {
        cases,
        messages,
        mails: 0,
        attachments,
    })
}

/// Empties the raw mails filed on their cases or sent from their addresses (set aside ones
/// too), and their messages' attachments; answers how many mails.
async fn empty_mail(
    conn: &mut AnyConnection,
    customer_id: i64,
    now: i64,
) -> Result<i64, StoreError> {
    sqlx::query(&format!(
        "update attachments set name = '', content = null, omitted = 'erased', updated_at = $2 \
         where message_id in ({MESSAGES})"
    ))
    .bind(customer_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(&format!(
        "update inbound_mails set raw = null, from_address = null, subject = null, reason = null, \
         message_id = null, updated_at = $2 \
         where case_id in ({CASES}) or message_row_id in ({MESSAGES}) \
         or lower(from_address) in (select lower(value) from customer_contacts \
             where customer_id = $1 and kind = 'email')"
    ))
    .bind(customer_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
}

/// Agents' reminders still to come on their cases keep their time, not their words.
async fn forget_reminders(conn: &mut AnyConnection, customer_id: i64) -> Result<(), StoreError> {
    let cases: Vec<i64> = sqlx::query_scalar(CASES)
        .bind(customer_id)
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

/// Empties what the audit trail quoted about their records (names, words, reasons) and the
/// addresses they acted from; who did what, to which record and when, stays.
async fn redact_audit(conn: &mut AnyConnection, customer_id: i64) -> Result<(), StoreError> {
    for (kind, ids) in audited_records() {
        sqlx::query(&format!(
            "update audit_events set changes = '[]', \
             remote_addr = case when actor_kind = 'customer' then null else remote_addr end \
             where record_kind = '{kind}' and record_id in ({ids}) \
             and (changes <> '[]' or (actor_kind = 'customer' and remote_addr is not null))"
        ))
        .bind(customer_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The records of a customer the audit trail may name: each kind with its ids as SQL over `$1`.
pub(crate) fn audited_records() -> [(&'static str, String); 7] {
    [
        ("customer", "select cast($1 as bigint)".to_owned()),
        ("case", CASES.to_owned()),
        ("message", MESSAGES.to_owned()),
        (
            "fact",
            format!("select id from facts where case_id in ({CASES})"),
        ),
        (
            "promise",
            format!("select id from promises where case_id in ({CASES})"),
        ),
        (
            "compensation",
            "select id from compensation where customer_id = $1".to_owned(),
        ),
        (
            "notice",
            "select id from notices where customer_id = $1".to_owned(),
        ),
    ]
}
