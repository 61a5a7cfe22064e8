//! The knowledge base: articles kept with every revision and indexed by the transaction that
//! writes them, found by the core's ranking, and readers' votes counted and passed to the
//! article's owner.

use std::collections::{BTreeSet, HashMap};

use amends_core::audit::{Actor, AuditContext, AuditEvent};
use amends_core::knowledge::words::{self, Matched, Reached};
use amends_core::knowledge::{
    tags_text, Article, ArticleDraft, ArticleRevision, ArticleStatus, Audience, Feedback, Readers,
};
use amends_core::outcome::AlertKind;
use amends_core::tag::Tag;
use amends_core::{FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::table::notifications::insert_notification;
use crate::{audit, Store, StoreError};

const COLUMNS: &str = "id, title, body, category, tags, status, audience, owner_id, revision, \
                       reviewed_at, helpful, unhelpful, created_at, updated_at";

/// How many rows one statement writes to the index, under both databases' parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

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
        let id = match &before {
            Some(before) => {
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
                .execute(&mut *tx)
                .await?;
                unindex(&mut tx, before.id).await?;
                before.id
            }
            None => {
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
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let after = load(&mut tx, id).await?;
        let agent_id = match context.actor {
            Actor::Agent { agent_id } => Some(agent_id),
            _ => None,
        };
        sqlx::query(
            "insert into article_revisions (article_id, revision, title, body, category, tags, \
             status, audience, agent_id, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(after.revision)
        .bind(&after.title)
        .bind(&after.body)
        .bind(&after.category)
        .bind(tags_text(&after.tags))
        .bind(after.status.as_str())
        .bind(after.audience.as_str())
        .bind(agent_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        index(&mut tx, id, &postings).await?;
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
        let seen: Option<i64> = sqlx::query_scalar(&format!(
            "select id from articles where id = $1 and {}",
            visible(readers)
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_none() {
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
    ) -> Result<Vec<(Article, f64)>, StoreError> {
        let terms = words::query_terms(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.read.acquire().await?;
        let mut matches = matching_stems(&mut conn, &terms).await?;
        for (term, (word, _)) in terms.iter().enumerate() {
            matches
                .entry(words::form_key(word))
                .or_default()
                .push((term, Matched::Form));
        }
        let keys: Vec<&String> = matches.keys().collect();
        let sql = format!(
            "select article_postings.stem, article_postings.article_id, article_postings.weight, \
             articles.words, article_stems.articles from article_postings \
             join articles on articles.id = article_postings.article_id \
             join article_stems on article_stems.stem = article_postings.stem \
             where article_postings.stem in ({}) and {}",
            placeholders(1, keys.len()),
            visible(readers)
        );
        let mut select = sqlx::query_as::<_, (String, i64, i64, i64, i64)>(&sql);
        for key in &keys {
            select = select.bind(key.as_str());
        }
        let rows = select.fetch_all(&mut *conn).await?;
        let mut reached = Vec::new();
        for (key, article_id, weight, length, holders) in rows {
            for &(term, matched) in matches.get(&key).into_iter().flatten() {
                reached.push(Reached {
                    term,
                    article_id,
                    weight,
                    length,
                    holders,
                    matched,
                });
            }
        }
        let (articles, total_length): (i64, i64) = sqlx::query_as(
            "select count(*), cast(coalesce(sum(words), 0) as bigint) from articles",
        )
        .fetch_one(&mut *conn)
        .await?;
        let average = total_length as f64 / articles.max(1) as f64;
        let mut found = Vec::new();
        for (id, score) in words::rank(&reached, articles, average, limit) {
            found.push((load(&mut conn, id).await?, score));
        }
        Ok(found)
    }
}

/// `$first, $first+1, …`, `count` of them.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kept stems each query term reaches: by the term's place, and whether as typed.
async fn matching_stems(
    conn: &mut AnyConnection,
    terms: &[(String, String)],
) -> Result<HashMap<String, Vec<(usize, Matched)>>, StoreError> {
    let spellings: BTreeSet<String> = terms
        .iter()
        .flat_map(|(_, stem)| words::spellings(stem))
        .collect();
    let sql = format!(
        "select distinct stem from article_spellings where spelling in ({})",
        placeholders(1, spellings.len())
    );
    let mut select = sqlx::query_scalar::<_, String>(&sql);
    for spelling in &spellings {
        select = select.bind(spelling.as_str());
    }
    let mut matches: HashMap<String, Vec<(usize, Matched)>> = HashMap::new();
    for stem in select.fetch_all(&mut *conn).await? {
        for (term, (_, typed)) in terms.iter().enumerate() {
            let matched = if *typed == stem {
                Matched::Stem
            } else if words::one_slip(typed, &stem) {
                Matched::Slip
            } else {
                continue;
            };
            matches
                .entry(stem.clone())
                .or_default()
                .push((term, matched));
        }
    }
    Ok(matches)
}

/// Takes an article's stems out of the index, and stems no article holds any more with them.
async fn unindex(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    let stems: Vec<String> =
        sqlx::query_scalar("select stem from article_postings where article_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("delete from article_postings where article_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for chunk in stems.chunks(ROWS_PER_STATEMENT) {
        let list = placeholders(1, chunk.len());
        for sql in [
            format!("update article_stems set articles = articles - 1 where stem in ({list})"),
            format!(
                "delete from article_spellings where stem in ({list}) and stem in \
                 (select stem from article_stems where articles <= 0)"
            ),
            format!("delete from article_stems where stem in ({list}) and articles <= 0"),
        ] {
            let mut statement = sqlx::query(&sql);
            for stem in chunk {
                statement = statement.bind(stem.as_str());
            }
            statement.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Puts an article's stems in the index: its postings, each stem counted once more, and the
/// spellings of stems no article held before.
async fn index(
    conn: &mut AnyConnection,
    id: i64,
    postings: &[(String, i64)],
) -> Result<(), StoreError> {
    for chunk in postings.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, ${})", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "insert into article_postings (stem, article_id, weight) values {}",
            rows.join(", ")
        );
        let mut insert = sqlx::query(&sql).bind(id);
        for (stem, weight) in chunk {
            insert = insert.bind(stem.as_str()).bind(*weight);
        }
        insert.execute(&mut *conn).await?;
        let rows: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i}, 1)")).collect();
        let sql = format!(
            "insert into article_stems (stem, articles) values {} on conflict (stem) do update \
             set articles = article_stems.articles + 1 returning stem, articles",
            rows.join(", ")
        );
        let mut upsert = sqlx::query_as::<_, (String, i64)>(&sql);
        for (stem, _) in chunk {
            upsert = upsert.bind(stem.as_str());
        }
        // A word's own form is matched only as typed: it has no spellings.
        let new: Vec<String> = upsert
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter(|(stem, articles)| *articles == 1 && !stem.starts_with('='))
            .map(|(stem, _)| stem)
            .collect();
        let spellings: Vec<(String, &String)> = new
            .iter()
            .flat_map(|stem| words::spellings(stem).into_iter().map(move |s| (s, stem)))
            .collect();
        for part in spellings.chunks(ROWS_PER_STATEMENT) {
            let rows: Vec<String> = (0..part.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "insert into article_spellings (spelling, stem) values {}",
                rows.join(", ")
            );
            let mut insert = sqlx::query(&sql);
            for (spelling, stem) in part {
                insert = insert.bind(spelling.as_str()).bind(stem.as_str());
            }
            insert.execute(&mut *conn).await?;
        }
    }
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
