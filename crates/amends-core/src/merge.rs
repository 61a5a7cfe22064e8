//! Merging duplicate cases: the customer wrote twice about one problem, or by two channels.
//! The duplicate's messages, notes, facts, promises and compensation move to the surviving
//! case (the store moves them); the duplicate is closed, pointing at the survivor, and the
//! survivor takes the duplicate's signals. A merge is undone exactly while nothing new has
//! happened on the survivor.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::FieldError;
use crate::{Case, CaseStatus, Customer, Timestamp};

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

/// A customer recorded twice (an email here, a phone there) merged into one record: the
/// survivor keeps its name and takes the duplicate's revenue, invoices and notes, and its plan
/// and billing day where it has none; the store moves the addresses, cases, compensation,
/// notices and tags, and removes the duplicate. Refuses a customer merged into themself and
/// revenues in two currencies, which cannot be added.
pub fn merge_customers(
    survivor: &Customer,
    duplicate: &Customer,
    now: Timestamp,
) -> Result<(Customer, Vec<AuditEvent>), FieldError> {
    let refuse = |message: String| Err(FieldError::new("duplicate_id", message));
    if survivor.id == duplicate.id {
        return refuse("a customer cannot be merged into themself".to_owned());
    }
    let both_paid = survivor.revenue_to_date_minor != 0 && duplicate.revenue_to_date_minor != 0;
    if both_paid && survivor.currency != duplicate.currency {
        return refuse(format!(
            "their revenues are in {} and {}, which cannot be added",
            survivor.currency, duplicate.currency
        ));
    }
    let mut kept = survivor.clone();
    if kept.revenue_to_date_minor == 0 {
        kept.currency = duplicate.currency.clone();
    }
    kept.revenue_to_date_minor = kept
        .revenue_to_date_minor
        .saturating_add(duplicate.revenue_to_date_minor);
    kept.plan = kept.plan.or_else(|| duplicate.plan.clone());
    kept.billing_day = kept.billing_day.or(duplicate.billing_day);
    kept.invoice_dates.extend(&duplicate.invoice_dates);
    kept.invoice_dates.sort_unstable();
    kept.invoice_dates.dedup();
    kept.notes = match (kept.notes.trim(), duplicate.notes.trim()) {
        (_, "") => kept.notes,
        ("", theirs) => theirs.to_owned(),
        (ours, theirs) => format!("{ours}\n\n{theirs}"),
    };
    kept.updated_at = now;
    let events = vec![
        AuditEvent::new("customer.merged", RecordKind::Customer, survivor.id).with_changes(vec![
            Change::new("merged_customer", "", duplicate.id.to_string()),
            Change::new(
                "revenue_to_date_minor",
                survivor.revenue_to_date_minor.to_string(),
                kept.revenue_to_date_minor.to_string(),
            ),
        ]),
        AuditEvent::new("customer.merged_into", RecordKind::Customer, duplicate.id).with_changes(
            vec![Change::new("merged_into", "", survivor.id.to_string())],
        ),
    ];
    Ok((kept, events))
}
