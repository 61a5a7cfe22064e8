//! The queue: open cases, most urgent first, each with the reasons it sits where it does.
//!
//! Urgency is a sum of points, one weight per signal, all in [`WEIGHTS`] and nowhere else:
//!
//! | signal                                   | points                      |
//! |------------------------------------------|-----------------------------|
//! | priority set by a person                 | 100 per step above low      |
//! | anger read in the customer's words (0-1) | up to 150                   |
//! | threat to leave, win-back not decided    | 200                         |
//! | abuse towards staff (for a supervisor)   | 150                         |
//! | a broken promise                         | 250                         |
//! | a promise due within the hour            | 200                         |
//! | reopened                                 | 150                         |
//! | reopened by the customer's follow-up     | 1000 (the top of the queue) |
//! | high-value customer                      | 100                         |
//! | a public post or comment                 | 200                         |
//!
//! Equal scores go oldest first. The store keeps each open case's score up to date whenever a
//! signal changes (a message, a promise, a flag, a reminder coming due) and orders by it in
//! SQL; a conformance test checks that order agrees with [`compare`].

use std::cmp::Ordering;

use crate::case::WinBack;
use crate::{Case, Priority, Timestamp};

/// The points each signal adds to a case's urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    /// Per priority step above low.
    pub priority_step: i64,
    /// For the angriest customer; scaled by anger.
    pub anger: i64,
    /// A threat to leave not yet settled.
    pub churn_threat: i64,
    /// Abuse towards staff.
    pub abuse: i64,
    /// At least one broken promise.
    pub broken_promise: i64,
    /// A promise due within [`Weights::due_soon_millis`].
    pub promise_due_soon: i64,
    /// How close "due soon" is.
    pub due_soon_millis: i64,
    /// Came back after being resolved.
    pub reopened: i64,
    /// The customer said, when followed up, that it is not solved.
    pub reopened_by_follow_up: i64,
    /// A customer whose revenue to date reaches [`Weights::high_value_minor`].
    pub high_value: i64,
    /// Revenue that makes a customer high-value, in minor units.
    pub high_value_minor: i64,
    /// Written in public, where anyone reads the complaint and the answer.
    pub public_post: i64,
}

/// The weights of the queue.
pub const WEIGHTS: Weights = Weights {
    priority_step: 100,
    anger: 150,
    churn_threat: 200,
    abuse: 150,
    broken_promise: 250,
    promise_due_soon: 200,
    due_soon_millis: 3_600_000,
    reopened: 150,
    reopened_by_follow_up: 1000,
    high_value: 100,
    high_value_minor: 500_000,
    public_post: 200,
};

/// What the queue knows about a case beyond the case record itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// The customer's revenue to date, in minor units.
    pub customer_revenue_minor: i64,
}

/// From this anger (in permille) on, a case reads "angry"; the queue's "angry" filter uses the
/// same line.
pub const ANGRY_PERMILLE: i64 = 350;

/// How the queue and the case page name a case written in public.
pub const PUBLIC_RISK: &str = "public: reputation risk";

/// From this anger on, a case reads "furious".
pub const FURIOUS_PERMILLE: i64 = 600;

/// A case's urgency at `now`: the sum of the weights of its signals.
pub fn urgency(case: &Case, context: Context, now: Timestamp) -> i64 {
    signals(case, context, now)
        .iter()
        .map(|signal| signal.points)
        .sum()
}

/// Compares two cases for the queue: the one that should be worked first is `Less`.
pub fn compare(a: &Case, b: &Case) -> Ordering {
    b.urgency
        .cmp(&a.urgency)
        .then(a.opened_at.cmp(&b.opened_at))
        .then(a.id.cmp(&b.id))
}

/// One reason a case sits where it does, and what it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// In words an agent reads at a glance.
    pub reason: String,
    /// Points it adds to urgency.
    pub points: i64,
}

fn signal(reason: impl Into<String>, points: i64) -> Signal {
    Signal {
        reason: reason.into(),
        points,
    }
}

/// Every signal of a case at `now`, strongest first.
pub fn signals(case: &Case, context: Context, now: Timestamp) -> Vec<Signal> {
    let w = WEIGHTS;
    let mut found = Vec::new();
    if case.reopened_by_follow_up {
        found.push(signal(
            "customer said not solved at follow-up",
            w.reopened_by_follow_up,
        ));
    }
    if case.broken_promises > 0 {
        found.push(signal("broken promise", w.broken_promise));
    }
    if let Some(due) = case.next_promise_due_at {
        let left = due.millis() - now.millis();
        if left <= w.due_soon_millis {
            let reason = if left > 0 {
                format!("promise due in {}", age(left))
            } else {
                "promise overdue".to_owned()
            };
            found.push(signal(reason, w.promise_due_soon));
        }
    }
    if case.public_post {
        found.push(signal(PUBLIC_RISK, w.public_post));
    }
    if case.churn_threat && matches!(case.win_back, None | Some(WinBack::Undecided)) {
        found.push(signal("threatens to leave", w.churn_threat));
    }
    let rank = case.priority.rank() - Priority::Low.rank();
    match case.priority {
        Priority::Urgent => found.push(signal("urgent priority", rank * w.priority_step)),
        Priority::High => found.push(signal("high priority", rank * w.priority_step)),
        Priority::Normal | Priority::Low => {
            if rank > 0 {
                found.push(signal("normal priority", rank * w.priority_step))
            }
        }
    }
    if case.abusive_messages > 0 {
        found.push(signal("abusive: for a supervisor", w.abuse));
    }
    let anger = case.anger_permille.clamp(0, 1000);
    if anger > 0 {
        let label = if anger < ANGRY_PERMILLE {
            "dissatisfied"
        } else if anger < FURIOUS_PERMILLE {
            "angry"
        } else {
            "furious"
        };
        found.push(signal(label, w.anger * anger / 1000));
    }
    if case.reopen_count > 0 && !case.reopened_by_follow_up {
        found.push(signal("reopened", w.reopened));
    }
    if context.customer_revenue_minor >= w.high_value_minor {
        found.push(signal("high-value customer", w.high_value));
    }
    found.sort_by_key(|s| std::cmp::Reverse(s.points));
    found
}

/// Why a case sits where it does, in words an agent reads at a glance: its signals, then
/// whether anyone answered and how long it has waited.
pub fn reasons(case: &Case, context: Context, now: Timestamp) -> Vec<String> {
    let mut reasons: Vec<String> = signals(case, context, now)
        .into_iter()
        .map(|s| s.reason)
        .collect();
    if case.first_response_at.is_none() {
        reasons.push("no reply yet".to_owned());
    }
    reasons.push(format!(
        "waiting {}",
        age(now.millis() - case.opened_at.millis())
    ));
    reasons
}

/// A duration in the largest whole unit: `45 s`, `12 min`, `3 h`, `2 d`.
pub fn age(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}
