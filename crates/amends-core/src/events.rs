//! The audit events of records just written, which get their ids from the database: one
//! constructor per action, so that every action's name is spelled here and only here.

use crate::audit::{AuditEvent, RecordKind};

/// A customer put on file.
pub fn customer_created(id: i64) -> AuditEvent {
    AuditEvent::new("customer.created", RecordKind::Customer, id)
}

/// A case opened.
pub fn case_opened(id: i64) -> AuditEvent {
    AuditEvent::new("case.opened", RecordKind::Case, id)
}

/// A mail filed on a case as a message.
pub fn mail_filed(message_id: i64) -> AuditEvent {
    AuditEvent::new("mail.filed", RecordKind::Message, message_id)
}

/// A fact noted on a case.
pub fn fact_added(id: i64) -> AuditEvent {
    AuditEvent::new("fact.added", RecordKind::Fact, id)
}

/// An agent account made.
pub fn agent_created(id: i64) -> AuditEvent {
    AuditEvent::new("agent.created", RecordKind::Agent, id)
}

/// An agent's password changed by themselves or at the shell.
pub fn password_changed(agent_id: i64) -> AuditEvent {
    AuditEvent::new("agent.password_changed", RecordKind::Agent, agent_id)
}

/// Every session of an agent ended.
pub fn sessions_ended(agent_id: i64) -> AuditEvent {
    AuditEvent::new("agent.sessions_ended", RecordKind::Agent, agent_id)
}

/// A password reset link asked for and mailed.
pub fn password_reset_requested(agent_id: i64) -> AuditEvent {
    AuditEvent::new(
        "agent.password_reset_requested",
        RecordKind::Agent,
        agent_id,
    )
}

/// A password replaced through a reset link.
pub fn password_reset(agent_id: i64) -> AuditEvent {
    AuditEvent::new("agent.password_reset", RecordKind::Agent, agent_id)
}

/// An API token made.
pub fn token_created(id: i64) -> AuditEvent {
    AuditEvent::new("token.created", RecordKind::Token, id)
}

/// An API token revoked.
pub fn token_revoked(id: i64) -> AuditEvent {
    AuditEvent::new("token.revoked", RecordKind::Token, id)
}

/// A job scheduled by hand (through the API or the shell).
pub fn job_scheduled(id: i64) -> AuditEvent {
    AuditEvent::new("job.scheduled", RecordKind::Job, id)
}

/// A notice went out by mail, or was kept in the local outbox without a relay.
pub fn notice_went_out(notice_id: i64, held: bool) -> AuditEvent {
    let action = if held { "notice.held" } else { "notice.sent" };
    AuditEvent::new(action, RecordKind::Notice, notice_id)
}
