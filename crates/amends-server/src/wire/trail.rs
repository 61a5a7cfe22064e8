//! What the desk keeps about itself, as the API answers it: the audit trail, the durable jobs
//! and the figures a manager reads.

use amends_core::Timestamp;
use amends_store::{AuditEntry, Figures, JobRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// One line of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// The entry's id.
    pub id: i64,
    /// agent, system, shell, customer, or stranger (a sign-in that failed).
    #[schema(pattern = "^(agent|system|shell|customer|stranger)$")]
    pub actor_kind: String,
    /// The agent, when an agent acted.
    pub actor_agent_id: Option<i64>,
    /// The network address the request came from.
    pub remote_addr: Option<String>,
    /// What happened, such as `case.opened`.
    pub action: String,
    /// The kind of record.
    pub record_kind: String,
    /// The record's id.
    pub record_id: i64,
    /// JSON list of `{field, from, to}`.
    pub changes: String,
    /// When, in epoch milliseconds.
    pub created_at: i64,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            id: e.id,
            actor_kind: e.actor_kind,
            actor_agent_id: e.actor_agent_id,
            remote_addr: e.remote_addr,
            action: e.action,
            record_kind: e.record_kind,
            record_id: e.record_id,
            changes: e.changes,
            created_at: e.created_at,
        }
    }
}

/// A durable job as a supervisor sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// The job's id.
    pub id: i64,
    /// What it does, such as `promise.due` or `mail.send`.
    pub kind: String,
    /// Its arguments, as JSON text.
    pub payload: String,
    /// `pending`, `running`, `done` or `failed`.
    #[schema(pattern = "^(pending|running|done|failed)$")]
    pub status: String,
    /// When it is due (or due again, after a failed attempt).
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The runner holding it.
    pub locked_by: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<JobRecord> for JobView {
    fn from(job: JobRecord) -> Self {
        JobView {
            id: job.id,
            kind: job.kind,
            payload: job.payload,
            status: job.status.as_str().to_owned(),
            run_at: job.run_at,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            locked_by: job.locked_by,
            last_error: job.last_error,
        }
    }
}

/// A median and 90th percentile.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpreadView {
    /// The median.
    pub median: Option<i64>,
    /// The 90th percentile.
    pub p90: Option<i64>,
    /// How many values.
    pub count: usize,
}

/// Promises by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseFiguresView {
    /// Kept in time.
    pub kept: i64,
    /// Moved at least once (whatever became of them after).
    pub extended: i64,
    /// Broken.
    pub broken: i64,
    /// Still live.
    pub open: i64,
    /// Kept, of those settled (kept or broken).
    pub kept_rate: Option<f64>,
}

/// Satisfaction answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsatView {
    /// Average score, 1 to 5.
    pub average: Option<f64>,
    /// How many answers.
    pub count: i64,
}

/// Compensation granted.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompensationFiguresView {
    /// In minor units (cents), all currencies together.
    pub total: i64,
    /// Customers who received any.
    pub customers: i64,
    /// Average per customer who received any, in minor units.
    pub per_customer: Option<i64>,
}

/// Win-back cases by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct WinBackFiguresView {
    /// Customers who stayed.
    pub stayed: i64,
    /// Customers who left.
    pub left: i64,
    /// Not settled yet.
    pub undecided: i64,
}

/// The desk's figures over a range of time.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Start of the range.
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    /// End of the range (excluded).
    #[schema(value_type = String, format = DateTime)]
    pub to: Timestamp,
    /// Cases resolved in the first contact, of those resolved.
    pub first_contact_resolution_rate: Option<f64>,
    /// Cases resolved in the range.
    pub resolved: i64,
    /// Seconds from opening to the first reply, for cases opened in the range.
    pub time_to_first_response: SpreadView,
    /// Promises made in the range, by what became of them.
    pub promises: PromiseFiguresView,
    /// Cases opened in the range that came back after being resolved.
    pub reopened: i64,
    /// Satisfaction answers given in the range.
    pub csat: CsatView,
    /// Compensation granted in the range.
    pub compensation: CompensationFiguresView,
    /// Of cases flagged for win-back with an outcome, the share whose customer stayed.
    pub win_back_rate: Option<f64>,
    /// Win-back cases by outcome.
    pub win_back: WinBackFiguresView,
    /// The website chats opened in the range.
    pub chat: ChatFiguresView,
}

