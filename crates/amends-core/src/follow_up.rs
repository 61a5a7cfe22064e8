//! Following a resolved case up: asking the customer whether it was solved, and what their
//! answer does to the case.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::case::{reopen_after_follow_up, Case};
use crate::job::FollowUpCheck;
use crate::outcome::{Effect, NoticeKind, Outcome};
use crate::protocol::SurveyAnswer;
use crate::{wording, CaseStatus, FieldError, Timestamp};

/// The survey a follow-up check asks, when the case is still resolved from the resolution the
/// check was scheduled for; a case reopened (or resolved again) has nothing to follow up yet.
pub fn ask(case: &Case, check: &FollowUpCheck, survey_url: &str) -> Option<Outcome> {
    let still_resolved = matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed)
        && case.resolved_at == Some(Timestamp(check.resolved_at));
    if !still_resolved {
        return None;
    }
    let event = AuditEvent::new("case.followed_up", RecordKind::Case, case.id);
    Some(Outcome::event(event).and(Effect::NotifyCustomer {
        case_id: case.id,
        kind: NoticeKind::FollowUp,
        wording: wording::follow_up(case.id, &case.subject, survey_url, check.gesture.as_deref()),
    }))
}

/// The case after the customer's answer to its latest survey (`answered` when that survey was
/// answered before: a survey is answered once). A low score or "not solved" reopens it.
pub fn answer(
    case: &Case,
    answered: bool,
    answer: &SurveyAnswer,
    now: Timestamp,
) -> Result<(Case, Outcome), FieldError> {
    if answered {
        return Err(FieldError::new("score", "this survey was already answered"));
    }
    let mut next = case.clone();
    next.csat = Some(answer.score);
    let mut outcome = Outcome::event(
        AuditEvent::new("survey.answered", RecordKind::Case, case.id).with_changes(vec![
            Change::new("csat", "", answer.score.to_string()),
            Change::new("solved", "", answer.solved.to_string()),
        ]),
    );
    if answer.reopens() {
        let (reopened, event) = reopen_after_follow_up(&next, now);
        next = reopened;
        outcome = outcome.and_event(event);
    }
    Ok((next, outcome))
}
