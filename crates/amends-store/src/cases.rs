//! Cases, their messages and the queue.

use amends_core::audit::{AuditContext, Change, RecordKind};
use amends_core::case::{absorb_reading, opened, NewCase};
use amends_core::customer::NewCustomer;
use amends_core::message::Reading;
use amends_core::Timestamp;
use amends_core::{queue, AuditEvent, Case, CaseStatus, Channel, Direction, FieldError, Message};
use sqlx::AnyConnection;

use crate::customers::{customer_with_contact, insert_customer};
use crate::recovery::queue_notice;
use crate::rows::{CaseRow, MessageRow, CASE_COLUMNS, MESSAGE_COLUMNS};
use crate::{audit, Backend, Store, StoreError};

/// A request to open a case for a customer who may or may not be known yet.
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// Who complains. Found by email, then phone; created when neither is on file.
    pub customer: NewCustomer,
    /// The case itself and its first message.
    pub case: NewCase,
    /// The channel's id for the first message: opening twice with the same id opens once.
    pub external_id: Option<String>,
    /// The first message's HTML, when its channel has one (sanitised by the caller).
    pub body_html: Option<String>,
    /// What the text engine read in the first message.
    pub reading: Option<Reading>,
}

/// What opening a case did.
#[derive(Debug, Clone)]
pub struct OpenedCase {
    /// The case.
    pub case: Case,
    /// Its first message.
    pub message: Message,
    /// Whether this request made the case (false when the external id was seen before).
    pub created: bool,
    /// Whether the customer was new.
    pub customer_created: bool,
}

/// A new message on an existing case.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Which way it went.
    pub direction: Direction,
    /// Through which channel.
    pub channel: amends_core::Channel,
    /// The agent who wrote it, if any.
    pub author_id: Option<i64>,
    /// Its text.
    pub body: String,
    /// Its HTML, if the channel has one.
    pub body_html: Option<String>,
    /// The channel's id for it.
    pub external_id: Option<String>,
    /// What the text engine read in it (customer messages).
    pub reading: Option<Reading>,
}

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
        if let Some(channel) = self.channel {
            let p = param(QueueBind::Text(channel.as_str()), &mut binds);
            sql += &format!(" and cases.channel = {p}");
        }
        if let Some(status) = self.status {
            let p = param(QueueBind::Text(status.as_str()), &mut binds);
            sql += &format!(" and cases.status = {p}");
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
    Text(&'static str),
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
        match self.backend {
            Backend::Sqlite => self.openings.open(&self.write, request, context).await,
            Backend::Postgres => {
                let mut conn = self.write.acquire().await?;
                crate::openings::alone(&mut conn, request, context).await
            }
        }
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
        if next.status == CaseStatus::Resolved && case.status != CaseStatus::Resolved {
            if let Some(resolved_at) = next.resolved_at {
                crate::surveys::schedule_follow_up(
                    &mut tx,
                    case_id,
                    resolved_at,
                    gesture,
                    self.timing.follow_up_delay_millis,
                    context.at,
                )
                .await?;
            }
        }
        let next = refresh_case(&mut tx, case_id, context.at).await?;
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(next)
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
        let more = rows.len() as i64 > limit;
        let cases = rows
            .into_iter()
            .take(limit as usize)
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

    /// How many cases there are, for the demo and the figures.
    pub async fn count_cases(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("select count(*) from cases")
            .fetch_one(&self.read)
            .await?)
    }
}

/// A new case as decided before it is written, so that opening it is one insert.
pub(crate) struct Opening {
    /// The case, without its id.
    pub(crate) case: Case,
    /// What the first message's reading did to it (their record id is set on writing).
    pub(crate) case_events: Vec<AuditEvent>,
    /// Whether the customer threatens to leave, so supervisors are told.
    pub(crate) win_back: bool,
}

impl Opening {
    pub(crate) fn decide(
        request: &OpenCase,
        customer_id: i64,
        customer_revenue_minor: i64,
        now: Timestamp,
    ) -> Opening {
        let mut case = opened(customer_id, &request.case, now);
        let mut case_events = Vec::new();
        let mut win_back = false;
        if let Some(reading) = &request.reading {
            (case, case_events, win_back) = absorb_reading(&case, reading, now);
        }
        let signals = queue::Context {
            customer_revenue_minor,
        };
        case.urgency = queue::urgency(&case, signals, now);
        Opening {
            case,
            case_events,
            win_back,
        }
    }
}

