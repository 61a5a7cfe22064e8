//! Search over cases, messages and customers through the full-text indexes of migration 0008:
//! FTS5 on SQLite, GIN indexes over `to_tsvector('simple', …)` on PostgreSQL. Both answer which
//! texts hold every word; the core ranks them, so both backends give the same cases in the
//! same order.

use std::collections::HashMap;

use amends_core::custom_field::FieldOwner;
use amends_core::search::{
    rank, ContactFilter, Found, Place, RankedCase, SearchFilters, SearchQuery, Term,
};
use amends_core::{queue, Case, CaseSight, Customer, Direction, Timestamp};
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::{Any, AnyConnection};

use crate::customers::load_customer;
use crate::rows::{CaseRow, CASE_COLUMNS};
use crate::sight::{sight_condition, through_cases_in_sight};
use crate::{Backend, Store, StoreError};

/// How many of the latest matching subjects and messages are ranked. A word found in more
/// texts than this ranks only the latest ones; a filter or another word narrows it.
pub const CANDIDATES: i64 = 500;

/// How many customers a search shows, beside the cases.
const CUSTOMERS_SHOWN: i64 = 10;

/// Whose cases a search may find, with `owner:` resolved to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerScope {
    /// This agent's cases.
    Agent(i64),
    /// Cases no one owns.
    Nobody,
}

/// What a search may find beyond its query's own filters, resolved where the search runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchScope {
    /// Whose cases (`owner:` with its agent found).
    pub owner: Option<OwnerScope>,
    /// Custom field filters: the field's owner, its id and the value in its stored form.
    pub fields: Vec<(FieldOwner, i64, String)>,
    /// The cases an agent with narrowed access may see; customers are found only through them.
    pub sight: Option<CaseSight>,
}

/// A case a search found.
#[derive(Debug, Clone)]
pub struct CaseFound {
    /// The case.
    pub case: Case,
    /// Its customer's name.
    pub customer_name: String,
    /// Its rank and the text shown for it.
    pub ranked: RankedCase,
    /// The text shown: the subject, or the message's body.
    pub text: String,
}

/// One page of what a search found.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// Cases, best first.
    pub cases: Vec<CaseFound>,
    /// Customers whose name or an address matched (first page only, and only when no filter
    /// narrows the search to cases).
    pub customers: Vec<Customer>,
    /// Whether a later page has more cases.
    pub more: bool,
    /// How many cases were ranked in all (at most [`CANDIDATES`] texts' worth).
    pub total: usize,
}

enum Bind {
    Int(i64),
    Text(String),
}

