//! Rows as the database returns them, and their mapping to core types.

use amends_core::case::{Expectation, ResolutionKind, WinBack};
use amends_core::customer::Contacts;
use amends_core::message::Reading;
use amends_core::{
    Agent, AgentRole, Case, CaseAccess, CaseStatus, Channel, Customer, Direction, Message,
};
use amends_core::{Priority, Timestamp};

use crate::StoreError;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

/// `rows` groups of `columns` numbered placeholders for a multi-row `values` list:
/// `($1, $2), ($3, $4)`.
pub(crate) fn placeholders(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

pub(crate) fn channel(raw: &str) -> Result<Channel, StoreError> {
    Channel::parse(raw).ok_or_else(|| corrupt("channel", raw))
}

pub(crate) fn flag(value: Option<i64>) -> Option<bool> {
    value.map(|v| v != 0)
}

pub(crate) fn stamp(value: Option<i64>) -> Option<Timestamp> {
    value.map(Timestamp)
}

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    pub(crate) id: i64,
    customer_id: i64,
    channel: String,
    subject: String,
    status: String,
    priority: i64,
    owner_id: Option<i64>,
    opened_at: i64,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    first_contact_resolution: Option<i64>,
    reopen_count: i64,
    replies_sent: i64,
    anger_permille: i64,
    churn_threat: i64,
    win_back: Option<String>,
    abusive_messages: i64,
    broken_promises: i64,
    next_promise_due_at: Option<i64>,
    reopened_by_follow_up: i64,
    expectation_kind: Option<String>,
    expectation_words: Option<String>,
    expectation_met: Option<i64>,
    csat: Option<i64>,
    urgency: i64,
    merged_into: Option<i64>,
    updated_at: i64,
    public_post: i64,
}

