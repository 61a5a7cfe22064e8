//! Cases: one problem of one customer, from first word to follow-up.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::Timestamp;

pub use crate::status::{CaseStatus, Channel, Priority};

/// A case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The case's id.
    pub id: i64,
    /// Whose problem it is.
    pub customer_id: i64,
    /// Where it came in.
    pub channel: Channel,
    /// What it is about, in a line.
    pub subject: String,
    /// Where it stands.
    pub status: CaseStatus,
    /// How soon it needs attention.
    pub priority: Priority,
    /// The agent working it, if any.
    pub owner_id: Option<i64>,
    /// When it came in.
    pub opened_at: Timestamp,
    /// When an agent first answered.
    pub first_response_at: Option<Timestamp>,
    /// When it was last resolved.
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
    /// Whether it was resolved in the first contact; unknown until resolved.
    pub first_contact_resolution: Option<bool>,
    /// How many times it came back after being resolved or closed.
    pub reopen_count: i64,
    /// How many replies agents have sent on it.
    pub replies_sent: i64,
    /// The angriest the customer's words on this case have read, 0 to 1000.
    pub anger_permille: i64,
    /// Whether the customer threatened to leave (read in their words or marked by an agent).
    pub churn_threat: bool,
    /// The win-back effort, once the case is flagged for one.
    pub win_back: Option<WinBack>,
    /// How many of the customer's messages were abusive towards staff.
    pub abusive_messages: i64,
    /// How many promises on the case were broken.
    pub broken_promises: i64,
    /// When the next live promise on the case is due.
    pub next_promise_due_at: Option<Timestamp>,
    /// Whether the customer reopened it by saying, at follow-up, it is not solved.
    pub reopened_by_follow_up: bool,
    /// Whether the customer wrote in a public post or comment, where anyone can read it.
    pub public_post: bool,
    /// The resolution the customer asked for.
    pub expectation: Option<Expectation>,
    /// The customer's satisfaction score at follow-up, 1 to 5.
    pub csat: Option<i64>,
    /// Its place in the queue: see [`crate::queue`].
    pub urgency: i64,
    /// The case it was merged into, when it was a duplicate: see [`crate::merge`].
    pub merged_into: Option<i64>,
    /// When the record last changed.
    pub updated_at: Timestamp,
}

/// A win-back effort on a customer who threatened to leave, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WinBack {
    /// Flagged; not settled yet.
    Undecided,
    /// The customer stayed.
    Stayed,
    /// The customer left.
    Left,
}

impl WinBack {
    /// Every outcome.
    pub const ALL: [WinBack; 3] = [WinBack::Undecided, WinBack::Stayed, WinBack::Left];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        WinBack::ALL.into_iter().find(|w| w.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            WinBack::Undecided => "undecided",
            WinBack::Stayed => "stayed",
            WinBack::Left => "left",
        }
    }
}

/// What the customer asked for to put things right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolutionKind {
    /// Money back.
    Refund,
    /// A new one.
    Replacement,
    /// Fix it.
    Repair,
    /// Credit on account.
    Credit,
    /// An apology.
    Apology,
    /// A call.
    CallBack,
    /// To end the contract.
    Cancel,
    /// Something else, in their words.
    Other,
}

impl ResolutionKind {
    /// Every kind.
    pub const ALL: [ResolutionKind; 8] = [
        ResolutionKind::Refund,
        ResolutionKind::Replacement,
        ResolutionKind::Repair,
        ResolutionKind::Credit,
        ResolutionKind::Apology,
        ResolutionKind::CallBack,
        ResolutionKind::Cancel,
        ResolutionKind::Other,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        ResolutionKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionKind::Refund => "refund",
            ResolutionKind::Replacement => "replacement",
            ResolutionKind::Repair => "repair",
            ResolutionKind::Credit => "credit",
            ResolutionKind::Apology => "apology",
            ResolutionKind::CallBack => "call_back",
            ResolutionKind::Cancel => "cancel",
            ResolutionKind::Other => "other",
        }
    }
}

/// What the customer expects, and whether the agreed solution meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The kind of resolution asked for.
    pub kind: ResolutionKind,
    /// In the customer's words.
    pub words: String,
    /// Whether the solution agreed meets it; unknown until a solution is agreed.
    pub met_by_solution: Option<bool>,
}

/// A validated request to open a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Where it came in.
    pub channel: Channel,
    /// What it is about.
    pub subject: String,
    /// The customer's first words.
    pub body: String,
    /// How soon it needs attention.
    pub priority: Priority,
}

