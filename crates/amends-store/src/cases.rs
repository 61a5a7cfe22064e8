//! Cases, their messages and the queue.

use amends_core::audit::AuditContext;
use amends_core::case::absorb_reading;
use amends_core::conversation::{self, Line};
use amends_core::outcome::Outcome;
use amends_core::{queue, AuditEvent, Case, CaseSight, CaseStatus, Channel, FieldError, Message};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::new_cases::{OpenCase, OpenedCase};
use crate::rows::{CaseRow, MessageRow, CASE_COLUMNS, MESSAGE_COLUMNS};
use crate::sight::sight_condition;
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::table::messages::{insert_message, message_by_external_id, NewMessage};
use crate::{Backend, Store, StoreError};

/// Where a page of the queue ends: the ordering key of its last case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    /// Urgency of the last case.
    pub urgency: i64,
    /// When it was opened.
    pub opened_at: i64,
    /// Its id.
    pub id: i64,
}

/// A case in the queue, with what the queue knows beyond the case.
#[derive(Debug, Clone)]
pub struct QueuedCase {
    /// The case.
    pub case: Case,
    /// Its customer's part in its urgency.
    pub context: queue::Context,
    /// Its customer's name.
    pub customer_name: String,
}

/// Which open cases a queue view shows; the default shows them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only the cases of this owner.
    pub owner: Option<i64>,
    /// Only cases no one owns.
    pub unassigned: bool,
    /// Only cases from this channel.
    pub channel: Option<Channel>,
    /// Only cases in this status.
    pub status: Option<CaseStatus>,
    /// Only cases showing this signal.
    pub flag: Option<QueueFlag>,
    /// Only cases carrying this tag.
    pub tag: Option<amends_core::tag::Tag>,
    /// Only cases whose (or whose customer's) custom field has this value: the field's owner,
    /// its id and the value in its stored form.
    pub field: Option<(amends_core::custom_field::FieldOwner, i64, String)>,
    /// Only the cases an agent with narrowed access may see.
    pub sight: Option<CaseSight>,
}

/// A signal the queue can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFlag {
    /// The customer's words read angry or furious.
    Angry,
    /// The customer threatened to leave.
    ChurnThreat,
    /// The customer was abusive to staff.
    Abusive,
    /// A promise on the case was broken.
    BrokenPromise,
    /// A promise is due within the hour (`now` is when the queue is read).
    PromiseDue {
        /// The time the queue is read at, in milliseconds.
        now: i64,
    },
    /// The case came back after being resolved.
    Reopened,
}

impl QueueFilter {
    /// The SQL conditions, their parameters numbered from `$first`, and the values to bind.
    fn conditions(&self, first: usize) -> (String, Vec<QueueBind>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let param = |value: QueueBind, binds: &mut Vec<QueueBind>| {
            binds.push(value);
            format!("${}", first + binds.len() - 1)
        };
        if let Some(owner) = self.owner {
            sql += &format!(
                " and cases.owner_id = {}",
                param(QueueBind::Int(owner), &mut binds)
            );
        }
        if self.unassigned {
            sql += " and cases.owner_id is null";
        }
        if let Some(sight) = self.sight {
            let agent = param(QueueBind::Int(sight.agent_id), &mut binds);
            sql += &sight_condition(sight, &agent);
        }
        if let Some(channel) = self.channel {
            let p = param(QueueBind::Text(channel.as_str().to_owned()), &mut binds);
            sql += &format!(" and cases.channel = {p}");
        }
        if let Some(status) = self.status {
            let p = param(QueueBind::Text(status.as_str().to_owned()), &mut binds);
            sql += &format!(" and cases.status = {p}");
        }
        if let Some((owner, field, value)) = &self.field {
            let column = match owner {
                amends_core::custom_field::FieldOwner::Case => "cases.id",
                amends_core::custom_field::FieldOwner::Customer => "cases.customer_id",
            };
            let field = param(QueueBind::Int(*field), &mut binds);
            let value = param(QueueBind::Text(value.clone()), &mut binds);
            sql += &format!(
                " and {column} in (select record_id from custom_values where field_id = {field} \
                 and value = {value})"
            );
        }
        if let Some(tag) = &self.tag {
            let p = param(QueueBind::Text(tag.as_str().to_owned()), &mut binds);
            sql += &format!(" and cases.id in (select case_id from case_tags where tag = {p})");
        }
        match self.flag {
            None => {}
            Some(QueueFlag::Angry) => {
                let p = param(QueueBind::Int(queue::ANGRY_PERMILLE), &mut binds);
                sql += &format!(" and cases.anger_permille >= {p}");
            }
            Some(QueueFlag::ChurnThreat) => sql += " and cases.churn_threat = 1",
            Some(QueueFlag::Abusive) => sql += " and cases.abusive_messages > 0",
            Some(QueueFlag::BrokenPromise) => sql += " and cases.broken_promises > 0",
            Some(QueueFlag::Reopened) => sql += " and cases.reopen_count > 0",
            Some(QueueFlag::PromiseDue { now }) => {
                let due = now + amends_core::queue::WEIGHTS.due_soon_millis;
                let p = param(QueueBind::Int(due), &mut binds);
                sql += &format!(" and cases.next_promise_due_at <= {p}");
            }
        }
        (sql, binds)
    }
}

