//! Live chats: a visitor's conversation, its lines in the order they were written, the
//! address a visitor leaves, and the signal every server of a PostgreSQL desk hears when a line
//! is written (the migration's triggers number each line and announce it on commit).

use amends_core::audit::AuditContext;
use amends_core::case::NewCase;
use amends_core::message::Reading;
use amends_core::outcome::Outcome;
use amends_core::{chat, AuditEvent, Case, Channel, Direction, EmailAddress, Message, Priority};
use amends_core::{Agent, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::agents::load_agent;
use crate::apply::apply;
use crate::audit;
use crate::cases::add_message_in;
use crate::customers::customer_with_contact;
use crate::new_cases::{open_case_in, OpenCase};
use crate::rows::{MessageRow, MESSAGE_COLUMNS};
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::table::messages::NewMessage;
use crate::{Backend, Store, StoreError};

/// A visitor's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// Its id.
    pub id: i64,
    /// The case its first line opened.
    pub case_id: Option<i64>,
    /// The customer it is filed under, once known.
    pub customer_id: Option<i64>,
    /// The name a signed-in visitor's site gave.
    pub visitor_name: Option<String>,
    /// The address the visitor is known by: signed by their site, or left by them.
    pub email: Option<String>,
    /// The host site's own id for a signed-in visitor.
    pub site_customer_id: Option<String>,
    /// Whether the visitor left an address for replies by mail.
    pub by_email: bool,
    /// The number of its latest line.
    pub last_seq: i64,
}

#[derive(sqlx::FromRow)]
struct ChatRow {
    id: i64,
    case_id: Option<i64>,
    customer_id: Option<i64>,
    visitor_name: Option<String>,
    email: Option<String>,
    site_customer_id: Option<String>,
    by_email: i64,
    last_seq: i64,
}

const CHAT_COLUMNS: &str =
    "id, case_id, customer_id, visitor_name, email, site_customer_id, by_email, last_seq";

impl From<ChatRow> for Chat {
    fn from(row: ChatRow) -> Chat {
        Chat {
            id: row.id,
            case_id: row.case_id,
            customer_id: row.customer_id,
            visitor_name: row.visitor_name,
            email: row.email,
            site_customer_id: row.site_customer_id,
            by_email: row.by_email != 0,
            last_seq: row.last_seq,
        }
    }
}

/// A chat to start for a visitor's browser.
#[derive(Debug, Clone)]
pub struct NewChat {
    /// The SHA-256 of the key the browser keeps.
    pub key_hash: String,
    /// The name the host site gave for a signed-in visitor.
    pub visitor_name: Option<String>,
    /// Their address, when the host site signed it.
    pub email: Option<EmailAddress>,
    /// The host site's id for them, when signed.
    pub site_customer_id: Option<String>,
}

/// A line of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// Its number in the chat, from 1.
    pub seq: i64,
    /// The message it is.
    pub message: Message,
    /// The name of the agent who wrote it, for an agent's line.
    pub agent_name: Option<String>,
}

/// A line a visitor writes.
#[derive(Debug, Clone)]
pub struct ChatSay {
    /// The browser's id for it, so sending it twice writes it once.
    pub client_id: String,
    /// What it says.
    pub body: String,
    /// What the text engine read in it.
    pub reading: Option<Reading>,
}

/// What writing a visitor's line did.
#[derive(Debug, Clone)]
pub struct ChatSaid {
    /// The line (the one written before, when its client id was seen).
    pub line: ChatLine,
    /// Its case after it.
    pub case: Case,
    /// Whether this line opened the case.
    pub opened: bool,
}

/// Where an address a visitor left went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressLeft {
    /// Kept on the chat, for its case's customer once the visitor writes.
    OnChat,
    /// Added to the chat's customer.
    Filed,
    /// Already another customer's: `visitor` (made for this chat) is theirs to merge into.
    Known {
        /// The customer with the address.
        customer_id: i64,
        /// The customer made for the chat.
        visitor_id: i64,
    },
}

impl Store {
    /// Starts a chat for a browser's key.
    pub async fn start_chat(&self, new: &NewChat, at: Timestamp) -> Result<Chat, StoreError> {
        let row: ChatRow = sqlx::query_as(&format!(
            "insert into chats (key_hash, visitor_name, email, site_customer_id, created_at, \
             updated_at) values ($1, $2, $3, $4, $5, $5) returning {CHAT_COLUMNS}"
        ))
        .bind(&new.key_hash)
        .bind(new.visitor_name.as_deref())
        .bind(new.email.as_ref().map(EmailAddress::as_str))
        .bind(new.site_customer_id.as_deref())
        .bind(at.millis())
        .fetch_one(&self.write)
        .await?;
        Ok(row.into())
    }

