//! Opening one case: the request, what the core decides the new case is, and the single path
//! that writes it (PostgreSQL, and SQLite's fallback when a shared commit fails). The shared
//! commit of many at once is `openings.rs`.

use amends_core::audit::AuditContext;
use amends_core::case::{absorb_reading, opened, NewCase};
use amends_core::customer::NewCustomer;
use amends_core::message::Reading;
use amends_core::{conversation, queue, AuditEvent, Case, Direction, Message, Timestamp};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::customers::{customer_with_contact, insert_customer, lookup_addresses};
use crate::rows::{CaseRow, CASE_COLUMNS};
use crate::table::cases::load_case;
use crate::table::messages::{insert_message, message_by_external_id, NewMessage};
use crate::StoreError;

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
    let customer = find_or_create_customer(tx, &request.customer, context).await?;
    open_for_customer(tx, customer, request, context).await
}

/// Opens a case for a customer found already (`customer`: their id, revenue to date and
/// whether they were just made), inside the caller's transaction.
pub(crate) async fn open_for_customer(
    tx: &mut AnyConnection,
    customer: (i64, i64, bool),
    request: &OpenCase,
    context: &AuditContext,
) -> Result<OpenedCase, StoreError> {
    let (customer_id, revenue, customer_created) = customer;
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
    let outcome = conversation::opened(
        customer_created.then_some(customer_id),
        case_id,
        message.id,
        case_events,
        win_back,
    );
    apply(tx, context, outcome).await?;
    Ok(OpenedCase {
        case,
        message,
        created: true,
        customer_created,
    })
}

/// The customer's id and revenue to date, and whether they are new.
pub(crate) async fn find_or_create_customer(
    conn: &mut AnyConnection,
    customer: &NewCustomer,
    context: &AuditContext,
) -> Result<(i64, i64, bool), StoreError> {
    for (kind, value) in lookup_addresses(customer) {
        if let Some((id, revenue)) = customer_with_contact(conn, kind, value).await? {
            return Ok((id, revenue, false));
        }
    }
    let id = insert_customer(conn, customer, context).await?;
    Ok((id, customer.revenue_to_date_minor, true))
}
