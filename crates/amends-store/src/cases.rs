//! Cases, their messages and the queue.

use amends_core::audit::{AuditContext, Change, RecordKind};
use amends_core::case::NewCase;
use amends_core::customer::NewCustomer;
use amends_core::{AuditEvent, Case, Direction, FieldError, Message, Timestamp};
use sqlx::AnyConnection;

use crate::customers::{customer_with_contact, insert_customer};
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
}

/// Where a page of the queue ends: the ordering key of its last case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    /// Priority rank of the last case.
    pub priority: i64,
    /// When it was opened.
    pub opened_at: i64,
    /// Its id.
    pub id: i64,
}

/// One page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    /// Open cases, most urgent first.
    pub cases: Vec<Case>,
    /// Where the next page starts, when there is one.
    pub next: Option<QueueCursor>,
}

impl Store {
    /// Finds or creates the customer and opens a case with its first message, all in one
    /// transaction. Retried when a concurrent request created the same customer first.
    pub async fn open_case(
        &self,
        request: &OpenCase,
        context: &AuditContext,
    ) -> Result<OpenedCase, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_open_case(request, context).await {
                Err(StoreError::Conflict { .. }) if attempt < 3 => continue,
                other => return other,
            }
        }
    }

    async fn try_open_case(
        &self,
        request: &OpenCase,
        context: &AuditContext,
    ) -> Result<OpenedCase, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(external_id) = &request.external_id {
            if let Some(message) =
                message_by_external_id(&mut tx, request.case.channel.as_str(), external_id).await?
            {
                let case = load_case(&mut tx, message.case_id, false).await?;
                return Ok(OpenedCase {
                    case,
                    message,
                    created: false,
                    customer_created: false,
                });
            }
        }
        let (customer_id, customer_created) =
            find_or_create_customer(&mut tx, &request.customer, context).await?;
        let now = context.at.millis();
        let new = &request.case;
        let row: CaseRow = sqlx::query_as(&format!(
            "insert into cases (customer_id, channel, subject, status, priority, opened_at, \
             created_at, updated_at) values ($1, $2, $3, 'new', $4, $5, $5, $5) \
             returning {CASE_COLUMNS}"
        ))
        .bind(customer_id)
        .bind(new.channel.as_str())
        .bind(&new.subject)
        .bind(new.priority.rank())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let case = Case::try_from(row)?;
        let case_id = case.id;
        let message = NewMessage {
            direction: Direction::Inbound,
            channel: new.channel,
            author_id: None,
            body: new.body.clone(),
            body_html: None,
            external_id: request.external_id.clone(),
        };
        let message = insert_message(&mut tx, case_id, &message, context.at).await?;
        let mut events = Vec::with_capacity(3);
        if customer_created {
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
            message.id,
        ));
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(OpenedCase {
            case,
            message,
            created: true,
            customer_created,
        })
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
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        if let Some(external_id) = &message.external_id {
            if let Some(seen) =
                message_by_external_id(&mut tx, message.channel.as_str(), external_id).await?
            {
                return Ok((case, seen));
            }
        }
        let stored = insert_message(&mut tx, case_id, message, context.at).await?;
        let next = after(&case);
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
                AuditEvent::new("case.changed", RecordKind::Case, case_id)
                    .with_changes(vec![change]),
            );
        }
        save_case(&mut tx, &next).await?;
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok((next, stored))
    }

    /// Loads a case, lets `decide` work out its new state, and saves it with the events
    /// `decide` returns, in one transaction. A refusal writes nothing.
    pub async fn update_case(
        &self,
        case_id: i64,
        context: &AuditContext,
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
        if !events.is_empty() {
            save_case(&mut tx, &next).await?;
            audit::record(&mut tx, context, &events).await?;
        }
        tx.commit().await?;
        Ok(next)
    }

    /// Open cases, most urgent first (priority, then oldest), from after `cursor`.
    pub async fn queue(
        &self,
        cursor: Option<QueueCursor>,
        limit: i64,
    ) -> Result<QueuePage, StoreError> {
        let cursor = cursor.unwrap_or(QueueCursor {
            priority: i64::MAX,
            opened_at: i64::MIN,
            id: i64::MIN,
        });
        let rows: Vec<CaseRow> = sqlx::query_as(&format!(
            "select {CASE_COLUMNS} from cases where status not in ('resolved', 'closed') and \
             (priority < $1 or (priority = $1 and (opened_at > $2 or (opened_at = $2 and id > $3)))) \
             order by priority desc, opened_at, id limit $4"
        ))
        .bind(cursor.priority)
        .bind(cursor.opened_at)
        .bind(cursor.id)
        .bind(limit + 1)
        .fetch_all(&self.read)
        .await?;
        let more = rows.len() as i64 > limit;
        let cases = rows
            .into_iter()
            .take(limit as usize)
            .map(Case::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = more
            .then(|| cases.last())
            .flatten()
            .map(|last| QueueCursor {
                priority: last.priority.rank(),
                opened_at: last.opened_at.millis(),
                id: last.id,
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

async fn find_or_create_customer(
    conn: &mut AnyConnection,
    customer: &NewCustomer,
    context: &AuditContext,
) -> Result<(i64, bool), StoreError> {
    let addresses = customer
        .emails
        .iter()
        .map(|e| ("email", e.as_str()))
        .chain(customer.phones.iter().map(|p| ("phone", p.as_str())));
    for (kind, value) in addresses {
        if let Some(id) = customer_with_contact(conn, kind, value).await? {
            return Ok((id, false));
        }
    }
    Ok((insert_customer(conn, customer, context).await?, true))
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

async fn save_case(conn: &mut AnyConnection, case: &Case) -> Result<(), StoreError> {
    sqlx::query(
        "update cases set status = $1, priority = $2, owner_id = $3, first_response_at = $4, \
         resolved_at = $5, closed_at = $6, first_contact_resolution = $7, reopen_count = $8, \
         replies_sent = $9, updated_at = $10 where id = $11",
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
    .bind(case.updated_at.millis())
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn insert_message(
    conn: &mut AnyConnection,
    case_id: i64,
    message: &NewMessage,
    at: Timestamp,
) -> Result<Message, StoreError> {
    let row: MessageRow = sqlx::query_as(&format!(
        "insert into messages (case_id, direction, channel, author_id, body, body_html, \
         external_id, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         returning {MESSAGE_COLUMNS}"
    ))
    .bind(case_id)
    .bind(message.direction.as_str())
    .bind(message.channel.as_str())
    .bind(message.author_id)
    .bind(&message.body)
    .bind(message.body_html.as_deref())
    .bind(message.external_id.as_deref())
    .bind(at.millis())
    .fetch_one(&mut *conn)
    .await?;
    Message::try_from(row)
}

async fn message_by_external_id(
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
