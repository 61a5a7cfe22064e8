//! Rules of the recovery protocol: promises, compensation, standing, the queue's weights,
//! win-back, facts, the survey and the abuse policy.

use crate::case::{flag_win_back, record_win_back, reopen_after_follow_up, WinBack};
use crate::compensation::{
    self, AlreadyGranted, CompensationKind, CompensationState, DecisionError,
};
use crate::customer::Contacts;
use crate::promise::{self, NewPromise, Promise, PromiseKind, PromiseState};
use crate::protocol::{self, AbusePolicy, Fact, FactSource, SurveyAnswer};
use crate::queue::{self, Context};
use crate::standing::{self, StandingFlag, StandingPolicy};
use crate::tests::case;
use crate::{Agent, AgentRole, CaseStatus, Customer, Priority, Timestamp};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn promise_due(due: i64) -> Promise {
    Promise {
        id: 7,
        case_id: 1,
        kind: PromiseKind::CallBack,
        description: "call Ann back about the refund".to_owned(),
        owner_id: 3,
        due_at: Timestamp(due),
        state: PromiseState::Open,
        extensions: 0,
        kept_at: None,
        broken_at: None,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    }
}

#[test]
fn a_promise_needs_a_concrete_future_time() {
    let now = Timestamp(10 * HOUR);
    let missing = NewPromise::parse(PromiseKind::CallBack, "call back", 1, None, now);
    assert_eq!(missing.unwrap_err().field, "due_at");
    let past = NewPromise::parse(
        PromiseKind::CallBack,
        "call back",
        1,
        Some(Timestamp(HOUR)),
        now,
    );
    assert_eq!(past.unwrap_err().field, "due_at");
    let blank = NewPromise::parse(
        PromiseKind::CallBack,
        "  ",
        1,
        Some(Timestamp(11 * HOUR)),
        now,
    );
    assert_eq!(blank.unwrap_err().field, "description");
    let ok = NewPromise::parse(
        PromiseKind::Refund,
        "refund £20",
        1,
        Some(Timestamp(11 * HOUR)),
        now,
    )
    .unwrap();
    assert_eq!(ok.due_at, Timestamp(11 * HOUR));
}

#[test]
fn a_promise_is_kept_only_while_live_and_before_its_time() {
    let open = promise_due(5 * HOUR);
    let (kept, event) = promise::keep(&open, Timestamp(4 * HOUR)).unwrap();
    assert_eq!(kept.state, PromiseState::Kept);
    assert_eq!(kept.kept_at, Some(Timestamp(4 * HOUR)));
    assert_eq!(event.action, "promise.kept");
    assert!(
        promise::keep(&kept, Timestamp(4 * HOUR)).is_err(),
        "kept twice"
    );
    let late = promise::keep(&open, Timestamp(5 * HOUR + 1)).unwrap_err();
    assert!(late.message.contains("broken"), "{late}");
}

#[test]
fn an_extension_is_allowed_before_the_due_time_only() {
    let open = promise_due(5 * HOUR);
    let (moved, event) = promise::extend(
        &open,
        Timestamp(8 * HOUR),
        "courier delayed",
        Timestamp(4 * HOUR),
    )
    .unwrap();
    assert_eq!(moved.state, PromiseState::Extended);
    assert_eq!(moved.due_at, Timestamp(8 * HOUR));
    assert_eq!(moved.extensions, 1);
    assert_eq!(event.action, "promise.extended");
    assert!(event
        .changes
        .iter()
        .any(|c| c.field == "reason" && c.to == "courier delayed"));
    // Asked at or after the deadline: too late, it is broken.
    let late = promise::extend(&open, Timestamp(8 * HOUR), "sorry", Timestamp(5 * HOUR));
    assert_eq!(late.unwrap_err().field, "due_at");
    // Needs a reason, and a later time.
    assert_eq!(
        promise::extend(&open, Timestamp(8 * HOUR), " ", Timestamp(HOUR))
            .unwrap_err()
            .field,
        "reason"
    );
    assert_eq!(
        promise::extend(&open, Timestamp(4 * HOUR), "earlier", Timestamp(HOUR))
            .unwrap_err()
            .field,
        "due_at"
    );
    // An extended promise can be extended again while live, but not a kept one.
    assert!(promise::extend(&moved, Timestamp(9 * HOUR), "again", Timestamp(6 * HOUR)).is_ok());
    let (kept, _) = promise::keep(&open, Timestamp(HOUR)).unwrap();
    assert_eq!(
        promise::extend(&kept, Timestamp(9 * HOUR), "why", Timestamp(2 * HOUR))
            .unwrap_err()
            .field,
        "state"
    );
}