    /// The chat a browser's key (hashed) belongs to.
    pub async fn chat_by_key(&self, key_hash: &str) -> Result<Chat, StoreError> {
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "select {CHAT_COLUMNS} from chats where key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.map(Chat::from).ok_or(StoreError::NotFound("chat"))
    }

    /// The chat a case came from, if it did.
    pub async fn chat_of_case(&self, case_id: i64) -> Result<Option<Chat>, StoreError> {
        let row: Option<ChatRow> = sqlx::query_as(&format!(
            "select {CHAT_COLUMNS} from chats where case_id = $1"
        ))
        .bind(case_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(Chat::from))
    }

    /// Up to `limit` lines of a chat after line `after`, in order.
    pub async fn chat_lines(
        &self,
        chat_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChatLine>, StoreError> {
        let columns: Vec<String> = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("messages.{c}"))
            .collect();
        let rows = sqlx::query(&format!(
            "select chat_lines.seq, agents.name as agent_name, {} from chat_lines \
             join messages on messages.id = chat_lines.message_id \
             left join agents on agents.id = messages.author_id \
             where chat_lines.chat_id = $1 and chat_lines.seq > $2 \
             order by chat_lines.seq limit $3",
            columns.join(", ")
        ))
        .bind(chat_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(line_of_row).collect()
    }

    /// Writes a visitor's line: its first opens a case on the chat channel (filed under the
    /// customer the chat knows, or a new anonymous one), the next are messages on that case,
    /// each read and decided on as any customer message (`after` is what a customer message
    /// does to the case's status). A client id seen before answers the line it wrote.
    pub async fn say_in_chat(
        &self,
        chat_id: i64,
        say: &ChatSay,
        context: &AuditContext,
        after: impl Fn(&Case) -> Case,
    ) -> Result<ChatSaid, StoreError> {
        let postgres = self.backend == Backend::Postgres;
        // Twice at most: a first line that finds the case opened meanwhile goes round again.
        for _ in 0..2 {
            let mut tx = self.write.begin().await?;
            let chat = load_chat(&mut tx, chat_id, false).await?;
            let external_id = chat::external_id(chat.id, &say.client_id);
            let message = NewMessage {
                direction: Direction::Inbound,
                channel: Channel::Chat,
                author_id: None,
                body: say.body.clone(),
                body_html: None,
                external_id: Some(external_id),
                reading: say.reading.clone(),
            };
            let said = match chat.case_id {
                Some(case_id) => {
                    let (case, stored) =
                        add_message_in(&mut tx, case_id, &message, context, postgres, &after)
                            .await?;
                    let line = line_of_message(&mut tx, stored.id).await?;
                    ChatSaid {
                        line,
                        case,
                        opened: false,
                    }
                }
                None => {
                    // Locking the chat while it has no case holds up no one writing on a case.
                    let chat = load_chat(&mut tx, chat_id, postgres).await?;
                    if chat.case_id.is_some() {
                        continue;
                    }
                    open_chat_case(&mut tx, &chat, message, context).await?
                }
            };
            tx.commit().await?;
            return Ok(said);
        }
        Err(StoreError::Conflict {
            constraint: "chats.case_id".to_owned(),
        })
    }

    /// Keeps the address a visitor left when no one was there to answer, so replies go by
    /// mail: on the chat, and on its customer when no other customer has it.
    pub async fn leave_address(
        &self,
        chat_id: i64,
        email: &EmailAddress,
        context: &AuditContext,
    ) -> Result<AddressLeft, StoreError> {
        let mut tx = self.write.begin().await?;
        let chat = load_chat(&mut tx, chat_id, self.backend == Backend::Postgres).await?;
        sqlx::query("update chats set email = $1, by_email = 1, updated_at = $2 where id = $3")
            .bind(email.as_str())
            .bind(context.at.millis())
            .bind(chat_id)
            .execute(&mut *tx)
            .await?;
        let left = match chat.customer_id {
            None => AddressLeft::OnChat,
            Some(visitor_id) => {
                match customer_with_contact(&mut tx, "email", email.as_str()).await? {
                    Some((customer_id, _)) if customer_id == visitor_id => AddressLeft::Filed,
                    Some((customer_id, _)) => AddressLeft::Known {
                        customer_id,
                        visitor_id,
                    },
                    None => {
                        sqlx::query(
                            "insert into customer_contacts (customer_id, kind, value, created_at, \
                         updated_at) values ($1, 'email', $2, $3, $3)",
                        )
                        .bind(visitor_id)
                        .bind(email.as_str())
                        .bind(context.at.millis())
                        .execute(&mut *tx)
                        .await?;
                        let event: AuditEvent = chat::address_left(visitor_id, email);
                        audit::record(&mut tx, context, &[event]).await?;
                        AddressLeft::Filed
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(left)
    }

    /// Hands a chat's case to agent `to`: `decide` (the core's `chat::accept` or
    /// `chat::transfer`) reads the case, the agent and how many open chats they hold, and
    /// answers the case and what else happens; saved in one transaction, the case locked so
    /// two agents taking one chat at once cannot both have it.
    pub async fn hand_chat(
        &self,
        case_id: i64,
        to: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case, &Agent, i64) -> Result<(Case, Outcome), FieldError>,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let agent = match load_agent(&mut tx, to).await {
            Ok(agent) if agent.active => agent,
            _ => return Err(FieldError::new("to_agent_id", "no such agent").into()),
        };
        let held: i64 = sqlx::query_scalar(
            "select count(*) from cases where owner_id = $1 and channel = 'chat' \
             and status not in ('resolved', 'closed') and id <> $2",
        )
        .bind(to)
        .bind(case_id)
        .fetch_one(&mut *tx)
        .await?;
        let (next, outcome) = decide(&case, &agent, held)?;
        if next == case && outcome == Outcome::default() {
            return Ok(case);
        }
        save_case(&mut tx, &next).await?;
        let next = refresh_case(&mut tx, case_id, context.at).await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// How many agents, signed in to the console at `now`, used it since `since`: someone to
    /// answer a chat. (An integration's API token is no one at work.)
    pub async fn agents_at_work(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "select count(distinct sessions.agent_id) from sessions \
             join agents on agents.id = sessions.agent_id where agents.active = 1 \
             and sessions.expires_at > $2 and case when sessions.last_seen_at > 0 \
             then sessions.last_seen_at else sessions.created_at end >= $1",
        )
        .bind(since.millis())
        .bind(now.millis())
        .fetch_one(&self.read)
        .await?)
    }
}

/// Opens the case of a chat's first line and numbers that line 1.
async fn open_chat_case(
    tx: &mut AnyConnection,
    chat: &Chat,
    message: NewMessage,
    context: &AuditContext,
) -> Result<ChatSaid, StoreError> {
    let customer = chat::customer_of(
        chat.visitor_name.as_deref(),
        chat.email.as_deref(),
        chat.site_customer_id.as_deref(),
    );
    let request = OpenCase {
        customer,
        case: NewCase {
            channel: Channel::Chat,
            subject: chat::subject_of(&message.body),
            body: message.body,
            priority: Priority::Normal,
        },
        external_id: message.external_id,
        body_html: None,
        reading: message.reading,
    };
    let opened = open_case_in(tx, &request, context).await?;
    if let Some(alert) = chat::anger_alert(None, &opened.case) {
        apply(tx, context, Outcome::default().and(alert)).await?;
    }
    sqlx::query(
        "update chats set case_id = $1, customer_id = $2, last_seq = 1, updated_at = $3 \
         where id = $4",
    )
    .bind(opened.case.id)
    .bind(opened.case.customer_id)
    .bind(context.at.millis())
    .bind(chat.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("insert into chat_lines (chat_id, seq, message_id) values ($1, 1, $2)")
        .bind(chat.id)
        .bind(opened.message.id)
        .execute(&mut *tx)
        .await?;
    Ok(ChatSaid {
        line: ChatLine {
            seq: 1,
            message: opened.message,
            agent_name: None,
        },
        case: opened.case,
        opened: true,
    })
}

async fn load_chat(
    conn: &mut AnyConnection,
    chat_id: i64,
    for_update: bool,
) -> Result<Chat, StoreError> {
    let lock = if for_update { " for update" } else { "" };
    let row: Option<ChatRow> = sqlx::query_as(&format!(
        "select {CHAT_COLUMNS} from chats where id = $1{lock}"
    ))
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Chat::from).ok_or(StoreError::NotFound("chat"))
}

/// The line a message just written (or found by its client id) is.
pub(crate) async fn line_of_message(
    conn: &mut AnyConnection,
    message_id: i64,
) -> Result<ChatLine, StoreError> {
    let row: MessageRow = sqlx::query_as(&format!(
        "select {MESSAGE_COLUMNS} from messages where id = $1"
    ))
    .bind(message_id)
    .fetch_one(&mut *conn)
    .await?;
    let seq: Option<i64> = sqlx::query_scalar("select seq from chat_lines where message_id = $1")
        .bind(message_id)
        .fetch_optional(&mut *conn)
        .await?;
    let seq = seq.ok_or_else(|| StoreError::Corrupt(format!("message {message_id} is no line")))?;
    Ok(ChatLine {
        seq,
        message: Message::try_from(row)?,
        agent_name: None,
    })
}

fn line_of_row(row: &sqlx::any::AnyRow) -> Result<ChatLine, StoreError> {
    use sqlx::{FromRow, Row};
    Ok(ChatLine {
        seq: row.try_get("seq")?,
        agent_name: row.try_get("agent_name")?,
        message: Message::try_from(MessageRow::from_row(row)?)?,
    })
}
