//! The one place that carries out what the core decided: an [`Outcome`]'s effects (notices to
//! customers, alerts to staff, lines on a case, jobs) and its audit events, with the events of
//! the records the effects create, in the caller's transaction.

use amends_core::audit::AuditContext;
use amends_core::outcome::{notice_route, notice_work, Effect, Outcome};
use amends_core::Message;
use sqlx::AnyConnection;

use crate::audit;
use crate::table::cases::load_case;
use crate::table::jobs::{insert_job, DEFAULT_ATTEMPTS};
use crate::table::messages::{insert_message, NewMessage};
use crate::table::notices::{customer_email, insert_notice};
use crate::table::notifications::{insert_notification, recipients};
use crate::StoreError;

/// What applying an outcome wrote that its caller may answer with.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// The lines written on cases, in the order of the effects.
    pub(crate) messages: Vec<Message>,
}

/// Applies `outcome` in the caller's transaction: every effect, then every audit event (its own
/// and those of the records the effects made), stamped with `context`.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    context: &AuditContext,
    outcome: Outcome,
) -> Result<Applied, StoreError> {
    let Outcome {
        mut events,
        effects,
    } = outcome;
    let mut applied = Applied::default();
    let now = context.at;
    for effect in &effects {
        let made = match effect {
            Effect::NotifyCustomer {
                case_id,
                kind,
                wording,
            } => {
                let case = load_case(conn, *case_id, false).await?;
                let email = customer_email(conn, case.customer_id).await?;
                let channel = notice_route(case.channel, email.is_some());
                let id = insert_notice(conn, &case, *kind, wording, channel, email.as_deref(), now)
                    .await?;
                if let Some(work) = notice_work(channel, id, now) {
                    insert_job(conn, &work, DEFAULT_ATTEMPTS, now).await?;
                }
                Some(id)
            }
            Effect::Alert {
                to,
                case_id,
                kind,
                body,
            } => {
                for agent_id in recipients(conn, *to).await? {
                    insert_notification(conn, agent_id, *case_id, *kind, body, now).await?;
                }
                None
            }
            Effect::Write {
                case_id,
                direction,
                author_id,
                body,
                external_id,
            } => {
                let case = load_case(conn, *case_id, false).await?;
                let line = NewMessage {
                    direction: *direction,
                    channel: case.channel,
                    author_id: *author_id,
                    body: body.clone(),
                    body_html: None,
                    external_id: external_id.clone(),
                    reading: None,
                };
                let message = insert_message(conn, *case_id, &line, now).await?;
                let id = message.id;
                applied.messages.push(message);
                Some(id)
            }
            Effect::Schedule(work) => {
                insert_job(conn, work, DEFAULT_ATTEMPTS, now).await?;
                None
            }
        };
        events.extend(made.and_then(|id| effect.recorded(id)));
    }
    audit::record(conn, context, &events).await?;
    Ok(applied)
}
