use crate::case::{after_message, apply_change, opened, CaseChange, NewCase};
use crate::customer::{parse_billing_day, parse_currency, parse_social_handle, CustomerName};
use crate::{queue, Case, CaseStatus, Channel, Direction, EmailAddress, PhoneNumber, Priority};
use crate::{AgentRole, Timestamp};

pub(crate) fn case(id: i64, priority: Priority, opened_at: i64) -> Case {
    let new = NewCase {
        channel: Channel::Email,
        subject: "parcel never arrived".to_owned(),
        body: "It never came.".to_owned(),
        priority,
    };
    let mut case = opened(1, &new, Timestamp(opened_at));
    case.id = id;
    case.urgency = queue::urgency(&case, queue::Context::default(), Timestamp(opened_at));
    case
}

fn status_change(status: CaseStatus) -> CaseChange {
    CaseChange {
        status: Some(status),
        ..CaseChange::default()
    }
}

#[test]
fn email_addresses_are_normalised_and_checked() {
    let table = [
        ("Ann@Example.COM ", Some("ann@example.com")),
        ("a@b.co", Some("a@b.co")),
        ("no-at-sign.com", None),
        ("@example.com", None),
        ("ann@localhost", None),
        ("ann@.example.com", None),
        ("ann@example..com", None),
        ("ann smith@example.com", None),
        ("ann@exa@mple.com", None),
    ];
    for (raw, want) in table {
        let got = EmailAddress::parse("email", raw).ok();
        assert_eq!(got.as_ref().map(|e| e.as_str()), want, "input {raw:?}");
    }
}

#[test]
fn phone_numbers_keep_digits_and_a_leading_plus() {
    let table = [
        (
            "+44 (0)20 7946-0958",
            Some("+440207946 0958".replace(' ', "")),
        ),
        ("555.0100.22", Some("555010022".to_owned())),
        ("12345", None),
        ("call me", None),
        ("1+2345678", None),
    ];
    for (raw, want) in table {
        let got = PhoneNumber::parse("phone", raw).ok();
        assert_eq!(got.map(|p| p.as_str().to_owned()), want, "input {raw:?}");
    }
}

#[test]
fn names_are_trimmed_bounded_and_free_of_control_characters() {
    assert_eq!(
        CustomerName::parse("name", "  Ann  ").unwrap().as_str(),
        "Ann"
    );
    assert!(CustomerName::parse("name", "   ").is_err());
    assert!(CustomerName::parse("name", "Ann\u{0}").is_err());
    assert!(CustomerName::parse("name", &"x".repeat(201)).is_err());
    let error = CustomerName::parse("customer.name", "").unwrap_err();
    assert_eq!(error.field, "customer.name");
}

#[test]
fn customer_fields_have_their_rules() {
    assert!(parse_currency("currency", "EUR").is_ok());
    assert!(parse_currency("currency", "eur").is_err());
    assert_eq!(parse_billing_day("billing_day", 31).unwrap(), 31);
    assert!(parse_billing_day("billing_day", 0).is_err());
    assert!(parse_billing_day("billing_day", 32).is_err());
    assert_eq!(
        parse_social_handle("h", "Twitter:@Ann").unwrap(),
        "twitter:@Ann"
    );
    assert!(parse_social_handle("h", "@ann").is_err());
}

#[test]
fn status_transitions_follow_the_lifecycle() {
    use CaseStatus::*;
    let allowed = [
        (New, Open),
        (New, Resolved),
        (Open, WaitingOnCustomer),
        (WaitingOnCustomer, WaitingOnUs),
        (Resolved, Closed),
        (Resolved, Reopened),
        (Closed, Reopened),
        (Reopened, Open),
        (Open, Open),
    ];
    let refused = [
        (Open, New),
        (Resolved, Open),
        (Closed, Open),
        (Closed, Resolved),
        (Open, Reopened),
        (New, Reopened),
    ];
    for (from, to) in allowed {
        assert!(from.can_become(to), "{from:?} -> {to:?} should be allowed");
    }
    for (from, to) in refused {
        assert!(!from.can_become(to), "{from:?} -> {to:?} should be refused");
    }
}

#[test]
fn resolving_after_one_reply_counts_as_first_contact_resolution() {
    let mut open = case(1, Priority::Normal, 0);
    open = after_message(&open, Direction::Outbound, Timestamp(10));
    let (resolved, events) =
        apply_change(&open, &status_change(CaseStatus::Resolved), Timestamp(20)).unwrap();
    assert_eq!(resolved.resolved_at, Some(Timestamp(20)));
    assert_eq!(resolved.first_contact_resolution, Some(true));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].changes[0].to, "resolved");
}