#[test]
fn a_promise_breaks_when_its_scheduled_time_comes_and_not_before() {
    let open = promise_due(5 * HOUR);
    assert!(promise::break_if_due(&open, open.due_at, Timestamp(5 * HOUR - 1)).is_none());
    let (broken, event) = promise::break_if_due(&open, open.due_at, Timestamp(5 * HOUR)).unwrap();
    assert_eq!(broken.state, PromiseState::Broken);
    assert_eq!(event.action, "promise.broken");
    // Broken is final.
    assert!(promise::break_if_due(&broken, broken.due_at, Timestamp(6 * HOUR)).is_none());
    assert!(promise::extend(&broken, Timestamp(9 * HOUR), "late", Timestamp(6 * HOUR)).is_err());
    // A check scheduled for the old time finds the promise extended and does nothing.
    let (moved, _) =
        promise::extend(&open, Timestamp(8 * HOUR), "courier", Timestamp(4 * HOUR)).unwrap();
    assert!(promise::break_if_due(&moved, Timestamp(5 * HOUR), Timestamp(5 * HOUR)).is_none());
    assert!(promise::break_if_due(&moved, moved.due_at, Timestamp(8 * HOUR)).is_some());
}

#[test]
fn reminders_come_ahead_of_time_or_at_once_when_late() {
    let now = Timestamp(HOUR);
    assert_eq!(
        promise::reminder_at(Timestamp(5 * HOUR), 30 * 60_000, now),
        Some(Timestamp(5 * HOUR - 30 * 60_000))
    );
    assert_eq!(
        promise::reminder_at(Timestamp(HOUR + 1000), HOUR, now),
        Some(now)
    );
    assert_eq!(promise::reminder_at(now, HOUR, now), None);
}

fn agent(id: i64, role: AgentRole, limit: i64) -> Agent {
    Agent {
        id,
        name: format!("Agent {id}"),
        email: format!("agent{id}@example.com"),
        role,
        authority_limit_minor: limit,
        supervisor_id: None,
        case_access: crate::CaseAccess::All,
        active: true,
        created_at: Timestamp(0),
        chat_capacity: None,
    }
}

#[test]
fn authority_covers_the_case_total_not_each_grant() {
    let ann = agent(1, AgentRole::Agent, 5_000);
    let on_case = AlreadyGranted::on_case;
    assert!(compensation::within_authority(&ann, on_case(0), 5_000));
    assert!(!compensation::within_authority(&ann, on_case(0), 5_001));
    // Two grants of 3,000 on one case exceed a 5,000 limit.
    assert!(compensation::within_authority(&ann, on_case(0), 3_000));
    assert!(!compensation::within_authority(&ann, on_case(3_000), 3_000));
    assert_eq!(
        compensation::initial_state(&ann, on_case(3_000), 3_000),
        CompensationState::AwaitingApproval
    );
    assert_eq!(
        compensation::initial_state(&ann, on_case(0), 100),
        CompensationState::Granted
    );
    // Overflow does not wrap into authority.
    assert!(!compensation::within_authority(&ann, on_case(i64::MAX), 1));
}

