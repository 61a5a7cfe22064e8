//! Messages from messaging apps and social networks: each is filed under the customer with its
//! number or handle (made when new) and continues their open case on the social channel, or
//! opens one. A delivery repeated (same provider and id) is one message.

use amends_core::audit::AuditContext;
use amends_core::case::NewCase;
use amends_core::customer::NewCustomer;
use amends_core::message::Reading;
use amends_core::messaging::{Contact, Incoming, Route, Via};
use amends_core::{Case, Channel, Direction, Message, Priority};
use sqlx::AnyConnection;

use crate::cases::add_message_in;
use crate::customers::customer_with_contact;
use crate::new_cases::{find_or_create_customer, open_for_customer, OpenCase};
use crate::table::cases::{load_case, refresh_case};
use crate::table::messages::{message_by_external_id, NewMessage};
use crate::{Backend, Store, StoreError};

/// What taking in a message did.
#[derive(Debug, Clone)]
pub struct TakenIn {
    /// Its case after it.
    pub case: Case,
    /// The message (the one kept before, for a repeated delivery).
    pub message: Message,
    /// Whether it opened the case.
    pub opened: bool,
    /// Whether it was delivered before.
    pub repeated: bool,
}

impl Store {
    /// Files a message from a messaging app (see the module), read as `reading` says; `after`
    /// is what a customer message does to the status of the case it continues.
    pub async fn take_in_social(
        &self,
        incoming: &Incoming,
        reading: Option<Reading>,
        context: &AuditContext,
        after: impl FnOnce(&Case) -> Case,
    ) -> Result<TakenIn, StoreError> {
        let mut tx = self.write.begin().await?;
        let external_id = incoming.external_id();
        if let Some(message) =
            message_by_external_id(&mut tx, Channel::Social.as_str(), &external_id).await?
        {
            let case = load_case(&mut tx, message.case_id, false).await?;
            return Ok(TakenIn {
                case,
                message,
                opened: false,
                repeated: true,
            });
        }
        let customer = incoming.customer();
        let known = writer(&mut tx, incoming, &customer, context).await?;
        let taken = match open_social_case(&mut tx, known.0).await? {
            Some(case_id) => {
                let message = NewMessage {
                    direction: Direction::Inbound,
                    channel: Channel::Social,
                    author_id: None,
                    body: incoming.text.clone(),
                    body_html: None,
                    external_id: Some(external_id),
                    reading,
                };
                let lock = self.backend == Backend::Postgres;
                let (case, message) =
                    add_message_in(&mut tx, case_id, &message, context, lock, after).await?;
                TakenIn {
                    case,
                    message,
                    opened: false,
                    repeated: false,
                }
            }
            None => {
                let request = OpenCase {
                    customer,
                    case: NewCase {
                        channel: Channel::Social,
                        subject: incoming.subject(),
                        body: incoming.text.clone(),
                        priority: Priority::Normal,
                    },
                    external_id: Some(external_id),
                    body_html: None,
                    reading,
                };
                let opened = open_for_customer(&mut tx, known, &request, context).await?;
                TakenIn {
                    case: opened.case,
                    message: opened.message,
                    opened: true,
                    repeated: false,
                }
            }
        };
        if let Some(route) = &incoming.route {
            save_route(&mut tx, taken.case.id, route, context.at).await?;
        }
        let mut taken = taken;
        if incoming.public && !taken.case.public_post {
            sqlx::query("update cases set public_post = 1 where id = $1")
                .bind(taken.case.id)
                .execute(&mut *tx)
                .await?;
            taken.case = refresh_case(&mut tx, taken.case.id, context.at).await?;
        }
        tx.commit().await?;
        Ok(taken)
    }

    /// An agent's reply on a case from a messaging app and the route it goes back by; `None`
    /// when the message is not a reply or its case has no route (opened by hand), so there is
    /// nothing to send.
    pub async fn social_reply(&self, message_id: i64) -> Result<Option<SocialReply>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let row: Option<(i64, String, String, String, String, Option<String>)> = sqlx::query_as(
            "select messages.case_id, messages.direction, messages.body, social_routes.via, \
             social_routes.recipient, social_routes.sender from messages \
             join social_routes on social_routes.case_id = messages.case_id \
             where messages.id = $1",
        )
        .bind(message_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((case_id, direction, body, via, to, from)) = row else {
            return Ok(None);
        };
        let via =
            Via::parse(&via).ok_or_else(|| StoreError::Corrupt(format!("social route {via:?}")))?;
        Ok(
            (direction == Direction::Outbound.as_str()).then_some(SocialReply {
                case_id,
                body,
                route: Route { via, to, from },
            }),
        )
    }
}

/// A reply to send through a messaging app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialReply {
    /// Its case.
    pub case_id: i64,
    /// What it says.
    pub body: String,
    /// Where it goes.
    pub route: Route,
}

/// Keeps the route the customer's latest message came by, for the replies on `case_id`.
async fn save_route(
    tx: &mut AnyConnection,
    case_id: i64,
    route: &Route,
    at: amends_core::Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into social_routes (case_id, via, recipient, sender, updated_at) \
         values ($1, $2, $3, $4, $5) on conflict (case_id) do update set via = excluded.via, \
         recipient = excluded.recipient, sender = excluded.sender, \
         updated_at = excluded.updated_at",
    )
    .bind(case_id)
    .bind(route.via.as_str())
    .bind(&route.to)
    .bind(route.from.as_deref())
    .bind(at.millis())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The customer with the message's number or handle (their id, revenue and whether they were
/// just made), made when there is none.
async fn writer(
    tx: &mut AnyConnection,
    incoming: &Incoming,
    customer: &NewCustomer,
    context: &AuditContext,
) -> Result<(i64, i64, bool), StoreError> {
    let (kind, value) = match &incoming.contact {
        Contact::Phone(phone) => ("phone", phone.as_str().to_owned()),
        Contact::Handle(handle) => ("social", handle.clone()),
    };
    match customer_with_contact(tx, kind, &value).await? {
        Some((id, revenue)) => Ok((id, revenue, false)),
        None => find_or_create_customer(tx, customer, context).await,
    }
}

/// The customer's latest open case on the social channel.
async fn open_social_case(
    tx: &mut AnyConnection,
    customer_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "select id from cases where customer_id = $1 and channel = 'social' \
         and status not in ('resolved', 'closed') order by id desc limit 1",
    )
    .bind(customer_id)
    .fetch_optional(&mut *tx)
    .await?)
}