/// The columns of [`CaseRow`], for `select` lists.
pub(crate) const CASE_COLUMNS: &str = "id, customer_id, channel, subject, status, priority, \
    owner_id, opened_at, first_response_at, resolved_at, closed_at, first_contact_resolution, \
    reopen_count, replies_sent, anger_permille, churn_threat, win_back, abusive_messages, \
    broken_promises, next_promise_due_at, reopened_by_follow_up, expectation_kind, \
    expectation_words, expectation_met, csat, urgency, merged_into, updated_at, public_post";

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(row: CaseRow) -> Result<Case, StoreError> {
        Ok(Case {
            id: row.id,
            customer_id: row.customer_id,
            channel: channel(&row.channel)?,
            status: CaseStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
            priority: Priority::from_rank(row.priority)
                .ok_or_else(|| corrupt("priority", &row.priority.to_string()))?,
            subject: row.subject,
            owner_id: row.owner_id,
            opened_at: Timestamp(row.opened_at),
            first_response_at: stamp(row.first_response_at),
            resolved_at: stamp(row.resolved_at),
            closed_at: stamp(row.closed_at),
            first_contact_resolution: flag(row.first_contact_resolution),
            reopen_count: row.reopen_count,
            replies_sent: row.replies_sent,
            anger_permille: row.anger_permille,
            churn_threat: row.churn_threat != 0,
            win_back: match row.win_back.as_deref() {
                None => None,
                Some(raw) => Some(WinBack::parse(raw).ok_or_else(|| corrupt("win_back", raw))?),
            },
            abusive_messages: row.abusive_messages,
            broken_promises: row.broken_promises,
            next_promise_due_at: stamp(row.next_promise_due_at),
            reopened_by_follow_up: row.reopened_by_follow_up != 0,
            public_post: row.public_post != 0,
            expectation: match row.expectation_kind.as_deref() {
                None => None,
                Some(raw) => Some(Expectation {
                    kind: ResolutionKind::parse(raw)
                        .ok_or_else(|| corrupt("expectation_kind", raw))?,
                    words: row.expectation_words.unwrap_or_default(),
                    met_by_solution: flag(row.expectation_met),
                }),
            },
            csat: row.csat,
            urgency: row.urgency,
            merged_into: row.merged_into,
            updated_at: Timestamp(row.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub(crate) id: i64,
    case_id: i64,
    direction: String,
    channel: String,
    author_id: Option<i64>,
    body: String,
    body_html: Option<String>,
    external_id: Option<String>,
    anger_permille: Option<i64>,
    abusive: i64,
    churn_threat: i64,
    assessment: Option<String>,
    created_at: i64,
}

/// The columns of [`MessageRow`].
pub(crate) const MESSAGE_COLUMNS: &str = "id, case_id, direction, channel, author_id, body, \
    body_html, external_id, anger_permille, abusive, churn_threat, assessment, created_at";

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Message, StoreError> {
        Ok(Message {
            id: row.id,
            case_id: row.case_id,
            direction: Direction::parse(&row.direction)
                .ok_or_else(|| corrupt("direction", &row.direction))?,
            channel: channel(&row.channel)?,
            author_id: row.author_id,
            body: row.body,
            body_html: row.body_html,
            external_id: row.external_id,
            reading: row.assessment.map(|assessment_json| Reading {
                anger_permille: row.anger_permille.unwrap_or(0),
                abusive: row.abusive != 0,
                churn_threat: row.churn_threat != 0,
                assessment_json,
            }),
            created_at: Timestamp(row.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    pub(crate) id: i64,
    name: String,
    revenue_to_date_minor: i64,
    currency: String,
    plan: Option<String>,
    billing_day: Option<i64>,
    invoice_dates: String,
    notes: String,
    created_at: i64,
    updated_at: i64,
}

/// The columns of [`CustomerRow`].
pub(crate) const CUSTOMER_COLUMNS: &str = "id, name, revenue_to_date_minor, currency, plan, \
    billing_day, invoice_dates, notes, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    pub(crate) customer_id: i64,
    pub(crate) kind: String,
    pub(crate) value: String,
}

impl CustomerRow {
    pub(crate) fn into_customer(self, contacts: &[ContactRow]) -> Result<Customer, StoreError> {
        let of_kind = |kind: &str| {
            contacts
                .iter()
                .filter(|c| c.customer_id == self.id && c.kind == kind)
                .map(|c| c.value.clone())
                .collect::<Vec<_>>()
        };
        let invoice_dates: Vec<i64> = serde_json::from_str(&self.invoice_dates)
            .map_err(|_| corrupt("invoice_dates", &self.invoice_dates))?;
        Ok(Customer {
            id: self.id,
            contacts: Contacts {
                emails: of_kind("email"),
                phones: of_kind("phone"),
                social_handles: of_kind("social"),
            },
            name: self.name,
            revenue_to_date_minor: self.revenue_to_date_minor,
            currency: self.currency,
            plan: self.plan,
            billing_day: self.billing_day.and_then(|d| u8::try_from(d).ok()),
            invoice_dates: invoice_dates.into_iter().map(Timestamp).collect(),
            notes: self.notes,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AgentRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    authority_limit_minor: i64,
    supervisor_id: Option<i64>,
    case_access: String,
    active: i64,
    created_at: i64,
    chat_capacity: Option<i64>,
}

/// The columns of [`AgentRow`], prefixed for joins.
pub(crate) const AGENT_COLUMNS: &str = "agents.id, agents.name, agents.email, agents.role, \
    agents.authority_limit_minor, agents.supervisor_id, agents.case_access, agents.active, \
    agents.created_at, agents.chat_capacity";

impl TryFrom<AgentRow> for Agent {
    type Error = StoreError;

    fn try_from(row: AgentRow) -> Result<Agent, StoreError> {
        Ok(Agent {
            id: row.id,
            role: AgentRole::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?,
            name: row.name,
            email: row.email,
            authority_limit_minor: row.authority_limit_minor,
            supervisor_id: row.supervisor_id,
            case_access: CaseAccess::parse(&row.case_access)
                .ok_or_else(|| corrupt("case_access", &row.case_access))?,
            active: row.active != 0,
            created_at: Timestamp(row.created_at),
            chat_capacity: row.chat_capacity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_every_row_in_order() {
        assert_eq!(placeholders(1, 1), "($1)");
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }
}
