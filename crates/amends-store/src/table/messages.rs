//! The `messages` table.

use amends_core::message::Reading;
use amends_core::{Direction, Message, Timestamp};
use sqlx::AnyConnection;

use crate::rows::{MessageRow, MESSAGE_COLUMNS};
use crate::StoreError;

pub(crate) async fn insert_message(
    conn: &mut AnyConnection,
    case_id: i64,
    message: &NewMessage,
    at: Timestamp,
) -> Result<Message, StoreError> {
    let row: MessageRow = sqlx::query_as(&format!(
        "insert into messages (case_id, direction, channel, author_id, body, body_html, \
         external_id, anger_permille, abusive, churn_threat, assessment, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         returning {MESSAGE_COLUMNS}"
    ))
    .bind(case_id)
    .bind(message.direction.as_str())
    .bind(message.channel.as_str())
    .bind(message.author_id)
    .bind(&message.body)
    .bind(message.body_html.as_deref())
    .bind(message.external_id.as_deref())
    .bind(message.reading.as_ref().map(|r| r.anger_permille))
    .bind(message.reading.as_ref().map_or(0, |r| i64::from(r.abusive)))
    .bind(
        message
            .reading
            .as_ref()
            .map_or(0, |r| i64::from(r.churn_threat)),
    )
    .bind(message.reading.as_ref().map(|r| r.assessment_json.as_str()))
    .bind(at.millis())
    .fetch_one(&mut *conn)
    .await?;
    Message::try_from(row)
}

pub(crate) async fn message_by_external_id(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
) -> Result<Option<Message>, StoreError> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "select {MESSAGE_COLUMNS} from messages where channel = $1 and external_id = $2"
    ))
    .bind(channel)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Message::try_from).transpose()
}

/// A new message on an existing case.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Which way it went.
    pub direction: Direction,
    /// Through which channel.
    pub channel: amends_core::Channel,
    /// The agent who wrote it, if any.
    pub author_id: Option<i64>,
    /// Its text.
    pub body: String,
    /// Its HTML, if the channel has one.
    pub body_html: Option<String>,
    /// The channel's id for it.
    pub external_id: Option<String>,
    /// What the text engine read in it (customer messages).
    pub reading: Option<Reading>,
}
