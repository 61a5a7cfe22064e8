//! The action plan shared with the customer and the written summary they confirm: what each
//! change, and each of the customer's answers, leaves on the case.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::outcome::{AlertKind, Effect, NoticeKind, Outcome, Recipient};
use crate::protocol::{PlanAnswer, PlanStep};
use crate::wording::{self, PlanLine};
use crate::{Direction, FieldError};

fn line(step: &PlanStep) -> PlanLine<'_> {
    PlanLine {
        position: step.position,
        description: &step.description,
        due_at: step.due_at,
    }
}

fn lines(steps: &[PlanStep]) -> Vec<PlanLine<'_>> {
    steps.iter().map(line).collect()
}

fn describe(steps: &[PlanStep]) -> String {
    steps
        .iter()
        .map(|s| {
            format!(
                "{}. {} by {}",
                s.position,
                s.description,
                s.due_at.to_rfc3339()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A plan set on a case (`before` it had those steps): recorded, and sent to the customer with
/// the link where they follow and answer it.
pub fn shared(case_id: i64, before: &[PlanStep], after: &[PlanStep], plan_url: &str) -> Outcome {
    let (action, kind) = if before.is_empty() {
        ("plan.shared", NoticeKind::PlanShared)
    } else {
        ("plan.changed", NoticeKind::PlanChanged)
    };
    let change = Change::new("plan", describe(before), describe(after));
    Outcome::event(AuditEvent::new(action, RecordKind::Case, case_id).with_changes(vec![change]))
        .and(Effect::NotifyCustomer {
            case_id,
            kind,
            wording: wording::plan_shared(case_id, plan_url, &lines(after)),
        })
}

/// A step of the plan done: refused when it was done before; otherwise the customer hears.
pub fn step_done(step: &PlanStep, plan_url: &str) -> Result<Outcome, FieldError> {
    if step.done_at.is_some() {
        return Err(FieldError::new("step", "this step is already done"));
    }
    let change = Change::new(
        "step",
        "",
        format!("{}. {}", step.position, step.description),
    );
    Ok(Outcome::event(
        AuditEvent::new("plan.step_done", RecordKind::Case, step.case_id)
            .with_changes(vec![change]),
    )
    .and(Effect::NotifyCustomer {
        case_id: step.case_id,
        kind: NoticeKind::PlanStepDone,
        wording: wording::plan_step_done(step.case_id, line(step), plan_url),
    }))
}

/// The customer's answer to the plan (`current` is their answer so far): noted on the case; a
/// rejection is offered the full refund, and declining that too tells a supervisor.
pub fn answered(
    case_id: i64,
    owner_id: Option<i64>,
    current: Option<PlanAnswer>,
    answer: PlanAnswer,
) -> Result<Outcome, FieldError> {
    if !PlanAnswer::may_become(current, answer) {
        return Err(FieldError::new(
            "answer",
            format!(
                "cannot answer {} after {}",
                answer.as_str(),
                current.map_or("nothing", PlanAnswer::as_str)
            ),
        ));
    }
    let note = match answer {
        PlanAnswer::Accepted => wording::PLAN_ACCEPTED,
        PlanAnswer::Rejected => wording::PLAN_REJECTED,
        PlanAnswer::FullRefund => wording::PLAN_FULL_REFUND,
        PlanAnswer::RefundDeclined => wording::PLAN_REFUND_DECLINED,
    };
    let change = Change::new(
        "plan_answer",
        current.map_or("none", PlanAnswer::as_str),
        answer.as_str(),
    );
    let mut outcome = Outcome::event(
        AuditEvent::new("plan.answered", RecordKind::Case, case_id).with_changes(vec![change]),
    )
    .and(Effect::Write {
        case_id,
        direction: Direction::Note,
        author_id: None,
        body: note.to_owned(),
        external_id: None,
    });
    if answer == PlanAnswer::RefundDeclined {
        outcome = outcome.and(Effect::Alert {
            to: Recipient::InChargeOf(owner_id),
            case_id: Some(case_id),
            kind: AlertKind::PlanDeclined,
            body: note.to_owned(),
        });
    }
    Ok(outcome)
}

/// A written summary sent: recorded, and sent to the customer with the link where they confirm
/// or correct it.
pub fn summary_sent(case_id: i64, body: &str, summary_url: &str) -> Outcome {
    Outcome::event(AuditEvent::new("summary.sent", RecordKind::Case, case_id)).and(
        Effect::NotifyCustomer {
            case_id,
            kind: NoticeKind::Summary,
            wording: wording::summary(case_id, body, summary_url),
        },
    )
}

/// The customer's answer to summary `summary_id` (`answered` when it was answered before: it is
/// answered once). What they say about it lands on the case as their message.
pub fn summary_answered(
    case_id: i64,
    summary_id: i64,
    answered: bool,
    confirmed: bool,
    comment: Option<&str>,
) -> Result<Outcome, FieldError> {
    if !confirmed && comment.is_none() {
        return Err(FieldError::new("comment", "tell us what is wrong"));
    }
    if answered {
        return Err(FieldError::new(
            "confirmed",
            "this summary was already answered",
        ));
    }
    let answer = summary_answer(confirmed);
    let mut outcome = Outcome::event(
        AuditEvent::new("summary.answered", RecordKind::Case, case_id)
            .with_changes(vec![Change::new("summary", "", answer)]),
    );
    if let Some(words) = comment {
        outcome = outcome.and(Effect::Write {
            case_id,
            direction: Direction::Inbound,
            author_id: None,
            body: wording::summary_answer(confirmed, words),
            external_id: Some(format!("summary-answer:{summary_id}")),
        });
    }
    Ok(outcome)
}

/// The stored answer to a summary.
pub fn summary_answer(confirmed: bool) -> &'static str {
    if confirmed {
        "confirmed"
    } else {
        "wrong"
    }
}
