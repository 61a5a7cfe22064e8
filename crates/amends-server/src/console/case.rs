//! The case page: the customer card, the timeline with the engine's findings highlighted in
//! the customer's own words, the recovery panels (facts, expectation, promises, plan,
//! compensation, summary, resolution, abuse policy) and the reply composer with live coaching.

use amends_core::{queue, AgentRole, Case, Direction, Message, Priority, Timestamp};
use amends_store::AttachmentInfo;
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::case_file::CaseFile;
use super::format::{label, money, when};
use super::panels::{
    abuse_panel, article_suggestions, compensation_panel, expectation_panel, facts_panel,
    plan_panel, promises_panel, resolve_panel, summary_panel,
};
use super::{form_status, layout, trouble, Console, Section};
use crate::extract::ApiPath;
use crate::{AppError, AppState};

/// A page about one case: reads it (for agents) and renders it with `render`, or the trouble.
pub(super) async fn case_file_page(
    state: &AppState,
    console: &Console,
    id: Result<ApiPath<i64>, AppError>,
    render: impl FnOnce(&CaseFile) -> (String, Markup),
) -> Response {
    let result = async {
        console.current.require(AgentRole::Agent)?;
        let ApiPath(id) = id?;
        CaseFile::read(state, id, &console.current.agent).await
    }
    .await;
    match result {
        Ok(file) => {
            let (title, body) = render(&file);
            layout(console, Section::Case, &title, body)
        }
        Err(error) => trouble(Some(console), error),
    }
}

/// `GET /cases/{id}`.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    id: Result<ApiPath<i64>, AppError>,
) -> Response {
    case_file_page(&state, &console, id, |file| {
        let title = format!("#{} {}", file.case.id, file.case.subject);
        (title, case_page(&state, &console, file))
    })
    .await
}

fn case_page(state: &AppState, console: &Console, file: &CaseFile) -> Markup {
    let case = &file.case;
    html! {
        div class="page-head case-head" {
            h1 { span class="case-id" { "#" (case.id) } " " (case.subject) }
            (case_badges(case))
            (tags_form(&format!("/api/v1/cases/{}/tags", case.id), "case-tags", "Case tags", &file.tags))
            (tags_datalist(file))
            div class="head-actions" {
                a class="button primary" href={ "/cases/" (case.id) "/call" } { "Call assistant" }
                (owner_controls(console, file))
            }
        }
        div class="case-grid" {
            div class="case-main" {
                (super::incidents::case_panel(file))
                (timeline(file))
                (composer(file))
            }
            aside class="case-side" aria-label="Customer and recovery" {
                (customer_card(file))
                (their_data(console, file.customer.id))
                (super::fields::fields_panel(file))
                (expectation_panel(file))
                (facts_panel(file))
                (promises_panel(file))
                (plan_panel(file))
                (compensation_panel(console, file))
                (summary_panel(file))
                (resolve_panel(file))
                (super::merging::merge_panel(file))
                (abuse_panel(state, file))
            }
        }
    }
}

/// The badges of a case's state: how upset, threats, abuse, broken promises.
pub(super) fn case_badges(case: &Case) -> Markup {
    let anger = case.anger_permille;
    let anger_label = if anger <= 0 {
        None
    } else if anger < queue::ANGRY_PERMILLE {
        Some(("dissatisfied", "badge"))
    } else if anger < queue::FURIOUS_PERMILLE {
        Some(("angry", "badge hot"))
    } else {
        Some(("furious", "badge hot"))
    };
    html! {
        ul class="badges" aria-label="Case signals" {
            li class={ "status status-" (case.status.as_str()) } { (label(case.status.as_str())) }
            li class="badge" { (case.priority.as_str()) " priority" }
            li class="badge" { (label(case.channel.as_str())) }
            @if let Some((text, class)) = anger_label { li class=(class) { (text) } }
            @if case.public_post { li class="badge hot" { (amends_core::queue::PUBLIC_RISK) } }
            @if case.churn_threat { li class="badge hot" { "threatens to leave" } }
            @if case.abusive_messages > 0 { li class="badge hot" { "abusive" } }
            @if case.broken_promises > 0 { li class="badge hot" { "broken promise" } }
            @if case.reopen_count > 0 { li class="badge" { "reopened" } }
        }
    }
}

