//! The automatic acknowledgement with articles: when the desk turns it on (it is off until an
//! admin does), a calm question arriving by email or web form is answered at once with up to
//! three public articles that may answer it, and still goes to a person. A calm question no
//! article answers is recorded as a gap in the knowledge base, whether or not the desk sends
//! acknowledgements. The core decides who
//! may get one (never an upset customer, a complaint, a threat to leave or abuse); this reads
//! the setting, finds the articles and hands the decision to the store.

use amends_core::audit::AuditContext;
use amends_core::knowledge::{acknowledgement, Readers, ACKNOWLEDGED_ARTICLES};
use amends_core::message::Reading;
use amends_core::Channel;

use crate::articles::{public_link, question};
use crate::AppState;

/// The desk setting: `on` sends acknowledgements with articles; anything else does not.
pub(crate) const SETTING: &str = "articles_in_acknowledgement";

/// Whether the desk sends acknowledgements with articles.
pub(crate) async fn enabled(state: &AppState) -> Result<bool, amends_store::StoreError> {
    Ok(state.store.desk_setting(SETTING).await?.as_deref() == Some("on"))
}

/// Acknowledges a case the API just opened, when it was new (see [`acknowledge_new_case`]).
pub(crate) async fn after_opening(
    state: &AppState,
    opened: &amends_store::OpenedCase,
    request: &amends_store::OpenCase,
    context: &AuditContext,
) {
    if opened.created {
        let case = &opened.case;
        let (body, reading) = (&request.case.body, request.reading.as_ref());
        acknowledge_new_case(
            state,
            case.id,
            case.channel,
            &case.subject,
            body,
            reading,
            context,
        )
        .await;
    }
}

/// Acknowledges new case `case_id` with articles when the desk says so and the core allows.
/// A failure here is logged and goes no further: the case is filed whatever becomes of its
/// acknowledgement.
pub(crate) async fn acknowledge_new_case(
    state: &AppState,
    case_id: i64,
    channel: Channel,
    subject: &str,
    text: &str,
    reading: Option<&Reading>,
    context: &AuditContext,
) {
    if !matches!(channel, Channel::Email | Channel::WebForm) {
        return;
    }
    let Some(reading) = reading else {
        return;
    };
    if let Err(error) = acknowledge(state, case_id, subject, text, reading, context).await {
        tracing::warn!(%error, case_id, "the acknowledgement with articles was not sent");
    }
}

async fn acknowledge(
    state: &AppState,
    case_id: i64,
    subject: &str,
    text: &str,
    reading: &Reading,
    context: &AuditContext,
) -> Result<(), amends_store::StoreError> {
    let tone = crate::reading::tone(reading);
    if !amends_core::knowledge::may_acknowledge(reading, tone) {
        return Ok(());
    }
    let question = question(subject, text);
    let found = state
        .store
        .search_articles(&question, Readers::Public, ACKNOWLEDGED_ARTICLES)
        .await?;
    let articles: Vec<(String, String)> = found
        .into_iter()
        .filter(|(_, ranked)| ranked.answers_well())
        .map(|(article, _)| {
            let link = public_link(state, &article);
            (article.title, link)
        })
        .collect();
    if articles.is_empty() {
        // A calm question no article answers: a gap in the knowledge base, for its keepers.
        let topic = amends_core::knowledge::words::topic(subject);
        if !topic.is_empty() {
            state
                .store
                .record_knowledge_gap(case_id, &topic, subject, context.at)
                .await?;
        }
        return Ok(());
    }
    if !enabled(state).await? {
        return Ok(());
    }
    if let Some(outcome) = acknowledgement(case_id, subject, reading, tone, &articles) {
        state
            .store
            .acknowledge_with_articles(outcome, context)
            .await?;
    }
    Ok(())
}
