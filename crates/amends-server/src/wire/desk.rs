//! What the API answers: JSON shapes with their OpenAPI schemas, built from core records.

use amends_core::case::{Expectation, ResolutionKind, WinBack};
use amends_core::customer::Contacts;
use amends_core::{Agent, AgentRole, Case, CaseStatus, Channel, Customer, Direction, Message};
use amends_core::{CaseAccess, Priority, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use super::protocol::{FactView, PromiseView};

/// A case.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    /// The case's id.
    pub id: i64,
    /// Whose problem it is.
    pub customer_id: i64,
    /// Where it came in: email, web_form, chat, phone or social.
    #[schema(value_type = String, example = "email")]
    #[serde(serialize_with = "super::word")]
    pub channel: Channel,
    /// What it is about.
    pub subject: String,
    /// new, open, waiting_on_customer, waiting_on_us, resolved, closed or reopened.
    #[schema(value_type = String, example = "open")]
    #[serde(serialize_with = "super::word")]
    pub status: CaseStatus,
    /// low, normal, high or urgent.
    #[schema(value_type = String, example = "normal")]
    #[serde(serialize_with = "super::word")]
    pub priority: Priority,
    /// The agent working it.
    pub owner_id: Option<i64>,
    /// When it came in.
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    /// When an agent first answered.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_response_at: Option<Timestamp>,
    /// When it was resolved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// Whether it was resolved in the first contact.
    pub first_contact_resolution: Option<bool>,
    /// How often it came back.
    pub reopen_count: i64,
    /// Replies sent by agents.
    pub replies_sent: i64,
    /// The angriest the customer has read on this case, 0 to 1.
    pub anger: f64,
    /// Whether the customer threatened to leave.
    pub churn_threat: bool,
    /// The win-back effort: undecided, stayed or left; absent when not flagged.
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "super::maybe_word")]
    pub win_back: Option<WinBack>,
    /// The case it was merged into, when it was a duplicate.
    pub merged_into: Option<i64>,
    /// Customer messages abusive to staff.
    pub abusive_messages: i64,
    /// Promises broken on this case.
    pub broken_promises: i64,
    /// When the next live promise is due.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_promise_due_at: Option<Timestamp>,
    /// Reopened because the customer said at follow-up it was not solved.
    pub reopened_by_follow_up: bool,
    /// The customer wrote in a public post or comment: a reputation risk.
    pub public_post: bool,
    /// What the customer expects.
    pub expectation: Option<ExpectationView>,
    /// Satisfaction at follow-up, 1 to 5.
    pub csat: Option<i64>,
    /// Its urgency score in the queue (see the queue's reasons).
    pub urgency: i64,
    /// Last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Case> for CaseView {
    fn from(case: Case) -> Self {
        CaseView {
            id: case.id,
            customer_id: case.customer_id,
            channel: case.channel,
            subject: case.subject,
            status: case.status,
            priority: case.priority,
            owner_id: case.owner_id,
            opened_at: case.opened_at,
            first_response_at: case.first_response_at,
            resolved_at: case.resolved_at,
            closed_at: case.closed_at,
            first_contact_resolution: case.first_contact_resolution,
            reopen_count: case.reopen_count,
            replies_sent: case.replies_sent,
            anger: case.anger_permille as f64 / 1000.0,
            churn_threat: case.churn_threat,
            win_back: case.win_back,
            merged_into: case.merged_into,
            abusive_messages: case.abusive_messages,
            broken_promises: case.broken_promises,
            next_promise_due_at: case.next_promise_due_at,
            reopened_by_follow_up: case.reopened_by_follow_up,
            public_post: case.public_post,
            expectation: case.expectation.map(ExpectationView::from),
            csat: case.csat,
            urgency: case.urgency,
            updated_at: case.updated_at,
        }
    }
}

/// A case with its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    /// The case.
    #[serde(flatten)]
    pub case: CaseView,
    /// Its messages, oldest first.
    pub messages: Vec<MessageView>,
    /// The facts gathered, in the order noted.
    pub facts: Vec<FactView>,
    /// How many facts are not confirmed by the customer yet.
    pub unconfirmed_facts: usize,
    /// The promises made, in the order made.
    pub promises: Vec<PromiseView>,
    /// Its tags, in order.
    pub tags: Vec<String>,
    /// Its custom fields' values, by key.
    #[schema(value_type = std::collections::HashMap<String, crate::wire::FieldValue>)]
    pub fields: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A message on a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// The message's id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// inbound, outbound or note.
    #[schema(value_type = String, example = "inbound")]
    #[serde(serialize_with = "super::word")]
    pub direction: Direction,
    /// The channel.
    #[schema(value_type = String, example = "email")]
    #[serde(serialize_with = "super::word")]
    pub channel: Channel,
    /// The agent who wrote it.
    pub author_id: Option<i64>,
    /// Its text.
    pub body: String,
    /// Its HTML, when the channel has one (unsanitised: escape or sanitise before showing).
    pub body_html: Option<String>,
    /// The channel's id for it.
    pub external_id: Option<String>,
    /// Whether it is abusive to staff (the console shows it collapsed).
    pub abusive: bool,
    /// What the text engine read in it (customer messages): anger, complaint, churn threat,
    /// abuse and the evidence spans behind each finding.
    #[schema(value_type = Option<AssessmentShape>)]
    pub assessment: Option<serde_json::Value>,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        MessageView {
            id: message.id,
            case_id: message.case_id,
            direction: message.direction,
            channel: message.channel,
            author_id: message.author_id,
            body: message.body,
            body_html: message.body_html,
            external_id: message.external_id,
            abusive: message.reading.as_ref().is_some_and(|r| r.abusive),
            assessment: message
                .reading
                .and_then(|r| serde_json::from_str(&r.assessment_json).ok()),
            created_at: message.created_at,
        }
    }
}