/// A record's tags as one comma-separated field, sent whole on change; suggestions come from
/// the tags in use.
pub(super) fn tags_form(
    api: &str,
    id: &str,
    title: &str,
    tags: &[amends_core::tag::Tag],
) -> Markup {
    let text = tags
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        form class="inline tags" data-api=(api) data-method="PUT" {
            label for=(id) { (title) }
            input id=(id) name="tags" data-type="list" value=(text) list="tags-in-use"
                placeholder="refund, vip" autocomplete="off";
            button type="submit" { "Save tags" }
            (form_status())
        }
    }
}

fn tags_datalist(file: &CaseFile) -> Markup {
    html! {
        datalist id="tags-in-use" {
            @for used in &file.tags_in_use { option value=(used.tag.as_str()) {} }
        }
    }
}

/// Passing a live chat to another agent or a supervisor, with a note for them.
fn pass_chat_on(file: &CaseFile, me: i64) -> Markup {
    let mut others: Vec<(&i64, &String)> =
        file.agents.iter().filter(|(id, _)| **id != me).collect();
    others.sort_by(|a, b| a.1.cmp(b.1));
    html! {
        form class="inline pass-on" data-api={ "/api/v1/cases/" (file.case.id) "/transfer" } {
            label for="pass-to" { "Pass the chat to" }
            select id="pass-to" name="to_agent_id" data-type="int" required {
                @for (id, name) in others { option value=(id) { (name) } }
            }
            label for="pass-note" { "Note for them" }
            input id="pass-note" name="note" required maxlength="2000";
            button type="submit" { "Pass on" }
            (form_status())
        }
    }
}

fn owner_controls(console: &Console, file: &CaseFile) -> Markup {
    let case = &file.case;
    let me = console.current.agent.id;
    let api = format!("/api/v1/cases/{}", case.id);
    html! {
        @if case.owner_id != Some(me) && file.chat_id.is_some() {
            // A chat is taken within the agent's capacity, as on the Chats page.
            form class="inline" data-api={ (api) "/accept" } data-nobody {
                button type="submit" { "Take this chat" }
                (form_status())
            }
        } @else if case.owner_id != Some(me) {
            form class="inline" data-api=(api) data-method="PATCH" {
                input type="hidden" name="owner_id" value=(me) data-type="int";
                button type="submit" { "Take this case" }
                (form_status())
            }
        } @else {
            span class="muted" { "Yours" }
        }
        @if file.chat_id.is_some() { (pass_chat_on(file, me)) }
        form class="inline" data-api=(api) data-method="PATCH" {
            label for="case-priority" class="visually-hidden" { "Priority" }
            select id="case-priority" name="priority" data-autosend {
                @for priority in Priority::ALL {
                    option value=(priority.as_str()) selected[priority == case.priority] {
                        (priority.as_str()) " priority"
                    }
                }
            }
            (form_status())
        }
    }
}

/// What the engine stored about a customer message.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredAssessment {
    label: Option<String>,
    complaint: bool,
    category: Option<String>,
    churn_threat: bool,
    abusive: bool,
    threat: bool,
    public_exposure_threat: bool,
    legal_threat: bool,
    mentions_payment: bool,
    requested_resolutions: Vec<String>,
    urgent: bool,
    evidence: Vec<StoredEvidence>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StoredEvidence {
    kind: String,
    start: usize,
    end: usize,
}

fn stored_assessment(message: &Message) -> Option<StoredAssessment> {
    let json = &message.reading.as_ref()?.assessment_json;
    serde_json::from_str(json).ok()
}

