//! What a decision does beyond changing its own record: the audit events it leaves and the
//! effects the store carries out in the same transaction (a notice to the customer, an alert to
//! a person, a line on the case, work for later).
//!
//! Records that an effect creates get their ids when they are written; the event each one
//! leaves is still worded here, by [`Effect::recorded`].

use crate::audit::{AuditEvent, RecordKind};
use crate::job::{Job, MailSend, Scheduled};
use crate::wording::Wording;
use crate::{Channel, Direction, Timestamp};

/// The kind of a notice to a customer, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// An agent's reply on an email case.
    Reply,
    /// A promise moved to a later time.
    PromiseExtended,
    /// A call-back coming due.
    PromiseReminder,
    /// The satisfaction survey after a resolution.
    FollowUp,
    /// An action plan shared for the first time.
    PlanShared,
    /// An action plan changed.
    PlanChanged,
    /// A step of the plan done.
    PlanStepDone,
    /// The written summary to confirm.
    Summary,
    /// Articles that may answer a calm question, sent as it arrives (when the desk says so).
    ArticlesSuggested,
}

impl NoticeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Reply => "reply",
            NoticeKind::PromiseExtended => "promise_extended",
            NoticeKind::PromiseReminder => "promise_reminder",
            NoticeKind::FollowUp => "follow_up",
            NoticeKind::PlanShared => "plan.shared",
            NoticeKind::PlanChanged => "plan.changed",
            NoticeKind::PlanStepDone => "plan.step_done",
            NoticeKind::Summary => "summary",
            NoticeKind::ArticlesSuggested => "articles_suggested",
        }
    }
}

/// The kind of an alert to a member of staff, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A promise is coming due.
    PromiseDueSoon,
    /// A promise was broken.
    PromiseBroken,
    /// A customer threatens to leave.
    WinBack,
    /// A contact was ended under the abuse policy.
    Abuse,
    /// Compensation above an agent's authority waits for approval.
    Approval,
    /// The customer rejected the plan and declined the refund.
    PlanDeclined,
    /// A mail to the customer could not be sent.
    MailFailed,
    /// A customer in a live chat became furious.
    Furious,
    /// A live chat was passed to this agent.
    ChatPassed,
    /// A reply through a messaging app could not be sent.
    ReplyFailed,
    /// A reader said an article did not help, or commented on it.
    ArticleFeedback,
    /// An incident's promised update did not come.
    IncidentUpdateLate,
    /// A customer said a resolved incident is not fixed for them.
    IncidentNotFixed,
}

impl AlertKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PromiseDueSoon => "promise_due_soon",
            AlertKind::PromiseBroken => "promise_broken",
            AlertKind::WinBack => "win_back",
            AlertKind::Abuse => "abuse",
            AlertKind::Approval => "approval",
            AlertKind::PlanDeclined => "plan_declined",
            AlertKind::MailFailed => "mail_failed",
            AlertKind::Furious => "furious",
            AlertKind::ChatPassed => "chat_passed",
            AlertKind::ReplyFailed => "reply_failed",
            AlertKind::ArticleFeedback => "article_feedback",
            AlertKind::IncidentUpdateLate => "incident_update_late",
            AlertKind::IncidentNotFixed => "incident_not_fixed",
        }
    }
}

/// Who hears an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// One agent.
    Agent(i64),
    /// The supervisor of this agent when they have an active one, or else every active
    /// supervisor, or else every admin: somebody in charge always hears.
    InChargeOf(Option<i64>),
}

/// One thing a decision makes happen, beyond its own record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A notice to the case's customer, by mail when they have an address (see
    /// [`notice_route`]), otherwise on the case's channel for an agent to pass on.
    NotifyCustomer {
        /// The case.
        case_id: i64,
        /// What kind of notice.
        kind: NoticeKind,
        /// Its words.
        wording: Wording,
    },
    /// Something a person on the desk must hear.
    Alert {
        /// Who.
        to: Recipient,
        /// The case it is about.
        case_id: Option<i64>,
        /// What kind.
        kind: AlertKind,
        /// What to tell.
        body: String,
    },
    /// A line on the case's conversation: said by or to the customer, or a note.
    Write {
        /// The case.
        case_id: i64,
        /// Who speaks.
        direction: Direction,
        /// The agent who wrote it, if one did.
        author_id: Option<i64>,
        /// What it says.
        body: String,
        /// The id that keeps it from being written twice.
        external_id: Option<String>,
    },
    /// Work for later.
    Schedule(Scheduled),
}

