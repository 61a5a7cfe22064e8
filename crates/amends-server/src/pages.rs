//! The customer's pages behind signed links: the satisfaction survey, the action plan and the
//! written summary. Plain HTML forms, no script, no sign-in; every customer-visible word from
//! the desk is escaped by the template engine, and a strict Content-Security-Policy is set.

use amends_core::protocol::{PlanAnswer, SurveyAnswer};
use axum::extract::{Form, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::extract::ApiPath;
use crate::links::Purpose;
use crate::{AppError, AppState};

/// No scripts at all, styles only from our own stylesheet, forms only back to us.
pub(crate) const CUSTOMER_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const STYLESHEET: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;\
padding:0 1rem;line-height:1.5;color:#1d2a33}h1{font-size:1.4rem}fieldset{border:0;padding:0}\
label{display:block;margin:.4rem 0}textarea{width:100%;min-height:6rem}button{font-size:1rem;\
padding:.5rem 1rem;margin:.5rem .5rem 0 0}ol li{margin:.4rem 0}.done{color:#2e7d32}\
pre{white-space:pre-wrap;font-family:inherit;background:#f5f7f8;padding:1rem}";

/// The customer pages' routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/survey/{token}", get(survey_page).post(survey_answer))
        .route("/plan/{token}", get(plan_page).post(plan_answer))
        .route("/summary/{token}", get(summary_page).post(summary_answer))
        .route("/assets/customer.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
        .into_response()
}

pub(crate) fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/assets/customer.css";
            }
            body { main { (body) } }
        }
    };
    html_response(status, markup, CUSTOMER_CSP, "no-referrer")
}

/// An HTML page with the headers every page of ours carries: its Content-Security-Policy and
/// referrer policy, no MIME sniffing, no caching of what may be personal.
pub(crate) fn html_response(
    status: StatusCode,
    markup: Markup,
    csp: &'static str,
    referrer: &'static str,
) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    set_html_headers(response.headers_mut(), csp, referrer);
    response
}

/// Sets the headers of [`html_response`] on a response built otherwise.
pub(crate) fn set_html_headers(
    headers: &mut axum::http::HeaderMap,
    csp: &'static str,
    referrer: &'static str,
) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// What the customer sees when a link does not work or an answer cannot be taken: kind words,
/// never the reason a link failed.
pub(crate) fn trouble(error: AppError) -> Response {
    match error {
        AppError::NotFound(_) => page(
            StatusCode::NOT_FOUND,
            "This link does not work",
            html! {
                h1 { "This link does not work any more" }
                p { "It may have expired. Please reply to our last message, or contact us, and we will send you a new one." }
            },
        ),
        AppError::Invalid(field) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check your answer",
            html! {
                h1 { "Please check your answer" }
                p { (field.message) }
                p { "Go back to change it." }
            },
        ),
        other => {
            tracing::error!(error = %other, "customer page failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                html! { h1 { "Something went wrong on our side" } p { "Please try again in a moment." } },
            )
        }
    }
}

fn thanks(text: &str) -> Response {
    page(
        StatusCode::OK,
        "Thank you",
        html! { h1 { "Thank you" } p { (text) } },
    )
}

async fn survey_page(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    match state.survey_behind_link(&token).await {
        Err(error) => trouble(error),
        Ok((_, survey)) if survey.answer.is_some() => {
            thanks("You already answered: we have your answer.")
        }
        Ok((case, _)) => page(
            StatusCode::OK,
            "How did we do?",
            html! {
                h1 { "How did we do?" }
                p { "About: " strong { (case.subject) } }
                form method="post" {
                    fieldset {
                        legend { "How satisfied are you, from 1 (not at all) to 5 (very)?" }
                        @for score in 1..=5 {
                            label { input type="radio" name="score" value=(score) required; " " (score) }
                        }
                    }
                    fieldset {
                        legend { "Is the problem solved?" }
                        label { input type="radio" name="solved" value="yes" required; " Yes" }
                        label { input type="radio" name="solved" value="no"; " No, not yet" }
                    }
                    label { "Anything you would like to tell us (optional)" textarea name="comment" maxlength="5000" {} }
                    button type="submit" { "Send" }
                }
            },
        ),
    }
}

#[derive(Debug, Deserialize)]
struct SurveyForm {
    score: i64,
    solved: String,
    #[serde(default)]
    comment: String,
}

