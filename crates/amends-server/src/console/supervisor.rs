//! The supervisor's view (approvals, promises broken or at risk, abusive contacts, win-backs
//! and the first figures as charts) and the mail desk (the outbox and the intake quarantine).

use amends_core::{AgentRole, Timestamp};
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::charts::{bar_chart, Bar};
use super::format::{label, money, span, when};
use super::{form_status, layout, trouble, Console, Section};
use crate::api::{read_queue, QueueQuery};
use crate::wire::QueuePageView;
use crate::{AppError, AppState};

const WEEK_MILLIS: i64 = 7 * 86_400_000;
const WEEKS: i64 = 8;

/// `GET /supervisor`.
pub(super) async fn page(State(state): State<AppState>, console: Console) -> Response {
    match supervisor_page(&state, &console).await {
        Ok(body) => layout(&console, Section::Supervisor, "Supervisor", body),
        Err(error) => trouble(Some(&console), error),
    }
}

async fn flagged(
    state: &AppState,
    console: &Console,
    flag: &str,
) -> Result<QueuePageView, AppError> {
    let query = QueueQuery {
        flag: Some(flag.to_owned()),
        limit: Some(20),
        ..QueueQuery::default()
    };
    read_queue(state, &console.current, &query).await
}

async fn supervisor_page(state: &AppState, console: &Console) -> Result<Markup, AppError> {
    console.current.require(AgentRole::Supervisor)?;
    let store = &state.store;
    let now = state.clock.now();
    let approvals = store.compensation(None).await?;
    let at_risk = store
        .promises_due_before(
            now.plus_millis(amends_core::queue::WEIGHTS.due_soon_millis),
            50,
        )
        .await?;
    let broken = flagged(state, console, "broken_promise").await?;
    let abusive = flagged(state, console, "abusive").await?;
    let win_back = flagged(state, console, "churn_threat").await?;
    let mut weeks = Vec::new();
    for back in (0..WEEKS).rev() {
        let to = now.plus_millis(-back * WEEK_MILLIS);
        let from = to.plus_millis(-WEEK_MILLIS);
        weeks.push((week_label(from), store.figures(from, to).await?));
    }
    let bars = |value: &dyn Fn(&amends_store::Figures) -> Option<f64>| -> Vec<Bar> {
        weeks
            .iter()
            .map(|(label, f)| Bar {
                label: label.clone(),
                value: value(f),
            })
            .collect()
    };
    let percent = |v: f64| format!("{:.0}%", v * 100.0);
    Ok(html! {
        div class="page-head" { h1 { "Supervisor" } }
        div class="charts" {
            (bar_chart("kept", "Promises kept, by week", &bars(&|f| f.promises.kept_rate), Some(1.0), percent))
            (bar_chart("fcr", "First-contact resolution, by week", &bars(&|f| f.first_contact_resolution_rate), Some(1.0), percent))
            (bar_chart("csat", "Satisfaction (1 to 5), by week", &bars(&|f| f.csat.average), Some(5.0), |v| format!("{v:.1}")))
            (bar_chart("comp", "Compensation granted, by week", &bars(&|f| (f.compensation.total > 0).then_some(f.compensation.total as f64 / 100.0)), None, |v| format!("{v:.0}")))
            (bar_chart("chat-wait", "Chats: median first answer (seconds), by week", &bars(&|f| f.chat.first_response.median.map(|s| s as f64)), None, |v| format!("{v:.0}")))
            (bar_chart("chat-left", "Chats abandoned before an answer, by week", &bars(&|f| (f.chat.chats > 0).then(|| f.chat.abandoned as f64 / f.chat.chats as f64)), Some(1.0), percent))
        }
        @if let Some((_, week)) = weeks.last() { (chat_week(&week.chat)) }
        div class="columns" {
            section class="panel" aria-labelledby="approvals-title" {
                h2 id="approvals-title" { "Approvals waiting (" (approvals.len()) ")" }
                @if approvals.is_empty() { p class="muted" { "None." } }
                ul class="plain" {
                    @for c in &approvals {
                        li {
                            a href={ "/cases/" (c.case_id) } { "Case #" (c.case_id) } ": "
                            (label(c.kind.as_str())) " " (money(c.amount_minor, &c.currency)) " · " (c.reason)
                            form class="inline" data-api={ "/api/v1/compensation/" (c.id) "/decision" } {
                                button type="submit" name="approve" value="true" data-type="bool" { "Approve" }
                                button type="submit" name="approve" value="false" data-type="bool" { "Refuse" }
                                (form_status())
                            }
                        }
                    }
                }
            }
            section class="panel" aria-labelledby="risk-title" {
                h2 id="risk-title" { "Promises due within the hour or overdue" }
                @if at_risk.is_empty() { p class="muted" { "None." } }
                ul class="plain" {
                    @for p in &at_risk {
                        li {
                            a href={ "/cases/" (p.case_id) } { "Case #" (p.case_id) } ": " (p.description) " · "
                            @if p.due_at > now { "due in " (span(now, p.due_at)) } @else { span class="badge hot" { "overdue" } }
                        }
                    }
                }
            }
            (case_list("broken", "Broken promises", &broken))
            (case_list("abusive", "Abusive contacts", &abusive))
            (case_list("winback", "Threatening to leave (win-back)", &win_back))
        }
    })
}

