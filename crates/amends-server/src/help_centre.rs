//! The public help centre: published public articles by category, a search that forgives
//! slips, each article with "did this answer your question?". Plain HTML pages and forms, no
//! script, no sign-in, the customer pages' strict Content-Security-Policy.

use amends_core::account::ThrottleRule;
use amends_core::knowledge::{Article, Feedback, Readers};
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;

use crate::accounts::{count_failure, refuse_while_throttled};
use crate::articles::{hits as article_hits, public_path};
use crate::extract::{ApiPath, ClientAddr};
use crate::pages::{html_response, CUSTOMER_CSP};
use crate::{markdown, AppError, AppState};

/// Votes from one address: plenty for a household reading many articles, then waits growing to
/// ten minutes, so no one can flood an article's owner with notifications.
const VOTE_THROTTLE: ThrottleRule = ThrottleRule {
    free_failures: 30,
    longest_wait_ms: 10 * 60_000,
    forget_after_ms: 60 * 60_000,
};

/// How many articles a category shows on the help centre's front page (more link to it).
const PER_CATEGORY: i64 = 8;
const PER_CATEGORY_SHOWN: usize = 8;

/// The help centre's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/help", get(front))
        .route("/help/search", get(search))
        .route("/help/categories/{name}", get(category))
        .route("/help/articles/{address}", get(article))
        .route("/help/articles/{address}/feedback", post(vote))
}

fn layout(status: StatusCode, title: &str, query: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " \u{2013} Help centre" }
                link rel="stylesheet" href="/assets/customer.css";
            }
            body {
                header {
                    p { a href="/help" { "Help centre" } }
                    form method="get" action="/help/search" role="search" {
                        label for="q" { "Search the help centre" }
                        input id="q" type="search" name="q" value=(query) maxlength="200";
                        button type="submit" { "Search" }
                    }
                }
                main { (body) }
            }
        }
    };
    html_response(status, markup, CUSTOMER_CSP, "no-referrer")
}

fn trouble(error: AppError) -> Response {
    match error {
        AppError::NotFound(_) => layout(
            StatusCode::NOT_FOUND,
            "Not found",
            "",
            html! { h1 { "We could not find that page" } p { a href="/help" { "See every article" } } },
        ),
        AppError::Invalid(field) => layout(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check",
            "",
            html! { h1 { "Please check what you sent" } p { (field.message) } },
        ),
        AppError::TooManyAttempts { .. } => layout(
            StatusCode::TOO_MANY_REQUESTS,
            "Thank you",
            "",
            html! { h1 { "Thank you" } p { "We have had many answers from you; please try again later." } },
        ),
        other => {
            tracing::error!(error = %other, "help centre page failed");
            layout(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "",
                html! { h1 { "Something went wrong on our side" } p { "Please try again in a moment." } },
            )
        }
    }
}

fn listing<'a>(articles: impl IntoIterator<Item = &'a Article>) -> Markup {
    html! {
        ul {
            @for article in articles {
                li { a href=(public_path(article)) { (article.title) } }
            }
        }
    }
}

