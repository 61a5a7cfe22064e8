//! The queue: open cases, most urgent first, each with the reasons it sits where it does.
//!
//! For now urgency is the priority a person set, then age (oldest first). The store orders by
//! the same key in SQL; a conformance test checks the two agree.

use std::cmp::Ordering;

use crate::{Case, Priority, Timestamp};

/// Compares two cases for the queue: the one that should be worked first is `Less`.
pub fn compare(a: &Case, b: &Case) -> Ordering {
    b.priority
        .rank()
        .cmp(&a.priority.rank())
        .then(a.opened_at.cmp(&b.opened_at))
        .then(a.id.cmp(&b.id))
}

/// Why a case sits where it does, in words an agent reads at a glance.
pub fn reasons(case: &Case, now: Timestamp) -> Vec<String> {
    let mut reasons = Vec::new();
    match case.priority {
        Priority::Urgent => reasons.push("urgent priority".to_owned()),
        Priority::High => reasons.push("high priority".to_owned()),
        Priority::Normal | Priority::Low => {}
    }
    if case.reopen_count > 0 {
        reasons.push("reopened".to_owned());
    }
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
