//! Finding articles for the API, the help centre, the composer and the acknowledgement, and
//! where the help centre shows each.

use amends_core::knowledge::{Article, Readers};

use crate::wire::ArticleHit;
use crate::{markdown, AppError, AppState};

/// How many articles a search answers at most.
pub(crate) const SEARCH_LIMIT: usize = 10;

/// What a customer asked, as a search of the articles reads it: the subject and their words,
/// cut at 1,000 characters.
pub(crate) fn question(subject: &str, text: &str) -> String {
    format!("{subject} {text}").chars().take(1_000).collect()
}

/// An article's full address in the help centre, for a link sent to a customer.
pub(crate) fn public_link(state: &AppState, article: &Article) -> String {
    let base = state.settings.public_url.trim_end_matches('/');
    format!("{base}{}", public_path(article))
}

/// An article's path in the help centre.
pub(crate) fn public_path(article: &Article) -> String {
    format!("/help/articles/{}-{}", article.id, article.slug())
}

/// What a search of `readers`' articles finds, as hits.
pub(crate) async fn hits(
    state: &AppState,
    q: &str,
    readers: Readers,
) -> Result<Vec<ArticleHit>, AppError> {
    if q.chars().count() > 1_000 {
        return Err(AppError::invalid("q", "must be at most 1,000 characters"));
    }
    let found = state
        .store
        .search_articles(q, readers, SEARCH_LIMIT)
        .await?;
    Ok(found
        .into_iter()
        .map(|(article, ranked)| ArticleHit {
            id: article.id,
            summary: markdown::summary(&article.body, 200),
            audience: article.audience.as_str(),
            public_url: article.is_public().then(|| public_path(&article)),
            title: article.title,
            score: ranked.score,
        })
        .collect())
}
