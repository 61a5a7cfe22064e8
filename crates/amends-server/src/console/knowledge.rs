//! The knowledge base in the console: every article (drafts too) with its readers' votes, a
//! search over them, and one page per article to edit it, see it as readers will, read its
//! readers' comments and its revisions, and mark it reviewed. Each form sends the API's own
//! request.

use amends_core::knowledge::{Article, Readers};
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use super::format::when;
use super::{form_status, layout, trouble, Console, Section};
use crate::articles::public_path;
use crate::extract::ApiPath;
use crate::{markdown, AppError, AppState};

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
}

/// The list of articles, or those a search finds.
pub(super) async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> Response {
    let q: String = query.q.chars().take(200).collect();
    let articles = if q.trim().is_empty() {
        state.store.articles(Readers::Editors, 500).await
    } else {
        state
            .store
            .search_articles(&q, Readers::Editors, 50)
            .await
            .map(|found| found.into_iter().map(|(article, _)| article).collect())
    };
    let (articles, gaps) = match (articles, state.store.knowledge_gaps(20).await) {
        (Ok(articles), Ok(gaps)) => (articles, gaps),
        (Err(error), _) | (_, Err(error)) => return trouble(Some(&console), error.into()),
    };
    let body = html! {
        h1 { "Knowledge base" }
        p { a href="/help" { "The public help centre" } }
        form role="search" method="get" action="/knowledge" {
            label for="article-search" { "Search the articles" }
            input id="article-search" type="search" name="q" value=(q) maxlength="200";
            button type="submit" { "Search" }
        }
        table class="articles" {
            caption { (articles.len()) " articles" }
            thead { tr { th { "Title" } th { "Category" } th { "Status" } th { "Readers" } th { "Helped" } th { "Reviewed" } } }
            tbody {
                @for article in &articles {
                    tr {
                        td { a href={ "/knowledge/" (article.id) } { (article.title) } }
                        td { (article.category) }
                        td { (article.status.as_str()) }
                        td { (article.audience.as_str()) }
                        td { (article.helpful) " yes, " (article.unhelpful) " no" }
                        td { @match article.reviewed_at { Some(at) => (when(at)), None => "never" } }
                    }
                }
            }
        }
        @if !gaps.is_empty() {
            section class="account" aria-labelledby="gaps-title" {
                h2 id="gaps-title" { "Questions no article answers" }
                table class="gaps" {
                    thead { tr { th { "Topic" } th { "Asked" } th { "Latest" } } }
                    tbody {
                        @for gap in &gaps {
                            tr { td { (gap.topic) } td { (gap.asked) } td { (gap.latest) " " (when(gap.latest_at)) } }
                        }
                    }
                }
            }
        }
        section class="account" aria-labelledby="new-title" {
            h2 id="new-title" { "New article" }
            (editor(None, console.current.agent.id))
        }
    };
    layout(&console, Section::Knowledge, "Knowledge base", body)
}

/// The form that writes an article: a new one, or the next revision of `article`.
fn editor(article: Option<&Article>, agent_id: i64) -> Markup {
    let (api, method) = match article {
        Some(a) => (format!("/api/v1/articles/{}", a.id), "PUT"),
        None => ("/api/v1/articles".to_owned(), "POST"),
    };
    let status = article.map_or("draft", |a| a.status.as_str());
    let audience = article.map_or("public", |a| a.audience.as_str());
    let tags = article.map_or(String::new(), |a| {
        a.tags
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let id = article.map_or("new".to_owned(), |a| a.id.to_string());
    html! {
        form data-api=(api) data-method=(method) {
            @if let Some(article) = article {
                input type="hidden" name="revision" value=(article.revision) data-type="int";
            }
            label for={ "title-" (id) } { "Title" }
            input id={ "title-" (id) } name="title" required maxlength="200"
                value=[article.map(|a| a.title.as_str())];
            label for={ "category-" (id) } { "Category" }
            input id={ "category-" (id) } name="category" maxlength="80"
                value=[article.map(|a| a.category.as_str())];
            label for={ "tags-" (id) } { "Tags, separated by commas" }
            input id={ "tags-" (id) } name="tags" data-type="list" value=(tags);
            label for={ "body-" (id) } { "Text (Markdown)" }
            textarea id={ "body-" (id) } name="body" required rows="12" {
                (article.map_or("", |a| a.body.as_str()))
            }
            label for={ "status-" (id) } { "Status (supervisors and admins publish)" }
            select id={ "status-" (id) } name="status" {
                option value="draft" selected[status == "draft"] { "Draft" }
                option value="published" selected[status == "published"] { "Published" }
            }
            label for={ "audience-" (id) } { "Who reads it" }
            select id={ "audience-" (id) } name="audience" {
                option value="public" selected[audience == "public"] { "Customers, in the help centre" }
                option value="internal" selected[audience == "internal"] { "Agents only" }
            }
            input type="hidden" name="owner_id" data-type="int"
                value=(article.and_then(|a| a.owner_id).unwrap_or(agent_id));
            button type="submit" class="primary" { "Save" }
            (form_status())
        }
    }
}

/// One article: its editor, how readers see it, their comments and its revisions.
pub(super) async fn page(
    State(state): State<AppState>,
    console: Console,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    match article_page(&state, &console, id).await {
        Ok(body) => layout(&console, Section::Knowledge, "Article", body),
        Err(error) => trouble(Some(&console), error),
    }
}

async fn article_page(state: &AppState, console: &Console, id: i64) -> Result<Markup, AppError> {
    let article = state.store.article(id).await?;
    let feedback = state.store.article_feedback(id, 50).await?;
    let revisions = state.store.article_revisions(id).await?;
    Ok(html! {
        p { a href="/knowledge" { "All articles" } }
        h1 { (article.title) }
        p {
            "Revision " (article.revision) ", " (article.status.as_str()) ", "
            (article.audience.as_str()) ". "
            @if article.is_public() {
                a href=(public_path(&article)) { "See it in the help centre" }
            }
        }
        form data-api={ "/api/v1/articles/" (id) "/reviewed" } data-nobody {
            button type="submit" { "Mark reviewed: still right" }
            (form_status())
        }
        section class="account" aria-labelledby="edit-title" {
            h2 id="edit-title" { "Edit" }
            (editor(Some(&article), console.current.agent.id))
        }
        section class="account" aria-labelledby="preview-title" {
            h2 id="preview-title" { "As readers see it" }
            div class="article-preview" { (PreEscaped(markdown::render(&article.body))) }
        }
        section class="account" aria-labelledby="readers-title" {
            h2 id="readers-title" { "What readers said" }
            p { (article.helpful) " found it answered their question; " (article.unhelpful) " did not." }
            ul {
                @for entry in feedback.iter().filter(|e| e.comment.is_some()) {
                    li {
                        (if entry.helpful { "Helped: " } else { "Did not help: " })
                        (entry.comment.as_deref().unwrap_or_default()) " " (when(entry.at))
                    }
                }
            }
        }
        section class="account" aria-labelledby="revisions-title" {
            h2 id="revisions-title" { "Revisions" }
            ol reversed {
                @for revision in &revisions {
                    li { (revision.title) " (" (revision.status.as_str()) "), " (when(revision.created_at)) }
                }
            }
        }
    })
}
