//! Compensation: refunds, discounts, credits and gifts, each within the authority of the agent
//! who grants it, or approved by a supervisor.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::{Agent, AgentRole, Timestamp};

/// What is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompensationKind {
    /// Money back.
    Refund,
    /// Less to pay next time.
    Discount,
    /// Money on account.
    Credit,
    /// Something given.
    Gift,
}

impl CompensationKind {
    /// Every kind.
    pub const ALL: [CompensationKind; 4] = [
        CompensationKind::Refund,
        CompensationKind::Discount,
        CompensationKind::Credit,
        CompensationKind::Gift,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        CompensationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            CompensationKind::Refund => "refund",
            CompensationKind::Discount => "discount",
            CompensationKind::Credit => "credit",
            CompensationKind::Gift => "gift",
        }
    }
}

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompensationState {
    /// Given: counts against the customer.
    Granted,
    /// Above the granting agent's authority; waits for a supervisor.
    AwaitingApproval,
    /// A supervisor said no.
    Refused,
}

impl CompensationState {
    /// Every state.
    pub const ALL: [CompensationState; 3] = [
        CompensationState::Granted,
        CompensationState::AwaitingApproval,
        CompensationState::Refused,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        CompensationState::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            CompensationState::Granted => "granted",
            CompensationState::AwaitingApproval => "awaiting_approval",
            CompensationState::Refused => "refused",
        }
    }
}

/// One line of the compensation ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compensation {
    /// The line's id.
    pub id: i64,
    /// The case it was given on.
    pub case_id: i64,
    /// The customer it was given to.
    pub customer_id: i64,
    /// What was given.
    pub kind: CompensationKind,
    /// How much, in minor units (cents); a gift carries its value.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// Where it stands.
    pub state: CompensationState,
    /// The agent who granted or asked for it.
    pub granted_by: i64,
    /// The supervisor who approved or refused it, when one had to.
    pub decided_by: Option<i64>,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When it was approved or refused.
    pub decided_at: Option<Timestamp>,
}

/// A validated grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompensation {
    /// What is given.
    pub kind: CompensationKind,
    /// How much, in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// Why.
    pub reason: String,
}

/// The largest single grant accepted, in minor units: a typo guard, not a policy.
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000;

impl NewCompensation {
    /// Checks a grant's fields.
    pub fn parse(
        kind: CompensationKind,
        amount_minor: i64,
        currency: &str,
        reason: &str,
    ) -> Result<NewCompensation, FieldError> {
        if !(1..=MAX_AMOUNT_MINOR).contains(&amount_minor) {
            return Err(FieldError::new(
                "amount_minor",
                format!("must be between 1 and {MAX_AMOUNT_MINOR}"),
            ));
        }
        let currency = currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::new(
                "currency",
                "must be a three-letter ISO 4217 code",
            ));
        }
        let reason = bounded_text("reason", reason, 1000, true)?;
        Ok(NewCompensation {
            kind,
            amount_minor,
            currency,
            reason,
        })
    }
}

/// How long back grants to one customer count against an agent's authority, by default.
pub const DEFAULT_AUTHORITY_PERIOD_DAYS: i64 = 30;

/// What a customer has already been given that a new grant adds to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlreadyGranted {
    /// Granted on this case, ever.
    pub on_case_minor: i64,
    /// Granted to the same customer on any of their cases within the authority period.
    pub to_customer_minor: i64,
}

impl AlreadyGranted {
    /// Granted on this case only (a customer with no other recent grant).
    pub fn on_case(minor: i64) -> Self {
        AlreadyGranted {
            on_case_minor: minor,
            to_customer_minor: minor,
        }
    }

    /// The amount an authority limit must cover before the new grant: the larger of the
    /// case's total and the customer's total over the period, so a limit can be dodged
    /// neither by splitting a refund in two nor by opening another case.
    pub fn counted(self) -> i64 {
        self.on_case_minor.max(self.to_customer_minor)
    }
}

/// When the authority period that ends at `now` began.
pub fn authority_period_start(now: Timestamp, period_days: i64) -> Timestamp {
    now.plus_millis(-period_days.saturating_mul(86_400_000))
}