#[test]
fn authority_covers_the_customer_over_the_period_not_each_case() {
    let ann = agent(1, AgentRole::Agent, 5_000);
    // 4,000 given on the customer's other cases this period: a new case has 1,000 left.
    let other_cases = AlreadyGranted {
        on_case_minor: 0,
        to_customer_minor: 4_000,
    };
    assert!(compensation::within_authority(&ann, other_cases, 1_000));
    assert!(!compensation::within_authority(&ann, other_cases, 1_001));
    // An old case's total still counts after the period moved on.
    let old_case = AlreadyGranted {
        on_case_minor: 4_500,
        to_customer_minor: 0,
    };
    assert!(!compensation::within_authority(&ann, old_case, 1_000));
    let now = Timestamp(100 * 86_400_000);
    assert_eq!(
        compensation::authority_period_start(now, 30),
        Timestamp(70 * 86_400_000)
    );
}

/// A refund of 20,000 asked by agent 1, waiting for approval.
fn waiting_refund() -> compensation::Compensation {
    compensation::Compensation {
        id: 9,
        case_id: 1,
        customer_id: 1,
        kind: CompensationKind::Refund,
        amount_minor: 20_000,
        currency: "USD".to_owned(),
        reason: "parcel lost twice".to_owned(),
        state: CompensationState::AwaitingApproval,
        granted_by: 1,
        decided_by: None,
        created_at: Timestamp(0),
        decided_at: None,
    }
}

#[test]
fn a_supervisor_approves_only_within_their_own_authority() {
    let mut request = waiting_refund();
    let sue = agent(3, AgentRole::Supervisor, 25_000);
    let nothing = AlreadyGranted::default();
    assert!(compensation::decide(&request, &sue, true, nothing, Timestamp(5)).is_ok());
    let given = AlreadyGranted {
        on_case_minor: 0,
        to_customer_minor: 10_000,
    };
    assert_eq!(
        compensation::decide(&request, &sue, true, given, Timestamp(5)).unwrap_err(),
        DecisionError::AboveOwnAuthority
    );
    // She can still say no, and an admin can say yes.
    assert!(compensation::decide(&request, &sue, false, given, Timestamp(5)).is_ok());
    let ada = agent(4, AgentRole::Admin, 0);
    request.amount_minor = 1_000_000;
    assert!(compensation::decide(&request, &ada, true, given, Timestamp(5)).is_ok());
}

#[test]
fn only_another_supervisor_decides_a_request_once() {
    let request = waiting_refund();
    let agent_two = agent(2, AgentRole::Agent, 100_000);
    let sue = agent(3, AgentRole::Supervisor, 100_000);
    let requester = agent(1, AgentRole::Supervisor, 0);
    assert_eq!(
        compensation::decide(
            &request,
            &agent_two,
            true,
            AlreadyGranted::default(),
            Timestamp(5)
        )
        .unwrap_err(),
        DecisionError::NotSupervisor
    );
    assert_eq!(
        compensation::decide(
            &request,
            &requester,
            true,
            AlreadyGranted::default(),
            Timestamp(5)
        )
        .unwrap_err(),
        DecisionError::OwnRequest
    );
    let (approved, event) = compensation::decide(
        &request,
        &sue,
        true,
        AlreadyGranted::default(),
        Timestamp(5),
    )
    .unwrap();
    assert_eq!(approved.state, CompensationState::Granted);
    assert_eq!(approved.decided_by, Some(3));
    assert_eq!(event.action, "compensation.approved");
    assert!(matches!(
        compensation::decide(
            &approved,
            &sue,
            false,
            AlreadyGranted::default(),
            Timestamp(6)
        ),
        Err(DecisionError::AlreadyDecided(CompensationState::Granted))
    ));
    let (refused, event) = compensation::decide(
        &request,
        &sue,
        false,
        AlreadyGranted::default(),
        Timestamp(5),
    )
    .unwrap();
    assert_eq!(refused.state, CompensationState::Refused);
    assert_eq!(event.action, "compensation.refused");
}

