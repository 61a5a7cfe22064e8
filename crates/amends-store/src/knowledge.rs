//! The knowledge base: articles kept with every revision and indexed by the transaction that
//! writes them, found by the core's ranking, and readers' votes counted and passed to the
//! article's owner.

use std::collections::HashMap;

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::knowledge::words::{self, Ranked};
use amends_core::knowledge::{
    openness, tags_text, Article, ArticleDraft, ArticleRevision, ArticleStatus, Audience, Feedback,
    Readers,
};
use amends_core::outcome::{AlertKind, Outcome};
use amends_core::tag::Tag;
use amends_core::{FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::article_index::{index, reached, unindex};
use crate::table::notifications::insert_notification;
use crate::{audit, Store, StoreError};

const COLUMNS: &str = "id, title, body, category, tags, status, audience, owner_id, revision, \
                       reviewed_at, helpful, unhelpful, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    title: String,
    body: String,
    category: String,
    tags: String,
    status: String,
    audience: String,
    owner_id: Option<i64>,
    revision: i64,
    reviewed_at: Option<i64>,
    helpful: i64,
    unhelpful: i64,
    created_at: i64,
    updated_at: i64,
}

fn parse_tags(text: &str) -> Vec<Tag> {
    text.split_whitespace()
        .map(|t| Tag::stored(t.to_owned()))
        .collect()
}

fn parse_kinds(status: &str, audience: &str) -> Result<(ArticleStatus, Audience), StoreError> {
    Ok((
        ArticleStatus::parse(status)
            .ok_or_else(|| StoreError::Corrupt(format!("article status {status}")))?,
        Audience::parse(audience)
            .ok_or_else(|| StoreError::Corrupt(format!("article audience {audience}")))?,
    ))
}

impl TryFrom<ArticleRow> for Article {
    type Error = StoreError;

    fn try_from(row: ArticleRow) -> Result<Self, StoreError> {
        let (status, audience) = parse_kinds(&row.status, &row.audience)?;
        Ok(Article {
            id: row.id,
            title: row.title,
            body: row.body,
            category: row.category,
            tags: parse_tags(&row.tags),
            status,
            audience,
            owner_id: row.owner_id,
            revision: row.revision,
            reviewed_at: row.reviewed_at.map(Timestamp),
            helpful: row.helpful,
            unhelpful: row.unhelpful,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

/// The condition on `articles` of what `readers` may see.
fn visible(readers: Readers) -> &'static str {
    match readers {
        Readers::Public => "articles.status = 'published' and articles.audience = 'public'",
        Readers::Agents => "articles.status = 'published'",
        Readers::Editors => "1 = 1",
    }
}

/// What a reader's vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackEntry {
    /// Whether the article helped.
    pub helpful: bool,
    /// The reader's comment.
    pub comment: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A topic customers asked about that no article answered well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeGap {
    /// The topic: the questions' stems.
    pub topic: String,
    /// How many questions.
    pub asked: i64,
    /// The latest question, as its subject.
    pub latest: String,
    /// When it came.
    pub latest_at: Timestamp,
}

impl Store {
    /// The articles `readers` may see, most recently changed first, at most `limit`.
    pub async fn articles(&self, readers: Readers, limit: i64) -> Result<Vec<Article>, StoreError> {
        let rows: Vec<ArticleRow> = sqlx::query_as(&format!(
            "select {COLUMNS} from articles where {} order by updated_at desc, id desc limit $1",
            visible(readers)
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Article::try_from).collect()
    }

    /// The categories `readers` may see with how many articles each holds, by name.
    pub async fn article_categories(
        &self,
        readers: Readers,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "select category, count(*) from articles where {} group by category \
             order by category",
            visible(readers)
        ))
        .fetch_all(&self.read)
        .await?)
    }

    /// The articles of one category that `readers` may see, by title.
    pub async fn articles_in(
        &self,
        category: &str,
        readers: Readers,
    ) -> Result<Vec<Article>, StoreError> {
        let rows: Vec<ArticleRow> = sqlx::query_as(&format!(
            "select {COLUMNS} from articles where category = $1 and {} order by title, id \
             limit 500",
            visible(readers)
        ))
        .bind(category)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Article::try_from).collect()
    }

    /// One article, whoever may see it (the caller checks).
    pub async fn article(&self, id: i64) -> Result<Article, StoreError> {
        let mut conn = self.read.acquire().await?;
        load(&mut conn, id).await
    }

