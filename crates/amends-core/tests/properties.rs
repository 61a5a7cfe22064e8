//! Properties of the rules with many inputs: the promise state machine under any sequence of
//! actions, and the queue's urgency under any signals.

use amends_core::case::{self, CaseStatus, Channel, NewCase, WinBack};
use amends_core::promise::{self, Promise, PromiseKind, PromiseState};
use amends_core::queue::{self, Context};
use amends_core::{Priority, Timestamp};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Action {
    Keep,
    Extend { by: i64 },
    Check,
}

fn action() -> impl Strategy<Value = (i64, Action)> {
    let step = 0i64..5 * 3_600_000;
    prop_oneof![
        (step.clone(), Just(Action::Keep)),
        (
            step.clone(),
            (1i64..10 * 3_600_000).prop_map(|by| Action::Extend { by })
        ),
        (step, Just(Action::Check)),
    ]
}

fn open_promise(due: i64) -> Promise {
    Promise {
        id: 1,
        case_id: 1,
        kind: PromiseKind::CallBack,
        description: "call back".to_owned(),
        owner_id: 1,
        due_at: Timestamp(due),
        state: PromiseState::Open,
        extensions: 0,
        kept_at: None,
        broken_at: None,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    }
}

proptest! {
    #[test]
    fn a_settled_promise_never_changes_and_no_deadline_is_missed_silently(
        due in 1i64..10 * 3_600_000,
        actions in proptest::collection::vec(action(), 0..30),
    ) {
        let mut p = open_promise(due);
        let mut now = 0i64;
        for (step, action) in actions {
            now += step;
            let before = p.clone();
            let at = Timestamp(now);
            match action {
                Action::Keep => {
                    if let Ok((kept, _)) = promise::keep(&p, at) {
                        prop_assert!(before.state.is_live());
                        prop_assert!(at <= before.due_at, "kept after its time");
                        p = kept;
                    }
                }
                Action::Extend { by } => {
                    let to = before.due_at.plus_millis(by);
                    if let Ok((moved, _)) = promise::extend(&p, to, "reason", at) {
                        prop_assert!(before.state.is_live());
                        prop_assert!(at < before.due_at, "extended at or after its time");
                        prop_assert!(moved.due_at > before.due_at);
                        p = moved;
                    }
                }
                Action::Check => {
                    if let Some((broken, _)) = promise::break_if_due(&p, p.due_at, at) {
                        prop_assert!(at >= before.due_at);
                        p = broken;
                    }
                }
            }
            if !before.state.is_live() {
                prop_assert_eq!(&p, &before, "a kept or broken promise is final");
            }
        }
        // Whatever happened, once its time has passed a live promise breaks at the next check.
        let late = Timestamp(now.max(p.due_at.millis()));
        if p.state.is_live() {
            prop_assert!(promise::break_if_due(&p, p.due_at, late).is_some());
        }
    }

    #[test]
    fn every_signal_only_ever_raises_urgency(
        anger in 0i64..=1000,
        priority in 0usize..4,
        churn in any::<bool>(),
        abusive in 0i64..3,
        broken in 0i64..3,
        reopened in 0i64..3,
        revenue in 0i64..2_000_000,
        extra_anger in 0i64..=1000,
    ) {
        let now = Timestamp(10_000_000);
        let new = NewCase {
            channel: Channel::Email,
            subject: "s".to_owned(),
            body: "b".to_owned(),
            priority: Priority::ALL[priority],
        };
        let mut base = case::opened(1, &new, Timestamp(0));
        base.status = CaseStatus::Open;
        base.reopen_count = reopened;
        base.anger_permille = anger;
        base.churn_threat = churn;
        base.win_back = churn.then_some(WinBack::Undecided);
        base.abusive_messages = abusive;
        base.broken_promises = broken;
        let context = Context { customer_revenue_minor: revenue };
        let score = queue::urgency(&base, context, now);
        let signals = queue::signals(&base, context, now);
        prop_assert_eq!(score, signals.iter().map(|s| s.points).sum::<i64>());
        let mut angrier = base.clone();
        angrier.anger_permille = (anger + extra_anger).min(1000);
        prop_assert!(queue::urgency(&angrier, context, now) >= score);
        let mut broke = base.clone();
        broke.broken_promises += 1;
        prop_assert!(queue::urgency(&broke, context, now) >= score);
        let mut due = base.clone();
        due.next_promise_due_at = Some(now.plus_millis(60_000));
        prop_assert!(queue::urgency(&due, context, now) > score);
        let mut back = base.clone();
        back.reopened_by_follow_up = true;
        prop_assert!(queue::urgency(&back, context, now) > score);
    }
}