#[test]
fn compensation_fields_are_checked() {
    let parse = compensation::NewCompensation::parse;
    assert_eq!(
        parse(CompensationKind::Gift, 0, "USD", "x")
            .unwrap_err()
            .field,
        "amount_minor"
    );
    assert_eq!(
        parse(CompensationKind::Gift, -5, "USD", "x")
            .unwrap_err()
            .field,
        "amount_minor"
    );
    assert_eq!(
        parse(CompensationKind::Gift, 5, "US", "x")
            .unwrap_err()
            .field,
        "currency"
    );
    assert_eq!(
        parse(CompensationKind::Gift, 5, "usd", "")
            .unwrap_err()
            .field,
        "reason"
    );
    assert_eq!(
        parse(CompensationKind::Gift, 5, "eur", "flowers")
            .unwrap()
            .currency,
        "EUR"
    );
}

fn customer(revenue: i64, billing_day: Option<u8>, invoices: &[i64]) -> Customer {
    Customer {
        id: 1,
        name: "Ann".to_owned(),
        contacts: Contacts {
            emails: vec![],
            phones: vec![],
            social_handles: vec![],
        },
        revenue_to_date_minor: revenue,
        currency: "USD".to_owned(),
        plan: None,
        billing_day,
        invoice_dates: invoices.iter().copied().map(Timestamp).collect(),
        notes: String::new(),
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    }
}