/// Whether `agent` may grant `amount_minor` on top of what the customer already has: the
/// agent's limit covers the case's total and the customer's total over the period, not each
/// grant.
pub fn within_authority(agent: &Agent, already: AlreadyGranted, amount_minor: i64) -> bool {
    already.counted().saturating_add(amount_minor) <= agent.authority_limit_minor
}

/// The state a new grant starts in.
pub fn initial_state(
    agent: &Agent,
    already: AlreadyGranted,
    amount_minor: i64,
) -> CompensationState {
    if within_authority(agent, already, amount_minor) {
        CompensationState::Granted
    } else {
        CompensationState::AwaitingApproval
    }
}

/// A supervisor's decision on a grant waiting for approval. Only a supervisor or admin other
/// than the agent who asked may decide, and only once. A supervisor approves only within their
/// own authority (counted like an agent's, over what the customer `already` has); above it an
/// admin decides. Refusing is always within anyone's authority.
pub fn decide(
    compensation: &Compensation,
    decider: &Agent,
    approve: bool,
    already: AlreadyGranted,
    now: Timestamp,
) -> Result<(Compensation, AuditEvent), DecisionError> {
    if !decider.role.allows(AgentRole::Supervisor) {
        return Err(DecisionError::NotSupervisor);
    }
    if decider.id == compensation.granted_by {
        return Err(DecisionError::OwnRequest);
    }
    if compensation.state != CompensationState::AwaitingApproval {
        return Err(DecisionError::AlreadyDecided(compensation.state));
    }
    let admin = decider.role.allows(AgentRole::Admin);
    if approve && !admin && !within_authority(decider, already, compensation.amount_minor) {
        return Err(DecisionError::AboveOwnAuthority);
    }
    let state = if approve {
        CompensationState::Granted
    } else {
        CompensationState::Refused
    };
    let mut next = compensation.clone();
    next.state = state;
    next.decided_by = Some(decider.id);
    next.decided_at = Some(now);
    let action = if approve {
        "compensation.approved"
    } else {
        "compensation.refused"
    };
    let event =
        AuditEvent::new(action, RecordKind::Compensation, compensation.id).with_changes(vec![
            Change::new("state", compensation.state.as_str(), state.as_str()),
        ]);
    Ok((next, event))
}

/// Why a decision on a grant was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// Only supervisors and admins approve.
    #[error("only a supervisor or admin can approve or refuse compensation")]
    NotSupervisor,
    /// Above the supervisor's own authority: an admin decides.
    #[error("this is above your own authority; an admin must approve it")]
    AboveOwnAuthority,
    /// Nobody approves their own request.
    #[error("a request must be decided by someone other than the agent who made it")]
    OwnRequest,
    /// It was decided before.
    #[error("this compensation is already {}", .0.as_str())]
    AlreadyDecided(CompensationState),
}

/// What recording `line` (just written, granted or awaiting approval) by `agent` leaves: its
/// event, and a supervisor asked when it is above the agent's authority.
pub fn recorded(line: &Compensation, agent: &Agent) -> crate::outcome::Outcome {
    use crate::outcome::{AlertKind, Effect, Outcome, Recipient};
    let action = match line.state {
        CompensationState::Granted => "compensation.granted",
        _ => "compensation.requested",
    };
    let mut outcome = Outcome::event(AuditEvent::new(action, RecordKind::Compensation, line.id));
    if line.state == CompensationState::AwaitingApproval {
        outcome = outcome.and(Effect::Alert {
            to: Recipient::InChargeOf(Some(agent.id)),
            case_id: Some(line.case_id),
            kind: AlertKind::Approval,
            body: crate::wording::approval_asked(
                line.case_id,
                &agent.name,
                line.kind.as_str(),
                &minor_units(line.amount_minor),
                &line.currency,
                &line.reason,
            ),
        });
    }
    outcome
}

/// An amount in minor units as it is written, `12.50`.
pub fn minor_units(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    format!("{sign}{}.{:02}", amount / 100, amount % 100)
}