/// The text with the evidence spans marked. Spans that overlap an earlier one, fall outside
/// the text or off a character boundary are left out rather than trusted.
fn highlighted(text: &str, evidence: &[StoredEvidence]) -> Markup {
    let mut spans: Vec<&StoredEvidence> = evidence
        .iter()
        .filter(|e| {
            e.start < e.end
                && e.end <= text.len()
                && text.is_char_boundary(e.start)
                && text.is_char_boundary(e.end)
        })
        .collect();
    spans.sort_by_key(|e| (e.start, std::cmp::Reverse(e.end)));
    let mut pieces: Vec<(&str, Option<&str>)> = Vec::new();
    let mut at = 0;
    for e in spans {
        if e.start >= at {
            pieces.push((&text[at..e.start], None));
            pieces.push((&text[e.start..e.end], Some(e.kind.as_str())));
            at = e.end;
        }
    }
    pieces.push((&text[at..], None));
    html! {
        @for (piece, kind) in pieces {
            @match kind {
                Some(kind) => mark class={ "ev ev-" (kind) } title=(label(kind)) { (piece) },
                None => (piece),
            }
        }
    }
}

fn assessment_badges(a: &StoredAssessment) -> Markup {
    html! {
        ul class="badges small" aria-label="What the words say" {
            @if let Some(l) = &a.label { @if l != "calm" { li class="badge hot" { (l) } } }
            @if a.complaint {
                li class="badge" { "complaint" @if let Some(c) = &a.category { ": " (label(c)) } }
            }
            @if a.churn_threat { li class="badge hot" { "threatens to leave" } }
            @if a.threat { li class="badge hot" { "threatens harm" } }
            @if a.abusive { li class="badge hot" { "abusive to staff" } }
            @if a.public_exposure_threat { li class="badge hot" { "public exposure threat" } }
            @if a.legal_threat { li class="badge hot" { "legal threat" } }
            @if a.mentions_payment { li class="badge" { "mentions payment" } }
            @if a.urgent { li class="badge" { "urgent" } }
            @for r in &a.requested_resolutions { li class="badge calm" { "asks for " (label(r)) } }
        }
    }
}

enum Entry<'a> {
    Message(&'a Message),
    Event { at: Timestamp, text: String },
}

impl Entry<'_> {
    fn at(&self) -> Timestamp {
        match self {
            Entry::Message(m) => m.created_at,
            Entry::Event { at, .. } => *at,
        }
    }
}

fn timeline(file: &CaseFile) -> Markup {
    let mut entries: Vec<Entry<'_>> = file.messages.iter().map(Entry::Message).collect();
    for p in &file.promises {
        entries.push(Entry::Event {
            at: p.created_at,
            text: format!(
                "Promise made ({}): {}",
                label(p.kind.as_str()),
                p.description
            ),
        });
        if let Some(at) = p.kept_at {
            entries.push(Entry::Event {
                at,
                text: format!("Promise kept: {}", p.description),
            });
        }
        if let Some(at) = p.broken_at {
            entries.push(Entry::Event {
                at,
                text: format!("Promise broken: {}", p.description),
            });
        }
    }
    for c in &file.compensation {
        entries.push(Entry::Event {
            at: c.created_at,
            text: format!(
                "Compensation {} {} ({}): {}",
                label(c.kind.as_str()),
                money(c.amount_minor, &c.currency),
                label(c.state.as_str()),
                c.reason
            ),
        });
    }
    for step in &file.plan.steps {
        if let Some(at) = step.done_at {
            entries.push(Entry::Event {
                at,
                text: format!("Plan step done: {}", step.description),
            });
        }
    }
    for n in &file.notices {
        entries.push(Entry::Event {
            at: n.sent_at.unwrap_or(n.created_at),
            text: format!(
                "To the customer by {} ({}): {} [{}]",
                label(&n.channel),
                label(&n.kind),
                n.subject,
                n.status
            ),
        });
    }
    entries.sort_by_key(Entry::at);
    html! {
        section id="timeline" class="timeline" aria-labelledby="timeline-title"
            data-live-chat=[file.chat_id] {
            h2 id="timeline-title" { "Timeline" }
            ol class="entries" {
                @for entry in &entries {
                    @match entry {
                        Entry::Message(m) => li { (message_entry(file, m)) },
                        Entry::Event { at, text } => li class="event" { (when(*at)) " " (text) },
                    }
                }
            }
        }
    }
}

