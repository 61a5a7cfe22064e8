//! The knowledge base: agents write and search articles; supervisors and admins publish them.

use amends_core::knowledge::{
    article_event, may_write, reviewed_event, Article, ArticleDraft, ArticleStatus, Audience,
    Readers,
};
use amends_core::{AgentRole, FieldError, Timestamp};
use amends_store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::CurrentAgent;
use crate::articles::{hits, public_path};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::markdown;
use crate::wire::ArticleHit;
use crate::{AppError, AppState};

/// An article as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleRequest {
    /// Its title (1 to 200 characters, one line).
    pub title: String,
    /// Its text in Markdown (at most 100,000 characters). Raw HTML is shown as text.
    pub body: String,
    /// Its category (at most 80 characters; empty is "General").
    #[serde(default)]
    pub category: String,
    /// Its tags (at most 20).
    #[serde(default)]
    pub tags: Vec<String>,
    /// `draft` (the default) or `published`; agents write drafts, supervisors and admins
    /// publish.
    pub status: Option<String>,
    /// `public` (the default: the help centre) or `internal` (agents only).
    pub audience: Option<String>,
    /// The agent told of readers' votes and comments.
    pub owner_id: Option<i64>,
    /// On a change, the revision the editor started from: a later save by someone else is a
    /// 409 rather than lost.
    pub revision: Option<i64>,
}

impl ArticleRequest {
    pub(crate) fn parse(&self) -> Result<ArticleDraft, FieldError> {
        let status = match self.status.as_deref() {
            None => ArticleStatus::Draft,
            Some(raw) => ArticleStatus::parse(raw)
                .ok_or_else(|| FieldError::new("status", "must be draft or published"))?,
        };
        let audience = match self.audience.as_deref() {
            None => Audience::Public,
            Some(raw) => Audience::parse(raw)
                .ok_or_else(|| FieldError::new("audience", "must be public or internal"))?,
        };
        ArticleDraft::parse(
            &self.title,
            &self.body,
            &self.category,
            &self.tags,
            status,
            audience,
            self.owner_id,
        )
    }
}

/// An article.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ArticleView {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its Markdown.
    pub body: String,
    /// Its text as the help centre shows it: safe HTML.
    pub html: String,
    /// Its category.
    pub category: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// `draft` or `published`.
    pub status: &'static str,
    /// `public` or `internal`.
    pub audience: &'static str,
    /// The agent told of readers' votes and comments.
    pub owner_id: Option<i64>,
    /// Its revision, from 1.
    pub revision: i64,
    /// When someone last confirmed it is still right.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<Timestamp>,
    /// Readers it answered.
    pub helpful: i64,
    /// Readers it did not.
    pub unhelpful: i64,
    /// Its address in the help centre (public articles only).
    pub public_url: Option<String>,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Article> for ArticleView {
    fn from(article: Article) -> Self {
        ArticleView {
            public_url: article.is_public().then(|| public_path(&article)),
            html: markdown::render(&article.body),
            id: article.id,
            tags: article.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            status: article.status.as_str(),
            audience: article.audience.as_str(),
            owner_id: article.owner_id,
            revision: article.revision,
            reviewed_at: article.reviewed_at,
            helpful: article.helpful,
            unhelpful: article.unhelpful,
            updated_at: article.updated_at,
            title: article.title,
            body: article.body,
            category: article.category,
        }
    }
}

/// A search of the articles.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleSearch {
    /// The reader's words; a slip of one letter in a longer word is forgiven.
    pub q: String,
}

/// One revision of an article.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RevisionView {
    /// The revision.
    pub revision: i64,
    /// Its title then.
    pub title: String,
    /// Its Markdown then.
    pub body: String,
    /// `draft` or `published` then.
    pub status: &'static str,
    /// Who wrote it.
    pub agent_id: Option<i64>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A reader's vote.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedbackView {
    /// Whether the article answered their question.
    pub helpful: bool,
    /// What they wrote.
    pub comment: Option<String>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

fn refusal(
    role: AgentRole,
) -> impl FnOnce(Option<&Article>, ArticleStatus) -> Result<(), FieldError> {
    move |before, after| {
        if may_write(role, before.map(|a| a.status), after) {
            Ok(())
        } else {
            Err(FieldError::new(
                "status",
                "only a supervisor or an admin publishes an article or changes a published one",
            ))
        }
    }
}

async fn write(
    state: &AppState,
    current: &CurrentAgent,
    id: Option<i64>,
    request: &ArticleRequest,
) -> Result<Article, AppError> {
    current.require(AgentRole::Agent)?;
    let draft = request.parse()?;
    let allow = refusal(current.agent.role);
    let status = draft.status;
    let written = state
        .store
        .write_article(
            id,
            &draft,
            request.revision,
            &current.audit(state),
            |before| allow(before, status),
            article_event,
        )
        .await;
    match written {
        Err(StoreError::Conflict { constraint }) if constraint == "revision" => {
            Err(AppError::Conflict(FieldError::new(
                "revision",
                "someone else saved this article since you opened it; reload to see their changes",
            )))
        }
        other => Ok(other?),
    }
}

/// Every article, drafts too, the most recently changed first (at most 500).
#[utoipa::path(get, path = "/articles", tag = "knowledge base",
    responses((status = 200, body = Vec<ArticleView>)))]
pub(super) async fn list(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<ArticleView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let articles = state.store.articles(Readers::Editors, 500).await?;
    Ok(Json(articles.into_iter().map(ArticleView::from).collect()))
}