/// The audit events of opening a case: the customer's creation when it was new, the case,
/// its first message, and what the message's reading did to the case.
pub(crate) fn opening_events(
    new_customer: Option<i64>,
    case_id: i64,
    message_id: i64,
    case_events: Vec<AuditEvent>,
) -> Vec<AuditEvent> {
    let mut events = Vec::with_capacity(3 + case_events.len());
    if let Some(customer_id) = new_customer {
        events.push(AuditEvent::new(
            "customer.created",
            RecordKind::Customer,
            customer_id,
        ));
    }
    events.push(AuditEvent::new("case.opened", RecordKind::Case, case_id));
    events.push(AuditEvent::new(
        "message.received",
        RecordKind::Message,
        message_id,
    ));
    events.extend(case_events.into_iter().map(|mut event| {
        event.record_id = case_id;
        event
    }));
    events
}

/// Opens a case inside the caller's transaction; see [`Store::open_case`].
pub(crate) async fn open_case_in(
    tx: &mut AnyConnection,
    request: &OpenCase,
    context: &AuditContext,
) -> Result<OpenedCase, StoreError> {
    if let Some(external_id) = &request.external_id {
        if let Some(message) =
            message_by_external_id(tx, request.case.channel.as_str(), external_id).await?
        {
            let case = load_case(tx, message.case_id, false).await?;
            return Ok(OpenedCase {
                case,
                message,
                created: false,
                customer_created: false,
            });
        }
    }
    let (customer_id, revenue, customer_created) =
        find_or_create_customer(tx, &request.customer, context).await?;
    let now = context.at;
    let new = &request.case;
    let Opening {
        case,
        case_events,
        win_back,
    } = Opening::decide(request, customer_id, revenue, now);
    let row: CaseRow = sqlx::query_as(&format!(
        "insert into cases (customer_id, channel, subject, status, priority, opened_at, \
         anger_permille, churn_threat, win_back, abusive_messages, urgency, created_at, \
         updated_at) values ($1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $5, $5) \
         returning {CASE_COLUMNS}"
    ))
    .bind(customer_id)
    .bind(new.channel.as_str())
    .bind(&new.subject)
    .bind(case.priority.rank())
    .bind(now.millis())
    .bind(case.anger_permille)
    .bind(i64::from(case.churn_threat))
    .bind(case.win_back.map(|w| w.as_str()))
    .bind(case.abusive_messages)
    .bind(case.urgency)
    .fetch_one(&mut *tx)
    .await?;
    let case = Case::try_from(row)?;
    let case_id = case.id;
    let message = NewMessage {
        direction: Direction::Inbound,
        channel: new.channel,
        author_id: None,
        body: new.body.clone(),
        body_html: request.body_html.clone(),
        external_id: request.external_id.clone(),
        reading: request.reading.clone(),
    };
    let message = insert_message(tx, case_id, &message, context.at).await?;
    let events = opening_events(
        customer_created.then_some(customer_id),
        case_id,
        message.id,
        case_events,
    );
    audit::record(tx, context, &events).await?;
    if win_back {
        crate::recovery::tell_win_back(tx, None, case_id, now).await?;
    }
    Ok(OpenedCase {
        case,
        message,
        created: true,
        customer_created,
    })
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
    let mut events = vec![AuditEvent::new(
        match message.direction {
            Direction::Inbound => "message.received",
            Direction::Outbound => "message.sent",
            Direction::Note => "note.added",
        },
        RecordKind::Message,
        stored.id,
    )];
    if next.status != case.status {
        let change = Change::new("status", case.status.as_str(), next.status.as_str());
        events.push(
            AuditEvent::new("case.changed", RecordKind::Case, case_id).with_changes(vec![change]),
        );
    }
    events.extend(reading_events);
    save_case(tx, &next).await?;
    let next = refresh_case(tx, case_id, context.at).await?;
    if message.direction == Direction::Outbound && message.channel == Channel::Email {
        let subject = format!("Re: {}", case.subject);
        let notice = queue_notice(tx, &next, "reply", &subject, &message.body, context.at).await?;
        events.push(AuditEvent::new("notice.queued", RecordKind::Notice, notice));
    }
    audit::record(tx, context, &events).await?;
    if win_back {
        crate::recovery::tell_win_back(tx, next.owner_id, case_id, context.at).await?;
    }
    Ok((next, stored))
}

/// The customer's id and revenue to date, and whether they are new.
async fn find_or_create_customer(
    conn: &mut AnyConnection,
    customer: &NewCustomer,
    context: &AuditContext,
) -> Result<(i64, i64, bool), StoreError> {
    for (kind, value) in crate::customers::lookup_addresses(customer) {
        if let Some((id, revenue)) = customer_with_contact(conn, kind, value).await? {
            return Ok((id, revenue, false));
        }
    }
    let id = insert_customer(conn, customer, context).await?;
    Ok((id, customer.revenue_to_date_minor, true))
}

