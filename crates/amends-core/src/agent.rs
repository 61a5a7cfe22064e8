//! Agents: the people who answer, and what each may do.

use crate::Timestamp;

/// What an agent is allowed to do. Roles are ordered: each includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgentRole {
    /// Works cases.
    Agent,
    /// Works cases, approves compensation, sees the team's figures.
    Supervisor,
    /// Everything, including managing agents and tokens.
    Admin,
}

impl AgentRole {
    /// Parses `agent`, `supervisor` or `admin`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "agent" => Some(AgentRole::Agent),
            "supervisor" => Some(AgentRole::Supervisor),
            "admin" => Some(AgentRole::Admin),
            _ => None,
        }
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Agent => "agent",
            AgentRole::Supervisor => "supervisor",
            AgentRole::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: AgentRole) -> bool {
        self >= needed
    }
}

/// A member of the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The agent's id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their sign-in address.
    pub email: String,
    /// What they may do.
    pub role: AgentRole,
    /// The most compensation they may grant on one case, in minor units.
    pub authority_limit_minor: i64,
    /// Who is told when this agent's promise breaks; any supervisor when none is set.
    pub supervisor_id: Option<i64>,
    /// Whether they may still sign in.
    pub active: bool,
    /// When the account was made.
    pub created_at: Timestamp,
}

/// Passwords shorter than this are refused: a desk holds customers' personal data.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password's length; the rest of its strength is the owner's business.
pub fn check_password(password: &str) -> Result<(), crate::FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(crate::FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > 1024 {
        return Err(crate::FieldError::new(
            "password",
            "must be at most 1024 characters",
        ));
    }
    Ok(())
}
