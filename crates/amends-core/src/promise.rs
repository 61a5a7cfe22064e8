//! Promises: every commitment made to a customer, with a concrete time, kept or broken.
//!
//! A promise is open until it is kept or its due time passes. It may be extended only while
//! it is still live and before its due time, with a reason, and the customer is told. Once the
//! due time has passed without it being kept it is broken, and that is final: the figures
//! count it and the owner's supervisor is told.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::job::{Job, PromiseCheck};
use crate::outcome::{AlertKind, Effect, NoticeKind, Outcome, Recipient};
use crate::{wording, Timestamp};

/// What was promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseKind {
    /// To call the customer back.
    CallBack,
    /// To tell the customer how things stand.
    Update,
    /// A step of the action plan.
    ActionStep,
    /// To refund.
    Refund,
    /// Anything else.
    Other,
}

impl PromiseKind {
    /// Every kind.
    pub const ALL: [PromiseKind; 5] = [
        PromiseKind::CallBack,
        PromiseKind::Update,
        PromiseKind::ActionStep,
        PromiseKind::Refund,
        PromiseKind::Other,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        PromiseKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseKind::CallBack => "call_back",
            PromiseKind::Update => "update",
            PromiseKind::ActionStep => "action_step",
            PromiseKind::Refund => "refund",
            PromiseKind::Other => "other",
        }
    }
}

/// Where a promise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseState {
    /// Made, not yet due.
    Open,
    /// Moved to a later time, with the customer told; still to be kept.
    Extended,
    /// Done in time.
    Kept,
    /// Its time passed without it being kept.
    Broken,
}

impl PromiseState {
    /// Every state.
    pub const ALL: [PromiseState; 4] = [
        PromiseState::Open,
        PromiseState::Extended,
        PromiseState::Kept,
        PromiseState::Broken,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        PromiseState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseState::Open => "open",
            PromiseState::Extended => "extended",
            PromiseState::Kept => "kept",
            PromiseState::Broken => "broken",
        }
    }

    /// Whether the promise is still to be kept.
    pub fn is_live(self) -> bool {
        matches!(self, PromiseState::Open | PromiseState::Extended)
    }
}

/// A promise as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    /// The promise's id.
    pub id: i64,
    /// The case it was made on.
    pub case_id: i64,
    /// What was promised.
    pub kind: PromiseKind,
    /// In the words the customer heard.
    pub description: String,
    /// The agent who must keep it.
    pub owner_id: i64,
    /// When it must be kept by.
    pub due_at: Timestamp,
    /// Where it stands.
    pub state: PromiseState,
    /// How many times it was moved.
    pub extensions: i64,
    /// When it was kept.
    pub kept_at: Option<Timestamp>,
    /// When it was found broken.
    pub broken_at: Option<Timestamp>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A validated request to make a promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromise {
    /// What is promised.
    pub kind: PromiseKind,
    /// In the words the customer heard.
    pub description: String,
    /// Who keeps it.
    pub owner_id: i64,
    /// By when.
    pub due_at: Timestamp,
}

/// Longest promise description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