fn day(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

#[test]
fn complaints_in_the_days_before_a_bill_are_near_billing() {
    let monthly = customer(10_000, Some(15), &[]);
    assert!(standing::near_billing(
        &monthly,
        day("2026-03-13T10:00:00Z"),
        3
    ));
    assert!(
        standing::near_billing(&monthly, day("2026-03-15T18:00:00Z"), 3),
        "on the day"
    );
    assert!(
        !standing::near_billing(&monthly, day("2026-03-16T09:00:00Z"), 3),
        "after"
    );
    assert!(
        !standing::near_billing(&monthly, day("2026-03-05T09:00:00Z"), 3),
        "too early"
    );
    // A bill on the 31st falls on the last day of a short month.
    let late = customer(10_000, Some(31), &[]);
    assert!(standing::near_billing(
        &late,
        day("2026-02-27T09:00:00Z"),
        3
    ));
    // A complaint at the end of a year is near a bill on the 1st.
    let first = customer(10_000, Some(1), &[]);
    assert!(standing::near_billing(
        &first,
        day("2026-12-30T09:00:00Z"),
        3
    ));
    // Invoices count too.
    let invoiced = customer(10_000, None, &[day("2026-05-20T00:00:00Z").millis()]);
    assert!(standing::near_billing(
        &invoiced,
        day("2026-05-18T12:00:00Z"),
        3
    ));
    assert!(!standing::near_billing(
        &invoiced,
        day("2026-05-20T12:00:00Z"),
        3
    ));
    assert!(!standing::near_billing(
        &customer(1, None, &[]),
        day("2026-05-18T12:00:00Z"),
        3
    ));
}

#[test]
fn standing_flags_cost_billing_clusters_and_repeat_complaints() {
    let policy = StandingPolicy::default();
    let now = day("2026-06-30T00:00:00Z");
    let ann = customer(100_000, Some(15), &[]);
    let calm = standing::standing(&ann, 20_000, &[day("2026-06-01T00:00:00Z")], &policy, now);
    assert_eq!(calm.compensation_share_percent, Some(20));
    assert!(calm.flags.is_empty(), "{:?}", calm.flags);
    let pricey = standing::standing(&ann, 20_001, &[], &policy, now);
    assert_eq!(pricey.flags, [StandingFlag::TooExpensiveToKeep]);
    let near = [day("2026-04-14T00:00:00Z"), day("2026-05-13T00:00:00Z")];
    let biller = standing::standing(&ann, 0, &near, &policy, now);
    assert_eq!(biller.complaints_near_billing, 2);
    assert_eq!(biller.flags, [StandingFlag::ComplainsNearBilling]);
    let many = [
        day("2026-06-01T00:00:00Z"),
        day("2026-06-05T00:00:00Z"),
        day("2026-06-09T00:00:00Z"),
    ];
    let repeat = standing::standing(&ann, 0, &many, &policy, now);
    assert_eq!(repeat.flags, [StandingFlag::RepeatComplainer]);
    // Old complaints fall out of the repeat window.
    let later = standing::standing(&ann, 0, &many, &policy, now.plus_millis(120 * DAY));
    assert!(later.flags.is_empty());
    // Compensation with no revenue at all is too expensive by definition.
    let free = standing::standing(&customer(0, None, &[]), 1, &[], &policy, now);
    assert_eq!(free.compensation_share_percent, None);
    assert_eq!(free.flags, [StandingFlag::TooExpensiveToKeep]);
}

#[test]
fn the_queue_weighs_signals_and_explains_them() {
    let now = Timestamp(10 * HOUR);
    let calm = case(1, Priority::Normal, 0);
    let mut angry = case(2, Priority::Normal, HOUR);
    angry.anger_permille = 800;
    let mut leaving = case(3, Priority::Normal, 2 * HOUR);
    leaving.churn_threat = true;
    leaving.win_back = Some(WinBack::Undecided);
    let mut broke = case(4, Priority::Normal, 3 * HOUR);
    broke.broken_promises = 1;
    let mut back = case(5, Priority::Low, 4 * HOUR);
    back.reopened_by_follow_up = true;
    back.reopen_count = 1;
    let mut due = case(6, Priority::Normal, 5 * HOUR);
    due.next_promise_due_at = Some(now.plus_millis(20 * 60_000));
    let mut cases = vec![calm, angry, leaving, broke, back, due];
    for c in &mut cases {
        c.urgency = queue::urgency(c, Context::default(), now);
    }
    cases.sort_by(queue::compare);
    let order: Vec<i64> = cases.iter().map(|c| c.id).collect();
    assert_eq!(order, [5, 4, 3, 6, 2, 1]);
    let reasons = queue::reasons(&cases[3], Context::default(), now);
    assert_eq!(reasons[0], "promise due in 20 min");
    let reasons = queue::reasons(&cases[4], Context::default(), now);
    assert_eq!(reasons[0], "furious");
    // A settled win-back no longer pulls the case up.
    let mut stayed = cases[2].clone();
    stayed.win_back = Some(WinBack::Stayed);
    assert!(queue::urgency(&stayed, Context::default(), now) < cases[2].urgency);
    // High value counts, and says so.
    let rich = Context {
        customer_revenue_minor: queue::WEIGHTS.high_value_minor,
    };
    let plain = case(9, Priority::Normal, 0);
    assert_eq!(
        queue::urgency(&plain, rich, now) - queue::urgency(&plain, Context::default(), now),
        queue::WEIGHTS.high_value
    );
    assert!(queue::reasons(&plain, rich, now).contains(&"high-value customer".to_owned()));
}

#[test]
fn a_threat_to_leave_flags_win_back_once_and_raises_priority() {
    let open = case(1, Priority::Normal, 0);
    let (flagged, event) = flag_win_back(&open, Timestamp(5)).unwrap();
    assert_eq!(flagged.win_back, Some(WinBack::Undecided));
    assert_eq!(flagged.priority, Priority::High);
    assert!(flagged.churn_threat);
    assert_eq!(event.action, "case.win_back_flagged");
    assert!(
        flag_win_back(&flagged, Timestamp(6)).is_none(),
        "flagged once"
    );
    let urgent = case(2, Priority::Urgent, 0);
    assert_eq!(
        flag_win_back(&urgent, Timestamp(5)).unwrap().0.priority,
        Priority::Urgent
    );
    let (stayed, _) = record_win_back(&flagged, WinBack::Stayed, Timestamp(7)).unwrap();
    assert_eq!(stayed.win_back, Some(WinBack::Stayed));
    assert_eq!(
        record_win_back(&open, WinBack::Left, Timestamp(7))
            .unwrap_err()
            .field,
        "outcome"
    );
}

#[test]
fn a_low_score_or_not_solved_reopens_to_the_top() {
    assert!(SurveyAnswer::parse(2, true, None).unwrap().reopens());
    assert!(SurveyAnswer::parse(5, false, None).unwrap().reopens());
    assert!(!SurveyAnswer::parse(3, true, Some("ok")).unwrap().reopens());
    assert_eq!(
        SurveyAnswer::parse(0, true, None).unwrap_err().field,
        "score"
    );
    assert_eq!(
        SurveyAnswer::parse(6, true, None).unwrap_err().field,
        "score"
    );
    let mut resolved = case(1, Priority::Low, 0);
    resolved.status = CaseStatus::Resolved;
    let (back, event) = reopen_after_follow_up(&resolved, Timestamp(9));
    assert_eq!(back.status, CaseStatus::Reopened);
    assert!(back.reopened_by_follow_up);
    assert_eq!(back.reopen_count, 1);
    assert_eq!(event.action, "case.reopened_by_follow_up");
    let now = Timestamp(10);
    let mut furious_urgent = case(2, Priority::Urgent, 0);
    furious_urgent.anger_permille = 1000;
    furious_urgent.churn_threat = true;
    furious_urgent.broken_promises = 1;
    assert!(
        queue::urgency(&back, Context::default(), now)
            > queue::urgency(&furious_urgent, Context::default(), now),
        "a customer who says it is not solved goes first"
    );
}

#[test]
fn a_corrected_fact_keeps_its_old_wording_and_must_be_confirmed_again() {
    let fact = Fact {
        id: 4,
        case_id: 1,
        text: "Order 1234 arrived broken on 3 May".to_owned(),
        source: FactSource::CustomerSaid,
        read_back: true,
        confirmed: true,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    };
    let (fixed, event) =
        protocol::correct_fact(&fact, "Order 1234 arrived broken on 4 May", Timestamp(5)).unwrap();
    assert!(!fixed.confirmed && !fixed.read_back);
    assert_eq!(event.changes[0].from, "Order 1234 arrived broken on 3 May");
    assert_eq!(event.changes[0].to, "Order 1234 arrived broken on 4 May");
    assert!(protocol::correct_fact(&fact, "", Timestamp(5)).is_err());
    let (read, event) = protocol::read_back_fact(&fixed, false, Timestamp(6));
    assert!(read.read_back && !read.confirmed);
    assert_eq!(event.action, "fact.read_back");
    let (ok, event) = protocol::read_back_fact(&read, true, Timestamp(7));
    assert!(ok.confirmed);
    assert_eq!(event.action, "fact.confirmed");
}

#[test]
fn the_abuse_policy_steps_in_order_and_ends_the_contact_last() {
    let policy = AbusePolicy::default();
    policy.validate().unwrap();
    assert_eq!(policy.next_step(0).unwrap().name, "warning");
    assert_eq!(policy.next_step(1).unwrap().name, "final_warning");
    let last = policy.next_step(2).unwrap();
    assert!(last.ends_contact);
    assert!(policy.next_step(3).is_none());
    assert!(AbusePolicy { steps: vec![] }.validate().is_err());
}

#[test]
fn percentiles_use_the_nearest_rank_and_rates_round() {
    use crate::figures::{percentile, rate};
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[5, 1, 4, 2, 3], 50), Some(3));
    let hundred: Vec<i64> = (1..=100).collect();
    assert_eq!(percentile(&hundred, 90), Some(90));
    assert_eq!(percentile(&hundred, 100), Some(100));
    assert_eq!(percentile(&hundred, 0), Some(1));
    assert_eq!(rate(1, 3), Some(0.333));
    assert_eq!(rate(1, 0), None);
}

