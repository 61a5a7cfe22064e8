//! The audit trail: who did what to which record, when, from where. It is only ever appended to.

use serde::Serialize;

use crate::Timestamp;

/// The kind of record an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// A customer.
    Customer,
    /// A case.
    Case,
    /// A message.
    Message,
    /// An agent account.
    Agent,
    /// An API token.
    Token,
    /// A durable job.
    Job,
    /// A promise made to a customer.
    Promise,
    /// A fact of a case.
    Fact,
    /// A line of the compensation ledger.
    Compensation,
    /// A notice to a customer in the outbox.
    Notice,
    /// A canned reply.
    CannedReply,
    /// A custom field's definition.
    CustomField,
    /// A knowledge-base article.
    Article,
    /// An incident.
    Incident,
}

impl RecordKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Case => "case",
            RecordKind::Message => "message",
            RecordKind::Agent => "agent",
            RecordKind::Token => "token",
            RecordKind::Job => "job",
            RecordKind::Promise => "promise",
            RecordKind::Fact => "fact",
            RecordKind::Compensation => "compensation",
            RecordKind::Notice => "notice",
            RecordKind::CannedReply => "canned_reply",
            RecordKind::CustomField => "custom_field",
            RecordKind::Article => "article",
            RecordKind::Incident => "incident",
        }
    }
}

/// One field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The field.
    pub field: String,
    /// Its value before.
    pub from: String,
    /// Its value after.
    pub to: String,
}

impl Change {
    /// A change of `field` from `from` to `to`.
    pub fn new(field: &str, from: impl Into<String>, to: impl Into<String>) -> Self {
        Change {
            field: field.to_owned(),
            from: from.into(),
            to: to.into(),
        }
    }
}

/// The name of what happened, such as `case.opened`.
pub type AuditAction = &'static str;

/// What happened to a record, decided by the core; the shell adds who, when and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened.
    pub action: AuditAction,
    /// The kind of record.
    pub record_kind: RecordKind,
    /// The record's id.
    pub record_id: i64,
    /// Fields that changed, if any.
    pub changes: Vec<Change>,
}

impl AuditEvent {
    /// An event with no field changes.
    pub fn new(action: AuditAction, record_kind: RecordKind, record_id: i64) -> Self {
        AuditEvent {
            action,
            record_kind,
            record_id,
            changes: Vec::new(),
        }
    }

    /// The same event listing the fields that changed.
    pub fn with_changes(mut self, changes: Vec<Change>) -> Self {
        self.changes = changes;
        self
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An agent signed in to the console or using one of their API tokens.
    Agent {
        /// The agent's id.
        agent_id: i64,
    },
    /// The desk itself: a job, a migration, the demo generator.
    System,
    /// Someone at the shell, through `amends admin`.
    Shell,
    /// The customer, through a signed link.
    Customer,
    /// Someone not signed in: a sign-in that failed.
    Stranger,
}

impl Actor {
    /// The agent who acted, when an agent did.
    pub fn agent_id(&self) -> Option<i64> {
        match self {
            Actor::Agent { agent_id } => Some(*agent_id),
            _ => None,
        }
    }
}

/// Who did it, when, and from which address: the part of an audit entry the shell knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContext {
    /// Who acted.
    pub actor: Actor,
    /// When.
    pub at: Timestamp,
    /// From which network address, when over the network.
    pub remote_addr: Option<String>,
}