impl Effect {
    /// Schedules `job` at `run_at`.
    pub fn schedule(job: Job, run_at: Timestamp) -> Effect {
        Effect::Schedule(Scheduled { job, run_at })
    }

    /// The audit event the effect leaves once the record it creates has `id`, if it leaves one.
    pub fn recorded(&self, id: i64) -> Option<AuditEvent> {
        match self {
            Effect::NotifyCustomer { .. } => {
                Some(AuditEvent::new("notice.queued", RecordKind::Notice, id))
            }
            Effect::Write { direction, .. } => Some(message_added(*direction, id)),
            Effect::Alert { .. } | Effect::Schedule(_) => None,
        }
    }
}

/// The event of a message written on a case.
pub fn message_added(direction: Direction, message_id: i64) -> AuditEvent {
    let action = match direction {
        Direction::Inbound => "message.received",
        Direction::Outbound => "message.sent",
        Direction::Note => "note.added",
    };
    AuditEvent::new(action, RecordKind::Message, message_id)
}

/// How a notice reaches a customer: by email, with the job that sends it, when they have an
/// address on file; otherwise on the case's own channel, for an agent to pass on.
pub fn notice_route(case_channel: Channel, has_email: bool) -> Channel {
    if has_email {
        Channel::Email
    } else {
        case_channel
    }
}

/// The work a notice just queued needs: a mail to send when it goes by email.
pub fn notice_work(channel: Channel, notice_id: i64, now: Timestamp) -> Option<Scheduled> {
    (channel == Channel::Email).then_some(Scheduled {
        job: Job::MailSend(MailSend { notice_id }),
        run_at: now,
    })
}

/// A reply through a messaging app that could not be sent, for good: the case's owner hears,
/// or someone in charge when the case has none.
pub fn reply_failed(case_id: i64, owner_id: Option<i64>, via: &str, reason: &str) -> Effect {
    Effect::Alert {
        to: owner_id.map_or(Recipient::InChargeOf(None), Recipient::Agent),
        case_id: Some(case_id),
        kind: AlertKind::ReplyFailed,
        body: crate::wording::reply_failed(case_id, via, reason),
    }
}

/// What a decision leaves behind besides its record: audit events about existing records, and
/// effects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// What happened to records that already exist.
    pub events: Vec<AuditEvent>,
    /// What it makes happen.
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// An outcome of one event and no effect.
    pub fn event(event: AuditEvent) -> Outcome {
        Outcome {
            events: vec![event],
            effects: Vec::new(),
        }
    }

    /// Adds an event.
    pub fn and_event(mut self, event: AuditEvent) -> Outcome {
        self.events.push(event);
        self
    }

    /// Adds an effect.
    pub fn and(mut self, effect: Effect) -> Outcome {
        self.effects.push(effect);
        self
    }

    /// Adds everything `other` leaves.
    pub fn merge(mut self, other: Outcome) -> Outcome {
        self.events.extend(other.events);
        self.effects.extend(other.effects);
        self
    }
}

/// A notice that could not be sent, for good: the case's owner hears, or someone in charge when
/// the case has none.
pub fn notice_failed(
    case_id: i64,
    owner_id: Option<i64>,
    subject: &str,
    to: Option<&str>,
    reason: &str,
) -> Effect {
    Effect::Alert {
        to: owner_id.map_or(Recipient::InChargeOf(None), Recipient::Agent),
        case_id: Some(case_id),
        kind: AlertKind::MailFailed,
        body: crate::wording::mail_failed(case_id, subject, to, reason),
    }
}
