//! The audit events of records just written, which get their ids from the database: one
//! constructor per action, so that every action's name is spelled here and only here.

use crate::audit::{AuditEvent, Change, RecordKind};

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

/// A sign-in to an agent's account: who, by which factor (`password`, `totp`,
/// `recovery_code`, `sso`), and whether it succeeded. The context says when and from where.
pub fn sign_in(agent_id: i64, factor: &str, succeeded: bool) -> AuditEvent {
    let action = if succeeded {
        "agent.signed_in"
    } else {
        "agent.sign_in_failed"
    };
    AuditEvent::new(action, RecordKind::Agent, agent_id)
        .with_changes(vec![Change::new("factor", "", factor)])
}

/// An agent's two-factor sign-in turned on (with fresh recovery codes) or off.
pub fn two_factor_changed(agent_id: i64, on: bool) -> AuditEvent {
    let action = if on {
        "agent.two_factor_enabled"
    } else {
        "agent.two_factor_disabled"
    };
    AuditEvent::new(action, RecordKind::Agent, agent_id)
}

/// An agent's recovery codes replaced by fresh ones.
pub fn recovery_codes_renewed(agent_id: i64) -> AuditEvent {
    AuditEvent::new("agent.recovery_codes_renewed", RecordKind::Agent, agent_id)
}

/// One of an agent's sessions ended by them or an admin (not by signing out).
pub fn session_ended(agent_id: i64, session_id: i64) -> AuditEvent {
    AuditEvent::new("agent.session_ended", RecordKind::Agent, agent_id)
        .with_changes(vec![Change::new("session", session_id.to_string(), "")])
}

/// A customer's personal data erased: how much, never what.
pub fn customer_erased(customer_id: i64, cases: i64, messages: i64) -> AuditEvent {
    AuditEvent::new("customer.erased", RecordKind::Customer, customer_id).with_changes(vec![
        Change::new("cases", "", cases.to_string()),
        Change::new("messages", "", messages.to_string()),
    ])
}

/// A closed case's content erased by the desk's retention rule.
pub fn case_content_erased(case_id: i64) -> AuditEvent {
    AuditEvent::new("case.content_erased", RecordKind::Case, case_id)
}

/// Everything kept about a customer exported, by whoever the context names.
pub fn customer_exported(customer_id: i64) -> AuditEvent {
    AuditEvent::new("customer.exported", RecordKind::Customer, customer_id)
}

/// A desk-wide setting changed by an admin.
pub fn desk_setting_changed(admin_id: i64, name: &str, from: &str, to: &str) -> AuditEvent {
    AuditEvent::new("desk.setting_changed", RecordKind::Agent, admin_id)
        .with_changes(vec![Change::new(name, from, to)])
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