#[test]
fn resolving_after_two_replies_is_not_first_contact_resolution() {
    let mut open = case(1, Priority::Normal, 0);
    open = after_message(&open, Direction::Outbound, Timestamp(10));
    open = after_message(&open, Direction::Inbound, Timestamp(11));
    open = after_message(&open, Direction::Outbound, Timestamp(12));
    let (resolved, _) =
        apply_change(&open, &status_change(CaseStatus::Resolved), Timestamp(20)).unwrap();
    assert_eq!(resolved.first_contact_resolution, Some(false));
}

#[test]
fn the_agent_may_say_whether_resolution_was_first_contact() {
    let open = case(1, Priority::Normal, 0);
    let change = CaseChange {
        status: Some(CaseStatus::Resolved),
        first_contact_resolution: Some(false),
        ..CaseChange::default()
    };
    let (resolved, _) = apply_change(&open, &change, Timestamp(5)).unwrap();
    assert_eq!(resolved.first_contact_resolution, Some(false));
    let without_status = CaseChange {
        first_contact_resolution: Some(true),
        ..CaseChange::default()
    };
    assert_eq!(
        apply_change(&open, &without_status, Timestamp(5))
            .unwrap_err()
            .field,
        "first_contact_resolution"
    );
}

#[test]
fn a_refused_transition_names_the_status_field() {
    let mut closed = case(1, Priority::Normal, 0);
    closed.status = CaseStatus::Closed;
    let error = apply_change(&closed, &status_change(CaseStatus::Open), Timestamp(5)).unwrap_err();
    assert_eq!(error.field, "status");
    assert!(error.message.contains("closed"));
}

#[test]
fn reopening_counts_and_clears_the_resolution() {
    let open = case(1, Priority::Normal, 0);
    let (resolved, _) =
        apply_change(&open, &status_change(CaseStatus::Resolved), Timestamp(5)).unwrap();
    let (reopened, _) = apply_change(
        &resolved,
        &status_change(CaseStatus::Reopened),
        Timestamp(9),
    )
    .unwrap();
    assert_eq!(reopened.reopen_count, 1);
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(reopened.first_contact_resolution, Some(false));
}

#[test]
fn a_change_that_changes_nothing_records_nothing() {
    let open = case(1, Priority::High, 0);
    let change = CaseChange {
        priority: Some(Priority::High),
        owner_id: Some(None),
        ..CaseChange::default()
    };
    let (same, events) = apply_change(&open, &change, Timestamp(5)).unwrap();
    assert_eq!(same, open);
    assert!(events.is_empty());
}

#[test]
fn owner_and_priority_changes_are_audited_with_before_and_after() {
    let open = case(7, Priority::Normal, 0);
    let change = CaseChange {
        priority: Some(Priority::Urgent),
        owner_id: Some(Some(3)),
        ..CaseChange::default()
    };
    let (changed, events) = apply_change(&open, &change, Timestamp(5)).unwrap();
    assert_eq!(changed.owner_id, Some(3));
    assert_eq!(changed.updated_at, Timestamp(5));
    let fields: Vec<_> = events[0]
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.from.as_str(), c.to.as_str()))
        .collect();
    assert_eq!(
        fields,
        [("priority", "normal", "urgent"), ("owner_id", "none", "3")]
    );
    assert_eq!(events[0].record_id, 7);
}

#[test]
fn messages_move_the_case_and_set_first_response_once() {
    let new = case(1, Priority::Normal, 0);
    let answered = after_message(&new, Direction::Outbound, Timestamp(100));
    assert_eq!(answered.first_response_at, Some(Timestamp(100)));
    assert_eq!(answered.status, CaseStatus::WaitingOnCustomer);
    let back = after_message(&answered, Direction::Inbound, Timestamp(200));
    assert_eq!(back.status, CaseStatus::WaitingOnUs);
    let again = after_message(&back, Direction::Outbound, Timestamp(300));
    assert_eq!(again.first_response_at, Some(Timestamp(100)));
    let noted = after_message(&again, Direction::Note, Timestamp(400));
    assert_eq!(noted, again);
}

