//! The recovery protocol's records as the API answers them: facts, promises, the action plan,
//! the written summary, compensation and a customer's standing.

use amends_core::compensation::{Compensation, CompensationKind, CompensationState};
use amends_core::promise::{Promise, PromiseKind, PromiseState};
use amends_core::protocol::{Fact, FactSource, PlanAnswer, PlanStep};
use amends_core::standing::{Standing, StandingFlag};
use amends_core::Timestamp;
use amends_store::{Plan, Summary};
use serde::Serialize;
use utoipa::ToSchema;

/// A fact of a case, to be read back to the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactView {
    /// The fact's id.
    pub id: i64,
    /// Its case.
    pub case_id: i64,
    /// The fact in words that can be read back.
    pub text: String,
    /// customer_said, agent_verified or system_record.
    #[schema(value_type = String, example = "customer_said")]
    #[serde(serialize_with = "super::word")]
    pub source: FactSource,
    /// Whether it was read back to the customer.
    pub read_back: bool,
    /// Whether the customer confirmed it.
    pub confirmed: bool,
    /// When it was noted.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Fact> for FactView {
    fn from(f: Fact) -> Self {
        FactView {
            id: f.id,
            case_id: f.case_id,
            text: f.text,
            source: f.source,
            read_back: f.read_back,
            confirmed: f.confirmed,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A promise made to a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseView {
    /// The promise's id.
    pub id: i64,
    /// Its case.
    pub case_id: i64,
    /// call_back, update, action_step, refund or other.
    #[schema(value_type = String, example = "call_back")]
    #[serde(serialize_with = "super::word")]
    pub kind: PromiseKind,
    /// What was promised, in the customer's terms.
    pub description: String,
    /// The agent who keeps it.
    pub owner_id: i64,
    /// When it is due.
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// open, extended, kept or broken.
    #[schema(value_type = String, example = "open")]
    #[serde(serialize_with = "super::word")]
    pub state: PromiseState,
    /// How many times it was moved.
    pub extensions: i64,
    /// When it was kept.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub kept_at: Option<Timestamp>,
    /// When it was broken.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub broken_at: Option<Timestamp>,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Promise> for PromiseView {
    fn from(p: Promise) -> Self {
        PromiseView {
            id: p.id,
            case_id: p.case_id,
            kind: p.kind,
            description: p.description,
            owner_id: p.owner_id,
            due_at: p.due_at,
            state: p.state,
            extensions: p.extensions,
            kept_at: p.kept_at,
            broken_at: p.broken_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// One step of the action plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanStepView {
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
    #[schema(value_type = String, format = DateTime)]
    pub due_at: Timestamp,
    /// When it was done.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Timestamp>,
}

impl From<PlanStep> for PlanStepView {
    fn from(s: PlanStep) -> Self {
        PlanStepView {
            id: s.id,
            case_id: s.case_id,
            position: s.position,
            description: s.description,
            owner_id: s.owner_id,
            due_at: s.due_at,
            done_at: s.done_at,
        }
    }
}

/// A case's action plan and the customer's answer to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// The case.
    pub case_id: i64,
    /// Its steps, in order.
    pub steps: Vec<PlanStepView>,
    /// accepted, rejected, full_refund or refund_declined, once the customer answers.
    #[schema(value_type = Option<String>, example = "accepted")]
    #[serde(serialize_with = "super::maybe_word")]
    pub answer: Option<PlanAnswer>,
}

impl From<Plan> for PlanView {
    fn from(p: Plan) -> Self {
        PlanView {
            case_id: p.case_id,
            steps: p.steps.into_iter().map(PlanStepView::from).collect(),
            answer: p.answer,
        }
    }
}

/// A written summary sent to the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The text sent.
    pub body: String,
    /// confirmed or wrong, once the customer answers.
    #[schema(pattern = "^(confirmed|wrong)$")]
    pub answer: Option<String>,
    /// What they said is wrong.
    pub answer_comment: Option<String>,
    /// When it was sent.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Summary> for SummaryView {
    fn from(s: Summary) -> Self {
        SummaryView {
            id: s.id,
            case_id: s.case_id,
            body: s.body,
            answer: s.answer,
            answer_comment: s.answer_comment,
            created_at: s.created_at,
        }
    }
}

/// One line of the compensation ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompensationView {
    /// The line's id.
    pub id: i64,
    /// The case it was given on.
    pub case_id: i64,
    /// The customer it was given to.
    pub customer_id: i64,
    /// refund, discount, credit or gift.
    #[schema(value_type = String, example = "refund")]
    #[serde(serialize_with = "super::word")]
    pub kind: CompensationKind,
    /// How much, in minor units (cents); a gift carries its value.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// granted, awaiting_approval or refused.
    #[schema(value_type = String, example = "granted")]
    #[serde(serialize_with = "super::word")]
    pub state: CompensationState,
    /// The agent who granted or asked for it.
    pub granted_by: i64,
    /// The supervisor who approved or refused it, when one had to.
    pub decided_by: Option<i64>,
    /// When it was asked for.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was approved or refused.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
}

impl From<Compensation> for CompensationView {
    fn from(c: Compensation) -> Self {
        CompensationView {
            id: c.id,
            case_id: c.case_id,
            customer_id: c.customer_id,
            kind: c.kind,
            amount_minor: c.amount_minor,
            currency: c.currency,
            reason: c.reason,
            state: c.state,
            granted_by: c.granted_by,
            decided_by: c.decided_by,
            created_at: c.created_at,
            decided_at: c.decided_at,
        }
    }
}

/// What a customer costs against what they bring, and the flags that follow.
#[derive(Debug, Serialize, ToSchema)]
pub struct StandingFigures {
    /// Revenue to date, in minor units.
    pub revenue_to_date_minor: i64,
    /// Compensation granted to date, in minor units.
    pub compensation_to_date_minor: i64,
    /// Compensation as a share of revenue, in percent, when there is revenue.
    pub compensation_share_percent: Option<i64>,
    /// Complaints opened.
    pub complaints: usize,
    /// Complaints opened near a billing date.
    pub complaints_near_billing: usize,
    /// too_expensive_to_keep, complains_near_billing, repeat_complainer.
    #[schema(value_type = Vec<String>)]
    #[serde(serialize_with = "super::words")]
    pub flags: Vec<StandingFlag>,
}

impl From<Standing> for StandingFigures {
    fn from(s: Standing) -> Self {
        StandingFigures {
            revenue_to_date_minor: s.revenue_to_date_minor,
            compensation_to_date_minor: s.compensation_to_date_minor,
            compensation_share_percent: s.compensation_share_percent,
            complaints: s.complaints,
            complaints_near_billing: s.complaints_near_billing,
            flags: s.flags,
        }
    }
}
