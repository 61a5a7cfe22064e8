//! The recovery protocol's records: facts read back to the customer, the follow-up survey and
//! the abuse policy.

use serde::Serialize;

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::Timestamp;

/// Where a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactSource {
    /// The customer told us.
    CustomerSaid,
    /// An agent checked it.
    AgentVerified,
    /// A system of record shows it (an order, a payment, a delivery scan).
    SystemRecord,
}

impl FactSource {
    /// Every source.
    pub const ALL: [FactSource; 3] = [
        FactSource::CustomerSaid,
        FactSource::AgentVerified,
        FactSource::SystemRecord,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        FactSource::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            FactSource::CustomerSaid => "customer_said",
            FactSource::AgentVerified => "agent_verified",
            FactSource::SystemRecord => "system_record",
        }
    }
}

/// One fact of the case, as the customer confirmed it (or not yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// The fact's id.
    pub id: i64,
    /// Its case.
    pub case_id: i64,
    /// The fact in words that can be read back.
    pub text: String,
    /// Where it came from.
    pub source: FactSource,
    /// Whether it was read back to the customer.
    pub read_back: bool,
    /// Whether the customer confirmed it.
    pub confirmed: bool,
    /// When it was noted.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// Longest fact accepted.
pub const MAX_FACT_CHARS: usize = 2000;

/// Checks a fact's words.
pub fn parse_fact_text(raw: &str) -> Result<String, FieldError> {
    bounded_text("text", raw, MAX_FACT_CHARS, true)
}

/// The fact reworded at `now`. The old wording stays in the audit trail, and a corrected fact
/// must be read back and confirmed again.
pub fn correct_fact(
    fact: &Fact,
    text: &str,
    now: Timestamp,
) -> Result<(Fact, AuditEvent), FieldError> {
    let text = parse_fact_text(text)?;
    let mut next = fact.clone();
    next.text = text.clone();
    next.read_back = false;
    next.confirmed = false;
    next.updated_at = now;
    let event = AuditEvent::new("fact.corrected", RecordKind::Fact, fact.id)
        .with_changes(vec![Change::new("text", fact.text.clone(), text)]);
    Ok((next, event))
}

/// The fact read back to the customer at `now`, and confirmed by them when `confirmed`.
/// A customer who does not confirm leaves it unconfirmed (then correct it).
pub fn read_back_fact(fact: &Fact, confirmed: bool, now: Timestamp) -> (Fact, AuditEvent) {
    let mut next = fact.clone();
    next.read_back = true;
    next.confirmed = confirmed;
    next.updated_at = now;
    let action = if confirmed {
        "fact.confirmed"
    } else {
        "fact.read_back"
    };
    let event = AuditEvent::new(action, RecordKind::Fact, fact.id).with_changes(vec![Change::new(
        "confirmed",
        fact.confirmed.to_string(),
        confirmed.to_string(),
    )]);
    (next, event)
}

/// A customer's answer to the follow-up survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyAnswer {
    /// Satisfaction, 1 (very unhappy) to 5 (very happy).
    pub score: i64,
    /// Whether they consider the problem solved.
    pub solved: bool,
    /// Their words, if any.
    pub comment: String,
}

impl SurveyAnswer {
    /// Checks an answer.
    pub fn parse(score: i64, solved: bool, comment: Option<&str>) -> Result<Self, FieldError> {
        if !(1..=5).contains(&score) {
            return Err(FieldError::new("score", "must be from 1 to 5"));
        }
        let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => bounded_text("comment", text, 5000, true)?,
            None => String::new(),
        };
        Ok(SurveyAnswer {
            score,
            solved,
            comment,
        })
    }

    /// Whether this answer reopens the case: not solved, or a score of 2 or less.
    pub fn reopens(&self) -> bool {
        !self.solved || self.score <= LOW_CSAT
    }
}

/// A satisfaction score at or below this reopens the case.
pub const LOW_CSAT: i64 = 2;

/// One step of the abuse policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AbuseStep {
    /// Its short name, such as `warning`.
    pub name: String,
    /// What the agent says or sends, word for word.
    pub script: String,
    /// Whether this step ends the contact and hands the case to a supervisor.
    pub ends_contact: bool,
}

/// The desk's policy for customers who become personally abusive to staff: steps taken in
/// order, each recorded on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AbusePolicy {
    /// The steps, in order; the last one should end the contact.
    pub steps: Vec<AbuseStep>,
}

impl Default for AbusePolicy {
    fn default() -> Self {
        let step = |name: &str, script: &str, ends_contact| AbuseStep {
            name: name.to_owned(),
            script: script.to_owned(),
            ends_contact,
        };
        AbusePolicy {
            steps: vec![
                step(
                    "warning",
                    "I want to help you put this right, and I can do that best if we keep our \
                     conversation respectful. Please don't speak to me that way.",
                    false,
                ),
                step(
                    "final_warning",
                    "I still want to help, but if the personal language continues I will have \
                     to end this conversation.",
                    false,
                ),
                step(
                    "end_contact",
                    "I'm ending this conversation now because of the language used towards \
                     me. A supervisor will contact you about your case.",
                    true,
                ),
            ],
        }
    }
}

impl AbusePolicy {
    /// The step to take after `taken` steps on a case; `None` when the policy is exhausted.
    pub fn next_step(&self, taken: usize) -> Option<&AbuseStep> {
        self.steps.get(taken)
    }

    /// Checks a configured policy: at least one step, names and scripts present.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.steps.is_empty() {
            return Err(FieldError::new(
                "abuse_policy.steps",
                "must have at least one step",
            ));
        }
        for (i, step) in self.steps.iter().enumerate() {
            bounded_text(
                &format!("abuse_policy.steps[{i}].name"),
                &step.name,
                60,
                false,
            )?;
            bounded_text(
                &format!("abuse_policy.steps[{i}].script"),
                &step.script,
                2000,
                true,
            )?;
        }
        Ok(())
    }
}
