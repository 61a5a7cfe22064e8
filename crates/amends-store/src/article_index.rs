//! The knowledge base's search index: how often each stem stands in each article (and each
//! word's own form), how many articles hold each stem, and each stem's spellings one letter
//! short; written with the article, read by the knowledge base's search and ranked by the core.

use std::collections::{BTreeSet, HashMap};

use amends_core::knowledge::words::{self, Matched, Posting, Reached};
use sqlx::AnyConnection;

use crate::StoreError;

/// How many rows one statement writes to the index, under both databases' parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

/// How many of a stem's articles a search reads at most, the densest first: a stem in
/// thousands of articles tells little about which answers (its weight in the ranking is
/// small), and an article it is only a small share of ranks low on it anyway.
const POSTINGS_READ: usize = 100;

/// How many postings one search reads in all: a long question's stems share it (each at least
/// [`POSTINGS_LEAST`]), as each of its words tells less about the answer than a short one's.
const POSTINGS_BUDGET: usize = 400;

/// The fewest postings a stem of a long question reads.
const POSTINGS_LEAST: usize = 25;

/// What `terms` reach in the articles open to at least `openness` (see
/// [`amends_core::knowledge::openness`]): each
/// stem as typed or one slip off, each word's own form; and the count and total weighted
/// length of all articles, which the ranking needs.
pub(crate) async fn reached(
    conn: &mut AnyConnection,
    terms: &[(String, String)],
    openness: i64,
) -> Result<(Vec<Reached>, i64, i64), StoreError> {
    let matches = matching_stems(conn, terms).await?;
    if matches.is_empty() {
        return Ok((Vec::new(), 1, 1));
    }
    let keys: Vec<&String> = matches.keys().collect();
    // Each stem's densest articles that the reader may see, its share of the budget.
    let read = (POSTINGS_BUDGET / keys.len()).clamp(POSTINGS_LEAST, POSTINGS_READ);
    let per_key: Vec<String> = (1..=keys.len())
        .map(|i| {
            format!(
                "select * from (select stem, article_id, weight, length, forms \
                 from article_postings where stem = ${i} and readers >= {openness} \
                 order by density desc, article_id desc limit {read}) as key{i}"
            )
        })
        .collect();
    let sql = per_key.join(" union all ");
    let mut select = sqlx::query_as::<_, (String, i64, i64, i64, String)>(&sql);
    for key in &keys {
        select = select.bind(key.as_str());
    }
    let rows = select.fetch_all(&mut *conn).await?;
    let sql = format!(
        "select stem, articles from article_stems where stem in ({})",
        placeholders(1, keys.len())
    );
    let mut select = sqlx::query_as::<_, (String, i64)>(&sql);
    for key in &keys {
        select = select.bind(key.as_str());
    }
    let holders: HashMap<String, i64> = select.fetch_all(&mut *conn).await?.into_iter().collect();
    let mut reached = Vec::new();
    for (stem, article_id, weight, length, forms) in rows {
        let holders = holders.get(&stem).copied().unwrap_or(1);
        for &(term, matched) in matches.get(&stem).into_iter().flatten() {
            let hit = Reached {
                term,
                article_id,
                weight,
                length,
                holders,
                matched,
            };
            // The very word typed counts on top of its stem.
            let typed = &terms[term].0;
            if let Some(weight) =
                words::form_weight(&forms, typed).filter(|_| matched == Matched::Stem)
            {
                reached.push(Reached {
                    weight,
                    matched: Matched::Form,
                    ..hit.clone()
                });
            }
            reached.push(hit);
        }
    }
    let (articles, total_length): (i64, i64) =
        sqlx::query_as("select articles, words from article_totals where id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok((reached, articles, total_length))
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
pub(crate) async fn unindex(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
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
pub(crate) async fn index(
    conn: &mut AnyConnection,
    id: i64,
    postings: &[Posting],
    length: i64,
    openness: i64,
) -> Result<(), StoreError> {
    for chunk in postings.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let at = 4 * i + 4;
                format!("(${at}, $1, ${}, $2, ${}, $3, ${})", at + 1, at + 2, at + 3)
            })
            .collect();
        let sql = format!(
            "insert into article_postings (stem, article_id, weight, length, density, readers, \
             forms) values {}",
            rows.join(", ")
        );
        let mut insert = sqlx::query(&sql).bind(id).bind(length).bind(openness);
        for posting in chunk {
            let density = posting.weight.saturating_mul(1_000_000) / length.max(1);
            insert = insert
                .bind(posting.stem.as_str())
                .bind(posting.weight)
                .bind(density)
                .bind(posting.forms.as_str());
        }
        insert.execute(&mut *conn).await?;
        let rows: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i}, 1)")).collect();
        let sql = format!(
            "insert into article_stems (stem, articles) values {} on conflict (stem) do update \
             set articles = article_stems.articles + 1 returning stem, articles",
            rows.join(", ")
        );
        let mut upsert = sqlx::query_as::<_, (String, i64)>(&sql);
        for posting in chunk {
            upsert = upsert.bind(posting.stem.as_str());
        }
        let new: Vec<String> = upsert
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter(|(_, articles)| *articles == 1)
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