    /// Writes an article: a new one when `id` is none, else its next revision, refused as a
    /// `Conflict` on `revision` when someone else saved one since `expected_revision`. `allow`
    /// sees the article as it stood (none when new) and may refuse. The revision, the index
    /// and the audit entry are written in the same transaction.
    pub async fn write_article(
        &self,
        id: Option<i64>,
        draft: &ArticleDraft,
        expected_revision: Option<i64>,
        context: &AuditContext,
        allow: impl FnOnce(Option<&Article>) -> Result<(), FieldError>,
        event: impl FnOnce(Option<&Article>, &Article) -> AuditEvent,
    ) -> Result<Article, StoreError> {
        let tags: Vec<String> = draft.tags.iter().map(|t| t.as_str().to_owned()).collect();
        let (postings, length) = words::postings(&draft.title, &draft.category, &tags, &draft.body);
        let at = context.at.millis();
        let mut tx = self.write.begin().await?;
        let before = match id {
            Some(id) => Some(load(&mut tx, id).await?),
            None => None,
        };
        allow(before.as_ref())?;
        if let (Some(before), Some(expected)) = (&before, expected_revision) {
            if before.revision != expected {
                return Err(StoreError::Conflict {
                    constraint: "revision".into(),
                });
            }
        }
        let id = save(&mut tx, before.as_ref(), draft, length, at).await?;
        let after = load(&mut tx, id).await?;
        let agent_id = context.actor.agent_id();
        save_revision(&mut tx, &after, agent_id, at).await?;
        index(
            &mut tx,
            id,
            &postings,
            length,
            openness(after.status, after.audience),
        )
        .await?;
        audit::record(&mut tx, context, &[event(before.as_ref(), &after)]).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Every revision of an article, the latest first.
    pub async fn article_revisions(&self, id: i64) -> Result<Vec<ArticleRevision>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<i64>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "select revision, title, body, category, tags, status, audience, agent_id, \
             created_at from article_revisions where article_id = $1 order by revision desc",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(
                |(revision, title, body, category, tags, status, audience, agent_id, at)| {
                    let (status, audience) = parse_kinds(&status, &audience)?;
                    Ok(ArticleRevision {
                        revision,
                        title,
                        body,
                        category,
                        tags: parse_tags(&tags),
                        status,
                        audience,
                        agent_id,
                        created_at: Timestamp(at),
                    })
                },
            )
            .collect()
    }

    /// Records that someone confirmed the article is still right.
    pub async fn review_article(
        &self,
        id: i64,
        context: &AuditContext,
        event: impl FnOnce(&Article) -> AuditEvent,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write.begin().await?;
        let article = load(&mut tx, id).await?;
        sqlx::query("update articles set reviewed_at = $1 where id = $2")
            .bind(context.at.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, context, &[event(&article)]).await?;
        let reviewed = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(reviewed)
    }

    /// Counts a reader's vote on an article `readers` may see, keeps their comment, and tells
    /// the article's owner what [`Feedback::notification`] says is worth telling.
    pub async fn give_article_feedback(
        &self,
        id: i64,
        readers: Readers,
        feedback: &Feedback,
        at: Timestamp,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write.begin().await?;
        let article = load(&mut tx, id).await?;
        if openness(article.status, article.audience) < readers.least_openness() {
            return Err(StoreError::NotFound("article"));
        }
        let column = if feedback.helpful {
            "helpful"
        } else {
            "unhelpful"
        };
        sqlx::query(&format!(
            "update articles set {column} = {column} + 1 where id = $1"
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into article_feedback (article_id, helpful, comment, created_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i64::from(feedback.helpful))
        .bind(feedback.comment.as_deref())
        .bind(at.millis())
        .execute(&mut *tx)
        .await?;
        if let (Some(owner), Some(body)) = (article.owner_id, feedback.notification(&article)) {
            insert_notification(&mut tx, owner, None, AlertKind::ArticleFeedback, &body, at)
                .await?;
        }
        let counted = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(counted)
    }

    /// Carries out what the core decided for a new case's articles (the acknowledgement: its
    /// notice through the outbox and its audit entry), in one transaction.
    pub async fn acknowledge_with_articles(
        &self,
        outcome: Outcome,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a calm question on case `case_id` that no article answered well.
    pub async fn record_knowledge_gap(
        &self,
        case_id: i64,
        topic: &str,
        question: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "insert into knowledge_gaps (case_id, topic, question, created_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(case_id)
        .bind(topic)
        .bind(question)
        .bind(at.millis())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The knowledge base's gaps: topics of calm questions no article answered well, the most
    /// asked first, each with how often, the latest question and when; at most `limit`.
    pub async fn knowledge_gaps(&self, limit: i64) -> Result<Vec<KnowledgeGap>, StoreError> {
        let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
            "select topic, count(*), max(created_at), \
             (select question from knowledge_gaps latest where latest.topic = gaps.topic \
             order by latest.id desc limit 1) from knowledge_gaps gaps \
             where question <> '' group by topic order by count(*) desc, max(created_at) desc \
             limit $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(topic, asked, latest_at, latest)| KnowledgeGap {
                topic,
                asked,
                latest,
                latest_at: Timestamp(latest_at),
            })
            .collect())
    }

    /// Readers' votes and comments on an article, the latest first, at most `limit`.
    pub async fn article_feedback(
        &self,
        id: i64,
        limit: i64,
    ) -> Result<Vec<FeedbackEntry>, StoreError> {
        let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
            "select helpful, comment, created_at from article_feedback where article_id = $1 \
             order by id desc limit $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(helpful, comment, at)| FeedbackEntry {
                helpful: helpful == 1,
                comment,
                at: Timestamp(at),
            })
            .collect())
    }

    /// The articles `readers` may see that best answer `text`, best first with their scores,
    /// at most `limit`: the core's stems, each matched as typed or one slip off, ranked by
    /// [`words::rank`].
    pub async fn search_articles(
        &self,
        text: &str,
        readers: Readers,
        limit: usize,
    ) -> Result<Vec<(Article, Ranked)>, StoreError> {
        let terms = words::query_terms(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.read.acquire().await?;
        let (reached, articles, length) =
            reached(&mut conn, &terms, readers.least_openness()).await?;
        let average = length as f64 / articles.max(1) as f64;
        let ranked = words::rank(&reached, terms.len(), articles, average, limit);
        if ranked.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=ranked.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "select {COLUMNS} from articles where id in ({})",
            list.join(", ")
        );
        let mut select = sqlx::query_as::<_, ArticleRow>(&sql);
        for hit in &ranked {
            select = select.bind(hit.article_id);
        }
        let mut rows: HashMap<i64, ArticleRow> = select
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        ranked
            .into_iter()
            .filter_map(|hit| rows.remove(&hit.article_id).map(|row| (row, hit)))
            .map(|(row, hit)| Ok((Article::try_from(row)?, hit)))
            .collect()
    }
}