impl Store {
    /// The `page`th page (from 0) of `per_page` cases that `query` finds, and on the first page
    /// the customers it finds.
    pub async fn search(
        &self,
        query: &SearchQuery,
        scope: &SearchScope,
        page: usize,
        per_page: usize,
    ) -> Result<SearchResults, StoreError> {
        let mut conn = self.read.acquire().await?;
        let found = self.found(&mut conn, query, scope).await?;
        let ranked = rank(&found);
        let start = page.saturating_mul(per_page).min(ranked.len());
        let end = start.saturating_add(per_page).min(ranked.len());
        let cases = shown(&mut conn, &ranked[start..end]).await?;
        let customers = if page == 0 && !query.filters.narrows_cases() {
            self.customers_found(&mut conn, query, scope.sight).await?
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            cases,
            customers,
            more: end < ranked.len(),
            total: ranked.len(),
        })
    }

    /// The cases `query`'s filters allow (its words aside), in id order after `after_id`, at
    /// most `limit`, with their customers' names: for exports, which want every case.
    pub async fn filtered_cases(
        &self,
        query: &SearchQuery,
        scope: &SearchScope,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(Case, String)>, StoreError> {
        let (conditions, binds) = conditions(&query.filters, scope, "cases.opened_at", 3);
        let sql = format!(
            "select cases.id from cases where cases.id > $1 {conditions} order by cases.id \
             limit $2"
        );
        let mut select = sqlx::query_scalar::<_, i64>(&sql)
            .bind(after_id)
            .bind(limit);
        for bind in binds {
            select = match bind {
                Bind::Int(value) => select.bind(value),
                Bind::Text(value) => select.bind(value),
            };
        }
        let mut conn = self.read.acquire().await?;
        let ids = select.fetch_all(&mut *conn).await?;
        let ranked: Vec<RankedCase> = ids
            .into_iter()
            .map(|id| RankedCase {
                case_id: id,
                score: 0,
                best: Found {
                    case_id: id,
                    place: Place::Subject,
                    id,
                    at: Timestamp(0),
                },
            })
            .collect();
        let shown = shown(&mut conn, &ranked).await?;
        Ok(shown
            .into_iter()
            .map(|found| (found.case, found.customer_name))
            .collect())
    }

    /// How many cases `query`'s filters allow (its words aside): the size of an export.
    pub async fn count_filtered(
        &self,
        query: &SearchQuery,
        scope: &SearchScope,
    ) -> Result<i64, StoreError> {
        let (conditions, binds) = conditions(&query.filters, scope, "cases.opened_at", 1);
        let sql = format!("select count(*) from cases where 1 = 1 {conditions}");
        let mut select = sqlx::query_scalar::<_, i64>(&sql);
        for bind in binds {
            select = match bind {
                Bind::Int(value) => select.bind(value),
                Bind::Text(value) => select.bind(value),
            };
        }
        Ok(select.fetch_one(&self.read).await?)
    }

    /// The texts `query` finds: the latest matching subjects and messages, or with no words,
    /// the latest cases its filters allow.
    async fn found(
        &self,
        conn: &mut AnyConnection,
        query: &SearchQuery,
        scope: &SearchScope,
    ) -> Result<Vec<Found>, StoreError> {
        let backend = self.backend;
        let matching = self.match_expression(&query.terms);
        let mut found = Vec::new();
        if query.terms.is_empty() {
            let (conditions, binds) = conditions(&query.filters, scope, "cases.opened_at", 1);
            let sql = format!(
                "select cases.id, cases.id, cast('subject' as text), cases.opened_at from cases \
                 where 1 = 1 {conditions} order by cases.opened_at desc, cases.id desc \
                 limit {CANDIDATES}"
            );
            found.extend(texts(conn, &sql, None, binds).await?);
            return Ok(found);
        }
        let (on_case, binds) = conditions(&query.filters, scope, "cases.opened_at", 2);
        let subjects = match backend {
            Backend::Sqlite => format!(
                "select cases.id, cases.id, cast('subject' as text), cases.opened_at from case_words \
                 join cases on cases.id = case_words.rowid where case_words match $1 \
                 {on_case} order by case_words.rowid desc limit {CANDIDATES}"
            ),
            Backend::Postgres => format!(
                "select cases.id, cases.id, cast('subject' as text), cases.opened_at from cases where \
                 cases.words @@ to_tsquery('simple', $1) {on_case} order by cases.id desc \
                 limit {CANDIDATES}"
            ),
        };
        found.extend(texts(conn, &subjects, Some(&matching), binds).await?);
        let (on_message, binds) = conditions(&query.filters, scope, "messages.created_at", 2);
        let messages = match backend {
            Backend::Sqlite => format!(
                "select messages.id, messages.case_id, messages.direction, messages.created_at \
                 from message_words join messages on messages.id = message_words.rowid \
                 join cases on cases.id = messages.case_id where message_words match $1 \
                 {on_message} order by message_words.rowid desc limit {CANDIDATES}"
            ),
            Backend::Postgres => format!(
                "select messages.id, messages.case_id, messages.direction, messages.created_at \
                 from messages join cases on cases.id = messages.case_id where \
                 messages.words @@ to_tsquery('simple', $1) {on_message} order by messages.id desc \
                 limit {CANDIDATES}"
            ),
        };
        found.extend(texts(conn, &messages, Some(&matching), binds).await?);
        Ok(found)
    }

    /// The customers whose name or addresses hold every word, or whose phone number ends in
    /// the digits typed.
    async fn customers_found(
        &self,
        conn: &mut AnyConnection,
        query: &SearchQuery,
        sight: Option<CaseSight>,
    ) -> Result<Vec<Customer>, StoreError> {
        let mut expression = self.match_expression(&query.terms);
        if let Some(phone) = &query.phone {
            expression = match self.backend {
                Backend::Sqlite => format!("\"{phone}\" OR ({expression})"),
                Backend::Postgres => format!("'{phone}' | ({expression})"),
            };
        }
        // A narrowed agent finds only the customers of the cases they see.
        let in_sight = sight.map_or(String::new(), |sight| {
            through_cases_in_sight("customer_id", "customer_id", sight, "$2")
        });
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "select customer_id from (select rowid as customer_id from customer_words \
                 where customer_words match $1) found where 1 = 1{in_sight} \
                 order by customer_id desc limit {CUSTOMERS_SHOWN}"
            ),
            Backend::Postgres => format!(
                // Materialised so the index finds the customers first: read newest first, a
                // word no customer has would be tested against every one of them.
                "with found as materialized (select customer_id from customer_words where \
                 vector @@ to_tsquery('simple', $1)) select customer_id from found \
                 where 1 = 1{in_sight} order by customer_id desc limit {CUSTOMERS_SHOWN}"
            ),
        };
        let mut select = sqlx::query_scalar(&sql).bind(expression);
        if let Some(sight) = sight {
            select = select.bind(sight.agent_id);
        }
        let ids: Vec<i64> = select.fetch_all(&mut *conn).await?;
        let mut customers = Vec::new();
        for id in ids {
            customers.push(load_customer(conn, id).await?);
        }
        Ok(customers)
    }

    /// `terms`, all required, in the backend's query language. Every word is letters and
    /// digits only (the core splits on anything else), so quoting them is safe.
    fn match_expression(&self, terms: &[Term]) -> String {
        let parts = terms.iter().map(|term| match (self.backend, term) {
            (Backend::Sqlite, Term::Word { text, prefix }) => {
                format!("\"{text}\"{}", if *prefix { "*" } else { "" })
            }
            (Backend::Sqlite, Term::Phrase(words)) => format!("\"{}\"", words.join(" ")),
            (Backend::Postgres, Term::Word { text, prefix }) => {
                format!("'{text}'{}", if *prefix { ":*" } else { "" })
            }
            (Backend::Postgres, Term::Phrase(words)) => {
                let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
                format!("({})", words.join(" <-> "))
            }
        });
        let separator = match self.backend {
            Backend::Sqlite => " ",
            Backend::Postgres => " & ",
        };
        parts.collect::<Vec<_>>().join(separator)
    }
}

