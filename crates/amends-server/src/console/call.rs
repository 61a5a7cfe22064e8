//! The call assistant: the screen an agent keeps open during a live call with an upset
//! customer. It walks the recovery protocol one step at a time (Listen, Acknowledge, Facts,
//! Solution, Commit, Close); everything captured lands on the case through the same API.

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::case::{case_badges, case_file_page};
use super::case_file::CaseFile;
use super::format::label;
use super::panels::{
    abuse_panel, compensation_panel, expectation_form, facts_panel, plan_panel, promises_panel,
    summary_panel,
};
use super::{form_status, Console};
use crate::extract::ApiPath;
use crate::{AppError, AppState};

const STEPS: [(&str, &str); 6] = [
    ("listen", "Listen"),
    ("acknowledge", "Acknowledge"),
    ("facts", "Facts"),
    ("solution", "Solution"),
    ("commit", "Commit"),
    ("close", "Close"),
];

/// `GET /cases/{id}/call`.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    id: Result<ApiPath<i64>, AppError>,
) -> Response {
    case_file_page(&state, &console, id, |file| {
        let title = format!("Call with {}", file.customer.name);
        (title, call_page(&state, &console, file))
    })
    .await
}

fn step_section(index: usize, body: Markup) -> Markup {
    let (id, name) = STEPS[index];
    html! {
        section class="step" id={ "step-" (id) } data-step aria-labelledby={ "step-title-" (id) } {
            h2 id={ "step-title-" (id) } { (index + 1) ". " (name) }
            (body)
            @if index + 1 < STEPS.len() {
                a class="button primary next" href={ "#step-" (STEPS[index + 1].0) } data-step-link {
                    "Next: " (STEPS[index + 1].1)
                }
            }
        }
    }
}

fn call_page(state: &AppState, console: &Console, file: &CaseFile) -> Markup {
    let name = file.first_name();
    let case = &file.case;
    let category = file
        .messages
        .iter()
        .rev()
        .find_map(|m| m.reading.as_ref())
        .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.assessment_json).ok())
        .and_then(|v| v.get("category").and_then(|c| c.as_str()).map(label));
    html! {
        div class="page-head call-head" {
            h1 { "Call with " (file.customer.name) }
            (case_badges(case))
            p {
                a href={ "/cases/" (case.id) } { "Case #" (case.id) ": " (case.subject) }
            }
            div class="call-clock" {
                span { "On the call " }
                output id="call-timer" data-timer aria-live="off" { "0:00" }
            }
            a class="button warn" href="#abuse" { "Abuse policy" }
        }
        nav class="steps-nav" aria-label="Call steps" {
            ol {
                @for (i, (id, step)) in STEPS.iter().enumerate() {
                    li { a href={ "#step-" (id) } data-step-link { (i + 1) ". " (step) } }
                }
            }
        }
        div class="call-steps" data-steps {
            (step_section(0, html! {
                p class="reminder" { strong { "Let them finish." } " Don't interrupt, don't explain yet. Silence is fine." }
                p class="muted" { "Press " kbd { "f" } " to note a fact while you listen; Enter saves it." }
                (quick_fact(file))
            }))
            (step_section(1, html! {
                p { "Say sorry and mean it, for their experience, in your own words:" }
                ul class="prompts" {
                    li { "“I'm so sorry, " (name) ". That is not the experience we want for you.”" }
                    li { "“I understand how frustrating this has been" @if let Some(c) = &category { ", especially with " (c) } ".”" }
                    li { "“Thank you for telling me. I'm going to take care of this personally.”" }
                }
                p class="muted" { "Own it: no excuses, no blame, no “it will never happen again”." }
            }))
            (step_section(2, html! {
                p { "Read each fact back: “Let me check I have this right…”. Tick it when they confirm." }
                (facts_panel(file))
            }))
            (step_section(3, html! {
                p class="prompt" { "Ask: “What would put this right for you, " (name) "?”" }
                (expectation_form(file, "call-expect"))
                (compensation_panel(console, file))
            }))
            (step_section(4, html! {
                p { "Commit to a time, not “soon”. Tell them exactly when they will hear from you." }
                (promises_panel(file))
                (plan_panel(file))
            }))
            (step_section(5, html! {
                p { "Summarise what you agreed, thank them, and send the summary so they have it in writing." }
                (summary_panel(file))
            }))
        }
        (abuse_panel(state, file))
    }
}

fn quick_fact(file: &CaseFile) -> Markup {
    html! {
        form data-api={ "/api/v1/cases/" (file.case.id) "/facts" } class="quick-fact" data-then="keep" {
            label for="quick-fact" { "Fact" }
            input id="quick-fact" name="text" required data-fact-input autocomplete="off"
                placeholder="What they said happened, in a line";
            input type="hidden" name="source" value="customer_said";
            button type="submit" { "Note" }
            (form_status())
        }
        ul class="plain noted" aria-label="Noted during the call" data-noted {
            @for f in &file.facts { li { (f.text) } }
        }
    }
}