/// Writes the article's row: inserted when new, its next revision over `before` otherwise;
/// answers its id.
async fn save(
    conn: &mut AnyConnection,
    before: Option<&Article>,
    draft: &ArticleDraft,
    length: i64,
    at: i64,
) -> Result<i64, StoreError> {
    Ok(match before {
        Some(before) => {
            let old: i64 = sqlx::query_scalar("select words from articles where id = $1")
                .bind(before.id)
                .fetch_one(&mut *conn)
                .await?;
            add_to_totals(conn, 0, length - old).await?;
            sqlx::query(
                "update articles set title = $1, body = $2, category = $3, tags = $4, \
                 status = $5, audience = $6, owner_id = $7, revision = revision + 1, \
                 words = $8, updated_at = $9 where id = $10",
            )
            .bind(&draft.title)
            .bind(&draft.body)
            .bind(&draft.category)
            .bind(tags_text(&draft.tags))
            .bind(draft.status.as_str())
            .bind(draft.audience.as_str())
            .bind(draft.owner_id)
            .bind(length)
            .bind(at)
            .bind(before.id)
            .execute(&mut *conn)
            .await?;
            unindex(conn, before.id).await?;
            before.id
        }
        None => {
            add_to_totals(conn, 1, length).await?;
            sqlx::query_scalar(
                "insert into articles (title, body, category, tags, status, audience, \
                 owner_id, revision, words, created_at, updated_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9) returning id",
            )
            .bind(&draft.title)
            .bind(&draft.body)
            .bind(&draft.category)
            .bind(tags_text(&draft.tags))
            .bind(draft.status.as_str())
            .bind(draft.audience.as_str())
            .bind(draft.owner_id)
            .bind(length)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
        }
    })
}

/// Counts `articles` more articles and `words` more weighted words in the index's totals.
async fn add_to_totals(
    conn: &mut AnyConnection,
    articles: i64,
    words: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "update article_totals set articles = articles + $1, words = words + $2 where id = 1",
    )
    .bind(articles)
    .bind(words)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps the revision `after` is, by `agent_id`.
async fn save_revision(
    conn: &mut AnyConnection,
    after: &Article,
    agent_id: Option<i64>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into article_revisions (article_id, revision, title, body, category, tags, \
         status, audience, agent_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(after.id)
    .bind(after.revision)
    .bind(&after.title)
    .bind(&after.body)
    .bind(&after.category)
    .bind(tags_text(&after.tags))
    .bind(after.status.as_str())
    .bind(after.audience.as_str())
    .bind(agent_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Article, StoreError> {
    let row: ArticleRow = sqlx::query_as(&format!("select {COLUMNS} from articles where id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("article"))?;
    Article::try_from(row)
}