async fn front(State(state): State<AppState>) -> Response {
    let shown = async {
        let categories = state.store.article_categories(Readers::Public).await?;
        let mut sections = Vec::new();
        for (name, count) in categories {
            let articles = state.store.articles_in(&name, Readers::Public).await?;
            sections.push((name, count, articles));
        }
        Ok::<_, AppError>(sections)
    }
    .await;
    let sections = match shown {
        Ok(sections) => sections,
        Err(error) => return trouble(error),
    };
    layout(
        StatusCode::OK,
        "Help centre",
        "",
        html! {
            h1 { "How can we help?" }
            @if sections.is_empty() {
                p { "There are no articles yet." }
            }
            @for (name, count, articles) in &sections {
                section {
                    h2 { (name) }
                    (listing(articles.iter().take(PER_CATEGORY_SHOWN)))
                    @if *count > PER_CATEGORY {
                        p { a href={ "/help/categories/" (percent(name)) } { "All " (count) " articles in " (name) } }
                    }
                }
            }
        },
    )
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn category(State(state): State<AppState>, ApiPath(name): ApiPath<String>) -> Response {
    match state.store.articles_in(&name, Readers::Public).await {
        Ok(articles) if !articles.is_empty() => layout(
            StatusCode::OK,
            &name,
            "",
            html! { h1 { (name) } (listing(&articles)) },
        ),
        Ok(_) => trouble(AppError::NotFound("category")),
        Err(error) => trouble(error.into()),
    }
}

#[derive(Debug, Deserialize)]
struct SearchForm {
    #[serde(default)]
    q: String,
}

async fn search(State(state): State<AppState>, Query(form): Query<SearchForm>) -> Response {
    let q: String = form.q.chars().take(200).collect();
    let hits = match article_hits(&state, &q, Readers::Public).await {
        Ok(hits) => hits,
        Err(error) => return trouble(error),
    };
    layout(
        StatusCode::OK,
        "Search",
        &q,
        html! {
            h1 { "Search results" }
            @if hits.is_empty() {
                p { "No article matches \u{201c}" (q) "\u{201d}. Try other words, or contact us and we will answer you ourselves." }
            } @else {
                ol {
                    @for hit in &hits {
                        li {
                            a href=(hit.public_url.clone().unwrap_or_default()) { (hit.title) }
                            p { (hit.summary) }
                        }
                    }
                }
            }
        },
    )
}

/// The article an address names (`12-how-refunds-work` or `12`), if the public may read it.
async fn public_article(state: &AppState, address: &str) -> Result<Article, AppError> {
    let digits: String = address.chars().take_while(char::is_ascii_digit).collect();
    let id: i64 = digits.parse().map_err(|_| AppError::NotFound("article"))?;
    let article = state.store.article(id).await?;
    if !article.is_public() {
        return Err(AppError::NotFound("article"));
    }
    Ok(article)
}

async fn article(State(state): State<AppState>, ApiPath(address): ApiPath<String>) -> Response {
    let article = match public_article(&state, &address).await {
        Ok(article) => article,
        Err(error) => return trouble(error),
    };
    let path = public_path(&article);
    if address != path.trim_start_matches("/help/articles/") {
        return Redirect::permanent(&path).into_response();
    }
    layout(
        StatusCode::OK,
        &article.title,
        "",
        html! {
            p { a href={ "/help/categories/" (percent(&article.category)) } { (article.category) } }
            article {
                h1 { (article.title) }
                (PreEscaped(markdown::render(&article.body)))
            }
            form method="post" action={ (path) "/feedback" } {
                fieldset {
                    legend { "Did this answer your question?" }
                    label { input type="radio" name="helpful" value="yes" required; " Yes" }
                    label { input type="radio" name="helpful" value="no"; " No" }
                }
                label for="comment" { "Anything we should add? (optional)" }
                textarea id="comment" name="comment" maxlength="2000" {}
                button type="submit" { "Send" }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    helpful: String,
    #[serde(default)]
    comment: String,
}

async fn vote(
    State(state): State<AppState>,
    ApiPath(address): ApiPath<String>,
    ClientAddr(remote): ClientAddr,
    Form(form): Form<VoteForm>,
) -> Response {
    let counted = async {
        let article = public_article(&state, &address).await?;
        let helpful = match form.helpful.as_str() {
            "yes" => true,
            "no" => false,
            _ => return Err(AppError::invalid("helpful", "choose yes or no")),
        };
        let feedback = Feedback::parse(helpful, Some(&form.comment))?;
        let now = state.clock.now();
        let key = format!("vote:{}", remote.as_deref().unwrap_or("unknown"));
        let known = refuse_while_throttled(&state, std::slice::from_ref(&key), now).await?;
        count_failure(&state, &key, VOTE_THROTTLE, &known, now).await?;
        state
            .store
            .give_article_feedback(article.id, Readers::Public, &feedback, now)
            .await?;
        Ok::<_, AppError>((article, helpful))
    }
    .await;
    match counted {
        Ok((article, helpful)) => layout(
            StatusCode::OK,
            "Thank you",
            "",
            html! {
                h1 { "Thank you" }
                @if helpful {
                    p { "We are glad it helped." }
                } @else {
                    p { "We are sorry it did not. We will improve it; if you still need help, contact us and a person will answer." }
                }
                p { a href=(public_path(&article)) { "Back to \u{201c}" (article.title) "\u{201d}" } }
            },
        ),
        Err(error) => trouble(error),
    }
}
