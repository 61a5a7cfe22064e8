//! Merging duplicate cases: the customer wrote twice about one problem, or by two channels.
//! The duplicate's messages, notes, facts, promises and compensation move to the surviving
//! case (the store moves them); the duplicate is closed, pointing at the survivor, and the
//! survivor takes the duplicate's signals. A merge is undone exactly while nothing new has
//! happened on the survivor.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::FieldError;
use crate::{Case, CaseStatus, Timestamp};

/// The survivor's signals before a merge folded the duplicate's in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folded {
    /// Its anger.
    pub anger_permille: i64,
    /// Whether its customer had threatened to leave.
    pub churn_threat: bool,
    /// Its abusive messages.
    pub abusive_messages: i64,
    /// Its replies.
    pub replies_sent: i64,
    /// Its first answer.
    pub first_response_at: Option<Timestamp>,
}

impl Folded {
    /// The signals of `case`.
    pub fn of(case: &Case) -> Folded {
        Folded {
            anger_permille: case.anger_permille,
            churn_threat: case.churn_threat,
            abusive_messages: case.abusive_messages,
            replies_sent: case.replies_sent,
            first_response_at: case.first_response_at,
        }
    }
}

/// Both cases after a merge or its undoing, and what to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The surviving case.
    pub survivor: Case,
    /// The duplicate.
    pub duplicate: Case,
    /// The audit events, one on each case.
    pub events: Vec<AuditEvent>,
}

/// Merges `duplicate` into `survivor` at `now`. Refuses a case merged into itself, cases of
/// two customers (merge the customers first) and a case already merged.
pub fn merge(survivor: &Case, duplicate: &Case, now: Timestamp) -> Result<Merged, FieldError> {
    let refuse = |message: String| Err(FieldError::new("duplicate_id", message));
    if survivor.id == duplicate.id {
        return refuse("a case cannot be merged into itself".to_owned());
    }
    if survivor.customer_id != duplicate.customer_id {
        return refuse(format!(
            "case #{} is another customer's; merge the customers first",
            duplicate.id
        ));
    }
    for case in [survivor, duplicate] {
        if let Some(into) = case.merged_into {
            return refuse(format!("case #{} was merged into case #{into}", case.id));
        }
    }
    let mut kept = survivor.clone();
    kept.anger_permille = kept.anger_permille.max(duplicate.anger_permille);
    kept.churn_threat |= duplicate.churn_threat;
    kept.abusive_messages += duplicate.abusive_messages;
    kept.replies_sent += duplicate.replies_sent;
    kept.first_response_at = match (kept.first_response_at, duplicate.first_response_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    kept.updated_at = now;
    let mut closed = duplicate.clone();
    closed.status = CaseStatus::Closed;
    closed.closed_at = Some(now);
    closed.merged_into = Some(survivor.id);
    closed.updated_at = now;
    let events = vec![
        AuditEvent::new("case.merged", RecordKind::Case, survivor.id).with_changes(vec![
            Change::new("merged_case", "", duplicate.id.to_string()),
        ]),
        AuditEvent::new("case.merged_into", RecordKind::Case, duplicate.id).with_changes(vec![
            Change::new("merged_into", "", survivor.id.to_string()),
            Change::new(
                "status",
                duplicate.status.as_str(),
                CaseStatus::Closed.as_str(),
            ),
        ]),
    ];
    Ok(Merged {
        survivor: kept,
        duplicate: closed,
        events,
    })
}

/// Undoes the merge of `duplicate` into `survivor`: the duplicate gets its status back and the
/// survivor its signals from before. Refused once something new happened on the survivor
/// (`new_since`), since what is new cannot be told apart from what was moved.
pub fn undo(
    survivor: &Case,
    duplicate: &Case,
    before: Folded,
    status_before: CaseStatus,
    new_since: bool,
    now: Timestamp,
) -> Result<Merged, FieldError> {
    if duplicate.merged_into != Some(survivor.id) {
        return Err(FieldError::new(
            "merge",
            format!(
                "case #{} is not merged into case #{}",
                duplicate.id, survivor.id
            ),
        ));
    }
    if new_since {
        return Err(FieldError::new(
            "merge",
            format!(
                "case #{} has changed since the merge, so it can no longer be undone",
                survivor.id
            ),
        ));
    }
    let mut kept = survivor.clone();
    kept.anger_permille = before.anger_permille;
    kept.churn_threat = before.churn_threat;
    kept.abusive_messages = before.abusive_messages;
    kept.replies_sent = before.replies_sent;
    kept.first_response_at = before.first_response_at;
    kept.updated_at = now;
    let mut back = duplicate.clone();
    back.status = status_before;
    if status_before != CaseStatus::Closed {
        back.closed_at = None;
    }
    back.merged_into = None;
    back.updated_at = now;
    let events = vec![
        AuditEvent::new("case.unmerged", RecordKind::Case, survivor.id).with_changes(vec![
            Change::new("merged_case", duplicate.id.to_string(), ""),
        ]),
        AuditEvent::new("case.unmerged", RecordKind::Case, duplicate.id).with_changes(vec![
            Change::new("merged_into", survivor.id.to_string(), ""),
            Change::new(
                "status",
                CaseStatus::Closed.as_str(),
                status_before.as_str(),
            ),
        ]),
    ];
    Ok(Merged {
        survivor: kept,
        duplicate: back,
        events,
    })
}
