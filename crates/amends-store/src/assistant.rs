//! The chat's assistant's turns (see `amends_core::bot`): its state kept on the chat, its lines
//! written as the case's chat lines, its hand-off recorded with the note the person reads first.

use amends_core::audit::AuditContext;
use amends_core::bot::{BotState, HandOff, Stage, Turn};
use amends_core::{Case, Channel, Direction};
use sqlx::AnyConnection;

use crate::cases::add_message_in;
use crate::chats::line_of_message;
use crate::table::cases::load_case;
use crate::table::messages::NewMessage;
use crate::{Backend, Store, StoreError};

impl Store {
    /// The assistant's turn on the visitor's line numbered `line` in chat `chat_id`, when it is
    /// still the chat's latest (a line sent again, or one already answered, gets no second
    /// turn): `decide` reads its
    /// state (a new one when it never spoke) and the case; what it says becomes a line of the
    /// chat (without counting as an agent's reply), a hand-off is recorded once with its note on
    /// the case, and its state is kept, all in one transaction. Answers the number of the line
    /// it wrote, if it wrote one.
    pub async fn assistant_turn(
        &self,
        chat_id: i64,
        line: i64,
        context: &AuditContext,
        decide: impl FnOnce(&BotState, &Case) -> Turn,
    ) -> Result<Option<i64>, StoreError> {
        let postgres = self.backend == Backend::Postgres;
        let mut tx = self.write.begin().await?;
        let lock = if postgres { " for update" } else { "" };
        type Row = (
            Option<i64>,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(&format!(
            "select case_id, last_seq, bot_stage, bot_order, bot_email from chats where id = $1{lock}"
        ))
        .bind(chat_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((Some(case_id), last_seq, stage, order, email)) = row else {
            return Ok(None);
        };
        if last_seq != line {
            return Ok(None);
        }
        let state = match stage.as_deref() {
            None => BotState::new(),
            Some(raw) => BotState {
                stage: Stage::parse(raw)
                    .ok_or_else(|| StoreError::Corrupt(format!("assistant stage {raw:?}")))?,
                order,
                email,
            },
        };
        let case = load_case(&mut tx, case_id, false).await?;
        let turn = decide(&state, &case);
        let mut said = None;
        if let Some(words) = &turn.say {
            let id = write(
                &mut tx,
                case_id,
                Direction::Outbound,
                words,
                context,
                postgres,
            )
            .await?;
            said = Some(line_of_message(&mut tx, id).await?.seq);
        }
        if let Some((reason, note)) = &turn.hand_off {
            hand_off(&mut tx, chat_id, case_id, *reason, context).await?;
            write(&mut tx, case_id, Direction::Note, note, context, postgres).await?;
        }
        sqlx::query(
            "update chats set bot_stage = $1, bot_order = $2, bot_email = $3 where id = $4",
        )
        .bind(turn.state.stage.as_str())
        .bind(turn.state.order.as_deref())
        .bind(turn.state.email.as_deref())
        .bind(chat_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(said)
    }
}

/// Writes the assistant's line or note on the case, leaving the case's answer times alone.
async fn write(
    tx: &mut AnyConnection,
    case_id: i64,
    direction: Direction,
    body: &str,
    context: &AuditContext,
    lock: bool,
) -> Result<i64, StoreError> {
    let message = NewMessage {
        direction,
        channel: Channel::Chat,
        author_id: None,
        body: body.to_owned(),
        body_html: None,
        external_id: None,
        reading: None,
    };
    let (_, stored) = add_message_in(tx, case_id, &message, context, lock, Case::clone).await?;
    Ok(stored.id)
}

async fn hand_off(
    tx: &mut AnyConnection,
    chat_id: i64,
    case_id: i64,
    reason: HandOff,
    context: &AuditContext,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into bot_handoffs (chat_id, case_id, reason, at) values ($1, $2, $3, $4) \
         on conflict (chat_id) do nothing",
    )
    .bind(chat_id)
    .bind(case_id)
    .bind(reason.as_str())
    .bind(context.at.millis())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