#[test]
fn a_customer_writing_on_a_resolved_case_reopens_it() {
    let mut resolved = case(1, Priority::Normal, 0);
    resolved.status = CaseStatus::Resolved;
    let back = after_message(&resolved, Direction::Inbound, Timestamp(50));
    assert_eq!(back.status, CaseStatus::Reopened);
    assert_eq!(back.reopen_count, 1);
}

#[test]
fn the_queue_puts_priority_first_then_the_oldest() {
    let mut cases = [
        case(1, Priority::Normal, 300),
        case(2, Priority::Urgent, 500),
        case(3, Priority::Normal, 100),
        case(4, Priority::Low, 0),
        case(5, Priority::Urgent, 400),
        case(6, Priority::Normal, 100),
    ];
    cases.sort_by(queue::compare);
    let order: Vec<i64> = cases.iter().map(|c| c.id).collect();
    assert_eq!(order, [5, 2, 3, 6, 1, 4]);
}

#[test]
fn each_queue_entry_says_why_it_is_there() {
    let mut urgent = case(1, Priority::Urgent, 0);
    urgent.reopen_count = 1;
    let reasons = queue::reasons(
        &urgent,
        queue::Context::default(),
        Timestamp(3 * 3_600_000 + 5),
    );
    assert_eq!(
        reasons,
        ["urgent priority", "reopened", "no reply yet", "waiting 3 h"]
    );
}

#[test]
fn roles_include_the_ones_below() {
    assert!(AgentRole::Admin.allows(AgentRole::Supervisor));
    assert!(AgentRole::Supervisor.allows(AgentRole::Agent));
    assert!(!AgentRole::Agent.allows(AgentRole::Supervisor));
    assert_eq!(AgentRole::parse("supervisor"), Some(AgentRole::Supervisor));
    assert_eq!(AgentRole::parse("root"), None);
}

#[test]
fn timestamps_round_trip_through_rfc3339() {
    let at = Timestamp::parse_rfc3339("2026-11-22T10:00:00.250Z").unwrap();
    assert_eq!(at.to_rfc3339(), "2026-11-22T10:00:00.25Z");
    assert_eq!(Timestamp::parse_rfc3339(&at.to_rfc3339()), Some(at));
    assert_eq!(Timestamp::parse_rfc3339("tomorrow"), None);
    assert_eq!(
        serde_json::to_string(&Timestamp(0)).unwrap(),
        "\"1970-01-01T00:00:00Z\""
    );
}

#[test]
fn passwords_must_be_long_enough() {
    assert!(crate::agent::check_password("short").is_err());
    assert!(crate::agent::check_password("long enough password").is_ok());
}

#[test]
fn retries_back_off_and_level_out_at_an_hour() {
    use crate::retry::retry_delay_millis;
    let delays: Vec<i64> = (1..=4).map(retry_delay_millis).collect();
    assert_eq!(delays, [5_000, 10_000, 20_000, 40_000]);
    assert_eq!(retry_delay_millis(30), 3_600_000);
    assert_eq!(retry_delay_millis(i64::MAX), 3_600_000);
    assert_eq!(retry_delay_millis(0), 5_000);
}

#[test]
fn narrowed_case_access_sees_owned_cases_and_perhaps_unowned_ones_but_never_for_supervisors() {
    use crate::{Agent, CaseAccess};
    let agent = |role, case_access| Agent {
        id: 7,
        name: "Kim".into(),
        email: "kim@example.com".into(),
        role,
        authority_limit_minor: 0,
        supervisor_id: None,
        case_access,
        active: true,
        created_at: Timestamp(0),
        chat_capacity: None,
    };
    let owned = agent(AgentRole::Agent, CaseAccess::Owned);
    assert!(owned.may_see(Some(7)));
    assert!(!owned.may_see(Some(8)));
    assert!(!owned.may_see(None));
    let with_unowned = agent(AgentRole::Agent, CaseAccess::OwnedAndUnowned);
    assert!(with_unowned.may_see(None));
    assert!(!with_unowned.may_see(Some(8)));
    let all = agent(AgentRole::Agent, CaseAccess::All);
    assert_eq!(all.sight(), None);
    assert!(all.may_see(Some(8)));
    let supervisor = agent(AgentRole::Supervisor, CaseAccess::Owned);
    assert_eq!(
        supervisor.sight(),
        None,
        "supervisors see every case whatever is stored"
    );
    for access in CaseAccess::ALL {
        assert_eq!(CaseAccess::parse(access.as_str()), Some(access));
    }
    assert_eq!(CaseAccess::parse("mine"), None);
}
