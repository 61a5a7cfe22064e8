//! Accounts on a desk that faces the internet: how failed sign-ins slow a guesser, what an
//! admin may change about an agent, and what an API token may be used for.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::{Agent, AgentRole, Timestamp};

/// How failed sign-ins under one key (an account, or an address) are slowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures allowed before any wait.
    pub free_failures: i64,
    /// The longest wait, in milliseconds; each failure past the free ones doubles it up to here.
    pub longest_wait_ms: i64,
    /// Failures this old are forgotten.
    pub forget_after_ms: i64,
}

/// An account: a few tries, then waits of at most a minute, so the real agent signing in
/// from elsewhere is never locked out for long while a guesser gets about sixty tries an hour.
pub const ACCOUNT_THROTTLE: ThrottleRule = ThrottleRule {
    free_failures: 5,
    longest_wait_ms: 60_000,
    forget_after_ms: 15 * 60_000,
};

/// An address: room for an office behind one address, then waits growing to 15 minutes.
pub const ADDRESS_THROTTLE: ThrottleRule = ThrottleRule {
    free_failures: 20,
    longest_wait_ms: 15 * 60_000,
    forget_after_ms: 60 * 60_000,
};

/// The failed sign-ins recorded under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    /// How many, since they were last forgotten.
    pub failures: i64,
    /// When the last one was.
    pub last_failed_at: Timestamp,
    /// No sign-in under this key is checked before this time.
    pub blocked_until: Timestamp,
}

/// The record after one more failure at `now`.
pub fn after_failure(
    rule: ThrottleRule,
    previous: Option<SignInFailures>,
    now: Timestamp,
) -> SignInFailures {
    let failures = match previous {
        Some(p) if now.millis() - p.last_failed_at.millis() < rule.forget_after_ms => {
            p.failures.saturating_add(1)
        }
        _ => 1,
    };
    let past_free = failures - rule.free_failures;
    let wait = if past_free <= 0 {
        0
    } else {
        let doublings = u32::try_from(past_free - 1).unwrap_or(u32::MAX).min(30);
        (1_000i64 << doublings).min(rule.longest_wait_ms)
    };
    SignInFailures {
        failures,
        last_failed_at: now,
        blocked_until: now.plus_millis(wait),
    }
}

/// How many whole seconds (at least one) until a sign-in under any of `records` is checked
/// again, or `None` when none blocks at `now`.
pub fn wait_seconds(records: &[SignInFailures], now: Timestamp) -> Option<u64> {
    let until = records.iter().map(|r| r.blocked_until.millis()).max()?;
    let left = until - now.millis();
    (left > 0).then(|| u64::try_from((left + 999) / 1000).unwrap_or(1).max(1))
}

/// What an admin changes about an agent; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentChange {
    /// A new display name.
    pub name: Option<String>,
    /// A new role.
    pub role: Option<AgentRole>,
    /// A new compensation authority, in minor units.
    pub authority_limit_minor: Option<i64>,
    /// Which cases they may see.
    pub case_access: Option<crate::CaseAccess>,
    /// Deactivate (`false`) or reactivate (`true`).
    pub active: Option<bool>,
    /// Open chats held at once: `Some(None)` goes back to the desk's number.
    pub chat_capacity: Option<Option<i64>>,
}

/// The change of an agent's chat capacity to `capacity` (`None`: the desk's), checked.
fn chat_capacity(agent: &Agent, capacity: Option<i64>) -> Result<Change, FieldError> {
    if capacity.is_some_and(|c| !(0..=crate::chat::MAX_CAPACITY).contains(&c)) {
        return Err(FieldError::new(
            "chat_capacity",
            format!("must be between 0 and {}", crate::chat::MAX_CAPACITY),
        ));
    }
    let word = |c: Option<i64>| c.map_or_else(|| "the desk's".to_owned(), |c| c.to_string());
    Ok(Change::new(
        "chat_capacity",
        word(agent.chat_capacity),
        word(capacity),
    ))
}

