//! What happens live, told to whoever watches: a chat's new line or someone typing in it, to
//! the visitor's connections and to the agents' consoles. A signal carries no content; a
//! watcher reads what it missed from the database by line number, so a signal lost, late or
//! heard twice never loses or repeats a line.
//!
//! On PostgreSQL every server listens on one channel (`amends_store::LiveFeed`): a line is
//! announced by the database when its transaction commits, typing by the server it reached,
//! so a visitor on one server and an agent on another see each other. On SQLite (one server)
//! the same signals stay in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amends_core::chat::Speaker;
use amends_store::Store;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What a watcher is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Chat `chat` has lines up to `seq`.
    Line {
        /// The chat.
        chat: i64,
        /// Its latest line.
        seq: i64,
    },
    /// Someone started or stopped typing in chat `chat`.
    Typing {
        /// The chat.
        chat: i64,
        /// Who.
        from: Speaker,
        /// Whether they are typing now.
        on: bool,
    },
    /// The queue may have changed (a case opened or changed): consoles read it again.
    Desk,
    /// Signals may have been missed (the database connection was lost): read everything again.
    Resync,
}

impl Signal {
    fn chat(self) -> Option<i64> {
        match self {
            Signal::Line { chat, .. } | Signal::Typing { chat, .. } => Some(chat),
            Signal::Desk | Signal::Resync => None,
        }
    }
}

/// The announcement on the database's channel: the chat-line trigger writes
/// `{"kind":"line","chat":..,"seq":..}`; servers write typing with their own `origin`.
#[derive(Debug, Serialize, Deserialize)]
struct Announcement {
    kind: String,
    chat: i64,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    on: bool,
    #[serde(default)]
    origin: u64,
}

/// How many signals a slow watcher may fall behind before it is told to read everything again.
const BACKLOG: usize = 64;

/// The signals of one server, for its visitors' connections and agents' consoles.
pub struct Live {
    store: Store,
    /// This server's mark on what it announces, so it does not hear its own typing twice.
    origin: u64,
    chats: Mutex<HashMap<i64, broadcast::Sender<Signal>>>,
    desk: broadcast::Sender<Signal>,
    /// The chats whose visitor is typing now, as last heard.
    customers_typing: Mutex<std::collections::HashSet<i64>>,
    /// Dropped with the server, which ends its hearing of the others.
    _hearing: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A watch on one chat; dropping it stops the watch.
pub struct ChatWatch {
    live: Arc<Live>,
    chat: i64,
    /// The chat's signals.
    pub signals: broadcast::Receiver<Signal>,
}

impl Drop for ChatWatch {
    fn drop(&mut self) {
        let mut chats = self
            .live
            .chats
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // This watch's receiver is still alive here, so the last watcher sees a count of one.
        if chats
            .get(&self.chat)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            chats.remove(&self.chat);
        }
    }
}

impl Live {
    /// The signals of a server on `store`; on PostgreSQL it starts hearing the other servers.
    pub fn start(store: Store) -> Arc<Live> {
        use rand::RngCore;
        let (hearing, ended) = tokio::sync::oneshot::channel();
        let postgres = store.backend() == amends_store::Backend::Postgres;
        let live = Arc::new(Live {
            store,
            origin: rand::rngs::OsRng.next_u64(),
            chats: Mutex::new(HashMap::new()),
            desk: broadcast::channel(BACKLOG * 4).0,
            customers_typing: Mutex::default(),
            _hearing: postgres.then_some(hearing),
        });
        if postgres {
            tokio::spawn(hear_other_servers(Arc::downgrade(&live), ended));
        }
        live
    }

    /// Watches one chat.
    pub fn watch_chat(self: &Arc<Self>, chat: i64) -> ChatWatch {
        let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
        let signals = chats
            .entry(chat)
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe();
        ChatWatch {
            live: self.clone(),
            chat,
            signals,
        }
    }

    /// Watches every chat, as an agent's console does.
    pub fn watch_desk(&self) -> broadcast::Receiver<Signal> {
        self.desk.subscribe()
    }

