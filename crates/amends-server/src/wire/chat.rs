//! What the chat widget is answered and sent: over HTTP (starting a chat, the fallback for
//! networks that block WebSocket) and as the WebSocket's frames, one JSON object each.

use amends_core::chat::Speaker;
use amends_core::Timestamp;
use amends_store::{Chat, ChatLine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A chat just started: the key the browser keeps (it is the only way back into the chat) and
/// the chat.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatStarted {
    /// Sent with every later request (`X-Chat-Key`, or the socket's `hello`).
    pub key: String,
    /// The chat.
    pub chat: ChatView,
}

/// A chat as its visitor sees it, with the desk's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    /// The number of its latest line (0 before the first).
    pub last_seq: i64,
    /// Whether the visitor left an address for replies by mail.
    pub by_email: bool,
    /// Whether the host site signed who the visitor is.
    pub signed_in: bool,
    /// Whether anyone is at work to answer now: within the opening hours, and an agent active.
    pub agents_at_work: bool,
    /// Whether the desk is within its opening hours now.
    pub open: bool,
    /// The opening hours in words, with their time zone; absent when always open.
    pub hours: Option<String>,
    /// The answer time the desk promises, in minutes.
    pub answer_within_minutes: u32,
    /// What the widget says first.
    pub greeting: String,
}

impl ChatView {
    pub(crate) fn of(chat: &Chat, desk: &DeskNow) -> ChatView {
        ChatView {
            last_seq: chat.last_seq,
            by_email: chat.by_email,
            signed_in: chat.site_customer_id.is_some(),
            agents_at_work: desk.agents_at_work,
            open: desk.open,
            hours: desk.hours.clone(),
            answer_within_minutes: desk.answer_within_minutes,
            greeting: desk.greeting.clone(),
        }
    }
}

/// What a chat shows of the desk at a moment.
#[derive(Debug, Clone)]
pub(crate) struct DeskNow {
    pub agents_at_work: bool,
    pub open: bool,
    pub hours: Option<String>,
    pub answer_within_minutes: u32,
    pub greeting: String,
}

/// A line of a chat.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    /// Its number in the chat, from 1; a client shows each number once.
    pub seq: i64,
    /// customer or agent.
    #[schema(example = "agent")]
    pub from: &'static str,
    /// The agent's name, on an agent's line ("Assistant" on the desk's assistant's).
    pub agent: Option<String>,
    /// What it says (plain text: never insert it as HTML).
    pub text: String,
    /// The id the visitor's browser gave it, on a visitor's line.
    pub client_id: Option<String>,
    /// When it was written.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl LineView {
    /// A line, unless it is no line (an internal note never reaches a chat).
    pub(crate) fn of(line: ChatLine, chat_id: i64) -> Option<LineView> {
        let from = Speaker::of(line.message.direction)?;
        let prefix = amends_core::chat::external_id(chat_id, "");
        let client_id = line
            .message
            .external_id
            .as_deref()
            .and_then(|e| e.strip_prefix(prefix.as_str()))
            .map(str::to_owned);
        Some(LineView {
            seq: line.seq,
            from: from.as_str(),
            // A line from the desk no agent wrote is the assistant's.
            agent: match (from, line.message.author_id) {
                (Speaker::Agent, None) => Some("Assistant".to_owned()),
                _ => line.agent_name,
            },
            text: line.message.body,
            client_id,
            at: line.message.created_at,
        })
    }
}

/// Lines after a number, for the fallback transport.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinesView {
    /// In order.
    pub lines: Vec<LineView>,
    /// Whether an agent is typing now.
    pub agent_typing: bool,
}

/// What the server sends on the chat's WebSocket.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The chat, after `hello`; the lines after the client's number follow.
    Ready {
        /// The chat.
        chat: ChatView,
    },
    /// A line.
    Line {
        /// The line.
        line: LineView,
    },
    /// A visitor's line is kept: it has this number.
    Ack {
        /// The browser's id for it.
        client_id: String,
        /// Its number.
        seq: i64,
    },
    /// An agent started or stopped typing.
    Typing {
        /// Whether they are typing.
        on: bool,
    },
    /// A frame was refused; the connection stays open unless the key was wrong.
    Error {
        /// What went wrong.
        message: String,
        /// The field at fault.
        field: Option<String>,
        /// The client's id of the refused line, when one was refused.
        client_id: Option<String>,
    },
}

/// What a visitor's browser sends on the chat's WebSocket.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: the chat's key and the number of the last line the client has.
    Hello {
        /// The key from starting the chat.
        key: String,
        /// The last line the client has (0 for none).
        #[serde(default)]
        after: i64,
    },
    /// A line.
    Say {
        /// The browser's id for it; sending again with the same id writes it once.
        client_id: String,
        /// What it says.
        text: String,
    },
    /// The visitor started or stopped typing.
    Typing {
        /// Whether they are typing.
        on: bool,
    },
}

/// The secret a host site signs its visitors' identity with.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentitySecret {
    /// The HMAC-SHA256 key: the signature is the hex HMAC of the site's id for the customer, a
    /// line break (`\n`) and their email.
    pub secret: String,
}
