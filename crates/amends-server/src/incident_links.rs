//! Linking a new case to the open incidents whose affected set holds its customer.

use amends_core::audit::AuditContext;
use amends_core::incident::link_reason;
use amends_core::message::Reading;
use amends_store::StoreError;

use crate::AppState;

/// Links new case `case_id` to every open incident whose affected set holds its customer and
/// whose key words (or the engine's reading of a complaint) it matches, with the reason shown.
/// A failure is logged and goes no further: the case is filed whatever becomes of the link.
pub(crate) async fn link_new_case(
    state: &AppState,
    case_id: i64,
    text: &str,
    reading: Option<&Reading>,
    context: &AuditContext,
) {
    if let Err(error) = link(state, case_id, text, reading, context).await {
        tracing::warn!(case = case_id, %error, "the new case could not be linked to an incident");
    }
}

async fn link(
    state: &AppState,
    case_id: i64,
    text: &str,
    reading: Option<&Reading>,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let case = state.store.case(case_id).await?;
    let complaint = reading.is_some_and(|r| crate::reading::tone(r).complaint);
    let said = format!("{}\n{text}", case.subject);
    for incident in state.store.open_incidents_of(case.customer_id).await? {
        if let Some(reason) = link_reason(&incident.key_words, &said, complaint) {
            state
                .store
                .link_case(case_id, incident.id, &reason, context)
                .await?;
        }
    }
    Ok(())
}