async fn survey_answer(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    Form(form): Form<SurveyForm>,
) -> Response {
    let answered = async {
        let case_id = state.case_behind_link(&token, Purpose::Survey)?;
        let answer = SurveyAnswer::parse(form.score, form.solved == "yes", Some(&form.comment))?;
        state
            .store
            .answer_survey(case_id, &answer, &state.customer_context())
            .await?;
        Ok::<_, AppError>(answer)
    };
    match answered.await {
        Err(error) => trouble(error),
        Ok(answer) if answer.reopens() => thanks(
            "We are sorry it is not right yet. Your case is back with our team, at the top of \
             the list, and someone will contact you.",
        ),
        Ok(_) => thanks("We are glad we could help. Thank you for telling us."),
    }
}

async fn plan_page(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    let shown = async {
        let plan = state.plan_behind_link(&token).await?;
        Ok::<_, AppError>((state.store.case(plan.case_id).await?, plan))
    };
    let (case, plan) = match shown.await {
        Ok(shown) => shown,
        Err(error) => return trouble(error),
    };
    page(
        StatusCode::OK,
        "Our plan",
        html! {
            h1 { "Our plan to put things right" }
            p { "About: " strong { (case.subject) } }
            ol {
                @for step in &plan.steps {
                    li {
                        (step.description) " — by " (step.due_at.to_rfc3339())
                        @if step.done_at.is_some() { " " span.done { "(done)" } }
                    }
                }
            }
            @match plan.answer {
                None => form method="post" {
                    p { "Does this plan work for you?" }
                    button type="submit" name="answer" value="accepted" { "Yes, go ahead" }
                    button type="submit" name="answer" value="rejected" { "No, it does not work for me" }
                },
                Some(PlanAnswer::Rejected) => form method="post" {
                    p { "We are sorry the plan does not work for you. We can refund you in full instead." }
                    button type="submit" name="answer" value="full_refund" { "Yes, refund me in full" }
                    button type="submit" name="answer" value="refund_declined" { "No, I want to talk to someone" }
                },
                Some(answer) => p { "Your answer: " (answer.as_str().replace('_', " ")) "." },
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct PlanForm {
    answer: String,
}

async fn plan_answer(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    Form(form): Form<PlanForm>,
) -> Response {
    let answered = async {
        let case_id = state.case_behind_link(&token, Purpose::Plan)?;
        let answer = PlanAnswer::parse(&form.answer)
            .ok_or_else(|| AppError::invalid("answer", "please choose one of the buttons"))?;
        state
            .store
            .answer_plan(case_id, answer, &state.customer_context())
            .await?;
        Ok::<_, AppError>(answer)
    };
    match answered.await {
        Err(error) => trouble(error),
        Ok(PlanAnswer::Rejected) => {
            // Back to the plan page, which now offers the full refund.
            let mut response = StatusCode::SEE_OTHER.into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/plan/{token}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Ok(PlanAnswer::Accepted) => thanks("Thank you. We will keep you posted at every step."),
        Ok(PlanAnswer::FullRefund) => {
            thanks("Thank you. We will refund you in full and confirm it in writing.")
        }
        Ok(PlanAnswer::RefundDeclined) => {
            thanks("Thank you. A supervisor will contact you to find a way forward.")
        }
    }
}

async fn summary_page(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> Response {
    let summary = match state.summary_behind_link(&token).await {
        Ok(summary) => summary,
        Err(error) => return trouble(error),
    };
    page(
        StatusCode::OK,
        "Our summary",
        html! {
            h1 { "What we agreed" }
            pre { (summary.body) }
            @if summary.answer.is_some() {
                p { "You already answered: thank you." }
            } @else {
                form method="post" {
                    button type="submit" name="confirmed" value="yes" { "This is right" }
                    label { "Something is wrong? Tell us what:" textarea name="comment" maxlength="100000" {} }
                    button type="submit" name="confirmed" value="no" { "Something is wrong" }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct SummaryForm {
    confirmed: String,
    #[serde(default)]
    comment: String,
}

async fn summary_answer(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    Form(form): Form<SummaryForm>,
) -> Response {
    let answered = async {
        let case_id = state.case_behind_link(&token, Purpose::Summary)?;
        let confirmed = form.confirmed == "yes";
        state
            .store
            .answer_summary(
                case_id,
                confirmed,
                Some(&form.comment),
                &state.customer_context(),
            )
            .await?;
        Ok::<_, AppError>(confirmed)
    };
    match answered.await {
        Err(error) => trouble(error),
        Ok(true) => thanks("Thank you for confirming."),
        Ok(false) => thanks("Thank you. We will correct it and come back to you."),
    }
}