fn message_entry(file: &CaseFile, m: &Message) -> Markup {
    let (class, who) = match m.direction {
        Direction::Inbound => ("message inbound", file.customer.name.clone()),
        Direction::Outbound => (
            "message outbound",
            m.author_id
                .map_or("The desk".to_owned(), |id| file.agent_name(id).to_owned()),
        ),
        Direction::Note => (
            "message note",
            format!(
                "Note by {}",
                m.author_id.map_or("the desk", |id| file.agent_name(id))
            ),
        ),
    };
    let assessment = (m.direction == Direction::Inbound)
        .then(|| stored_assessment(m))
        .flatten();
    let abusive = m.reading.as_ref().is_some_and(|r| r.abusive);
    let evidence: &[StoredEvidence] = assessment.as_ref().map_or(&[], |a| &a.evidence);
    let attachments: Vec<&AttachmentInfo> = file
        .attachments
        .iter()
        .filter(|a| a.message_id == m.id)
        .collect();
    let body = html! {
        div class="body" data-message-body { (highlighted(&m.body, evidence)) }
        @if !attachments.is_empty() {
            ul class="attachments" aria-label="Attachments" {
                @for a in attachments {
                    li {
                        @if a.kept {
                            a href={ "/api/v1/attachments/" (a.id) } {
                                (a.name.as_deref().unwrap_or("attachment"))
                            }
                        } @else {
                            (a.name.as_deref().unwrap_or("attachment")) " (not kept: "
                            (a.omitted.as_deref().unwrap_or("too large")) ")"
                        }
                        " · " (a.size / 1024) " KB"
                    }
                }
            }
        }
    };
    html! {
        article class=(class) id={ "message-" (m.id) } {
            header {
                strong { (who) }
                " · " (when(m.created_at)) " · " (label(m.channel.as_str()))
            }
            @if let Some(a) = &assessment { (assessment_badges(a)) }
            @if abusive {
                details class="abusive" {
                    summary { "Abusive message, hidden to protect you. Show it" }
                    (body)
                }
            } @else {
                (body)
            }
        }
    }
}

fn composer(file: &CaseFile) -> Markup {
    let case_id = file.case.id;
    html! {
        section class="composer" aria-labelledby="composer-title" data-composer data-case-id=(case_id) {
            h2 id="composer-title" { "Reply" }
            p id="presence" class="presence" role="status" aria-live="polite" {}
            form id="reply-form" data-api={ "/api/v1/cases/" (case_id) "/messages" }
                data-guard="coaching" {
                fieldset class="direction" {
                    legend class="visually-hidden" { "Kind of message" }
                    label { input type="radio" name="direction" value="outbound" checked;
                        " Reply to " (file.first_name()) }
                    label { input type="radio" name="direction" value="note"; " Internal note" }
                }
                @if let Some(latest) = file.messages.iter().filter(|m| m.direction == amends_core::Direction::Inbound).map(|m| m.id).max() {
                    input type="hidden" name="answers_message_id" value=(latest) data-type="int";
                }
                label for="reply" class="visually-hidden" { "Your reply" }
                div class="field-wrap" {
                    div class="backdrop" aria-hidden="true" {}
                    textarea id="reply" name="body" rows="7" required spellcheck="true"
                        placeholder={ "Write to " (file.first_name()) "…" } {}
                }
                @if !file.canned.is_empty() {
                    div class="canned" {
                        label for="canned" { "Canned reply" }
                        select id="canned" {
                            option value="" { "Choose one…" }
                            @for reply in &file.canned {
                                option value=(reply.id) { (reply.name) }
                            }
                        }
                        button type="button" id="canned-insert" { "Insert" }
                        span class="hint" { "Key: " kbd { "c" } ", then Enter" }
                        output class="canned-status" role="status" {}
                    }
                }
                (article_suggestions(file))
                div class="coaching" aria-live="polite" {
                    p class="score" {}
                    ul class="findings" aria-label="Suggestions" {}
                    ul class="strengths" aria-label="What works" {}
                }
                div class="actions" {
                    button type="submit" class="primary" { "Send" }
                    (form_status())
                }
            }
        }
    }
}

