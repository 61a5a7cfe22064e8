//! The chat's assistant on a visitor's line (`amends_core::bot` decides, the store keeps its
//! turn): the engine's reading of the line decides whether a person takes over at once.

use amends_core::audit::{Actor, AuditContext};
use amends_core::bot::{self, Heard};
use amends_core::message::Reading;
use amends_store::Chat;
use serde_json::Value;

use crate::{AppError, AppState};

/// The assistant's turn on line `seq` of `chat`, saying `text` read as `reading`; a line it
/// writes is told to whoever watches the chat.
pub(super) async fn answer(
    state: &AppState,
    chat: &Chat,
    seq: i64,
    text: &str,
    reading: &Reading,
) -> Result<(), AppError> {
    let assessment: Value = serde_json::from_str(&reading.assessment_json).unwrap_or_default();
    let heard = Heard {
        text,
        reading,
        // The complaint head reads most questions to a brand as complaints; one the assistant
        // hands over at once is also negative in tone.
        complaint: assessment["complaint"] == Value::Bool(true)
            && assessment["negative"] == Value::Bool(true),
        threat: assessment["threat"] == Value::Bool(true),
        legal: assessment["legal_threat"] == Value::Bool(true),
    };
    let email_known = chat.email.is_some();
    let context = AuditContext {
        actor: Actor::System,
        at: state.clock.now(),
        remote_addr: None,
    };
    let said = state
        .store
        .assistant_turn(chat.id, seq, &context, |was, case| {
            let agent_there = case.owner_id.is_some() || case.first_response_at.is_some();
            bot::hear(was, heard, agent_there, email_known)
        })
        .await?;
    if let Some(seq) = said {
        state.live.line_written(chat.id, seq);
    }
    Ok(())
}
