//! The words a case is sorted by: where it came in (channel), how soon it needs attention
//! (priority) and where it stands (status), with the moves a status may make.

/// Where a case or message came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Email.
    Email,
    /// A form on the business's website.
    WebForm,
    /// Live chat.
    Chat,
    /// A phone call, its record or transcript.
    Phone,
    /// A social network or messaging app.
    Social,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::WebForm,
        Channel::Chat,
        Channel::Phone,
        Channel::Social,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::WebForm => "web_form",
            Channel::Chat => "chat",
            Channel::Phone => "phone",
            Channel::Social => "social",
        }
    }
}

/// How soon a case needs attention, as set by a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Can wait.
    Low,
    /// The usual.
    Normal,
    /// Before the usual.
    High,
    /// Now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Priority::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// A number that sorts like the priority, stored so the queue can be ordered in SQL.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    /// The priority of a stored rank.
    pub fn from_rank(rank: i64) -> Option<Self> {
        Priority::ALL.into_iter().find(|p| p.rank() == rank)
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// Arrived, nobody has looked yet.
    New,
    /// Being worked.
    Open,
    /// We answered and wait for the customer.
    WaitingOnCustomer,
    /// The customer answered and waits for us.
    WaitingOnUs,
    /// Solved, awaiting follow-up.
    Resolved,
    /// Done.
    Closed,
    /// Came back after being resolved or closed.
    Reopened,
}

impl CaseStatus {
    /// Every status.
    pub const ALL: [CaseStatus; 7] = [
        CaseStatus::New,
        CaseStatus::Open,
        CaseStatus::WaitingOnCustomer,
        CaseStatus::WaitingOnUs,
        CaseStatus::Resolved,
        CaseStatus::Closed,
        CaseStatus::Reopened,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::WaitingOnCustomer => "waiting_on_customer",
            CaseStatus::WaitingOnUs => "waiting_on_us",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
            CaseStatus::Reopened => "reopened",
        }
    }

    /// Whether the case still needs someone: it belongs in the queue.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    /// Whether a case in this status may be moved to `next`.
    ///
    /// Nothing goes back to `new`; a resolved or closed case only comes back by being reopened,
    /// so every return is visible in the figures.
    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        if self == next {
            return true;
        }
        match (self, next) {
            (_, New) => false,
            (Resolved, Closed | Reopened) => true,
            (Resolved, _) => false,
            (Closed, Reopened) => true,
            (Closed, _) => false,
            (_, Reopened) => false,
            _ => true,
        }
    }
}
