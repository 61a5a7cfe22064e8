//! Incidents on the server: the mail each affected customer is sent, and the addresses it points
//! to (the public status page, the signed follow-up).

use amends_core::job::NoticeSend;
use amends_core::wording::{incident_notice, IncidentNews};
use amends_core::Timestamp;
use amends_store::{JobEffect, StoreError};

use crate::links::Purpose;
use crate::mailroom::{deliver, mail_domain, system_time, SendFailure};
use crate::AppState;

/// The public status page's full address.
pub(crate) fn status_url(state: &AppState) -> String {
    format!("{}/status", state.settings.public_url.trim_end_matches('/'))
}

/// The Message-ID of incident notice `notice_id`: the same on every attempt, so a mail sent
/// twice across a crash is one mail to the receiving server.
fn message_id(state: &AppState, incident_id: i64, notice_id: i64) -> String {
    format!(
        "incident{incident_id}.notice{notice_id}.{}@{}",
        state.mail_tag,
        mail_domain(state)
    )
}

/// Sends one queued incident notice (or keeps it in the local outbox when no relay is set) and
/// says what to save; one no longer queued is left alone.
pub(crate) async fn send_notice(
    state: &AppState,
    send: NoticeSend,
) -> Result<Option<JobEffect>, SendFailure> {
    let notice = match state.store.incident_notice(send.notice_id).await {
        Ok(notice) => notice,
        Err(StoreError::NotFound(what)) => {
            return Err(SendFailure::Permanent(format!("{what} not found")))
        }
        Err(e) => return Err(SendFailure::Temporary(e.to_string())),
    };
    if notice.status != "queued" {
        return Ok(None);
    }
    let Some(to) = notice.to_address.clone() else {
        return Err(SendFailure::Permanent(
            "the customer has no email address on file".into(),
        ));
    };
    let survey = (notice.kind == "follow_up").then(|| {
        state.customer_link(
            "incident-follow-up",
            notice.affected_id,
            Purpose::IncidentFollowUp,
        )
    });
    let status = status_url(state);
    let news = IncidentNews {
        title: &notice.title,
        summary: &notice.summary,
        kind: &notice.kind,
        body: &notice.body,
        next_update_at: notice.next_update_at.map(Timestamp),
        status_url: &status,
        survey_url: survey.as_deref(),
    };
    let wording = incident_notice(&notice.customer_name, news);
    let settings = &state.settings.mail;
    let message_id = message_id(state, notice.incident_id, notice.id);
    let mail = amends_mail::PlainMail {
        from: settings.from.clone(),
        to: to.clone(),
        to_name: notice.customer_name.clone(),
        subject: wording.subject,
        body: format!("{}\n\n{}", wording.body, settings.signature),
        message_id: message_id.clone(),
        date: system_time(state.clock.now()),
    };
    let raw =
        amends_mail::compose_plain(&mail).map_err(|e| SendFailure::Permanent(e.to_string()))?;
    let held = deliver(state, &to, &raw).await?;
    Ok(Some(JobEffect::IncidentNoticeSent {
        notice_id: notice.id,
        held,
        message_id,
    }))
}