/// Applies `change` to `agent` as `admin` decides it. An admin cannot deactivate or demote
/// themselves, so a desk never loses its last way in by one click.
pub fn change_agent(
    agent: &Agent,
    change: &AgentChange,
    admin: &Agent,
) -> Result<(Agent, AuditEvent), FieldError> {
    if !admin.role.allows(AgentRole::Admin) {
        return Err(FieldError::new("role", "only an admin changes agents"));
    }
    let mut next = agent.clone();
    let mut changes = Vec::new();
    if let Some(name) = &change.name {
        let name = bounded_text("name", name, 200, false)?;
        changes.push(Change::new("name", &agent.name, &name));
        next.name = name;
    }
    if let Some(role) = change.role {
        if agent.id == admin.id && role != agent.role {
            return Err(FieldError::new(
                "role",
                "an admin cannot change their own role",
            ));
        }
        changes.push(Change::new("role", agent.role.as_str(), role.as_str()));
        next.role = role;
    }
    if let Some(limit) = change.authority_limit_minor {
        if !(0..=crate::compensation::MAX_AMOUNT_MINOR).contains(&limit) {
            return Err(FieldError::new(
                "authority_limit_minor",
                "must be between 0 and 100000000",
            ));
        }
        let from = agent.authority_limit_minor.to_string();
        changes.push(Change::new(
            "authority_limit_minor",
            from,
            limit.to_string(),
        ));
        next.authority_limit_minor = limit;
    }
    if let Some(capacity) = change.chat_capacity {
        changes.push(chat_capacity(agent, capacity)?);
        next.chat_capacity = capacity;
    }
    if let Some(access) = change.case_access {
        let (from, to) = (agent.case_access.as_str(), access.as_str());
        changes.push(Change::new("case_access", from, to));
        next.case_access = access;
    }
    if let Some(active) = change.active {
        if agent.id == admin.id && !active {
            return Err(FieldError::new(
                "active",
                "an admin cannot deactivate themselves",
            ));
        }
        changes.push(Change::new(
            "active",
            agent.active.to_string(),
            active.to_string(),
        ));
        next.active = active;
    }
    changes.retain(|c| c.from != c.to);
    let action = match (agent.active, next.active) {
        (true, false) => "agent.deactivated",
        (false, true) => "agent.reactivated",
        _ => "agent.changed",
    };
    let event = AuditEvent::new(action, RecordKind::Agent, agent.id).with_changes(changes);
    Ok((next, event))
}

/// What an API token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScope {
    /// Everything its agent may do.
    Full,
    /// Reading only: GET and HEAD.
    ReadOnly,
    /// Handing the desk mail and webhooks only: for an MTA or a provider, whose secret then
    /// opens nothing else if it leaks.
    Intake,
}

impl TokenScope {
    /// Every scope.
    pub const ALL: [TokenScope; 3] = [TokenScope::Full, TokenScope::ReadOnly, TokenScope::Intake];

    /// Parses `full`, `read_only` or `intake`.
    pub fn parse(raw: &str) -> Option<Self> {
        TokenScope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Full => "full",
            TokenScope::ReadOnly => "read_only",
            TokenScope::Intake => "intake",
        }
    }

    /// Whether a request that `reads` (GET, HEAD) or is an `intake` (mail or webhook
    /// delivery) is within this scope.
    pub fn allows(self, reads: bool, intake: bool) -> bool {
        match self {
            TokenScope::Full => true,
            TokenScope::ReadOnly => reads,
            TokenScope::Intake => intake,
        }
    }
}

/// How long a password reset link works, in minutes.
pub const PASSWORD_RESET_MINUTES: i64 = 30;

/// Who must sign in with a second factor, as an admin sets it for the whole desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TwoFactorRule {
    /// Nobody must (anyone may).
    #[default]
    Nobody,
    /// Supervisors and admins must.
    Supervisors,
    /// Everyone must.
    Everyone,
}

impl TwoFactorRule {
    /// Every rule.
    pub const ALL: [TwoFactorRule; 3] = [
        TwoFactorRule::Nobody,
        TwoFactorRule::Supervisors,
        TwoFactorRule::Everyone,
    ];

    /// Parses `nobody`, `supervisors` or `everyone`.
    pub fn parse(raw: &str) -> Option<Self> {
        TwoFactorRule::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorRule::Nobody => "nobody",
            TwoFactorRule::Supervisors => "supervisors",
            TwoFactorRule::Everyone => "everyone",
        }
    }

    /// Whether an agent of `role` must have a second factor to work.
    pub fn requires(self, role: crate::AgentRole) -> bool {
        match self {
            TwoFactorRule::Nobody => false,
            TwoFactorRule::Supervisors => role.allows(crate::AgentRole::Supervisor),
            TwoFactorRule::Everyone => true,
        }
    }
}

/// How long a checked password waits for its second factor, in minutes.
pub const SECOND_FACTOR_MINUTES: i64 = 5;
/// Wrong codes one checked password may be followed by before it must be given again.
pub const SECOND_FACTOR_ATTEMPTS: i64 = 5;
