//! Taking the abuse policy's steps with a customer who abuses staff.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::case::Case;
use crate::outcome::{AlertKind, Effect, Outcome, Recipient};
use crate::protocol::{AbusePolicy, AbuseStep};
use crate::{wording, Direction, FieldError, Timestamp};

/// The policy's next step, when `taken` steps were taken on the case; refused when every step
/// was taken.
pub fn next_step(policy: &AbusePolicy, taken: i64) -> Result<AbuseStep, FieldError> {
    policy
        .next_step(usize::try_from(taken).unwrap_or(usize::MAX))
        .cloned()
        .ok_or_else(|| FieldError::new("step", "every step of the abuse policy was already taken"))
}

/// What taking `step` (recorded as `step_id`) by `agent_id` does: its script is said to the
/// customer, and a step that ends the contact hands the case to a supervisor.
pub fn step_taken(
    case: &Case,
    step: &AbuseStep,
    step_id: i64,
    agent_id: i64,
    now: Timestamp,
) -> (Case, Outcome) {
    let mut outcome = Outcome::event(
        AuditEvent::new("abuse.step_taken", RecordKind::Case, case.id)
            .with_changes(vec![Change::new("abuse_step", "", step.name.clone())]),
    )
    .and(Effect::Write {
        case_id: case.id,
        direction: Direction::Outbound,
        author_id: Some(agent_id),
        body: step.script.clone(),
        external_id: Some(format!("abuse-step:{step_id}")),
    });
    let mut next = case.clone();
    if step.ends_contact {
        next.owner_id = None;
        next.updated_at = now;
        let before = case.owner_id.map_or("none".to_owned(), |o| o.to_string());
        outcome = outcome
            .and_event(
                AuditEvent::new("case.changed", RecordKind::Case, case.id)
                    .with_changes(vec![Change::new("owner_id", before, "none")]),
            )
            .and(Effect::Alert {
                to: Recipient::InChargeOf(case.owner_id),
                case_id: Some(case.id),
                kind: AlertKind::Abuse,
                body: wording::abuse_contact_ended(case.id),
            });
    }
    (next, outcome)
}
