//! The recovery panels of a case (what the customer expects, facts, promises, the action plan,
//! compensation, the summary, the resolution and the abuse policy), shared by the case page
//! and the call assistant.

use amends_core::case::ResolutionKind;
use amends_core::compensation::CompensationKind;
use amends_core::promise::{PromiseKind, PromiseState};
use amends_core::protocol::FactSource;
use amends_core::CaseStatus;
use maud::{html, Markup};

use super::case_file::CaseFile;
use super::format::{label, money, span, when};
use super::{form_status, Console};
use crate::AppState;

pub(super) fn expectation_panel(file: &CaseFile) -> Markup {
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
pub(super) fn expectation_form(file: &CaseFile, prefix: &str) -> Markup {
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
pub(super) fn facts_panel(file: &CaseFile) -> Markup {
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
pub(super) fn promises_panel(file: &CaseFile) -> Markup {
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
pub(super) fn plan_panel(file: &CaseFile) -> Markup {
    let plan = &file.plan;
    html! {
        section class="panel" aria-labelledby="plan-title" id="plan" {
            h2 id="plan-title" { "Action plan" }
            @if let Some(answer) = &plan.answer {
                p class="muted" { "Customer's answer: " (label(answer.as_str())) }
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
pub(super) fn compensation_panel(console: &Console, file: &CaseFile) -> Markup {
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
pub(super) fn summary_panel(file: &CaseFile) -> Markup {
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

pub(super) fn resolve_panel(file: &CaseFile) -> Markup {
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
pub(super) fn abuse_panel(state: &AppState, file: &CaseFile) -> Markup {
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

/// The articles that may answer the customer, each public one's link put in the reply by its
/// button or Alt and its number.
pub(super) fn article_suggestions(file: &CaseFile) -> Markup {
    html! {
        @if !file.articles.is_empty() {
            div class="article-suggestions" {
                p { "Articles that may answer " (file.first_name()) }
                ol {
                    @for (i, article) in file.articles.iter().enumerate() {
                        li {
                            a href={ "/knowledge/" (article.id) } { (article.title) }
                            @if let Some(link) = &article.link {
                                " "
                                button type="button" class="article-insert" data-link=(link)
                                    data-title=(article.title) { "Insert link" }
                                " " span class="hint" { "Key: " kbd { "Alt+" (i + 1) } }
                            } @else {
                                " (internal)"
                            }
                        }
                    }
                }
            }
        }
    }
}
