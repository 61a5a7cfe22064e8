//! Exports: cases as CSV, any search or filter, streamed page by page so a desk of any size
//! exports in constant memory.

use amends_core::custom_field::{FieldDefinition, FieldOwner};
use amends_core::search::SearchQuery;
use amends_core::{AgentRole, Case, Timestamp};
use amends_store::{SearchScope, Tagged};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::CurrentAgent;
use crate::extract::ApiQuery;
use crate::{AppError, AppState};

/// How many cases each page of an export reads.
const PAGE: i64 = 500;

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportQuery {
    /// A search as in `GET /search`. With words, the cases it ranks (at most 500); with
    /// filters alone, every case they allow; without it, every case.
    pub q: Option<String>,
}

/// Cases as CSV (RFC 4180, UTF-8): one row per case with its customer, owner, times, signals,
/// tags and custom fields. Cells a spreadsheet would run as a formula are prefixed with `'`.
/// `X-Total-Count` says how many rows will follow the header, for a progress bar (cases opened
/// while a long export runs may add to it).
#[utoipa::path(get, path = "/export/cases.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String,
            headers(("x-total-count" = i64, description = "How many cases the file holds"))),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn cases_csv(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(request): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    current.require(AgentRole::Agent)?;
    let q = request
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let query = q.map(SearchQuery::parse).transpose()?;
    let fields: Vec<FieldDefinition> = state
        .store
        .fields()
        .await?
        .into_iter()
        .filter(|f| f.owner == FieldOwner::Case)
        .collect();
    let mut head: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    head.extend(fields.iter().map(|f| format!("field:{}", f.key)));
    let first = line(&head);
    let query = query.unwrap_or_default();
    let scope = super::search::search_scope(&state, &current, &query).await?;
    // A search with words: the cases it ranks, all read by one search.
    let ranked: Option<Vec<(Case, String)>> = if query.terms.is_empty() {
        None
    } else {
        let per_page = usize::try_from(amends_store::CANDIDATES).unwrap_or(500);
        let results = state.store.search(&query, &scope, 0, per_page).await?;
        Some(
            results
                .cases
                .into_iter()
                .map(|found| (found.case, found.customer_name))
                .collect(),
        )
    };
    let total = match &ranked {
        Some(ranked) => i64::try_from(ranked.len()).unwrap_or(i64::MAX),
        None => state.store.count_filtered(&query, &scope).await?,
    };
    let stream = futures_util::stream::unfold(
        Export {
            state,
            query,
            scope,
            fields,
            ranked,
            after: 0,
            started: false,
            first: Some(first),
        },
        |mut export| async move {
            let chunk = export.next().await.transpose()?;
            Some((chunk, export))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cases.csv\"",
            ),
            (
                header::HeaderName::from_static("x-total-count"),
                &total.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

const COLUMNS: [&str; 17] = [
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "customer_id",
    "customer_name",
    "owner_id",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "anger",
    "churn_threat",
    "reopen_count",
    "replies_sent",
    "tags",
];

struct Export {
    state: AppState,
    query: SearchQuery,
    scope: SearchScope,
    fields: Vec<FieldDefinition>,
    /// The ranked cases of a search with words (as the search read them, with their customers'
    /// names), exported in rank order; otherwise pages by id.
    ranked: Option<Vec<(Case, String)>>,
    after: i64,
    started: bool,
    first: Option<String>,
}

impl Export {
    /// The next piece of the file, or `None` at its end.
    async fn next(&mut self) -> Result<Option<String>, std::io::Error> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        let failed = |e: amends_store::StoreError| std::io::Error::other(e.to_string());
        let cases: Vec<(Case, String)> = match &mut self.ranked {
            Some(ranked) => {
                if ranked.is_empty() {
                    return Ok(None);
                }
                ranked.drain(..ranked.len().min(100)).collect()
            }
            None => {
                if self.started && self.after == i64::MAX {
                    return Ok(None);
                }
                self.started = true;
                let page = self
                    .state
                    .store
                    .filtered_cases(&self.query, &self.scope, self.after, PAGE)
                    .await
                    .map_err(failed)?;
                self.after = page.last().map_or(i64::MAX, |(case, _)| case.id);
                if page.is_empty() {
                    return Ok(None);
                }
                page
            }
        };
        let mut out = String::new();
        for (case, customer_name) in cases {
            let tags = self
                .state
                .store
                .tags(Tagged::Case(case.id))
                .await
                .map_err(failed)?;
            let values = self
                .state
                .store
                .field_values(FieldOwner::Case, case.id)
                .await
                .map_err(failed)?;
            let mut cells = row(&case, &customer_name, &tags);
            for field in &self.fields {
                cells.push(
                    values
                        .iter()
                        .find(|(id, _)| *id == field.id)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                );
            }
            out.push_str(&line(&cells));
        }
        Ok(Some(out))
    }
}

fn row(case: &Case, customer_name: &str, tags: &[amends_core::tag::Tag]) -> Vec<String> {
    let time = |t: Option<Timestamp>| t.map(Timestamp::to_rfc3339).unwrap_or_default();
    vec![
        case.id.to_string(),
        case.subject.clone(),
        case.status.as_str().to_owned(),
        case.priority.as_str().to_owned(),
        case.channel.as_str().to_owned(),
        case.customer_id.to_string(),
        customer_name.to_owned(),
        case.owner_id.map(|o| o.to_string()).unwrap_or_default(),
        case.opened_at.to_rfc3339(),
        time(case.first_response_at),
        time(case.resolved_at),
        time(case.closed_at),
        format!("{:.3}", case.anger_permille as f64 / 1000.0),
        case.churn_threat.to_string(),
        case.reopen_count.to_string(),
        case.replies_sent.to_string(),
        tags.iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

/// One CSV line: cells quoted when they hold a comma, a quote or a line break, and a cell a
/// spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return first) made
/// text with a leading `'` (OWASP's advice on CSV injection).
pub(crate) fn line(cells: &[String]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let guarded = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{cell}")
        } else {
            cell.clone()
        };
        if guarded.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&guarded.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&guarded);
        }
    }
    out.push_str("\r\n");
    out
}

/// The desk's figures (as `GET /stats`) as CSV: one line per figure, nested names joined with
/// dots (`promises.kept`), for a spreadsheet or a report.
#[utoipa::path(get, path = "/export/figures.csv", tag = "export", params(super::casework::StatsQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 422, body = crate::error::Problem)))]
pub(super) async fn figures_csv(
    state: State<AppState>,
    current: CurrentAgent,
    query: ApiQuery<super::casework::StatsQuery>,
) -> Result<Response, AppError> {
    let axum::Json(figures) = super::casework::stats(state, current, query).await?;
    let value = serde_json::to_value(&figures)
        .map_err(|e| AppError::Internal(format!("figures as JSON: {e}")))?;
    let mut rows = Vec::new();
    flatten(String::new(), &value, &mut rows);
    let mut out = line(&["figure".to_owned(), "value".to_owned()]);
    for (name, value) in rows {
        out.push_str(&line(&[name, value]));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"figures.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

fn flatten(name: String, value: &serde_json::Value, rows: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let join = |key: &str| {
        if name.is_empty() {
            key.to_owned()
        } else {
            format!("{name}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(join(key), value, rows);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                flatten(join(&i.to_string()), value, rows);
            }
        }
        Value::Null => rows.push((name, String::new())),
        Value::String(text) => rows.push((name, text.clone())),
        other => rows.push((name, other.to_string())),
    }
}
