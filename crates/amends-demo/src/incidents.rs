//! The demo desk's incidents: one fixed last week, with its updates, and one open now for the
//! business plan, its customers warned, so `/status`, the console's Incidents page and the
//! figures have something to show.

use amends_core::audit::{Actor, AuditContext};
use amends_core::incident::{IncidentDraft, RawDeclaration, Segment};
use amends_core::Timestamp;
use amends_store::{Store, StoreError};

const HOUR: i64 = 3_600_000;

fn as_agent(agent_id: i64, at: Timestamp) -> AuditContext {
    AuditContext {
        actor: Actor::Agent { agent_id },
        at,
        remote_addr: None,
    }
}

async fn declare(
    store: &Store,
    agent_id: i64,
    at: Timestamp,
    raw: &RawDeclaration,
    plan: &str,
) -> Result<i64, StoreError> {
    let draft = IncidentDraft::parse(raw, at)?;
    let id = store
        .declare_incident(&draft, &as_agent(agent_id, at))
        .await?;
    let segment = Segment::parse(Some(plan), &[])?;
    let later = at.plus_millis(60_000);
    store
        .affect_segment(id, &segment, &as_agent(agent_id, later))
        .await?;
    store
        .send_incident_notice(id, &as_agent(agent_id, later))
        .await?;
    Ok(id)
}

/// Declares the demo's incidents as `agent_id` (a supervisor); returns how many.
pub(crate) async fn declare_incidents(
    store: &Store,
    agent_id: i64,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let week_ago = now.plus_millis(-7 * 24 * HOUR);
    let fixed = RawDeclaration {
        title: "Order emails delayed".into(),
        summary: "Order confirmations and dispatch emails are arriving hours late.".into(),
        started_at: week_ago.plus_millis(-HOUR).to_rfc3339(),
        doing: "Our email provider is clearing a backlog; no order is affected.".into(),
        next_update_at: week_ago.plus_millis(2 * HOUR).to_rfc3339(),
        key_words: "email, confirmation, dispatch".into(),
    };
    let id = declare(store, agent_id, week_ago, &fixed, "starter").await?;
    let closed = as_agent(agent_id, week_ago.plus_millis(3 * HOUR));
    store
        .post_incident_update(
            id,
            "The backlog is cleared; emails arrive on time again.",
            None,
            &closed,
        )
        .await?;

    let declared = now.plus_millis(-2 * HOUR);
    let open = RawDeclaration {
        title: "Card payments failing at checkout".into(),
        summary: "Some card payments for business accounts are declined at checkout.".into(),
        started_at: declared.plus_millis(-HOUR / 2).to_rfc3339(),
        doing: "Our payment provider is restoring service; no card has been charged twice.".into(),
        next_update_at: now.plus_millis(HOUR).to_rfc3339(),
        key_words: "payment, card, checkout, declined".into(),
    };
    declare(store, agent_id, declared, &open, "business").await?;
    Ok(2)
}