/// A case as it is opened for `customer_id` at `now`, before the store gives it an id (0):
/// new, unassigned, with no signals yet.
pub fn opened(customer_id: i64, new: &NewCase, now: Timestamp) -> Case {
    Case {
        id: 0,
        customer_id,
        channel: new.channel,
        subject: new.subject.clone(),
        status: CaseStatus::New,
        priority: new.priority,
        owner_id: None,
        opened_at: now,
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        first_contact_resolution: None,
        reopen_count: 0,
        replies_sent: 0,
        anger_permille: 0,
        churn_threat: false,
        win_back: None,
        abusive_messages: 0,
        broken_promises: 0,
        next_promise_due_at: None,
        reopened_by_follow_up: false,
        public_post: false,
        expectation: None,
        csat: None,
        urgency: 0,
        merged_into: None,
        updated_at: now,
    }
}

/// Longest subject line accepted.
pub const MAX_SUBJECT_CHARS: usize = 300;

/// Checks a subject line.
pub fn parse_subject(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, MAX_SUBJECT_CHARS, false)
}

/// A change a person asks for on a case; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseChange {
    /// New status.
    pub status: Option<CaseStatus>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New owner: `Some(None)` removes the owner.
    pub owner_id: Option<Option<i64>>,
    /// Whether the resolution happened in the first contact, when the agent says so.
    pub first_contact_resolution: Option<bool>,
}

/// Applies `change` to `case` at `now`, returning the new case and what to record.
pub fn apply_change(
    case: &Case,
    change: &CaseChange,
    now: Timestamp,
) -> Result<(Case, Vec<AuditEvent>), FieldError> {
    let mut next = case.clone();
    let mut changes = Vec::new();
    if let Some(status) = change.status {
        if !case.status.can_become(status) {
            return Err(FieldError::new(
                "status",
                format!(
                    "a {} case cannot become {}",
                    case.status.as_str(),
                    status.as_str()
                ),
            ));
        }
        if status != case.status {
            move_status(&mut next, status, change.first_contact_resolution, now);
            changes.push(Change::new("status", case.status.as_str(), status.as_str()));
        }
    } else if change.first_contact_resolution.is_some() {
        return Err(FieldError::new(
            "first_contact_resolution",
            "can only be given when resolving the case",
        ));
    }
    if let Some(priority) = change.priority.filter(|p| *p != case.priority) {
        next.priority = priority;
        changes.push(Change::new(
            "priority",
            case.priority.as_str(),
            priority.as_str(),
        ));
    }
    if let Some(owner) = change.owner_id.filter(|o| *o != case.owner_id) {
        next.owner_id = owner;
        changes.push(Change::new("owner_id", show(case.owner_id), show(owner)));
    }
    if changes.is_empty() {
        return Ok((next, Vec::new()));
    }
    next.updated_at = now;
    let event = AuditEvent::new("case.changed", RecordKind::Case, case.id).with_changes(changes);
    Ok((next, vec![event]))
}

fn show(owner: Option<i64>) -> String {
    owner.map_or_else(|| "none".to_owned(), |id| id.to_string())
}

fn move_status(case: &mut Case, status: CaseStatus, fcr: Option<bool>, now: Timestamp) {
    match status {
        CaseStatus::Resolved => {
            case.reopened_by_follow_up = false;
            case.resolved_at = Some(now);
            case.first_contact_resolution = Some(fcr.unwrap_or_else(|| first_contact(case)));
        }
        CaseStatus::Closed => {
            case.reopened_by_follow_up = false;
            case.closed_at = Some(now);
            if case.resolved_at.is_none() {
                case.first_contact_resolution = Some(fcr.unwrap_or_else(|| first_contact(case)));
            }
        }
        CaseStatus::Reopened => {
            case.reopen_count += 1;
            case.resolved_at = None;
            case.closed_at = None;
            case.first_contact_resolution = Some(false);
        }
        _ => {}
    }
    case.status = status;
}

/// A case is resolved in the first contact when it was never reopened and needed at most one
/// reply from us: the customer did not have to come back.
pub fn first_contact(case: &Case) -> bool {
    case.reopen_count == 0 && case.replies_sent <= 1
}

