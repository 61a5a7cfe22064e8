//! What went out and came in by mail, as the API answers it: notices to customers, alerts to
//! staff, the intake log and attachments.

use amends_core::Timestamp;
use amends_store::{AttachmentInfo, InboundMailEntry, Intake, Notice, Notification};
use serde::Serialize;
use utoipa::ToSchema;

/// A notice to a customer in the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// Its id.
    pub id: i64,
    /// The case it is about.
    pub case_id: i64,
    /// What kind, such as `reply`, `promise_extended` or `follow_up`.
    pub kind: String,
    /// The channel it goes out on.
    pub channel: String,
    /// The address, when the channel has one on file.
    pub to_address: Option<String>,
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// queued, sent, held (kept in the local outbox: no relay configured) or failed.
    #[schema(pattern = "^(queued|sent|held|failed)$")]
    pub status: String,
    /// The Message-ID it went out with.
    pub message_id: Option<String>,
    /// Why the last attempt to send it failed.
    pub last_error: Option<String>,
    /// When it went out (or was held).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    /// When it was queued.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        NoticeView {
            id: n.id,
            case_id: n.case_id,
            kind: n.kind,
            channel: n.channel,
            to_address: n.to_address,
            subject: n.subject,
            body: n.body,
            status: n.status,
            message_id: n.message_id,
            last_error: n.last_error,
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

/// Something the desk told one of its people.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its id.
    pub id: i64,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// What kind, such as `promise_broken`, `win_back`, `abuse` or `approval`.
    pub kind: String,
    /// What to tell.
    pub body: String,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            case_id: n.case_id,
            kind: n.kind,
            body: n.body,
            created_at: n.created_at,
        }
    }
}

/// What became of a mail taken in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IntakeView {
    /// Filed on a case (a new one, or the thread it belongs to).
    Filed {
        /// The case.
        case_id: i64,
        /// The message it became.
        message_id: i64,
        /// Whether it opened the case.
        new_case: bool,
    },
    /// The same mail was taken in before.
    Duplicate {
        /// The case it was filed on, if it was filed.
        case_id: Option<i64>,
        /// The message it became, if it was filed.
        message_id: Option<i64>,
    },
    /// Not a customer writing (an auto-reply, a bounce, a list).
    Ignored {
        /// Why.
        reason: String,
    },
    /// Kept whole, unread, with the reason.
    Quarantined {
        /// The intake log's line.
        quarantine_id: i64,
        /// Why.
        reason: String,
    },
}

impl From<Intake> for IntakeView {
    fn from(intake: Intake) -> Self {
        match intake {
            Intake::Filed {
                case_id,
                message_id,
                new_case,
            } => IntakeView::Filed {
                case_id,
                message_id,
                new_case,
            },
            Intake::Duplicate {
                case_id,
                message_id,
            } => IntakeView::Duplicate {
                case_id,
                message_id,
            },
            Intake::Ignored { reason } => IntakeView::Ignored { reason },
            Intake::Quarantined {
                quarantine_id,
                reason,
            } => IntakeView::Quarantined {
                quarantine_id,
                reason,
            },
        }
    }
}

/// One line of the mail intake log.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundMailView {
    /// Its id.
    pub id: i64,
    /// Where it came from: a mailbox's name, or `api`.
    pub source: String,
    /// filed, ignored or quarantined.
    pub outcome: String,
    /// Why it was ignored or quarantined.
    pub reason: Option<String>,
    /// Its sender.
    pub from_address: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// The case it was filed on.
    pub case_id: Option<i64>,
    /// Its size in bytes.
    pub size: i64,
    /// When it was taken in.
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    /// Whether the whole mail is kept (quarantined, or with attachments left out).
    pub kept_whole: bool,
}

impl From<InboundMailEntry> for InboundMailView {
    fn from(e: InboundMailEntry) -> Self {
        InboundMailView {
            id: e.id,
            source: e.source,
            outcome: e.outcome,
            reason: e.reason,
            from_address: e.from_address,
            subject: e.subject,
            case_id: e.case_id,
            size: e.size,
            received_at: e.received_at,
            kept_whole: e.kept_whole,
        }
    }
}

/// An attachment of a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
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
    /// Whether its content is kept (and can be downloaded).
    pub kept: bool,
    /// Why its content was left out, when it was.
    pub omitted: Option<String>,
}

impl From<AttachmentInfo> for AttachmentView {
    fn from(a: AttachmentInfo) -> Self {
        AttachmentView {
            id: a.id,
            message_id: a.message_id,
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            kept: a.kept,
            omitted: a.omitted,
        }
    }
}
