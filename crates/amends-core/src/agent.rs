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

/// Which cases an agent may see and work. A desk that gives some agents only their own cases
/// (a contractor, someone on trial, a team that must not read another's customers) narrows
/// them; supervisors and admins always see every case, whatever is stored for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CaseAccess {
    /// Every case.
    #[default]
    All,
    /// The cases they own, and the cases no one owns yet (so they can take one).
    OwnedAndUnowned,
    /// Only the cases they own: someone else hands them work.
    Owned,
}

impl CaseAccess {
    /// Every access, widest first.
    pub const ALL: [CaseAccess; 3] = [
        CaseAccess::All,
        CaseAccess::OwnedAndUnowned,
        CaseAccess::Owned,
    ];

    /// Parses `all`, `owned_and_unowned` or `owned`.
    pub fn parse(raw: &str) -> Option<Self> {
        CaseAccess::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseAccess::All => "all",
            CaseAccess::OwnedAndUnowned => "owned_and_unowned",
            CaseAccess::Owned => "owned",
        }
    }
}

/// The cases an agent with narrowed access sees, for a list or a search to keep to: those
/// `agent_id` owns, and those no one owns when `unowned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSight {
    /// The agent.
    pub agent_id: i64,
    /// Whether cases no one owns are in sight.
    pub unowned: bool,
}

impl CaseSight {
    /// Whether a case owned by `owner` is in sight.
    pub fn sees(self, owner: Option<i64>) -> bool {
        match owner {
            Some(owner) => owner == self.agent_id,
            None => self.unowned,
        }
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
    /// Which cases they may see; see [`Agent::sight`].
    pub case_access: CaseAccess,
    /// Whether they may still sign in.
    pub active: bool,
    /// When the account was made.
    pub created_at: Timestamp,
    /// How many open chats they hold at once; `None`: the desk's number.
    pub chat_capacity: Option<i64>,
}

impl Agent {
    /// The cases this agent sees when their access is narrowed, or `None` when they see every
    /// case (their access is `all`, or their role is above agent).
    pub fn sight(&self) -> Option<CaseSight> {
        if self.role.allows(AgentRole::Supervisor) {
            return None;
        }
        match self.case_access {
            CaseAccess::All => None,
            CaseAccess::OwnedAndUnowned => Some(CaseSight {
                agent_id: self.id,
                unowned: true,
            }),
            CaseAccess::Owned => Some(CaseSight {
                agent_id: self.id,
                unowned: false,
            }),
        }
    }

    /// Whether this agent may see a case owned by `owner`.
    pub fn may_see(&self, owner: Option<i64>) -> bool {
        self.sight().is_none_or(|sight| sight.sees(owner))
    }
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