/// The cases of a page with what is shown for them, read in three queries however many.
async fn shown(
    conn: &mut AnyConnection,
    ranked: &[RankedCase],
) -> Result<Vec<CaseFound>, StoreError> {
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let list = |count: usize| {
        (1..=count)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "select {CASE_COLUMNS} from cases where id in ({})",
        list(ranked.len())
    );
    let mut select = sqlx::query_as::<_, CaseRow>(&sql);
    for case in ranked {
        select = select.bind(case.case_id);
    }
    let mut cases: HashMap<i64, Case> = HashMap::new();
    for row in select.fetch_all(&mut *conn).await? {
        let case = Case::try_from(row)?;
        cases.insert(case.id, case);
    }
    let sql = format!(
        "select cases.id, customers.name from cases join customers on \
         customers.id = cases.customer_id where cases.id in ({})",
        list(ranked.len())
    );
    let mut select = sqlx::query_as::<_, (i64, String)>(&sql);
    for case in ranked {
        select = select.bind(case.case_id);
    }
    let names: HashMap<i64, String> = select.fetch_all(&mut *conn).await?.into_iter().collect();
    let messages: Vec<i64> = ranked
        .iter()
        .filter(|r| r.best.place != Place::Subject)
        .map(|r| r.best.id)
        .collect();
    let mut bodies: HashMap<i64, String> = HashMap::new();
    if !messages.is_empty() {
        let sql = format!(
            "select id, body from messages where id in ({})",
            list(messages.len())
        );
        let mut select = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in messages {
            select = select.bind(id);
        }
        bodies = select.fetch_all(&mut *conn).await?.into_iter().collect();
    }
    ranked
        .iter()
        .map(|ranked| {
            let case = cases
                .remove(&ranked.case_id)
                .ok_or(StoreError::NotFound("case"))?;
            let text = match ranked.best.place {
                Place::Subject => case.subject.clone(),
                _ => bodies
                    .remove(&ranked.best.id)
                    .ok_or(StoreError::NotFound("message"))?,
            };
            Ok(CaseFound {
                customer_name: names.get(&case.id).cloned().unwrap_or_default(),
                case,
                ranked: *ranked,
                text,
            })
        })
        .collect()
}