#[test]
fn a_plan_is_dated_in_order_and_answered_once() {
    use crate::protocol::{check_plan, NewPlanStep, PlanAnswer};
    let now = Timestamp(HOUR);
    let step = |text: &str, due: i64| NewPlanStep {
        description: text.to_owned(),
        owner_id: 1,
        due_at: Timestamp(due),
    };
    assert!(check_plan(
        &[
            step("collect the parcel", 2 * HOUR),
            step("refund", 3 * HOUR)
        ],
        now
    )
    .is_ok());
    assert_eq!(check_plan(&[], now).unwrap_err().field, "steps");
    assert_eq!(
        check_plan(&[step("late", 2 * HOUR), step("early", HOUR + 1)], now)
            .unwrap_err()
            .field,
        "steps[1].due_at"
    );
    assert_eq!(
        check_plan(&[step("past", HOUR)], now).unwrap_err().field,
        "steps[0].due_at"
    );
    assert_eq!(
        check_plan(&[step(" ", 2 * HOUR)], now).unwrap_err().field,
        "steps[0].description"
    );
    use PlanAnswer::*;
    assert!(PlanAnswer::may_become(None, Accepted));
    assert!(PlanAnswer::may_become(None, Rejected));
    assert!(
        !PlanAnswer::may_become(None, FullRefund),
        "refund is offered after a rejection"
    );
    assert!(PlanAnswer::may_become(Some(Rejected), FullRefund));
    assert!(
        !PlanAnswer::may_become(Some(Accepted), Rejected),
        "answered once"
    );
    assert!(!PlanAnswer::may_become(Some(FullRefund), RefundDeclined));
}