/// The website chats opened in a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatFiguresView {
    /// How many chats opened a case.
    pub chats: i64,
    /// Seconds from a chat's first line to an agent's first answer.
    pub first_response: SpreadView,
    /// Seconds from a chat's first line to its resolution, for those resolved.
    pub resolution: SpreadView,
    /// Chats no one answered before the customer left (gone 10 minutes, or closed unanswered).
    pub abandoned: i64,
    /// Chats by the agent who holds them, most first.
    pub per_agent: Vec<AgentChatsView>,
    /// What the chat's assistant did with the chats it spoke in.
    pub assistant: AssistantView,
}

/// The chat's assistant's containment and hand-offs.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssistantView {
    /// Chats it spoke in.
    pub conversations: i64,
    /// Of those, resolved with no hand-off to a person.
    pub closed: i64,
    /// Hand-offs to a person by reason, every reason listed.
    pub handed_over: Vec<HandOffView>,
}

/// How many chats the assistant handed over for one reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandOffView {
    /// abuse, legal_or_safety, leaving, upset, complaint, asked_for_person, asked_twice,
    /// collected or agent_took.
    pub reason: &'static str,
    /// How many.
    pub chats: i64,
}

/// How many chats an agent holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentChatsView {
    /// The agent's name.
    pub agent: String,
    /// Their chats.
    pub chats: i64,
}

impl From<amends_store::Spread> for SpreadView {
    fn from(s: amends_store::Spread) -> Self {
        SpreadView {
            median: s.median,
            p90: s.p90,
            count: s.count,
        }
    }
}

impl From<amends_store::ChatFigures> for ChatFiguresView {
    fn from(c: amends_store::ChatFigures) -> Self {
        ChatFiguresView {
            chats: c.chats,
            first_response: c.first_response.into(),
            resolution: c.resolution.into(),
            abandoned: c.abandoned,
            per_agent: c
                .per_agent
                .into_iter()
                .map(|(agent, chats)| AgentChatsView { agent, chats })
                .collect(),
            assistant: AssistantView {
                conversations: c.assistant.conversations,
                closed: c.assistant.closed,
                handed_over: c
                    .assistant
                    .handed_over
                    .into_iter()
                    .map(|(reason, chats)| HandOffView { reason, chats })
                    .collect(),
            },
        }
    }
}

impl From<Figures> for FiguresView {
    fn from(f: Figures) -> Self {
        let t = f.time_to_first_response;
        let p = f.promises;
        let c = f.compensation;
        let w = f.win_back;
        FiguresView {
            from: f.from,
            to: f.to,
            first_contact_resolution_rate: f.first_contact_resolution_rate,
            resolved: f.resolved,
            time_to_first_response: t.into(),
            promises: PromiseFiguresView {
                kept: p.kept,
                extended: p.extended,
                broken: p.broken,
                open: p.open,
                kept_rate: p.kept_rate,
            },
            reopened: f.reopened,
            csat: CsatView {
                average: f.csat.average,
                count: f.csat.count,
            },
            compensation: CompensationFiguresView {
                total: c.total,
                customers: c.customers,
                per_customer: c.per_customer,
            },
            win_back_rate: f.win_back_rate,
            win_back: WinBackFiguresView {
                stayed: w.stayed,
                left: w.left,
                undecided: w.undecided,
            },
            chat: f.chat.into(),
        }
    }
}