/// Runs a query answering (id, case id, direction or 'subject', time) rows.
async fn texts(
    conn: &mut AnyConnection,
    sql: &str,
    matching: Option<&str>,
    binds: Vec<Bind>,
) -> Result<Vec<Found>, StoreError> {
    let mut select: QueryAs<'_, Any, (i64, i64, String, i64), AnyArguments<'_>> =
        sqlx::query_as(sql);
    if let Some(matching) = matching {
        select = select.bind(matching.to_owned());
    }
    for bind in binds {
        select = match bind {
            Bind::Int(value) => select.bind(value),
            Bind::Text(value) => select.bind(value),
        };
    }
    let rows = select.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(id, case_id, kind, at)| {
            let place = match kind.as_str() {
                "subject" => Place::Subject,
                other => Place::of(
                    Direction::parse(other)
                        .ok_or_else(|| StoreError::Corrupt(format!("direction {other}")))?,
                ),
            };
            Ok(Found {
                case_id,
                place,
                id,
                at: Timestamp(at),
            })
        })
        .collect()
}

/// The SQL conditions of `filters` (on `cases`, with `time` the column dates apply to), their
/// parameters numbered from `$first`.
fn conditions(
    filters: &SearchFilters,
    scope: &SearchScope,
    time: &str,
    first: usize,
) -> (String, Vec<Bind>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let mut param = |value: Bind| {
        binds.push(value);
        format!("${}", first + binds.len() - 1)
    };
    if let Some(status) = filters.status {
        sql += &format!(
            " and cases.status = {}",
            param(Bind::Text(status.as_str().into()))
        );
    }
    if let Some(channel) = filters.channel {
        sql += &format!(
            " and cases.channel = {}",
            param(Bind::Text(channel.as_str().into()))
        );
    }
    match scope.owner {
        Some(OwnerScope::Agent(id)) => {
            sql += &format!(" and cases.owner_id = {}", param(Bind::Int(id)))
        }
        Some(OwnerScope::Nobody) => sql += " and cases.owner_id is null",
        None => {}
    }
    if let Some(sight) = scope.sight {
        sql += &sight_condition(sight, &param(Bind::Int(sight.agent_id)));
    }
    if let Some(contact) = &filters.customer {
        let (kind, value) = match contact {
            ContactFilter::Email(email) => ("email", email.as_str()),
            ContactFilter::Phone(phone) => ("phone", phone.as_str()),
        };
        let kind = param(Bind::Text(kind.into()));
        let value = param(Bind::Text(value.into()));
        sql += &format!(
            " and cases.customer_id in (select customer_id from customer_contacts \
             where kind = {kind} and value = {value})"
        );
    }
    if let Some(after) = filters.after {
        sql += &format!(" and {time} >= {}", param(Bind::Int(after.millis())));
    }
    if let Some(before) = filters.before {
        sql += &format!(" and {time} < {}", param(Bind::Int(before.millis())));
    }
    if filters.angry {
        sql += &format!(
            " and cases.anger_permille >= {}",
            param(Bind::Int(queue::ANGRY_PERMILLE))
        );
    }
    if filters.churn {
        sql += " and cases.churn_threat = 1";
    }
    for (owner, field, value) in &scope.fields {
        let column = match owner {
            FieldOwner::Case => "cases.id",
            FieldOwner::Customer => "cases.customer_id",
        };
        let field = param(Bind::Int(*field));
        let value = param(Bind::Text(value.clone()));
        sql += &format!(
            " and {column} in (select record_id from custom_values where field_id = {field} \
             and value = {value})"
        );
    }
    for tag in &filters.tags {
        let tag = param(Bind::Text(tag.as_str().into()));
        sql += &format!(" and cases.id in (select case_id from case_tags where tag = {tag})");
    }
    (sql, binds)
}
