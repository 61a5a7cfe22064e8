//! The `notices` table: what the desk tells customers, queued, sent, held or failed.

use amends_core::outcome::NoticeKind;
use amends_core::wording::Wording;
use amends_core::{Case, Channel, Timestamp};
use sqlx::AnyConnection;

use crate::StoreError;

/// A notice to a customer in the outbox.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Its id.
    pub id: i64,
    /// The case it is about.
    pub case_id: i64,
    /// What kind: `promise_extended`, `follow_up`, `abuse_policy`.
    pub kind: String,
    /// The channel it goes out on.
    pub channel: String,
    /// The address, when the channel has one on file.
    pub to_address: Option<String>,
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// `queued` (waiting to go out, or for an agent on a channel without mail), `sent`,
    /// `held` (kept in the local outbox: no SMTP relay configured) or `failed`.
    pub status: String,
    /// The Message-ID it went out with.
    pub message_id: Option<String>,
    /// Why the last attempt to send it failed.
    pub last_error: Option<String>,
    /// When it went out (or was held).
    pub sent_at: Option<Timestamp>,
    /// When it was queued.
    pub created_at: Timestamp,
}

pub(crate) type NoticeRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

pub(crate) const NOTICE_COLUMNS: &str =
    "id, case_id, kind, channel, to_address, subject, body, status, \
     message_id, last_error, sent_at, created_at";

pub(crate) fn notice_of(r: NoticeRow) -> Notice {
    Notice {
        id: r.0,
        case_id: r.1,
        kind: r.2,
        channel: r.3,
        to_address: r.4,
        subject: r.5,
        body: r.6,
        status: r.7,
        message_id: r.8,
        last_error: r.9,
        sent_at: r.10.map(Timestamp),
        created_at: Timestamp(r.11),
    }
}

/// One notice.
pub(crate) async fn load_notice(conn: &mut AnyConnection, id: i64) -> Result<Notice, StoreError> {
    let row: NoticeRow = sqlx::query_as(&format!(
        "select {NOTICE_COLUMNS} from notices where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("notice"))?;
    Ok(notice_of(row))
}

/// The first email address on file for a customer.
pub(crate) async fn customer_email(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "select value from customer_contacts where customer_id = $1 and kind = 'email' \
         order by id limit 1",
    )
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Inserts a queued notice to the case's customer on `channel` (to `to_address`); returns its id.
pub(crate) async fn insert_notice(
    conn: &mut AnyConnection,
    case: &Case,
    kind: NoticeKind,
    wording: &Wording,
    channel: Channel,
    to_address: Option<&str>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "insert into notices (case_id, customer_id, kind, channel, to_address, subject, body, \
         status, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8) \
         returning id",
    )
    .bind(case.id)
    .bind(case.customer_id)
    .bind(kind.as_str())
    .bind(channel.as_str())
    .bind(to_address)
    .bind(&wording.subject)
    .bind(&wording.body)
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Saves how a queued notice went out (`held` in the local outbox, or `sent`) with its
/// Message-ID and the whole mail; `false` when it was no longer queued, and nothing changed.
pub(crate) async fn mark_out(
    conn: &mut AnyConnection,
    notice_id: i64,
    held: bool,
    message_id: &str,
    mail: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let status = if held { "held" } else { "sent" };
    let changed = sqlx::query(
        "update notices set status = $1, message_id = $2, mail = $3, sent_at = $4, \
         last_error = null, updated_at = $4 where id = $5 and status = 'queued'",
    )
    .bind(status)
    .bind(message_id)
    .bind(mail)
    .bind(now.millis())
    .bind(notice_id)
    .execute(&mut *conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Records why sending a queued notice failed, and marks it failed when `last`; `false` when it
/// was no longer queued, and nothing changed.
pub(crate) async fn mark_failed(
    conn: &mut AnyConnection,
    notice_id: i64,
    reason: &str,
    last: bool,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let status = if last { "failed" } else { "queued" };
    let changed = sqlx::query(
        "update notices set status = $1, last_error = $2, updated_at = $3 where id = $4 \
         and status = 'queued'",
    )
    .bind(status)
    .bind(reason)
    .bind(now.millis())
    .bind(notice_id)
    .execute(&mut *conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}
