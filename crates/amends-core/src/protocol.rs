//! The recovery protocol's records: facts read back to the customer, the follow-up survey and
//! the abuse policy.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::Timestamp;

/// Where a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
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

/// One step of a case's action plan, shared with the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// The step's id.
    pub id: i64,
    /// Its case.
    pub case_id: i64,
    /// Its place in the plan, from 1.
    pub position: i64,
    /// What will be done, as the customer reads it.
    pub description: String,
    /// Who does it.
    pub owner_id: i64,
    /// By when.
    pub due_at: Timestamp,
    /// When it was done.
    pub done_at: Option<Timestamp>,
}

/// A validated step for a new or changed plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlanStep {
    /// What will be done.
    pub description: String,
    /// Who does it.
    pub owner_id: i64,
    /// By when.
    pub due_at: Timestamp,
}

/// Most steps a plan may have.
pub const MAX_PLAN_STEPS: usize = 30;

/// Checks a plan: one to [`MAX_PLAN_STEPS`] steps, each described, each dated (in the future
/// at `now`), in date order so the customer reads it as a timeline.
pub fn check_plan(steps: &[NewPlanStep], now: Timestamp) -> Result<(), FieldError> {
    if steps.is_empty() || steps.len() > MAX_PLAN_STEPS {
        return Err(FieldError::new(
            "steps",
            format!("a plan has 1 to {MAX_PLAN_STEPS} steps"),
        ));
    }
    for (i, step) in steps.iter().enumerate() {
        bounded_text(
            &format!("steps[{i}].description"),
            &step.description,
            1000,
            true,
        )?;
        if step.due_at <= now {
            return Err(FieldError::new(
                format!("steps[{i}].due_at"),
                "must be in the future",
            ));
        }
        if i > 0 && step.due_at < steps[i - 1].due_at {
            return Err(FieldError::new(
                format!("steps[{i}].due_at"),
                "steps must be in date order",
            ));
        }
    }
    Ok(())
}

/// What the customer said about the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanAnswer {
    /// They accept it.
    Accepted,
    /// They reject it: the desk offers the full-refund path.
    Rejected,
    /// Having rejected it, they chose the full refund.
    FullRefund,
    /// Having rejected it, they declined the full refund too (a supervisor takes over).
    RefundDeclined,
}

impl PlanAnswer {
    /// Every answer.
    pub const ALL: [PlanAnswer; 4] = [
        PlanAnswer::Accepted,
        PlanAnswer::Rejected,
        PlanAnswer::FullRefund,
        PlanAnswer::RefundDeclined,
    ];

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        PlanAnswer::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanAnswer::Accepted => "accepted",
            PlanAnswer::Rejected => "rejected",
            PlanAnswer::FullRefund => "full_refund",
            PlanAnswer::RefundDeclined => "refund_declined",
        }
    }

    /// Whether the customer may give `next` after this answer (`None`: no answer yet). A plan
    /// is accepted or rejected once; only a rejection leads to the full-refund choice.
    pub fn may_become(current: Option<PlanAnswer>, next: PlanAnswer) -> bool {
        use PlanAnswer::*;
        matches!(
            (current, next),
            (None, Accepted | Rejected) | (Some(Rejected), FullRefund | RefundDeclined)
        )
    }
}

/// Everything the written summary is drafted from.
#[derive(Debug, Clone, Copy)]
pub struct SummarySource<'a> {
    /// Who it is addressed to.
    pub customer_name: &'a str,
    /// The case's subject.
    pub subject: &'a str,
    /// The facts gathered; confirmed ones are written as agreed, others as still to check.
    pub facts: &'a [Fact],
    /// What the customer asked for.
    pub expectation: Option<&'a crate::case::Expectation>,
    /// The action plan.
    pub plan: &'a [PlanStep],
    /// Live promises, with their times.
    pub promises: &'a [crate::promise::Promise],
}

/// The first draft of the written summary, for the agent to edit and send: what happened (the
/// facts as confirmed), what the customer asked for, what we will do and by when.
pub fn draft_summary(source: &SummarySource<'_>) -> String {
    let mut out = format!(
        "Dear {},\n\nThank you for talking this through with us. So that we both have the same \
         record, here is what we agreed about \"{}\".\n",
        source.customer_name, source.subject
    );
    let (confirmed, unconfirmed): (Vec<&Fact>, Vec<&Fact>) =
        source.facts.iter().partition(|f| f.confirmed);
    if !confirmed.is_empty() {
        out.push_str("\nWhat happened, as you confirmed it:\n");
        for fact in confirmed {
            out.push_str(&format!("- {}\n", fact.text));
        }
    }
    if !unconfirmed.is_empty() {
        out.push_str("\nWhat we still need to check with you:\n");
        for fact in unconfirmed {
            out.push_str(&format!("- {}\n", fact.text));
        }
    }
    if let Some(expectation) = source.expectation {
        out.push_str(&format!(
            "\nWhat you asked for: {} (\"{}\").\n",
            expectation.kind.as_str().replace('_', " "),
            expectation.words
        ));
    }
    if !source.plan.is_empty() {
        out.push_str("\nWhat we will do:\n");
        for step in source.plan {
            let state = if step.done_at.is_some() {
                " (done)"
            } else {
                ""
            };
            out.push_str(&format!(
                "{}. {}, by {}{state}\n",
                step.position,
                step.description,
                step.due_at.to_rfc3339()
            ));
        }
    }
    let live: Vec<_> = source
        .promises
        .iter()
        .filter(|p| p.state.is_live())
        .collect();
    if !live.is_empty() {
        out.push_str("\nOur commitments to you:\n");
        for promise in live {
            out.push_str(&format!(
                "- {}, by {}\n",
                promise.description,
                promise.due_at.to_rfc3339()
            ));
        }
    }
    out.push_str(
        "\nIf anything here is not right, please tell us with the link below and we will \
         correct it.\n",
    );
    out
}
