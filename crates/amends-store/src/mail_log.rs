//! Email in the database: the outbox (notices on the email channel, sent by `mail.send` jobs),
//! the intake log (every mail taken in, once: filed, ignored, or quarantined whole) and the
//! attachments of messages.
//!
//! Filing a mail is one transaction: recognise it (its bytes, then its Message-ID), find its
//! thread (our own Message-IDs in the outbox, the customer's earlier mails, then a `[Case #N]`
//! reference from the case's own customer), then add it to that case or open a new one, with
//! its attachments and its line in the intake log.

use amends_core::audit::AuditContext;
use amends_core::case::{after_message, NewCase};
use amends_core::customer::NewCustomer;
use amends_core::message::Reading;
use amends_core::{events, Channel, Direction, Priority, Timestamp};
use sqlx::AnyConnection;

use crate::cases::add_message_in;
use crate::new_cases::{open_case_in, OpenCase};
use crate::table::messages::{message_by_external_id, NewMessage};
use crate::{audit, Backend, Store, StoreError};

/// How a sent (or held) notice went out, saved with the job's completion.
#[derive(Debug, Clone)]
pub struct MailSent {
    /// The notice.
    pub notice_id: i64,
    /// The Message-ID it went out with, without angle brackets.
    pub message_id: String,
    /// The whole mail as sent.
    pub mail: String,
    /// Kept in the local outbox (no SMTP relay configured) rather than sent.
    pub held: bool,
}

/// An attachment to store with a message.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// Its file name.
    pub name: Option<String>,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its bytes, unless a limit kept them out.
    pub content: Option<Vec<u8>>,
    /// Why the bytes were not kept.
    pub omitted: Option<String>,
}

/// A mail from a person, read and ready to file.
#[derive(Debug, Clone)]
pub struct MailFiling {
    /// Where it came from: `http` or the mailbox's address.
    pub source: String,
    /// SHA-256 of its bytes, hex.
    pub digest: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its Message-ID (or `sha256:` digest when it has none).
    pub external_id: String,
    /// The Message-IDs it answers, most direct first (In-Reply-To, then References newest
    /// first).
    pub thread: Vec<String>,
    /// A `[Case #N]` reference in its subject.
    pub case_reference: Option<i64>,
    /// The sender, as a customer to find or create (name and email).
    pub customer: NewCustomer,
    /// Its subject.
    pub subject: String,
    /// Its whole text.
    pub body: String,
    /// Its HTML, sanitised.
    pub body_html: Option<String>,
    /// What the text engine read in the fresh part.
    pub reading: Option<Reading>,
    /// Its attachments.
    pub attachments: Vec<NewAttachment>,
    /// What reading it left out (HTML over budget, attachments not kept), when anything was.
    pub left_out: Option<String>,
    /// The raw bytes, kept beside the filed message when something was left out.
    pub raw: Option<Vec<u8>>,
}

/// A mail the desk keeps but files under no case.
#[derive(Debug, Clone)]
pub struct SetAside {
    /// Where it came from.
    pub source: String,
    /// SHA-256 of its bytes, hex.
    pub digest: String,
    /// Its Message-ID, when it could be read.
    pub message_id: Option<String>,
    /// Its sender, when it could be read.
    pub from_address: Option<String>,
    /// Its subject, when it could be read.
    pub subject: Option<String>,
    /// Why it is set aside.
    pub reason: String,
    /// Quarantined (kept whole, listed for a person) rather than ignored (an auto-reply).
    pub quarantine: bool,
    /// The raw bytes, kept for a quarantined mail.
    pub raw: Vec<u8>,
}

/// What taking in one mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// Added to a case.
    Filed {
        /// The case.
        case_id: i64,
        /// The new message.
        message_id: i64,
        /// Whether the case was opened for it.
        new_case: bool,
    },
    /// Seen before: nothing changed.
    Duplicate {
        /// The case it was filed under, if it was.
        case_id: Option<i64>,
        /// Its message, if it was filed.
        message_id: Option<i64>,
    },
    /// Not from a person: no case.
    Ignored {
        /// Why.
        reason: String,
    },
    /// Could not be read: kept whole for a person to look at.
    Quarantined {
        /// Its line in the intake log.
        quarantine_id: i64,
        /// Why.
        reason: String,
    },
}

/// A mail in quarantine (or any line of the intake log).
#[derive(Debug, Clone)]
pub struct InboundMailEntry {
    /// Its id.
    pub id: i64,
    /// Where it came from.
    pub source: String,
    /// `filed`, `ignored` or `quarantined`.
    pub outcome: String,
    /// Why it was not filed.
    pub reason: Option<String>,
    /// Its sender, when known.
    pub from_address: Option<String>,
    /// Its subject, when known.
    pub subject: Option<String>,
    /// Its case, when filed.
    pub case_id: Option<i64>,
    /// Its size in bytes.
    pub size: i64,
    /// When it arrived.
    pub received_at: Timestamp,
    /// Whether its raw bytes are kept (quarantined, or filed with something left out).
    pub kept_whole: bool,
}

type EntryRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    i64,
);

fn entry(r: EntryRow) -> InboundMailEntry {
    InboundMailEntry {
        id: r.0,
        source: r.1,
        outcome: r.2,
        reason: r.3,
        from_address: r.4,
        subject: r.5,
        case_id: r.6,
        size: r.7,
        received_at: Timestamp(r.8),
        kept_whole: r.9 != 0,
    }
}

impl Store {
    /// Files a mail from a person: threaded into its case or opening a new one; a mail seen
    /// before (same bytes or same Message-ID) changes nothing.
    pub async fn file_mail(
        &self,
        filing: &MailFiling,
        context: &AuditContext,
    ) -> Result<Intake, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Two servers filing the same mail at once: one wins, the other finds it filed.
            match self.try_file_mail(filing, context).await {
                Err(StoreError::Conflict { .. }) if attempt < 3 => continue,
                other => return other,
            }
        }
    }

    async fn try_file_mail(
        &self,
        filing: &MailFiling,
        context: &AuditContext,
    ) -> Result<Intake, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(seen) = seen_digest(&mut tx, &filing.digest).await? {
            return Ok(seen);
        }
        if let Some(message) =
            message_by_external_id(&mut tx, Channel::Email.as_str(), &filing.external_id).await?
        {
            return Ok(Intake::Duplicate {
                case_id: Some(message.case_id),
                message_id: Some(message.id),
            });
        }
        let now = context.at;
        let lock = self.backend == Backend::Postgres;
        let (case_id, message_id, new_case) = file_on_case(&mut tx, filing, context, lock).await?;
        insert_attachments(&mut tx, message_id, &filing.attachments, now).await?;
        let from = filing
            .customer
            .emails
            .first()
            .map(|e| e.as_str().to_owned());
        let log_id = log_mail(
            &mut tx,
            &LogLine {
                source: &filing.source,
                digest: &filing.digest,
                message_id: Some(&filing.external_id),
                outcome: "filed",
                reason: filing.left_out.as_deref(),
                from_address: from.as_deref(),
                subject: Some(&filing.subject),
                case_id: Some(case_id),
                message_row_id: Some(message_id),
                size: filing.size,
                raw: filing.raw.as_deref(),
            },
            now,
        )
        .await?;
        let event = events::mail_filed(message_id);
        audit::record(&mut tx, context, &[event]).await?;
        tracing::debug!(intake = log_id, case_id, message_id, "mail filed");
        tx.commit().await?;
        Ok(Intake::Filed {
            case_id,
            message_id,
            new_case,
        })
    }

    /// Keeps a mail that opens no case: an auto-reply (ignored) or one that could not be read
    /// (quarantined whole). The same bytes twice are logged once.
    pub async fn set_aside_mail(
        &self,
        mail: &SetAside,
        now: Timestamp,
    ) -> Result<Intake, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(seen) = seen_digest(&mut tx, &mail.digest).await? {
            return Ok(seen);
        }
        let outcome = if mail.quarantine {
            "quarantined"
        } else {
            "ignored"
        };
        let id = log_mail(
            &mut tx,
            &LogLine {
                source: &mail.source,
                digest: &mail.digest,
                message_id: mail.message_id.as_deref(),
                outcome,
                reason: Some(&mail.reason),
                from_address: mail.from_address.as_deref(),
                subject: mail.subject.as_deref(),
                case_id: None,
                message_row_id: None,
                size: i64::try_from(mail.raw.len()).unwrap_or(i64::MAX),
                raw: mail.quarantine.then_some(mail.raw.as_slice()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(if mail.quarantine {
            Intake::Quarantined {
                quarantine_id: id,
                reason: mail.reason.clone(),
            }
        } else {
            Intake::Ignored {
                reason: mail.reason.clone(),
            }
        })
    }

    /// The intake log, newest first: every mail, or those with one `outcome`.
    pub async fn inbound_mails(
        &self,
        outcome: Option<&str>,
        limit: i64,
    ) -> Result<Vec<InboundMailEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "select id, source, outcome, reason, from_address, subject, case_id, size, \
             received_at, case when raw is null then 0 else 1 end \
             from inbound_mails where ($1 = '' or outcome = $1) \
             order by id desc limit $2",
        )
        .bind(outcome.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(entry).collect())
    }

    /// The raw bytes of a mail kept whole: quarantined, or filed with something left out.
    pub async fn kept_mail(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        let raw: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("select raw from inbound_mails where id = $1 and raw is not null")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        raw.flatten()
            .ok_or(StoreError::NotFound("quarantined mail"))
    }
}

async fn seen_digest(conn: &mut AnyConnection, digest: &str) -> Result<Option<Intake>, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("select case_id, message_row_id from inbound_mails where digest = $1")
            .bind(digest)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(case_id, message_id)| Intake::Duplicate {
        case_id,
        message_id,
    }))
}

