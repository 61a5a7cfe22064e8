//! Canned replies: named answers to the questions a desk hears every day, with variables filled
//! from the case (`{{customer.first_name}}`, `{{case.id}}`, `{{agent.name}}`) and actions taken
//! when one is used (a status, tags, taking the case).

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::case::{CaseChange, CaseStatus};
use crate::field::{bounded_text, FieldError};
use crate::tag::Tag;
use crate::Timestamp;

/// The longest canned reply, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// The variables a canned reply may use, and what each is filled with.
pub const VARIABLES: [(&str, &str); 6] = [
    ("customer.name", "the customer's name"),
    (
        "customer.first_name",
        "the first word of the customer's name",
    ),
    ("case.id", "the case's number"),
    ("case.subject", "the case's subject"),
    ("agent.name", "the name of the agent using it"),
    ("agent.first_name", "the first word of that agent's name"),
];

/// What happens to the case when a canned reply is used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CannedActions {
    /// The status the case moves to.
    pub status: Option<CaseStatus>,
    /// Tags added to the case.
    pub add_tags: Vec<Tag>,
    /// Whether the agent using it takes the case.
    pub take_case: bool,
}

/// A canned reply as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedReply {
    /// Its id.
    pub id: i64,
    /// Its name, unique on the desk: what an agent types to find it.
    pub name: String,
    /// Its text, with variables.
    pub body: String,
    /// What using it does to the case.
    pub actions: CannedActions,
    /// How many times it has been used.
    pub uses: i64,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A canned reply as written, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCannedReply {
    /// Its name.
    pub name: String,
    /// Its text, every variable known.
    pub body: String,
    /// What using it does.
    pub actions: CannedActions,
}

impl NewCannedReply {
    /// Validates a name (1 to 100 characters) and a body whose `{{variables}}` are all known.
    pub fn parse(name: &str, body: &str, actions: CannedActions) -> Result<Self, FieldError> {
        let name = bounded_text("name", name, 100, false)?;
        let body = bounded_text("body", body, MAX_BODY_CHARS, true)?;
        for (_, _, variable) in variables(&body) {
            if !VARIABLES.iter().any(|(known, _)| *known == variable)
                && field_of(variable).is_none()
            {
                let known: Vec<&str> = VARIABLES.iter().map(|(v, _)| *v).collect();
                return Err(FieldError::new(
                    "body",
                    format!(
                        "uses {{{{{variable}}}}}, which is not a variable; the variables are {} \
                         and case.fields.KEY or customer.fields.KEY for a custom field",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(NewCannedReply {
            name,
            body,
            actions,
        })
    }
}

/// The `{{ name }}` variables of a text: byte range and trimmed name, in order. An opening
/// `{{` without a closing `}}` is text.
pub fn variables(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("{{").map(|i| at + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        found.push((open, close + 2, text[open + 2..close].trim()));
        at = close + 2;
    }
    found
}

/// The custom field a variable names: `case.fields.order_number` is the case's
/// `order_number`, `customer.fields.tier` the customer's `tier`; the key's shape is checked
/// here, whether the desk defines it where the reply is written.
pub fn field_of(variable: &str) -> Option<(crate::custom_field::FieldOwner, &str)> {
    use crate::custom_field::FieldOwner;
    let (owner, key) = if let Some(key) = variable.strip_prefix("case.fields.") {
        (FieldOwner::Case, key)
    } else {
        (
            FieldOwner::Customer,
            variable.strip_prefix("customer.fields.")?,
        )
    };
    let shaped = key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    shaped.then_some((owner, key))
}

/// What fills the variables where a canned reply is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filling<'a> {
    /// The customer's name.
    pub customer_name: &'a str,
    /// The case's id.
    pub case_id: i64,
    /// The case's subject.
    pub case_subject: &'a str,
    /// The agent's name.
    pub agent_name: &'a str,
    /// The case's and its customer's custom field values, by owner and key; a field without a
    /// value fills in as nothing.
    pub fields: Vec<(crate::custom_field::FieldOwner, &'a str, &'a str)>,
}

impl Filling<'_> {
    /// A filling of plausible values, for coaching a canned reply when it is written.
    pub fn example() -> Filling<'static> {
        Filling {
            customer_name: "Dana Smith",
            case_id: 1234,
            case_subject: "My order has not arrived",
            agent_name: "Sam Lee",
            fields: Vec::new(),
        }
    }

    fn value(&self, variable: &str) -> Option<String> {
        let first = |name: &str| name.split_whitespace().next().unwrap_or(name).to_owned();
        Some(match variable {
            "customer.name" => self.customer_name.to_owned(),
            "customer.first_name" => first(self.customer_name),
            "case.id" => self.case_id.to_string(),
            "case.subject" => self.case_subject.to_owned(),
            "agent.name" => self.agent_name.to_owned(),
            "agent.first_name" => first(self.agent_name),
            _ => {
                let (owner, key) = field_of(variable)?;
                self.fields
                    .iter()
                    .find(|(o, k, _)| *o == owner && *k == key)
                    .map_or(String::new(), |(_, _, v)| (*v).to_owned())
            }
        })
    }
}

/// The text of `body` with its variables filled; an unknown one (written before a variable was
/// retired) is left as typed, for the agent to see.
pub fn render(body: &str, filling: &Filling<'_>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for (start, end, variable) in variables(body) {
        out.push_str(&body[at..start]);
        match filling.value(variable) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&body[start..end]),
        }
        at = end;
    }
    out.push_str(&body[at..]);
    out
}

/// The change of case a canned reply's actions make when `agent_id` uses it.
pub fn case_change(actions: &CannedActions, agent_id: i64) -> CaseChange {
    CaseChange {
        status: actions.status,
        priority: None,
        owner_id: actions.take_case.then_some(Some(agent_id)),
        first_contact_resolution: None,
    }
}

/// The audit event of a canned reply written, changed or removed.
pub fn canned_event(action: CannedAudit, id: i64, name: &str) -> AuditEvent {
    let (action, change) = match action {
        CannedAudit::Written => ("canned_reply.created", Change::new("name", "", name)),
        CannedAudit::Changed => ("canned_reply.changed", Change::new("name", name, name)),
        CannedAudit::Removed => ("canned_reply.removed", Change::new("name", name, "")),
    };
    AuditEvent::new(action, RecordKind::CannedReply, id).with_changes(vec![change])
}

/// What was done to a canned reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAudit {
    /// Written.
    Written,
    /// Changed.
    Changed,
    /// Removed.
    Removed,
}
