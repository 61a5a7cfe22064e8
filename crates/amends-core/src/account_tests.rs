//! The account rules: sign-in throttling, agent changes, token scopes.

use crate::account::{
    after_failure, change_agent, wait_seconds, AgentChange, TokenScope, ACCOUNT_THROTTLE,
    ADDRESS_THROTTLE,
};
use crate::{Agent, AgentRole, Timestamp};

const SECOND: i64 = 1_000;

#[test]
fn failed_sign_ins_wait_longer_after_the_free_ones_up_to_the_rule_s_longest() {
    let now = Timestamp(1_000_000);
    let mut record = None;
    let mut waits = Vec::new();
    for _ in 0..14 {
        let next = after_failure(ACCOUNT_THROTTLE, record, now);
        waits.push(wait_seconds(&[next], now).unwrap_or(0));
        record = Some(next);
    }
    assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // The address rule lets an office through before it slows, and waits up to 15 minutes.
    let mut record = None;
    for _ in 0..40 {
        record = Some(after_failure(ADDRESS_THROTTLE, record, now));
    }
    assert_eq!(wait_seconds(&[record.unwrap()], now), Some(900));
}

#[test]
fn old_failures_are_forgotten_and_a_wait_ends() {
    let start = Timestamp(0);
    let mut record = None;
    for _ in 0..8 {
        record = Some(after_failure(ACCOUNT_THROTTLE, record, start));
    }
    let blocked = record.unwrap();
    assert_eq!(wait_seconds(&[blocked], start), Some(4));
    assert_eq!(wait_seconds(&[blocked], Timestamp(3_500)), Some(1));
    assert_eq!(wait_seconds(&[blocked], Timestamp(4 * SECOND)), None);
    assert_eq!(wait_seconds(&[], start), None);
    let later = Timestamp(16 * 60 * SECOND);
    assert_eq!(after_failure(ACCOUNT_THROTTLE, record, later).failures, 1);
}

fn agent(id: i64, role: AgentRole) -> Agent {
    Agent {
        id,
        name: format!("Agent {id}"),
        email: format!("agent{id}@example.com"),
        role,
        authority_limit_minor: 1_000,
        supervisor_id: None,
        case_access: crate::CaseAccess::All,
        active: true,
        created_at: Timestamp(0),
        chat_capacity: None,
    }
}

#[test]
fn an_admin_changes_agents_but_cannot_lock_themselves_out() {
    let ada = agent(1, AgentRole::Admin);
    let bo = agent(2, AgentRole::Agent);
    let off = AgentChange {
        active: Some(false),
        ..AgentChange::default()
    };
    let (changed, event) = change_agent(&bo, &off, &ada).unwrap();
    assert!(!changed.active);
    assert_eq!(event.action, "agent.deactivated");
    let (back, event) = change_agent(
        &changed,
        &AgentChange {
            active: Some(true),
            role: Some(AgentRole::Supervisor),
            authority_limit_minor: Some(50_000),
            ..AgentChange::default()
        },
        &ada,
    )
    .unwrap();
    assert_eq!(event.action, "agent.reactivated");
    assert_eq!(
        (back.role, back.authority_limit_minor),
        (AgentRole::Supervisor, 50_000)
    );
    assert_eq!(event.changes.len(), 3);

    assert_eq!(change_agent(&ada, &off, &ada).unwrap_err().field, "active");
    let demote = AgentChange {
        role: Some(AgentRole::Agent),
        ..AgentChange::default()
    };
    assert_eq!(change_agent(&ada, &demote, &ada).unwrap_err().field, "role");
    assert!(change_agent(&bo, &off, &agent(3, AgentRole::Supervisor)).is_err());
    let negative = AgentChange {
        authority_limit_minor: Some(-1),
        ..AgentChange::default()
    };
    assert!(change_agent(&bo, &negative, &ada).is_err());
}

#[test]
fn a_token_s_scope_bounds_what_it_may_do() {
    let table = [
        (TokenScope::Full, [true, true, true, true]),
        (TokenScope::ReadOnly, [true, true, false, false]),
        (TokenScope::Intake, [false, true, false, true]),
    ];
    for (scope, expected) in table {
        let got = [
            scope.allows(true, false),
            scope.allows(true, true),
            scope.allows(false, false),
            scope.allows(false, true),
        ];
        assert_eq!(got, expected, "{scope:?}");
        assert_eq!(TokenScope::parse(scope.as_str()), Some(scope));
    }
    assert_eq!(TokenScope::parse("root"), None);
}

#[test]
fn the_desk_s_two_factor_rule_says_who_must_have_a_second_factor() {
    use crate::account::TwoFactorRule;
    let roles = [AgentRole::Agent, AgentRole::Supervisor, AgentRole::Admin];
    let table = [
        (TwoFactorRule::Nobody, [false, false, false]),
        (TwoFactorRule::Supervisors, [false, true, true]),
        (TwoFactorRule::Everyone, [true, true, true]),
    ];
    for (rule, expected) in table {
        assert_eq!(roles.map(|role| rule.requires(role)), expected, "{rule:?}");
        assert_eq!(TwoFactorRule::parse(rule.as_str()), Some(rule));
    }
    assert_eq!(TwoFactorRule::parse("admins"), None);
}
