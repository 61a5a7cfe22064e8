//! A visitor's chat over one WebSocket: `hello` with the chat's key and the last line number
//! the browser has, then the lines after it, then each new line and the agent's typing as they
//! happen, and the visitor's lines acknowledged once they are in the database.

use std::time::Duration;

use amends_core::chat::Speaker;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use crate::extract::ClientAddr;
use crate::live::Signal;
use crate::wire::chat::{ChatView, ClientFrame, ServerFrame};
use crate::{AppError, AppState};

/// The largest frame a visitor may send: a line of 4,000 characters in JSON, with room.
const MAX_FRAME_BYTES: usize = 24 * 1024;
/// How long a new connection has to say `hello`.
const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// How often a quiet connection is pinged, so a dead one is noticed and closed.
const PING_EVERY: Duration = Duration::from_secs(30);

/// Upgrades to the chat's WebSocket. Buffers are kept small: an idle visitor costs the server
/// a few kilobytes, not the library's default hundreds.
pub(super) async fn upgrade(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ws: WebSocketUpgrade,
) -> Response {
    let Ok(permit) = state.chat_sockets.clone().try_acquire_owned() else {
        return AppError::Busy("too many chat connections; use /chat/v1/lines").into_response();
    };
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            let _permit = permit;
            let mut conversation = Conversation {
                state,
                address,
                socket,
                last_sent: 0,
                typing: false,
            };
            if let Err(error) = conversation.run().await {
                tracing::debug!(%error, "a chat connection ended");
            }
        })
}

struct Conversation {
    state: AppState,
    address: Option<String>,
    socket: WebSocket,
    /// The latest line number this connection has sent.
    last_sent: i64,
    /// Whether the visitor last said they were typing.
    typing: bool,
}

impl Conversation {
    async fn run(&mut self) -> Result<(), axum::Error> {
        let Some((key, after)) = self.hello().await? else {
            return Ok(());
        };
        let chat = match super::chat_by_key(&self.state, &key).await {
            Ok(chat) => chat,
            Err(error) => return self.close_with(&error).await,
        };
        let mut watch = self.state.live.watch_chat(chat.id);
        let desk = match super::desk_now(&self.state).await {
            Ok(desk) => desk,
            Err(error) => return self.close_with(&error).await,
        };
        self.send(&ServerFrame::Ready {
            chat: ChatView::of(&chat, &desk),
        })
        .await?;
        self.last_sent = after.max(0);
        let followed = self.follow(&chat, &mut watch).await;
        // A visitor who leaves while typing is typing no more, on every server.
        if self.typing {
            let live = &self.state.live;
            live.typing(chat.id, Speaker::Customer, false).await;
        }
        followed
    }

    /// The lines after the client's, then each new line and the agent's typing as they come,
    /// and the visitor's frames, until the connection ends.
    async fn follow(
        &mut self,
        chat: &amends_store::Chat,
        watch: &mut crate::live::ChatWatch,
    ) -> Result<(), axum::Error> {
        self.catch_up(chat.id).await?;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                frame = self.socket.recv() => match frame {
                    None | Some(Ok(Message::Close(_))) => return Ok(()),
                    Some(Err(error)) => return Err(error),
                    Some(Ok(Message::Text(text))) => self.heard(chat, text.as_str()).await?,
                    Some(Ok(Message::Binary(_))) => {
                        self.refuse("send JSON in text frames", None, None).await?;
                    }
                    Some(Ok(_)) => {}
                },
                signal = watch.signals.recv() => match signal {
                    Ok(Signal::Typing { from: Speaker::Agent, on, .. }) => {
                        self.send(&ServerFrame::Typing { on }).await?;
                    }
                    Ok(Signal::Typing { .. }) => {}
                    // Every line signal reads what follows the last line sent: a signal's own
                    // number may be behind (a reply signalled with the number it expected).
                    Ok(_) | Err(RecvError::Lagged(_)) => self.catch_up(chat.id).await?,
                    Err(RecvError::Closed) => return Ok(()),
                },
                _ = ping.tick() => self.socket.send(Message::Ping(Default::default())).await?,
            }
        }
    }

    /// The key and line number of the first frame, or `None` after telling a client that did
    /// not start with `hello`.
    async fn hello(&mut self) -> Result<Option<(String, i64)>, axum::Error> {
        let first = tokio::time::timeout(HELLO_WITHIN, self.socket.recv()).await;
        let Ok(Some(Ok(Message::Text(text)))) = first else {
            return Ok(None);
        };
        match serde_json::from_str::<ClientFrame>(text.as_str()) {
            Ok(ClientFrame::Hello { key, after }) => Ok(Some((key, after))),
            _ => {
                let refusal = AppError::BadRequest {
                    message: "the first frame must be {\"type\":\"hello\",\"key\":…}".to_owned(),
                    field: None,
                };
                self.close_with(&refusal).await?;
                Ok(None)
            }
        }
    }

    async fn heard(&mut self, chat: &amends_store::Chat, text: &str) -> Result<(), axum::Error> {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(error) => {
                let message = format!("a frame that does not read: {error}");
                return self.refuse(&message, None, None).await;
            }
        };
        match frame {
            ClientFrame::Say { client_id, text } => {
                let address = self.address.clone();
                let written =
                    super::write_line(&self.state, chat, address.as_deref(), &client_id, &text)
                        .await;
                match written {
                    Ok(said) => {
                        let seq = said.line.seq;
                        self.send(&ServerFrame::Ack { client_id, seq }).await?;
                        self.catch_up(chat.id).await
                    }
                    Err(error) => {
                        let field = error_field(&error);
                        self.refuse(&error.to_string(), field, Some(client_id))
                            .await
                    }
                }
            }
            ClientFrame::Typing { on } => {
                self.typing = on;
                self.state.live.typing(chat.id, Speaker::Customer, on).await;
                Ok(())
            }
            ClientFrame::Hello { .. } => self.refuse("hello is said once", None, None).await,
        }
    }

    /// Sends every line after the last one sent, in order.
    async fn catch_up(&mut self, chat_id: i64) -> Result<(), axum::Error> {
        loop {
            let lines = match super::lines_after(&self.state, chat_id, self.last_sent).await {
                Ok(lines) => lines,
                // The database is away: the next signal, or the client's reconnect, reads again.
                Err(error) => return self.refuse(&error.to_string(), None, None).await,
            };
            if lines.is_empty() {
                return Ok(());
            }
            for line in lines {
                self.last_sent = line.seq;
                self.send(&ServerFrame::Line { line }).await?;
            }
        }
    }

    async fn send(&mut self, frame: &ServerFrame) -> Result<(), axum::Error> {
        let text = serde_json::to_string(frame).map_err(axum::Error::new)?;
        self.socket.send(Message::Text(text.into())).await
    }

    async fn refuse(
        &mut self,
        message: &str,
        field: Option<String>,
        client_id: Option<String>,
    ) -> Result<(), axum::Error> {
        self.send(&ServerFrame::Error {
            message: message.to_owned(),
            field,
            client_id,
        })
        .await
    }

    /// Tells the client why and closes (policy violation: a wrong key or a wrong start).
    async fn close_with(&mut self, error: &AppError) -> Result<(), axum::Error> {
        self.refuse(&error.to_string(), None, None).await?;
        self.socket
            .send(Message::Close(Some(CloseFrame {
                code: 1008,
                reason: "refused".into(),
            })))
            .await
    }
}

fn error_field(error: &AppError) -> Option<String> {
    match error {
        AppError::Invalid(field) => Some(field.field.clone()),
        _ => None,
    }
}