/// What a new message does to its case: a reply from us is the first response and hands the
/// turn to the customer; a customer writing back hands it to us, and reopens a resolved case.
pub fn after_message(case: &Case, direction: crate::Direction, now: Timestamp) -> Case {
    use crate::Direction;
    let mut next = case.clone();
    match direction {
        Direction::Outbound => {
            next.replies_sent += 1;
            if next.first_response_at.is_none() {
                next.first_response_at = Some(now);
            }
            if matches!(
                case.status,
                CaseStatus::New | CaseStatus::Open | CaseStatus::WaitingOnUs | CaseStatus::Reopened
            ) {
                next.status = CaseStatus::WaitingOnCustomer;
            }
        }
        Direction::Inbound => match case.status {
            CaseStatus::WaitingOnCustomer => next.status = CaseStatus::WaitingOnUs,
            CaseStatus::Resolved | CaseStatus::Closed => {
                move_status(&mut next, CaseStatus::Reopened, None, now)
            }
            _ => {}
        },
        Direction::Note => return next,
    }
    next.updated_at = now;
    next
}

/// Flags the case for win-back at `now`: the customer threatened to leave. Raises its priority
/// to at least high. `None` when it is already flagged, so a supervisor is told once.
pub fn flag_win_back(case: &Case, now: Timestamp) -> Option<(Case, AuditEvent)> {
    if case.win_back.is_some() {
        return None;
    }
    let mut next = case.clone();
    let mut changes = vec![Change::new("win_back", "none", "undecided")];
    next.churn_threat = true;
    next.win_back = Some(WinBack::Undecided);
    if next.priority < Priority::High {
        changes.push(Change::new("priority", case.priority.as_str(), "high"));
        next.priority = Priority::High;
    }
    next.updated_at = now;
    let event =
        AuditEvent::new("case.win_back_flagged", RecordKind::Case, case.id).with_changes(changes);
    Some((next, event))
}

/// Records how a win-back ended. Only a flagged case has one to record.
pub fn record_win_back(
    case: &Case,
    outcome: WinBack,
    now: Timestamp,
) -> Result<(Case, AuditEvent), FieldError> {
    let Some(before) = case.win_back else {
        return Err(FieldError::new(
            "outcome",
            "the case is not flagged for win-back",
        ));
    };
    let mut next = case.clone();
    next.win_back = Some(outcome);
    next.updated_at = now;
    let event =
        AuditEvent::new("case.win_back_outcome", RecordKind::Case, case.id).with_changes(vec![
            Change::new("win_back", before.as_str(), outcome.as_str()),
        ]);
    Ok((next, event))
}

/// The case reopened because the customer said at follow-up that it is not solved (or scored
/// it low): it goes to the top of the queue. A case already open is only marked.
pub fn reopen_after_follow_up(case: &Case, now: Timestamp) -> (Case, AuditEvent) {
    let mut next = case.clone();
    let from = case.status;
    if !case.status.is_open() {
        move_status(&mut next, CaseStatus::Reopened, None, now);
    }
    next.reopened_by_follow_up = true;
    next.updated_at = now;
    let event =
        AuditEvent::new("case.reopened_by_follow_up", RecordKind::Case, case.id).with_changes(
            vec![Change::new("status", from.as_str(), next.status.as_str())],
        );
    (next, event)
}

/// Records what the customer expects.
pub fn set_expectation(
    case: &Case,
    expectation: Expectation,
    now: Timestamp,
) -> (Case, AuditEvent) {
    let before = case
        .expectation
        .as_ref()
        .map_or_else(|| "none".to_owned(), describe_expectation);
    let after = describe_expectation(&expectation);
    let mut next = case.clone();
    next.expectation = Some(expectation);
    next.updated_at = now;
    let event = AuditEvent::new("case.expectation_recorded", RecordKind::Case, case.id)
        .with_changes(vec![Change::new("expectation", before, after)]);
    (next, event)
}

fn describe_expectation(e: &Expectation) -> String {
    let met = match e.met_by_solution {
        Some(true) => "met",
        Some(false) => "not met",
        None => "no solution yet",
    };
    format!("{}: {} ({met})", e.kind.as_str(), e.words)
}

/// What a customer's message, as the text engine read it, does to the case: the case keeps the
/// angriest reading, counts abuse, and a threat to leave flags it for win-back. The flag is
/// `true` when this message flagged it, so a supervisor is told once.
pub fn absorb_reading(
    case: &Case,
    reading: &crate::message::Reading,
    now: Timestamp,
) -> (Case, Vec<AuditEvent>, bool) {
    let mut next = case.clone();
    let mut events = Vec::new();
    next.anger_permille = next
        .anger_permille
        .max(reading.anger_permille.clamp(0, 1000));
    if reading.abusive {
        next.abusive_messages += 1;
    }
    let mut flagged = false;
    if reading.churn_threat {
        next.churn_threat = true;
        if let Some((with_flag, event)) = flag_win_back(&next, now) {
            next = with_flag;
            events.push(event);
            flagged = true;
        }
    }
    if next != *case {
        next.updated_at = now;
    }
    (next, events, flagged)
}
