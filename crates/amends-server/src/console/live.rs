//! The console's live stream: server-sent events telling a signed-in agent's pages that a
//! chat has a new line or someone in it is typing, so the queue and a chat's case page update
//! at once. An event names a chat and a line number, never what was said: the page reads that
//! through the same checks as any other read.

use std::convert::Infallible;

use amends_core::AgentRole;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::accounts::CurrentAgent;
use crate::live::Signal;
use crate::{AppError, AppState};

/// The stream: `line` (`{"chat":…,"seq":…}`), `typing` (`{"chat":…,"from":…,"on":…}`), `desk`
/// (the queue may have changed) and `resync` (read everything again) events.
pub(super) async fn stream(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    current.require(AgentRole::Agent)?;
    let signals = state.live.watch_desk();
    let events = futures_util::stream::unfold(signals, |mut signals| async move {
        let event = match signals.recv().await {
            Ok(signal) => event_of(signal),
            Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), signals))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

fn event_of(signal: Signal) -> Event {
    match signal {
        Signal::Line { chat, seq } => Event::default()
            .event("line")
            .data(format!(r#"{{"chat":{chat},"seq":{seq}}}"#)),
        Signal::Typing { chat, from, on } => Event::default().event("typing").data(format!(
            r#"{{"chat":{chat},"from":"{}","on":{on}}}"#,
            from.as_str()
        )),
        Signal::Desk => Event::default().event("desk").data("{}"),
        Signal::Resync => Event::default().event("resync").data("{}"),
    }
}