#[test]
fn the_summary_draft_separates_confirmed_facts_and_lists_what_we_will_do() {
    use crate::case::{Expectation, ResolutionKind};
    use crate::protocol::{draft_summary, PlanStep, SummarySource};
    let fact = |id: i64, text: &str, confirmed: bool| Fact {
        id,
        case_id: 1,
        text: text.to_owned(),
        source: FactSource::CustomerSaid,
        read_back: true,
        confirmed,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    };
    let facts = [
        fact(1, "The parcel arrived broken", true),
        fact(2, "Ordered on 3 May", false),
    ];
    let plan = [PlanStep {
        id: 1,
        case_id: 1,
        position: 1,
        description: "Send a replacement".to_owned(),
        owner_id: 1,
        due_at: Timestamp(2 * DAY),
        done_at: None,
    }];
    let expectation = Expectation {
        kind: ResolutionKind::Replacement,
        words: "a new one".to_owned(),
        met_by_solution: Some(true),
    };
    let promises = [promise_due(DAY)];
    let text = draft_summary(&SummarySource {
        customer_name: "Ann",
        subject: "Broken parcel",
        facts: &facts,
        expectation: Some(&expectation),
        plan: &plan,
        promises: &promises,
    });
    assert!(text.starts_with("Dear Ann,"));
    let confirmed = text
        .find("as you confirmed it:\n- The parcel arrived broken")
        .unwrap();
    let to_check = text
        .find("still need to check with you:\n- Ordered on 3 May")
        .unwrap();
    assert!(confirmed < to_check);
    assert!(text.contains("What you asked for: replacement (\"a new one\")"));
    assert!(text.contains("1. Send a replacement, by 1970-01-03T00:00:00Z"));
    assert!(text.contains("- call Ann back about the refund, by 1970-01-02T00:00:00Z"));
    assert!(!text.contains("never happen again"));
}