/// This week's chats in words: how many, how fast answered, how many left, who held them, and
/// what the assistant did.
fn chat_week(chat: &amends_store::ChatFigures) -> Markup {
    html! {
        section class="panel" aria-labelledby="chat-week-title" {
            h2 id="chat-week-title" { "Chats this week" }
            p {
                (chat.chats) " chats; first answer "
                @match chat.first_response.median { Some(s) => { "in " (s) " s (median)" }, None => { "not given yet" } }
                "; " (chat.abandoned) " abandoned before an answer."
            }
            @if !chat.per_agent.is_empty() {
                ul class="plain" {
                    @for (agent, count) in &chat.per_agent { li { (agent) ": " (count) } }
                }
            }
            @let bot = &chat.assistant;
            @if bot.conversations > 0 {
                p {
                    "The assistant spoke in " (bot.conversations) " chats, closed " (bot.closed)
                    " itself and handed over:"
                }
                ul class="plain" aria-label="Hand-offs by reason" {
                    @for (reason, count) in bot.handed_over.iter().filter(|(_, n)| *n > 0) {
                        li { (reason.replace('_', " ")) ": " (count) }
                    }
                }
            }
        }
    }
}

fn week_label(from: Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp(from.millis() / 1000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[day] [month repr:short]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

fn case_list(id: &str, title: &str, view: &QueuePageView) -> Markup {
    html! {
        section class="panel" aria-labelledby={ (id) "-title" } {
            h2 id={ (id) "-title" } { (title) " (" (view.items.len()) @if view.next_cursor.is_some() { "+" } ")" }
            @if view.items.is_empty() { p class="muted" { "None." } }
            ul class="plain" {
                @for entry in &view.items {
                    li {
                        a href={ "/cases/" (entry.case.id) } { "#" (entry.case.id) " " (entry.case.subject) }
                        " · " (entry.customer_name)
                    }
                }
            }
        }
    }
}

/// `GET /mail`: what went out (or waits to), and what came in that opened no case.
pub(super) async fn mail_page(State(state): State<AppState>, console: Console) -> Response {
    let result = async {
        console.current.require(AgentRole::Supervisor)?;
        let notices = state.store.notices(None, None, 100).await?;
        let intake = state.store.inbound_mails(None, 100).await?;
        Ok::<_, AppError>((notices, intake))
    }
    .await;
    let (notices, intake) = match result {
        Ok(found) => found,
        Err(error) => return trouble(Some(&console), error),
    };
    let relay = state.settings.mail.relay.is_some();
    let body = html! {
        div class="page-head" { h1 { "Mail" } }
        @if !relay {
            p class="notice" { "No SMTP relay is configured: mail to customers is kept in this outbox (held) and not sent. Set AMENDS_SMTP_URL to send it." }
        }
        section class="panel" aria-labelledby="outbox-title" {
            h2 id="outbox-title" { "Outbox" }
            table class="list" {
                thead { tr { th scope="col" { "Case" } th scope="col" { "To" } th scope="col" { "Subject" } th scope="col" { "Kind" } th scope="col" { "State" } th scope="col" { "When" } } }
                tbody {
                    @for n in &notices {
                        tr {
                            td { a href={ "/cases/" (n.case_id) } { "#" (n.case_id) } }
                            td { (n.to_address.as_deref().unwrap_or("–")) }
                            td { a href={ "/api/v1/notices/" (n.id) "/mail" } { (n.subject) } }
                            td { (label(&n.kind)) }
                            td {
                                span class={ "badge" @if n.status == "failed" { " hot" } } { (n.status) }
                                @if let Some(error) = &n.last_error { " " span class="muted" { (error) } }
                            }
                            td { (when(n.sent_at.unwrap_or(n.created_at))) }
                        }
                    }
                }
            }
        }
        section class="panel" aria-labelledby="intake-title" {
            h2 id="intake-title" { "Mail received" }
            table class="list" {
                thead { tr { th scope="col" { "From" } th scope="col" { "Subject" } th scope="col" { "Outcome" } th scope="col" { "Received" } } }
                tbody {
                    @for m in &intake {
                        tr {
                            td { (m.from_address.as_deref().unwrap_or("–")) }
                            td { (m.subject.as_deref().unwrap_or("(no subject)")) }
                            td {
                                @match m.case_id {
                                    Some(case) => a href={ "/cases/" (case) } { (label(&m.outcome)) " → #" (case) },
                                    None => span class={ "badge" @if m.outcome == "quarantined" { " hot" } } { (label(&m.outcome)) },
                                }
                                @if let Some(reason) = &m.reason { " " span class="muted" { (reason) } }
                                @if m.outcome == "quarantined" {
                                    " " a href={ "/api/v1/mail/intake/" (m.id) "/raw" } { "raw" }
                                }
                            }
                            td { (when(m.received_at)) }
                        }
                    }
                }
            }
        }
    };
    layout(&console, Section::Mail, "Mail", body)
}