pub(crate) async fn load_case(
    conn: &mut AnyConnection,
    id: i64,
    for_update: bool,
) -> Result<Case, StoreError> {
    let lock = if for_update { " for update" } else { "" };
    let row: CaseRow = sqlx::query_as(&format!(
        "select {CASE_COLUMNS} from cases where id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("case"))?;
    Case::try_from(row)
}

/// Writes every field a person or a rule can change. Call [`refresh_case`] after it.
pub(crate) async fn save_case(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    let expectation = case.expectation.as_ref();
    sqlx::query(
        "update cases set status = $1, priority = $2, owner_id = $3, first_response_at = $4, \
         resolved_at = $5, closed_at = $6, first_contact_resolution = $7, reopen_count = $8, \
         replies_sent = $9, anger_permille = $10, churn_threat = $11, win_back = $12, \
         abusive_messages = $13, reopened_by_follow_up = $14, expectation_kind = $15, \
         expectation_words = $16, expectation_met = $17, csat = $18, updated_at = $19 \
         where id = $20",
    )
    .bind(case.status.as_str())
    .bind(case.priority.rank())
    .bind(case.owner_id)
    .bind(case.first_response_at.map(Timestamp::millis))
    .bind(case.resolved_at.map(Timestamp::millis))
    .bind(case.closed_at.map(Timestamp::millis))
    .bind(case.first_contact_resolution.map(i64::from))
    .bind(case.reopen_count)
    .bind(case.replies_sent)
    .bind(case.anger_permille)
    .bind(i64::from(case.churn_threat))
    .bind(case.win_back.map(|w| w.as_str()))
    .bind(case.abusive_messages)
    .bind(i64::from(case.reopened_by_follow_up))
    .bind(expectation.map(|e| e.kind.as_str()))
    .bind(expectation.map(|e| e.words.as_str()))
    .bind(expectation.and_then(|e| e.met_by_solution).map(i64::from))
    .bind(case.csat)
    .bind(case.updated_at.millis())
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Brings a case's promise signals and its urgency up to date at `now`, and returns it.
pub(crate) async fn refresh_case(
    conn: &mut AnyConnection,
    case_id: i64,
    now: Timestamp,
) -> Result<Case, StoreError> {
    sqlx::query(
        "update cases set next_promise_due_at = (select min(due_at) from promises where \
         case_id = $1 and state in ('open', 'extended')), broken_promises = (select count(*) \
         from promises where case_id = $1 and state = 'broken') where id = $1",
    )
    .bind(case_id)
    .execute(&mut *conn)
    .await?;
    let mut case = load_case(&mut *conn, case_id, false).await?;
    let revenue: i64 =
        sqlx::query_scalar("select revenue_to_date_minor from customers where id = $1")
            .bind(case.customer_id)
            .fetch_one(&mut *conn)
            .await?;
    let signals = queue::Context {
        customer_revenue_minor: revenue,
    };
    let urgency = queue::urgency(&case, signals, now);
    if urgency != case.urgency {
        sqlx::query("update cases set urgency = $1 where id = $2")
            .bind(urgency)
            .bind(case_id)
            .execute(&mut *conn)
            .await?;
        case.urgency = urgency;
    }
    Ok(case)
}

pub(crate) async fn insert_message(
    conn: &mut AnyConnection,
    case_id: i64,
    message: &NewMessage,
    at: Timestamp,
) -> Result<Message, StoreError> {
    let row: MessageRow = sqlx::query_as(&format!(
        "insert into messages (case_id, direction, channel, author_id, body, body_html, \
         external_id, anger_permille, abusive, churn_threat, assessment, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         returning {MESSAGE_COLUMNS}"
    ))
    .bind(case_id)
    .bind(message.direction.as_str())
    .bind(message.channel.as_str())
    .bind(message.author_id)
    .bind(&message.body)
    .bind(message.body_html.as_deref())
    .bind(message.external_id.as_deref())
    .bind(message.reading.as_ref().map(|r| r.anger_permille))
    .bind(message.reading.as_ref().map_or(0, |r| i64::from(r.abusive)))
    .bind(
        message
            .reading
            .as_ref()
            .map_or(0, |r| i64::from(r.churn_threat)),
    )
    .bind(message.reading.as_ref().map(|r| r.assessment_json.as_str()))
    .bind(at.millis())
    .fetch_one(&mut *conn)
    .await?;
    Message::try_from(row)
}

pub(crate) async fn message_by_external_id(
    conn: &mut AnyConnection,
    channel: &str,
    external_id: &str,
) -> Result<Option<Message>, StoreError> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "select {MESSAGE_COLUMNS} from messages where channel = $1 and external_id = $2"
    ))
    .bind(channel)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Message::try_from).transpose()
}