    /// How many chats this server's visitors watch now.
    pub fn chats_watched(&self) -> usize {
        self.chats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Tells this server's watchers that chat `chat` has lines up to `seq` (on PostgreSQL the
    /// database tells every server as well, when the line commits).
    pub fn line_written(&self, chat: i64, seq: i64) {
        self.tell(Signal::Line { chat, seq });
    }

    /// Tells this server's consoles that the queue may have changed (on PostgreSQL the
    /// database tells every server as well, when the change commits).
    pub fn desk_changed(&self) {
        self.tell(Signal::Desk);
    }

    /// Tells every server's watchers that `from` started or stopped typing in `chat`.
    pub async fn typing(&self, chat: i64, from: Speaker, on: bool) {
        self.tell(Signal::Typing { chat, from, on });
        let announcement = Announcement {
            kind: "typing".to_owned(),
            chat,
            seq: 0,
            from: Some(from.as_str().to_owned()),
            on,
            origin: self.origin,
        };
        let Ok(payload) = serde_json::to_string(&announcement) else {
            return;
        };
        if let Err(error) = self.store.announce(&payload).await {
            // Typing is a courtesy; the line itself is never lost.
            tracing::debug!(%error, "announcing typing failed");
        }
    }

    /// Whether the visitor of `chat` is typing, as last heard.
    pub fn customer_typing(&self, chat: i64) -> bool {
        self.customers_typing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&chat)
    }

    fn tell(&self, signal: Signal) {
        if let Signal::Typing {
            chat,
            from: Speaker::Customer,
            on,
        } = signal
        {
            let mut typing = self
                .customers_typing
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if on {
                typing.insert(chat);
            } else {
                typing.remove(&chat);
            }
        }
        let _ = self.desk.send(signal);
        if signal == Signal::Desk {
            return;
        }
        let chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
        match signal.chat() {
            Some(chat) => {
                if let Some(sender) = chats.get(&chat) {
                    let _ = sender.send(signal);
                }
            }
            None => {
                for sender in chats.values() {
                    let _ = sender.send(signal);
                }
            }
        }
    }

    fn hear(&self, payload: &str) {
        let Ok(announcement) = serde_json::from_str::<Announcement>(payload) else {
            tracing::warn!(payload, "an announcement that does not read");
            return;
        };
        match announcement.kind.as_str() {
            "line" => self.line_written(announcement.chat, announcement.seq),
            "desk" => self.desk_changed(),
            "typing" if announcement.origin != self.origin => {
                let from = match announcement.from.as_deref() {
                    Some("agent") => Speaker::Agent,
                    _ => Speaker::Customer,
                };
                self.tell(Signal::Typing {
                    chat: announcement.chat,
                    from,
                    on: announcement.on,
                });
            }
            _ => {}
        }
    }
}

/// Hears the other servers until this one ends, connecting again after a failure (and
/// telling every watcher to read again, since it may have missed something).
async fn hear_other_servers(
    live: std::sync::Weak<Live>,
    mut ended: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let Some(store) = live.upgrade().map(|l| l.store.clone()) else {
            return;
        };
        match store.live_feed().await {
            Ok(Some(mut feed)) => loop {
                let next = tokio::select! {
                    next = feed.next() => next,
                    _ = &mut ended => return,
                };
                let Some(live) = live.upgrade() else {
                    return;
                };
                match next {
                    Ok(Some(payload)) => live.hear(&payload),
                    Ok(None) => live.tell(Signal::Resync),
                    Err(error) => {
                        tracing::warn!(%error, "hearing the other servers failed");
                        live.tell(Signal::Resync);
                        break;
                    }
                }
            },
            Ok(None) => return,
            Err(error) => tracing::warn!(%error, "listening for the other servers failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = &mut ended => return,
        }
    }
}

/// After a request that changed something an agent's queue shows (anything but a read, a
/// presence beat, a draft's coaching, a sign-in or a chat visitor's own requests, which say
/// themselves), this server's consoles are told to read the queue again.
pub(crate) async fn tell_consoles(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let reads = matches!(
        method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let quiet = path.ends_with("/presence")
        || path.ends_with("/coach")
        || path.starts_with("/api/v1/session")
        || path.starts_with("/chat/");
    if !reads && !quiet && response.status().is_success() {
        state.live.desk_changed();
    }
    response
}
