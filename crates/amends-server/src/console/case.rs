//! The case page: the customer card, the timeline with the engine's findings highlighted in
//! the customer's own words, the recovery panels (facts, expectation, promises, plan,
//! compensation, summary, resolution, abuse policy) and the reply composer with live coaching.

use std::collections::HashMap;

use amends_core::case::ResolutionKind;
use amends_core::compensation::CompensationKind;
use amends_core::promise::{PromiseKind, PromiseState};
use amends_core::recovery::{draft_summary, FactSource, SummarySource};
use amends_core::{
    queue, AgentRole, Case, CaseStatus, Customer, Direction, Message, Priority, Timestamp,
};
use amends_store::{AttachmentInfo, Plan, Summary};
use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::format::{label, money, span, when};
use super::{form_status, layout, trouble, Console, Section};
use crate::extract::ApiPath;
use crate::{AppError, AppState};

/// Everything the case page shows, read in one go.
pub struct CaseFile {
    pub case: Case,
    pub customer: Customer,
    pub messages: Vec<Message>,
    pub past_cases: Vec<Case>,
    pub standing: amends_core::standing::Standing,
    pub facts: Vec<amends_core::recovery::Fact>,
    pub promises: Vec<amends_core::promise::Promise>,
    pub plan: Plan,
    pub compensation: Vec<amends_core::compensation::Compensation>,
    pub summary: Option<Summary>,
    pub attachments: Vec<AttachmentInfo>,
    pub notices: Vec<amends_store::Notice>,
    pub agents: HashMap<i64, String>,
    pub abuse_steps_taken: i64,
    pub now: Timestamp,
}

impl CaseFile {
    /// Reads case `id` and all around it.
    pub async fn read(state: &AppState, id: i64) -> Result<CaseFile, AppError> {
        let store = &state.store;
        let case = store.case(id).await?;
        let customer = store.customer(case.customer_id).await?;
        let now = state.clock.now();
        Ok(CaseFile {
            messages: store.case_messages(id).await?,
            past_cases: store.customer_cases(customer.id, 11).await?,
            standing: store
                .customer_standing(customer.id, &state.settings.standing, now)
                .await?,
            facts: store.case_facts(id).await?,
            promises: store.case_promises(id).await?,
            plan: store.plan(id).await?,
            compensation: store.compensation(Some(id)).await?,
            summary: store.latest_summary(id).await?,
            attachments: store.case_attachments(id).await?,
            notices: store.notices(Some(id), 100).await?,
            agents: store
                .agents()
                .await?
                .into_iter()
                .map(|a| (a.id, a.name))
                .collect(),
            abuse_steps_taken: store.abuse_steps_for_customer(customer.id).await?,
            case,
            customer,
            now,
        })
    }

    pub fn agent_name(&self, id: i64) -> &str {
        self.agents.get(&id).map_or("an agent", String::as_str)
    }

    /// The first name the desk greets the customer by.
    pub fn first_name(&self) -> &str {
        self.customer
            .name
            .split_whitespace()
            .next()
            .unwrap_or(&self.customer.name)
    }

    /// The draft of the written summary, from what the case knows now.
    pub fn summary_draft(&self) -> String {
        draft_summary(&SummarySource {
            customer_name: &self.customer.name,
            subject: &self.case.subject,
            facts: &self.facts,
            expectation: self.case.expectation.as_ref(),
            plan: &self.plan.steps,
            promises: &self.promises,
        })
    }
}