fn customer_card(file: &CaseFile) -> Markup {
    let c = &file.customer;
    let s = &file.standing;
    html! {
        section class="panel customer" aria-labelledby="customer-title" {
            h2 id="customer-title" { (c.name) }
            dl {
                @for email in &c.contacts.emails { dt { "Email" } dd { (email) } }
                @for phone in &c.contacts.phones { dt { "Phone" } dd { (phone) } }
                @for handle in &c.contacts.social_handles { dt { "Social" } dd { (handle) } }
                @if let Some(plan) = &c.plan { dt { "Plan" } dd { (plan) } }
                dt { "Brings" } dd { (money(s.revenue_to_date_minor, &c.currency)) }
                dt { "Cost to serve" }
                dd {
                    (money(s.compensation_to_date_minor, &c.currency))
                    @if let Some(share) = s.compensation_share_percent { " (" (share) "% of revenue)" }
                }
                dt { "Complaints" } dd { (s.complaints) }
            }
            @if !s.flags.is_empty() {
                ul class="badges" aria-label="Customer flags" {
                    @for flag in &s.flags {
                        li class="badge hot" { (label(flag.as_str())) }
                    }
                }
            }
            @if !c.notes.is_empty() { p class="notes" { (c.notes) } }
            (tags_form(&format!("/api/v1/customers/{}/tags", c.id), "customer-tags", "Customer tags", &file.customer_tags))
            @let past: Vec<&Case> = file.past_cases.iter().filter(|p| p.id != file.case.id).take(10).collect();
            @if !past.is_empty() {
                h3 { "Past cases" }
                ul class="plain" {
                    @for p in past {
                        li { a href={ "/cases/" (p.id) } { "#" (p.id) " " (p.subject) } " · " (label(p.status.as_str())) }
                    }
                }
            }
        }
    }
}

/// The customer's data rights, for supervisors (export) and admins (erasure).
fn their_data(console: &Console, customer_id: i64) -> Markup {
    let role = console.current.agent.role;
    html! {
        @if role.allows(AgentRole::Supervisor) {
            details class="panel their-data" {
                summary { "Their data" }
                p {
                    a href={ "/api/v1/customers/" (customer_id) "/export" } download {
                        "Download everything kept about them (ZIP)"
                    }
                }
                @if role.allows(AgentRole::Admin) {
                    form data-api={ "/api/v1/customers/" (customer_id) "/erasure" } data-nobody
                        data-confirm="Erase this customer's personal data everywhere? Their names, addresses, messages, mail and notes go for good; the figures stay. This cannot be undone." {
                        button type="submit" class="warn" { "Erase their personal data" }
                        (form_status())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{highlighted, StoredEvidence};

    fn evidence(kind: &str, start: usize, end: usize) -> StoredEvidence {
        StoredEvidence {
            kind: kind.to_owned(),
            start,
            end,
        }
    }

    #[test]
    fn evidence_is_marked_once_and_untrustworthy_spans_are_left_out() {
        let text = "I'm cancelling <b>now</b> é";
        let spans = [
            evidence("churn", 4, 14),
            evidence("overlap", 5, 9),
            evidence("mid_character", text.len() - 1, text.len()),
            evidence("outside", 3, 999),
            evidence("empty", 2, 2),
        ];
        let html = highlighted(text, &spans).into_string();
        assert_eq!(html.matches("<mark").count(), 1, "{html}");
        assert!(
            html.contains(r#"<mark class="ev ev-churn" title="churn">cancelling</mark>"#),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;now&lt;/b&gt; é"), "{html}");
        assert!(html.starts_with("I'm "), "{html}");
    }
}