/// The case a mail continues, if any.
async fn thread_case(
    conn: &mut AnyConnection,
    filing: &MailFiling,
) -> Result<Option<i64>, StoreError> {
    match threaded(conn, filing).await? {
        Some(case_id) => survivor_of(conn, case_id).await.map(Some),
        None => Ok(None),
    }
}

/// The case a mail continues, or the case it was merged into: a reply to a duplicate's thread
/// lands on the case that survived the merge. Merges point one way and never at a merged case,
/// so the walk ends; it is bounded anyway.
async fn survivor_of(conn: &mut AnyConnection, case_id: i64) -> Result<i64, StoreError> {
    let mut id = case_id;
    for _ in 0..16 {
        let into: Option<i64> = sqlx::query_scalar("select merged_into from cases where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
        match into {
            Some(next) => id = next,
            None => break,
        }
    }
    Ok(id)
}

async fn threaded(
    conn: &mut AnyConnection,
    filing: &MailFiling,
) -> Result<Option<i64>, StoreError> {
    for id in filing.thread.iter().take(50) {
        let ours: Option<i64> =
            sqlx::query_scalar("select case_id from notices where message_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if ours.is_some() {
            return Ok(ours);
        }
        if let Some(message) = message_by_external_id(conn, Channel::Email.as_str(), id).await? {
            return Ok(Some(message.case_id));
        }
    }
    // A subject reference alone is trusted only from the case's own customer: anybody can
    // type "[Case #12]" into a subject.
    if let (Some(case_id), Some(email)) = (filing.case_reference, filing.customer.emails.first()) {
        let owned: Option<i64> = sqlx::query_scalar(
            "select cases.id from cases join customer_contacts c on c.customer_id = \
             cases.customer_id where cases.id = $1 and c.kind = 'email' and c.value = $2",
        )
        .bind(case_id)
        .bind(email.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(owned);
    }
    Ok(None)
}

struct LogLine<'a> {
    source: &'a str,
    digest: &'a str,
    message_id: Option<&'a str>,
    outcome: &'a str,
    reason: Option<&'a str>,
    from_address: Option<&'a str>,
    subject: Option<&'a str>,
    case_id: Option<i64>,
    message_row_id: Option<i64>,
    size: i64,
    raw: Option<&'a [u8]>,
}

async fn log_mail(
    conn: &mut AnyConnection,
    line: &LogLine<'_>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "insert into inbound_mails (source, digest, message_id, outcome, reason, from_address, \
         subject, case_id, message_row_id, size, raw, received_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12) returning id",
    )
    .bind(line.source)
    .bind(line.digest)
    .bind(line.message_id)
    .bind(line.outcome)
    .bind(line.reason)
    .bind(line.from_address)
    .bind(line.subject)
    .bind(line.case_id)
    .bind(line.message_row_id)
    .bind(line.size)
    .bind(line.raw)
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?)
}

/// Files a mail on the case its thread belongs to, or opens one; answers the case, the
/// message and whether the case is new.
async fn file_on_case(
    tx: &mut AnyConnection,
    filing: &MailFiling,
    context: &AuditContext,
    lock: bool,
) -> Result<(i64, i64, bool), StoreError> {
    let now = context.at;
    Ok(match thread_case(&mut *tx, filing).await? {
        Some(case_id) => {
            let message = NewMessage {
                direction: Direction::Inbound,
                channel: Channel::Email,
                author_id: None,
                body: filing.body.clone(),
                body_html: filing.body_html.clone(),
                external_id: Some(filing.external_id.clone()),
                reading: filing.reading.clone(),
            };
            let (_, stored) = add_message_in(&mut *tx, case_id, &message, context, lock, |c| {
                after_message(c, Direction::Inbound, now)
            })
            .await?;
            (case_id, stored.id, false)
        }
        None => {
            let request = OpenCase {
                customer: filing.customer.clone(),
                case: NewCase {
                    channel: Channel::Email,
                    subject: filing.subject.clone(),
                    body: filing.body.clone(),
                    priority: Priority::Normal,
                },
                external_id: Some(filing.external_id.clone()),
                body_html: filing.body_html.clone(),
                reading: filing.reading.clone(),
            };
            let opened = open_case_in(&mut *tx, &request, context).await?;
            (opened.case.id, opened.message.id, true)
        }
    })
}

/// Keeps a filed mail's attachments (their bytes, or why they were left out).
async fn insert_attachments(
    tx: &mut AnyConnection,
    message_id: i64,
    attachments: &[NewAttachment],
    now: Timestamp,
) -> Result<(), StoreError> {
    for attachment in attachments {
        sqlx::query(
            "insert into attachments (message_id, name, content_type, size, content, \
             omitted, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(message_id)
        .bind(attachment.name.as_deref())
        .bind(&attachment.content_type)
        .bind(attachment.size)
        .bind(attachment.content.as_deref())
        .bind(attachment.omitted.as_deref())
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