/// A page about one case: reads it (for agents) and renders it with `render`, or the trouble.
pub async fn case_file_page(
    state: &AppState,
    console: &Console,
    id: Result<ApiPath<i64>, AppError>,
    render: impl FnOnce(&CaseFile) -> (String, Markup),
) -> Response {
    let result = async {
        console.current.require(AgentRole::Agent)?;
        let ApiPath(id) = id?;
        CaseFile::read(state, id).await
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
pub async fn page(
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
            div class="head-actions" {
                a class="button primary" href={ "/cases/" (case.id) "/call" } { "Call assistant" }
                (owner_controls(console, file))
            }
        }
        div class="case-grid" {
            div class="case-main" {
                (timeline(file))
                (composer(file))
            }
            aside class="case-side" aria-label="Customer and recovery" {
                (customer_card(file))
                (expectation_panel(file))
                (facts_panel(file))
                (promises_panel(file))
                (plan_panel(file))
                (compensation_panel(console, file))
                (summary_panel(file))
                (resolve_panel(file))
                (abuse_panel(state, file))
            }
        }
    }
}

/// The badges of a case's state: how upset, threats, abuse, broken promises.
pub fn case_badges(case: &Case) -> Markup {
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
            @if case.churn_threat { li class="badge hot" { "threatens to leave" } }
            @if case.abusive_messages > 0 { li class="badge hot" { "abusive" } }
            @if case.broken_promises > 0 { li class="badge hot" { "broken promise" } }
            @if case.reopen_count > 0 { li class="badge" { "reopened" } }
        }
    }
}