enum QueueBind {
    Int(i64),
    Text(String),
}

/// One page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    /// Open cases, most urgent first.
    pub cases: Vec<QueuedCase>,
    /// Where the next page starts, when there is one.
    pub next: Option<QueueCursor>,
}

impl Store {
    /// Finds or creates the customer and opens a case with its first message, all in one
    /// transaction. Retried when a concurrent request created the same customer first. On
    /// SQLite, cases opened at the same moment share one commit (see `openings`); the answer
    /// comes only after the commit either way.
    pub async fn open_case(
        &self,
        request: &OpenCase,
        context: &AuditContext,
    ) -> Result<OpenedCase, StoreError> {
        self.openings.open(&self.write, request, context).await
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Case, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_case(&mut conn, id, false).await
    }

    /// A case's messages, oldest first.
    pub async fn case_messages(&self, case_id: i64) -> Result<Vec<Message>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "select {MESSAGE_COLUMNS} from messages where case_id = $1 order by id"
        ))
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Message::try_from).collect()
    }

    /// A customer's cases, newest first, at most `limit`.
    pub async fn customer_cases(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<Case>, StoreError> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!(
            "select {CASE_COLUMNS} from cases where customer_id = $1 order by id desc limit $2"
        ))
        .bind(customer_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Case::try_from).collect()
    }

    /// Adds a message to a case and saves what `after` decides it does to the case. A message
    /// whose external id was seen before is returned as it was, and nothing changes.
    pub async fn add_message(
        &self,
        case_id: i64,
        message: &NewMessage,
        context: &AuditContext,
        after: impl FnOnce(&Case) -> Case,
    ) -> Result<(Case, Message), StoreError> {
        let mut tx = self.write.begin().await?;
        let lock = self.backend == Backend::Postgres;
        let added = add_message_in(&mut tx, case_id, message, context, lock, after).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Loads a case, lets `decide` work out its new state, and saves it with the events
    /// `decide` returns, in one transaction. A refusal writes nothing. A case that becomes
    /// resolved gets its follow-up scheduled.
    pub async fn update_case(
        &self,
        case_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case) -> Result<(Case, Vec<AuditEvent>), FieldError>,
    ) -> Result<Case, StoreError> {
        self.update_case_with_gesture(case_id, context, None, decide)
            .await
    }

    /// [`Store::update_case`], with a thank-you or goodwill gesture for the follow-up when the
    /// change resolves the case.
    pub async fn update_case_with_gesture(
        &self,
        case_id: i64,
        context: &AuditContext,
        gesture: Option<&str>,
        decide: impl FnOnce(&Case) -> Result<(Case, Vec<AuditEvent>), FieldError>,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let (next, events) = decide(&case)?;
        if let Some(owner_id) = next.owner_id.filter(|o| Some(*o) != case.owner_id) {
            crate::agents::load_agent(&mut tx, owner_id)
                .await
                .map_err(|_| FieldError::new("owner_id", "no such agent"))?;
        }
        if events.is_empty() {
            return Ok(next);
        }
        save_case(&mut tx, &next).await?;
        let delay = self.timing.follow_up_delay_millis;
        let outcome = Outcome {
            events,
            effects: conversation::follow_up_of(&case, &next, gesture, delay)
                .into_iter()
                .collect(),
        };
        let next = refresh_case(&mut tx, case_id, context.at).await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// How many open cases `filter` shows: a saved view's count.
    pub async fn count_queue(&self, filter: &QueueFilter) -> Result<i64, StoreError> {
        let (conditions, binds) = filter.conditions(1);
        let sql = format!(
            "select count(*) from cases where cases.status not in ('resolved', 'closed'){conditions}"
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for bind in binds {
            query = match bind {
                QueueBind::Int(value) => query.bind(value),
                QueueBind::Text(value) => query.bind(value),
            };
        }
        Ok(query.fetch_one(&self.read).await?)
    }

    /// Open cases, most urgent first (urgency, then oldest), from after `cursor`.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        cursor: Option<QueueCursor>,
        limit: i64,
    ) -> Result<QueuePage, StoreError> {
        let cursor = cursor.unwrap_or(QueueCursor {
            urgency: i64::MAX,
            opened_at: i64::MIN,
            id: i64::MIN,
        });
        let columns = CASE_COLUMNS
            .split(", ")
            .map(|c| format!("cases.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (conditions, binds) = filter.conditions(5);
        let sql = format!(
            "select {columns}, customers.revenue_to_date_minor as customer_revenue_minor, \
             customers.name as customer_name \
             from cases join customers on customers.id = cases.customer_id \
             where cases.status not in ('resolved', 'closed') and (cases.urgency < $1 or \
             (cases.urgency = $1 and (cases.opened_at > $2 or (cases.opened_at = $2 and \
             cases.id > $3)))){conditions} order by cases.urgency desc, cases.opened_at, \
             cases.id limit $4"
        );
        let mut query = sqlx::query(&sql)
            .bind(cursor.urgency)
            .bind(cursor.opened_at)
            .bind(cursor.id)
            .bind(limit + 1);
        for bind in binds {
            query = match bind {
                QueueBind::Int(value) => query.bind(value),
                QueueBind::Text(value) => query.bind(value),
            };
        }
        let rows: Vec<(CaseRow, i64, String)> = query
            .try_map(|row: sqlx::any::AnyRow| {
                use sqlx::{FromRow, Row};
                Ok((
                    CaseRow::from_row(&row)?,
                    row.try_get("customer_revenue_minor")?,
                    row.try_get("customer_name")?,
                ))
            })
            .fetch_all(&self.read)
            .await?;
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        let cases = rows
            .into_iter()
            .take(limit)
            .map(|(row, revenue, customer_name)| {
                Ok(QueuedCase {
                    case: Case::try_from(row)?,
                    context: queue::Context {
                        customer_revenue_minor: revenue,
                    },
                    customer_name,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = more
            .then(|| cases.last())
            .flatten()
            .map(|last| QueueCursor {
                urgency: last.case.urgency,
                opened_at: last.case.opened_at.millis(),
                id: last.case.id,
            });
        Ok(QueuePage { cases, next })
    }

    /// How many customers there are.
    pub async fn count_customers(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from customers")
            .fetch_one(&self.read)
            .await?)
    }

    /// How many cases there are, for the demo and the figures.
    pub async fn count_cases(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from cases")
            .fetch_one(&self.read)
            .await?)
    }
}

/// Adds a message inside the caller's transaction; see [`Store::add_message`]. An outbound
/// message on an email case also goes out by mail, when the customer has an address.
pub(crate) async fn add_message_in(
    tx: &mut AnyConnection,
    case_id: i64,
    message: &NewMessage,
    context: &AuditContext,
    lock: bool,
    after: impl FnOnce(&Case) -> Case,
) -> Result<(Case, Message), StoreError> {
    let case = load_case(tx, case_id, lock).await?;
    if let Some(external_id) = &message.external_id {
        if let Some(seen) =
            message_by_external_id(tx, message.channel.as_str(), external_id).await?
        {
            return Ok((case, seen));
        }
    }
    let stored = insert_message(tx, case_id, message, context.at).await?;
    let mut next = after(&case);
    let mut reading_events = Vec::new();
    let mut win_back = false;
    if let Some(reading) = &message.reading {
        (next, reading_events, win_back) = absorb_reading(&next, reading, context.at);
    }
    save_case(tx, &next).await?;
    let next = refresh_case(tx, case_id, context.at).await?;
    let line = Line {
        id: stored.id,
        direction: message.direction,
        channel: message.channel,
        body: &message.body,
        at: context.at,
    };
    let outcome = conversation::message_written(&case, &next, line, reading_events, win_back);
    apply(tx, context, outcome).await?;
    Ok((next, stored))
}