/// A case in the queue, with why it sits where it does.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    /// The case.
    #[serde(flatten)]
    pub case: CaseView,
    /// Reasons, most important first, such as "urgent priority" or "waiting 3 h".
    pub reasons: Vec<String>,
    /// The customer's name.
    pub customer_name: String,
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuePageView {
    /// Open cases, most urgent first.
    pub items: Vec<QueueEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// The customer's id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Social handles, `network:handle`.
    pub social_handles: Vec<String>,
    /// Revenue to date in minor units of `currency`.
    pub revenue_to_date_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Plan or value band.
    pub plan: Option<String>,
    /// Billing day of the month.
    pub billing_day: Option<u8>,
    /// Invoice dates.
    #[schema(value_type = Vec<String>)]
    pub invoice_dates: Vec<Timestamp>,
    /// Notes.
    pub notes: String,
    /// When the record was made.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last change.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Customer> for CustomerView {
    fn from(customer: Customer) -> Self {
        let Contacts {
            emails,
            phones,
            social_handles,
        } = customer.contacts;
        CustomerView {
            id: customer.id,
            name: customer.name,
            emails,
            phones,
            social_handles,
            revenue_to_date_minor: customer.revenue_to_date_minor,
            currency: customer.currency,
            plan: customer.plan,
            billing_day: customer.billing_day,
            invoice_dates: customer.invoice_dates,
            notes: customer.notes,
            created_at: customer.created_at,
            updated_at: customer.updated_at,
        }
    }
}

/// A customer with their cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    /// The customer.
    #[serde(flatten)]
    pub customer: CustomerView,
    /// Their cases, newest first (at most 200).
    pub cases: Vec<CaseView>,
    /// Their tags, in order.
    pub tags: Vec<String>,
    /// Their custom fields' values, by key.
    #[schema(value_type = std::collections::HashMap<String, crate::wire::FieldValue>)]
    pub fields: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPageView {
    /// The customers.
    pub items: Vec<CustomerView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    /// The agent's id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sign-in address.
    pub email: String,
    /// agent, supervisor or admin.
    #[schema(value_type = String, example = "agent")]
    #[serde(serialize_with = "super::word")]
    pub role: AgentRole,
    /// Compensation authority per case, minor units.
    pub authority_limit_minor: i64,
    /// Which cases they may see: all, owned_and_unowned or owned (supervisors and admins see
    /// every case whatever is set).
    #[schema(value_type = String, example = "all")]
    #[serde(serialize_with = "super::word")]
    pub case_access: CaseAccess,
    /// Whether they may sign in.
    pub active: bool,
    /// Open chats they hold at once; absent: the desk's `[chat] capacity`.
    pub chat_capacity: Option<i64>,
}

impl From<Agent> for AgentView {
    fn from(agent: Agent) -> Self {
        AgentView {
            id: agent.id,
            name: agent.name,
            email: agent.email,
            role: agent.role,
            authority_limit_minor: agent.authority_limit_minor,
            case_access: agent.case_access,
            active: agent.active,
            chat_capacity: agent.chat_capacity,
        }
    }
}

/// What the customer expects, in their words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectationView {
    /// refund, replacement, repair, credit, apology, call_back, cancel or other.
    #[schema(value_type = String, example = "refund")]
    #[serde(serialize_with = "super::word")]
    pub kind: ResolutionKind,
    /// In the customer's words.
    pub words: String,
    /// Whether the solution agreed meets it; unknown until a solution is agreed.
    pub met_by_solution: Option<bool>,
}

impl From<Expectation> for ExpectationView {
    fn from(e: Expectation) -> Self {
        ExpectationView {
            kind: e.kind,
            words: e.words,
            met_by_solution: e.met_by_solution,
        }
    }
}

/// The words behind a finding of the engine: a byte span of the message.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema only: the assessment is kept as the engine wrote it
pub struct EvidenceShape {
    /// Which finding, such as `churn_threat` or `negative`.
    kind: String,
    /// Byte offset where the words start.
    start: usize,
    /// Byte offset just past them.
    end: usize,
}

/// What the text engine read in a customer's message, kept as it wrote it when the message
/// arrived (so an older message shows what an older engine read).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema only: the assessment is kept as the engine wrote it
pub struct AssessmentShape {
    /// Whether the message is negative in tone.
    negative: bool,
    /// How negative, 0 to 1.
    negativity: f32,
    /// How angry, 0 to 1.
    anger: f32,
    /// The anger in a word: calm, dissatisfied, angry or furious.
    label: String,
    /// Whether it is a complaint.
    complaint: bool,
    /// How likely a complaint, 0 to 1.
    complaint_score: f32,
    /// What the complaint is about, for complaints and negative messages.
    category: Option<String>,
    /// Whether the customer threatens to leave.
    churn_threat: bool,
    /// Whether it insults or offends people, not only swears about the situation.
    abusive: bool,
    /// Whether the abuse is aimed at the staff.
    abuse_at_staff: bool,
    /// Whether they threaten violence or harm to people (not wishes, hyperbole or what others
    /// threatened).
    threat: bool,
    /// Whether the customer swears (at anything).
    swearing: bool,
    /// How likely offensive language, 0 to 1.
    offensive_score: f32,
    /// Whether they threaten a review, social media or the press.
    public_exposure_threat: bool,
    /// Whether they threaten legal or regulatory action.
    legal_threat: bool,
    /// Whether money comes up: payment, billing, refund.
    mentions_payment: bool,
    /// What they ask for, when they say it.
    requested_resolutions: Vec<String>,
    /// Whether they say it is urgent.
    urgent: bool,
    /// The words behind every finding.
    evidence: Vec<EvidenceShape>,
}