fn owner_controls(console: &Console, file: &CaseFile) -> Markup {
    let case = &file.case;
    let me = console.current.agent.id;
    let api = format!("/api/v1/cases/{}", case.id);
    html! {
        @if case.owner_id != Some(me) {
            form class="inline" data-api=(api) data-method="PATCH" {
                input type="hidden" name="owner_id" value=(me) data-type="int";
                button type="submit" { "Take this case" }
                (form_status())
            }
        } @else {
            span class="muted" { "Yours" }
        }
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
        section class="timeline" aria-labelledby="timeline-title" {
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
            form id="reply-form" data-api={ "/api/v1/cases/" (case_id) "/messages" }
                data-guard="coaching" {
                fieldset class="direction" {
                    legend class="visually-hidden" { "Kind of message" }
                    label { input type="radio" name="direction" value="outbound" checked;
                        " Reply to " (file.first_name()) }
                    label { input type="radio" name="direction" value="note"; " Internal note" }
                }
                label for="reply" class="visually-hidden" { "Your reply" }
                div class="field-wrap" {
                    div class="backdrop" aria-hidden="true" {}
                    textarea id="reply" name="body" rows="7" required spellcheck="true"
                        placeholder={ "Write to " (file.first_name()) "…" } {}
                }
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
                        li class="badge hot" { (label(&serde_json::to_value(flag).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())) }
                    }
                }
            }
            @if !c.notes.is_empty() { p class="notes" { (c.notes) } }
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

fn expectation_panel(file: &CaseFile) -> Markup {
    let case = &file.case;
    let current = case.expectation.as_ref();
    html! {
        section class="panel" aria-labelledby="expect-title" {
            h2 id="expect-title" { "What they expect" }
            @if let Some(e) = current {
                p { strong { (label(e.kind.as_str())) } ": “" (e.words) "”" }
            } @else {
                p class="prompt" { "Ask: “What would put this right for you?”" }
            }
            (expectation_form(file, "expect"))
        }
    }
}

/// The form recording what the customer expects; `prefix` keeps its ids unique on a page.
pub fn expectation_form(file: &CaseFile, prefix: &str) -> Markup {
    let current = file.case.expectation.as_ref();
    html! {
        form data-api={ "/api/v1/cases/" (file.case.id) "/expectation" } data-method="PUT" {
            label for={ (prefix) "-kind" } { "They asked for" }
            select id={ (prefix) "-kind" } name="kind" required {
                @if current.is_none() { option value="" { "Choose…" } }
                @for kind in ResolutionKind::ALL {
                    option value=(kind.as_str()) selected[current.is_some_and(|e| e.kind == kind)] { (label(kind.as_str())) }
                }
            }
            label for={ (prefix) "-words" } { "In their words" }
            input id={ (prefix) "-words" } name="words" required value=(current.map_or("", |e| e.words.as_str()));
            button type="submit" { "Save" }
            (form_status())
        }
    }
}

/// The facts with their read-back controls; also used by the call assistant.
pub fn facts_panel(file: &CaseFile) -> Markup {
    let unconfirmed = file.facts.iter().filter(|f| !f.confirmed).count();
    html! {
        section class="panel" aria-labelledby="facts-title" id="facts" {
            h2 id="facts-title" { "Facts" }
            @if !file.facts.is_empty() {
                p class="muted" { (unconfirmed) " still to read back and confirm" }
            }
            ol class="facts" {
                @for f in &file.facts {
                    li class={ "fact" @if f.confirmed { " confirmed" } } {
                        span { (f.text) }
                        " "
                        @if f.confirmed {
                            span class="badge calm" { "confirmed" }
                        } @else {
                            form class="inline" data-api={ "/api/v1/facts/" (f.id) } data-method="PATCH" {
                                span class="muted" { @if f.read_back { "read back, not confirmed" } @else { "read it back:" } }
                                button type="submit" name="confirmed" value="true" data-type="bool" { "Confirmed" }
                                button type="submit" name="confirmed" value="false" data-type="bool" { "Not right" }
                                (form_status())
                            }
                        }
                    }
                }
            }
            form data-api={ "/api/v1/cases/" (file.case.id) "/facts" } class="add-fact" {
                label for="fact-text" { "Note a fact" }
                input id="fact-text" name="text" required data-fact-input
                    placeholder="Order 1182 arrived on 3 May, box crushed";
                label for="fact-source" { "Source" }
                select id="fact-source" name="source" {
                    @for source in [FactSource::CustomerSaid, FactSource::AgentVerified, FactSource::SystemRecord] {
                        option value=(source.as_str()) { (label(source.as_str())) }
                    }
                }
                button type="submit" { "Add fact" }
                (form_status())
            }
        }
    }
}

/// The promises with keep and extend, and the form to make one; also used by the call
/// assistant.
pub fn promises_panel(file: &CaseFile) -> Markup {
    let now = file.now;
    html! {
        section class="panel" aria-labelledby="promises-title" id="promises" {
            h2 id="promises-title" { "Promises" }
            ul class="plain promises" {
                @for p in &file.promises {
                    @let live = matches!(p.state, PromiseState::Open | PromiseState::Extended);
                    li class={ "promise promise-" (p.state.as_str()) } {
                        strong { (label(p.kind.as_str())) } ": " (p.description)
                        br;
                        span class="muted" {
                            (label(p.state.as_str())) " · due " (when(p.due_at))
                            @if live {
                                @if p.due_at > now { " (in " (span(now, p.due_at)) ")" }
                                @else { " (overdue)" }
                            }
                            " · " (file.agent_name(p.owner_id))
                        }
                        @if live {
                            div class="row" {
                                form class="inline" data-api={ "/api/v1/promises/" (p.id) "/keep" } data-nobody {
                                    button type="submit" { "Mark kept" }
                                    (form_status())
                                }
                                @if p.due_at > now {
                                    details class="extend" {
                                        summary { "Ask for more time" }
                                        form data-api={ "/api/v1/promises/" (p.id) "/extend" } {
                                            label for={ "extend-at-" (p.id) } { "New time" }
                                            input id={ "extend-at-" (p.id) } type="datetime-local" name="due_at" required data-type="datetime";
                                            label for={ "extend-why-" (p.id) } { "Why (the customer reads this)" }
                                            input id={ "extend-why-" (p.id) } name="reason" required;
                                            button type="submit" { "Extend and tell them" }
                                            (form_status())
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form data-api={ "/api/v1/cases/" (file.case.id) "/promises" } class="new-promise" {
                h3 { "Schedule a call-back or promise" }
                label for="promise-kind" { "Kind" }
                select id="promise-kind" name="kind" {
                    @for kind in [PromiseKind::CallBack, PromiseKind::Update, PromiseKind::ActionStep, PromiseKind::Refund, PromiseKind::Other] {
                        option value=(kind.as_str()) { (label(kind.as_str())) }
                    }
                }
                label for="promise-what" { "What they were told" }
                input id="promise-what" name="description" required
                    value={ "Call " (file.first_name()) " back with an update" };
                label for="promise-due" { "When" }
                input id="promise-due" type="datetime-local" name="due_at" required
                    data-type="datetime" data-default-minutes="120";
                button type="submit" { "Schedule" }
                (form_status())
            }
        }
    }
}

/// The action plan editor; also used by the call assistant.
pub fn plan_panel(file: &CaseFile) -> Markup {
    let plan = &file.plan;
    html! {
        section class="panel" aria-labelledby="plan-title" id="plan" {
            h2 id="plan-title" { "Action plan" }
            @if let Some(answer) = &plan.answer {
                p class="muted" { "Customer's answer: " (label(&serde_json::to_value(answer).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())) }
            }
            ol class="plain steps" {
                @for step in &plan.steps {
                    li {
                        (step.description) " · by " (when(step.due_at))
                        @if let Some(done) = step.done_at {
                            " · " span class="badge calm" { "done " (when(done)) }
                        } @else {
                            form class="inline" data-api={ "/api/v1/plan-steps/" (step.id) "/done" } data-nobody {
                                button type="submit" { "Done" }
                                (form_status())
                            }
                        }
                    }
                }
            }
            details {
                summary { @if plan.steps.is_empty() { "Write a plan" } @else { "Rewrite the plan" } }
                form data-api={ "/api/v1/cases/" (file.case.id) "/plan" } data-method="PUT" {
                    div data-rows="steps" {
                        @for (i, step) in plan.steps.iter().enumerate() {
                            (plan_row(i, &step.description))
                        }
                        @for i in plan.steps.len()..plan.steps.len() + 2 {
                            (plan_row(i, ""))
                        }
                    }
                    p class="muted" { "Each step with a date is shared with the customer by link." }
                    button type="submit" { "Save and share the plan" }
                    (form_status())
                }
            }
        }
    }
}

fn plan_row(i: usize, description: &str) -> Markup {
    html! {
        div class="plan-row" data-row {
            label for={ "step-" (i) } { "Step " (i + 1) }
            input id={ "step-" (i) } name="description" value=(description);
            label for={ "step-due-" (i) } { "By" }
            input id={ "step-due-" (i) } type="datetime-local" name="due_at" data-type="datetime";
        }
    }
}

/// Compensation granted on the case and the form to offer more; also used by the call
/// assistant.
pub fn compensation_panel(console: &Console, file: &CaseFile) -> Markup {
    let limit = console.current.agent.authority_limit_minor;
    let currency = &file.customer.currency;
    html! {
        section class="panel" aria-labelledby="comp-title" id="compensation" {
            h2 id="comp-title" { "Compensation" }
            ul class="plain" {
                @for c in &file.compensation {
                    li { (label(c.kind.as_str())) " " (money(c.amount_minor, &c.currency)) " · "
                        span class={ "badge" @if c.state.as_str() == "awaiting_approval" { " hot" } } { (label(c.state.as_str())) }
                        " · " (c.reason) }
                }
            }
            form data-api={ "/api/v1/cases/" (file.case.id) "/compensation" } {
                p class="muted" { "Your authority: " (money(limit, currency)) " per case. Above it, a supervisor approves." }
                label for="comp-kind" { "Kind" }
                select id="comp-kind" name="kind" {
                    @for kind in [CompensationKind::Refund, CompensationKind::Discount, CompensationKind::Credit, CompensationKind::Gift] {
                        option value=(kind.as_str()) { (label(kind.as_str())) }
                    }
                }
                label for="comp-amount" { "Amount (" (currency) ")" }
                input id="comp-amount" name="amount_minor" type="number" min="0.01" step="0.01" required data-type="money";
                label for="comp-reason" { "Why" }
                input id="comp-reason" name="reason" required;
                button type="submit" { "Offer" }
                (form_status())
            }
        }
    }
}

/// The written summary: the latest sent with the customer's answer, and the composer.
pub fn summary_panel(file: &CaseFile) -> Markup {
    html! {
        section class="panel" aria-labelledby="summary-title" id="summary" {
            h2 id="summary-title" { "Written summary" }
            @if let Some(s) = &file.summary {
                p class="muted" {
                    "Sent " (when(s.created_at)) ". "
                    @match s.answer.as_deref() {
                        Some("confirmed") => span class="badge calm" { "customer confirmed it" },
                        Some(other) => span class="badge hot" { "customer: " (label(other)) },
                        None => "Waiting for the customer to confirm.",
                    }
                }
                @if let Some(comment) = &s.answer_comment { blockquote { (comment) } }
            }
            form data-api={ "/api/v1/cases/" (file.case.id) "/summary" } {
                label for="summary-body" { "Summary to send (they confirm it by link)" }
                textarea id="summary-body" name="body" rows="8" required { (file.summary_draft()) }
                button type="submit" { "Send summary" }
                (form_status())
            }
        }
    }
}

fn resolve_panel(file: &CaseFile) -> Markup {
    let case = &file.case;
    let api = format!("/api/v1/cases/{}", case.id);
    let resolved = matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed);
    html! {
        section class="panel" aria-labelledby="resolve-title" {
            h2 id="resolve-title" { "Status" }
            form data-api=(api) data-method="PATCH" {
                label for="case-status" { "Status" }
                select id="case-status" name="status" {
                    @for status in CaseStatus::ALL {
                        @if status != CaseStatus::Resolved {
                            option value=(status.as_str()) selected[status == case.status] { (label(status.as_str())) }
                        }
                    }
                }
                button type="submit" { "Change" }
                (form_status())
            }
            @if !resolved {
                form data-api=(api) data-method="PATCH" class="resolve" {
                    input type="hidden" name="status" value="resolved";
                    label for="gesture" { "Goodwill gesture the follow-up mentions (optional)" }
                    input id="gesture" name="follow_up_gesture" placeholder="a 10% voucher is on your account";
                    button type="submit" class="primary" { "Resolve and schedule the follow-up" }
                    (form_status())
                }
            }
            @if !case.churn_threat {
                form data-api={ (api) "/win-back" } data-nobody class="inline" {
                    button type="submit" { "They threaten to leave: flag for win-back" }
                    (form_status())
                }
            } @else {
                form data-api={ (api) "/win-back" } data-method="PUT" class="inline" {
                    label for="win-back" { "Win-back outcome" }
                    select id="win-back" name="outcome" {
                        @for o in ["undecided", "stayed", "left"] { option value=(o) { (o) } }
                    }
                    button type="submit" { "Record" }
                    (form_status())
                }
            }
        }
    }
}

/// The next step of the abuse policy, one click away; also used by the call assistant.
pub fn abuse_panel(state: &AppState, file: &CaseFile) -> Markup {
    let steps = &state.settings.abuse_policy.steps;
    let next = usize::try_from(file.abuse_steps_taken)
        .ok()
        .and_then(|taken| steps.get(taken.min(steps.len().saturating_sub(1))));
    html! {
        section class="panel abuse" aria-labelledby="abuse-title" id="abuse" {
            h2 id="abuse-title" { "Abuse policy" }
            @if let Some(step) = next {
                p { "Next step: " strong { (label(&step.name)) } }
                blockquote { (step.script) }
                form data-api={ "/api/v1/cases/" (file.case.id) "/abuse-policy" } data-nobody
                    data-confirm={ "Take the step “" (label(&step.name)) "” and record the words above on the case?" } {
                    button type="submit" class="warn" { "Say it and record it" }
                    (form_status())
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
