//! Reading what mail left on the desk: a case's attachments, the notices of the outbox as
//! they went out, and the thread a new mail on a case answers.

use crate::table::notices::{load_notice, Notice};
use crate::{Store, StoreError};

/// An attachment as stored (without its bytes).
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    /// Its id.
    pub id: i64,
    /// The message it came with.
    pub message_id: i64,
    /// Its file name.
    pub name: Option<String>,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Whether its bytes were kept.
    pub kept: bool,
    /// Why they were not.
    pub omitted: Option<String>,
}

/// A case's mail thread: what a new mail on it answers and refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailThread {
    /// The customer's latest mail, which a new mail answers.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first (at most the last 20).
    pub references: Vec<String>,
}

impl Store {
    /// The attachments of a case's messages.
    pub async fn case_attachments(&self, case_id: i64) -> Result<Vec<AttachmentInfo>, StoreError> {
        type Row = (i64, i64, Option<String>, String, i64, i64, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "select a.id, a.message_id, a.name, a.content_type, a.size, \
             case when a.content is null then 0 else 1 end, a.omitted \
             from attachments a join messages m on m.id = a.message_id \
             where m.case_id = $1 order by a.id",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| AttachmentInfo {
                id: r.0,
                message_id: r.1,
                name: r.2,
                content_type: r.3,
                size: r.4,
                kept: r.5 == 1,
                omitted: r.6,
            })
            .collect())
    }

    /// One attachment's bytes, with the case it belongs to (for the access check).
    pub async fn attachment_content(
        &self,
        id: i64,
    ) -> Result<(i64, AttachmentInfo, Vec<u8>), StoreError> {
        type Row = (i64, i64, Option<String>, String, i64, Option<Vec<u8>>, i64);
        let row: Row = sqlx::query_as(
            "select a.id, a.message_id, a.name, a.content_type, a.size, a.content, m.case_id \
             from attachments a join messages m on m.id = a.message_id where a.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound("attachment"))?;
        let content = row.5.ok_or(StoreError::NotFound("attachment content"))?;
        let info = AttachmentInfo {
            id: row.0,
            message_id: row.1,
            name: row.2,
            content_type: row.3,
            size: row.4,
            kept: true,
            omitted: None,
        };
        Ok((row.6, info, content))
    }

    /// One notice.
    pub async fn notice(&self, id: i64) -> Result<Notice, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_notice(&mut conn, id).await
    }

    /// The whole mail a notice went out as (or is held as).
    pub async fn notice_mail(&self, id: i64) -> Result<String, StoreError> {
        let mail: Option<Option<String>> =
            sqlx::query_scalar("select mail from notices where id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        mail.flatten()
            .ok_or(StoreError::NotFound("mail of this notice"))
    }

    /// What a new mail on `case_id` answers and refers to: the customer's mails and ours.
    pub async fn mail_thread(&self, case_id: i64) -> Result<MailThread, StoreError> {
        let ids: Vec<(i64, String, i64)> = sqlx::query_as(
            "select created_at, external_id, 0 from messages where case_id = $1 and \
             channel = 'email' and direction = 'inbound' and external_id is not null \
             union all select coalesce(sent_at, created_at), message_id, 1 from notices \
             where case_id = $1 and message_id is not null order by 1",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        let in_reply_to = ids
            .iter()
            .rev()
            .find(|(_, id, ours)| *ours == 0 && !id.starts_with("sha256:"))
            .map(|(_, id, _)| id.clone());
        let mut references: Vec<String> = ids
            .into_iter()
            .map(|(_, id, _)| id)
            .filter(|id| !id.starts_with("sha256:"))
            .collect();
        let keep_from = references.len().saturating_sub(20);
        references.drain(..keep_from);
        Ok(MailThread {
            in_reply_to,
            references,
        })
    }

    /// The name to greet a case's customer by.
    pub async fn customer_name_of_case(&self, case_id: i64) -> Result<String, StoreError> {
        sqlx::query_scalar(
            "select customers.name from cases join customers on customers.id = \
             cases.customer_id where cases.id = $1",
        )
        .bind(case_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound("case"))
    }
}