impl NewPromise {
    /// Checks a promise made at `now`. A promise needs a concrete time, later than now: "soon"
    /// is not a time, and a promise due in the past is already broken.
    pub fn parse(
        kind: PromiseKind,
        description: &str,
        owner_id: i64,
        due_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<NewPromise, FieldError> {
        let description = bounded_text("description", description, MAX_DESCRIPTION_CHARS, true)?;
        let due_at = due_at.ok_or_else(|| {
            FieldError::new(
                "due_at",
                "a promise needs a concrete time (RFC 3339); \"soon\" is not one",
            )
        })?;
        if due_at <= now {
            return Err(FieldError::new("due_at", "must be in the future"));
        }
        Ok(NewPromise {
            kind,
            description,
            owner_id,
            due_at,
        })
    }
}

/// The promise kept at `now`. A promise whose time has passed cannot be kept any more: it is
/// broken, even if the job that marks it so has not run yet.
pub fn keep(promise: &Promise, now: Timestamp) -> Result<(Promise, AuditEvent), FieldError> {
    if !promise.state.is_live() {
        return Err(FieldError::new(
            "state",
            format!("a {} promise cannot be kept", promise.state.as_str()),
        ));
    }
    if now > promise.due_at {
        return Err(FieldError::new(
            "state",
            format!(
                "the promise was due at {}: it is broken",
                promise.due_at.to_rfc3339()
            ),
        ));
    }
    let mut next = promise.clone();
    next.state = PromiseState::Kept;
    next.kept_at = Some(now);
    next.updated_at = now;
    let event = AuditEvent::new("promise.kept", RecordKind::Promise, promise.id)
        .with_changes(vec![Change::new("state", promise.state.as_str(), "kept")]);
    Ok((next, event))
}

/// Longest extension reason accepted.
pub const MAX_REASON_CHARS: usize = 1000;

/// The promise moved to `new_due_at` at `now` for `reason`. Allowed only while the promise is
/// live and before its due time: asking after the deadline is too late, the promise is broken.
pub fn extend(
    promise: &Promise,
    new_due_at: Timestamp,
    reason: &str,
    now: Timestamp,
) -> Result<(Promise, AuditEvent), FieldError> {
    let reason = bounded_text("reason", reason, MAX_REASON_CHARS, true)?;
    if !promise.state.is_live() {
        return Err(FieldError::new(
            "state",
            format!("a {} promise cannot be extended", promise.state.as_str()),
        ));
    }
    if now >= promise.due_at {
        return Err(FieldError::new(
            "due_at",
            "an extension must be asked before the promise is due; this one is broken",
        ));
    }
    if new_due_at <= promise.due_at {
        return Err(FieldError::new(
            "due_at",
            "must be later than the promise's current due time",
        ));
    }
    let mut next = promise.clone();
    next.state = PromiseState::Extended;
    next.due_at = new_due_at;
    next.extensions += 1;
    next.updated_at = now;
    let event =
        AuditEvent::new("promise.extended", RecordKind::Promise, promise.id).with_changes(vec![
            Change::new(
                "due_at",
                promise.due_at.to_rfc3339(),
                new_due_at.to_rfc3339(),
            ),
            Change::new("state", promise.state.as_str(), "extended"),
            Change::new("reason", "", reason),
        ]);
    Ok((next, event))
}

/// The promise broken at `now`, when it is live and was due at `due_at` (the time the check
/// was scheduled for; a check scheduled before an extension finds a later time and does
/// nothing) and that time has come.
pub fn break_if_due(
    promise: &Promise,
    due_at: Timestamp,
    now: Timestamp,
) -> Option<(Promise, AuditEvent)> {
    if !promise.state.is_live() || promise.due_at != due_at || now < promise.due_at {
        return None;
    }
    let mut next = promise.clone();
    next.state = PromiseState::Broken;
    next.broken_at = Some(now);
    next.updated_at = now;
    let event = AuditEvent::new("promise.broken", RecordKind::Promise, promise.id)
        .with_changes(vec![Change::new("state", promise.state.as_str(), "broken")]);
    Some((next, event))
}

/// When to remind the owner of a promise due at `due_at`: `lead_millis` before, or at once
/// when that moment has already passed; `None` when the promise is already due.
pub fn reminder_at(due_at: Timestamp, lead_millis: i64, now: Timestamp) -> Option<Timestamp> {
    if due_at <= now {
        return None;
    }
    Some(due_at.plus_millis(-lead_millis.max(0)).max(now))
}

/// Whether a live promise is due within `window_millis` of `now` (or overdue): at risk.
pub fn at_risk(promise: &Promise, window_millis: i64, now: Timestamp) -> bool {
    promise.state.is_live() && promise.due_at <= now.plus_millis(window_millis)
}

/// The checks a live promise needs at its due time: the owner's reminder `lead_millis` before
/// (unless already due) and the check that breaks it when it is not kept.
pub fn checks(promise: &Promise, lead_millis: i64, now: Timestamp) -> Vec<Effect> {
    let check = PromiseCheck {
        promise_id: promise.id,
        due_at: promise.due_at.millis(),
    };
    let mut effects = Vec::with_capacity(2);
    if let Some(at) = reminder_at(promise.due_at, lead_millis, now) {
        effects.push(Effect::schedule(Job::PromiseReminder(check), at));
    }
    effects.push(Effect::schedule(Job::PromiseDue(check), promise.due_at));
    effects
}

/// What making `promise` (just written, with its id) leaves: its event and its checks.
pub fn made(promise: &Promise, lead_millis: i64, now: Timestamp) -> Outcome {
    Outcome {
        events: vec![AuditEvent::new(
            "promise.made",
            RecordKind::Promise,
            promise.id,
        )],
        effects: checks(promise, lead_millis, now),
    }
}

/// The promise moved as [`extend`] decides, with the checks for its new time and a notice that
/// tells the customer before the old time passes.
pub fn extend_and_tell(
    promise: &Promise,
    new_due_at: Timestamp,
    reason: &str,
    lead_millis: i64,
    now: Timestamp,
) -> Result<(Promise, Outcome), FieldError> {
    let (moved, event) = extend(promise, new_due_at, reason, now)?;
    let mut outcome = Outcome::event(event);
    outcome.effects = checks(&moved, lead_millis, now);
    outcome.effects.push(Effect::NotifyCustomer {
        case_id: moved.case_id,
        kind: NoticeKind::PromiseExtended,
        wording: wording::promise_extended(moved.case_id, &moved.description, reason, moved.due_at),
    });
    Ok((moved, outcome))
}

/// The reminder a check scheduled for `check.due_at` gives, if the promise is still live at that
/// time: its owner is told, and for a call-back the customer too.
pub fn remind(promise: &Promise, check: PromiseCheck) -> Option<Outcome> {
    if !promise.state.is_live() || promise.due_at.millis() != check.due_at {
        return None;
    }
    let mut outcome = Outcome::default().and(Effect::Alert {
        to: Recipient::Agent(promise.owner_id),
        case_id: Some(promise.case_id),
        kind: AlertKind::PromiseDueSoon,
        body: wording::promise_due_soon(promise.case_id, &promise.description, promise.due_at),
    });
    if promise.kind == PromiseKind::CallBack {
        outcome = outcome.and(Effect::NotifyCustomer {
            case_id: promise.case_id,
            kind: NoticeKind::PromiseReminder,
            wording: wording::call_back_reminder(
                promise.case_id,
                &promise.description,
                promise.due_at,
            ),
        });
    }
    Some(outcome)
}

/// The promise broken as [`break_if_due`] decides, with its owner's supervisor told.
pub fn break_and_tell(
    promise: &Promise,
    check: PromiseCheck,
    now: Timestamp,
) -> Option<(Promise, Outcome)> {
    let (broken, event) = break_if_due(promise, Timestamp(check.due_at), now)?;
    let outcome = Outcome::event(event).and(Effect::Alert {
        to: Recipient::InChargeOf(Some(broken.owner_id)),
        case_id: Some(broken.case_id),
        kind: AlertKind::PromiseBroken,
        body: wording::promise_broken(broken.case_id, &broken.description, broken.due_at),
    });
    Some((broken, outcome))
}
