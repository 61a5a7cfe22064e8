//! Messages: what the customer said, what we answered, and the team's internal notes.

use crate::field::{bounded_text, FieldError};
use crate::{Channel, Timestamp};

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the customer.
    Inbound,
    /// From us to the customer.
    Outbound,
    /// Between us only; the customer never sees it.
    Note,
}

impl Direction {
    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            "note" => Some(Direction::Note),
            _ => None,
        }
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Note => "note",
        }
    }
}

/// A message on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message's id.
    pub id: i64,
    /// The case it belongs to.
    pub case_id: i64,
    /// Which way it went.
    pub direction: Direction,
    /// The channel it went through.
    pub channel: Channel,
    /// The agent who wrote it, for outbound messages and notes.
    pub author_id: Option<i64>,
    /// Its text.
    pub body: String,
    /// Its HTML, where the channel has one; never shown unsanitised.
    pub body_html: Option<String>,
    /// The channel's own id for it, used to recognise the same message arriving twice.
    pub external_id: Option<String>,
    /// What the text engine read in it, for customer messages.
    pub reading: Option<Reading>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// What the text engine read in a customer's message: the part the case's rules use, and the
/// whole assessment (JSON, with its evidence spans) for the console to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// How angry, 0 to 1000.
    pub anger_permille: i64,
    /// Abuse aimed at staff.
    pub abusive: bool,
    /// A threat to leave.
    pub churn_threat: bool,
    /// The engine's whole assessment, as JSON.
    pub assessment_json: String,
}

/// Longest message text accepted, in characters: a long email, not a data dump.
pub const MAX_BODY_CHARS: usize = 100_000;

/// Checks a message body.
pub fn parse_body(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, MAX_BODY_CHARS, true)
}

/// Checks a channel's external id.
pub fn parse_external_id(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, 500, false)
}