/// Writes an article: a draft by any agent, published by a supervisor or an admin.
#[utoipa::path(post, path = "/articles", tag = "knowledge base", request_body = ArticleRequest,
    responses((status = 201, body = ArticleView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn create(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<ArticleRequest>,
) -> Result<(StatusCode, Json<ArticleView>), AppError> {
    let article = write(&state, &current, None, &request).await?;
    Ok((StatusCode::CREATED, Json(article.into())))
}

/// One article.
#[utoipa::path(get, path = "/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = crate::error::Problem)))]
pub(super) async fn show(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ArticleView>, AppError> {
    current.require(AgentRole::Agent)?;
    Ok(Json(state.store.article(id).await?.into()))
}

/// Saves an article's next revision; `revision` guards against overwriting a colleague's.
#[utoipa::path(put, path = "/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    request_body = ArticleRequest,
    responses((status = 200, body = ArticleView), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub(super) async fn change(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ArticleRequest>,
) -> Result<Json<ArticleView>, AppError> {
    Ok(Json(
        write(&state, &current, Some(id), &request).await?.into(),
    ))
}

/// Published articles, internal ones too, that best answer `q`: for an agent answering.
#[utoipa::path(get, path = "/articles/search", tag = "knowledge base", params(ArticleSearch),
    responses((status = 200, body = Vec<ArticleHit>), (status = 422, body = crate::error::Problem)))]
pub(super) async fn search(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(request): ApiQuery<ArticleSearch>,
) -> Result<Json<Vec<ArticleHit>>, AppError> {
    current.require(AgentRole::Agent)?;
    Ok(Json(hits(&state, &request.q, Readers::Agents).await?))
}

/// Every revision of an article, the latest first.
#[utoipa::path(get, path = "/articles/{id}/revisions", tag = "knowledge base",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<RevisionView>)))]
pub(super) async fn revisions(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RevisionView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.article(id).await?;
    let revisions = state.store.article_revisions(id).await?;
    Ok(Json(
        revisions
            .into_iter()
            .map(|r| RevisionView {
                revision: r.revision,
                title: r.title,
                body: r.body,
                status: r.status.as_str(),
                agent_id: r.agent_id,
                at: r.created_at,
            })
            .collect(),
    ))
}

/// Records that the article was checked and is still right.
#[utoipa::path(post, path = "/articles/{id}/reviewed", tag = "knowledge base",
    params(("id" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = crate::error::Problem)))]
pub(super) async fn reviewed(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ArticleView>, AppError> {
    current.require(AgentRole::Agent)?;
    let context = current.audit(&state);
    let at = context.at;
    let article = state
        .store
        .review_article(id, &context, |article| reviewed_event(article, at))
        .await?;
    Ok(Json(article.into()))
}

/// Readers' votes and comments on an article, the latest first (at most 200).
#[utoipa::path(get, path = "/articles/{id}/feedback", tag = "knowledge base",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<FeedbackView>)))]
pub(super) async fn feedback(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<FeedbackView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.article(id).await?;
    let entries = state.store.article_feedback(id, 200).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| FeedbackView {
                helpful: e.helpful,
                comment: e.comment,
                at: e.at,
            })
            .collect(),
    ))
}

/// Whether a calm question arriving by email or web form is acknowledged at once with the
/// articles that may answer it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AcknowledgementSetting {
    /// On: up to three public articles that answer well are sent with an acknowledgement to a
    /// calm question; never to an upset customer, a complaint, a threat to leave or abuse,
    /// which always go to a person first. Off (the default): nothing is sent unasked.
    pub articles: bool,
}

/// Whether new calm questions are acknowledged with articles.
#[utoipa::path(get, path = "/settings/acknowledgement", tag = "knowledge base",
    responses((status = 200, body = AcknowledgementSetting)))]
pub(super) async fn get_acknowledgement(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<AcknowledgementSetting>, AppError> {
    current.require(AgentRole::Supervisor)?;
    Ok(Json(AcknowledgementSetting {
        articles: crate::acknowledgement::enabled(&state).await?,
    }))
}

/// Turns the acknowledgement with articles on or off (admins only).
#[utoipa::path(put, path = "/settings/acknowledgement", tag = "knowledge base",
    request_body = AcknowledgementSetting,
    responses((status = 200, body = AcknowledgementSetting)))]
pub(super) async fn set_acknowledgement(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<AcknowledgementSetting>,
) -> Result<Json<AcknowledgementSetting>, AppError> {
    current.require(AgentRole::Admin)?;
    let value = if request.articles { "on" } else { "off" };
    state
        .store
        .set_desk_setting(
            current.agent.id,
            crate::acknowledgement::SETTING,
            value,
            Some(value),
            &current.audit(&state),
        )
        .await?;
    Ok(Json(request))
}

/// A topic customers asked about that no article answered well.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GapView {
    /// The topic: the questions' stems.
    pub topic: String,
    /// How many calm questions came in on it with no good article.
    pub asked: i64,
    /// The latest such question (its subject).
    pub latest: String,
    /// When it came.
    #[schema(value_type = String, format = DateTime)]
    pub latest_at: Timestamp,
}

/// The knowledge base's gaps: calm questions no article answered well, grouped by topic, the
/// most asked first (at most 50).
#[utoipa::path(get, path = "/articles/gaps", tag = "knowledge base",
    responses((status = 200, body = Vec<GapView>)))]
pub(super) async fn gaps(
    State(state): State<AppState>,
    current: CurrentAgent,
) -> Result<Json<Vec<GapView>>, AppError> {
    current.require(AgentRole::Agent)?;
    let gaps = state.store.knowledge_gaps(50).await?;
    Ok(Json(
        gaps.into_iter()
            .map(|g| GapView {
                topic: g.topic,
                asked: g.asked,
                latest: g.latest,
                latest_at: g.latest_at,
            })
            .collect(),
    ))
}
