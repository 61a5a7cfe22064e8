//! The first figures of the desk over a date range.

use amends_core::figures::{percentile, rate};
use amends_core::Timestamp;

use crate::{Store, StoreError};

/// The desk's figures over `[from, to)`. Each counts the records whose defining moment falls in
/// the range: resolution for first-contact resolution, opening for response time and win-back,
/// making for promises, answering for satisfaction, granting for compensation.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Start of the range.
    pub from: Timestamp,
    /// End of the range (excluded).
    pub to: Timestamp,
    /// Cases resolved in the first contact, of those resolved.
    pub first_contact_resolution_rate: Option<f64>,
    /// Cases resolved in the range.
    pub resolved: i64,
    /// Seconds from opening to the first reply, for cases opened in the range.
    pub time_to_first_response: Spread,
    /// Promises made in the range, by what became of them.
    pub promises: PromiseFigures,
    /// Cases opened in the range that came back after being resolved.
    pub reopened: i64,
    /// Satisfaction answers given in the range.
    pub csat: Csat,
    /// Compensation granted in the range.
    pub compensation: CompensationFigures,
    /// Of cases opened in the range and flagged for win-back with an outcome, the share whose
    /// customer stayed.
    pub win_back_rate: Option<f64>,
    /// Win-back cases by outcome.
    pub win_back: WinBackFigures,
    /// The website chat.
    pub chat: ChatFigures,
}

/// The website chats opened in the range.
#[derive(Debug, Clone)]
pub struct ChatFigures {
    /// How many chats opened a case.
    pub chats: i64,
    /// Seconds from a chat's first line to an agent's first answer.
    pub first_response: Spread,
    /// Seconds from a chat's first line to its resolution, for those resolved.
    pub resolution: Spread,
    /// Chats no one answered before the customer left.
    pub abandoned: i64,
    /// Chats by the agent who holds them (name, count), most first; unowned ones are left out.
    pub per_agent: Vec<(String, i64)>,
    /// What the chat's assistant did with the chats it spoke in.
    pub assistant: AssistantFigures,
}

/// The chat's assistant's containment and hand-offs.
#[derive(Debug, Clone)]
pub struct AssistantFigures {
    /// Chats it spoke in.
    pub conversations: i64,
    /// Of those, resolved with no hand-off to a person.
    pub closed: i64,
    /// Hand-offs by reason (`amends_core::bot::HandOff`'s stored names), every reason listed.
    pub handed_over: Vec<(&'static str, i64)>,
}

/// A median and 90th percentile.
#[derive(Debug, Clone)]
pub struct Spread {
    /// The median.
    pub median: Option<i64>,
    /// The 90th percentile.
    pub p90: Option<i64>,
    /// How many values.
    pub count: usize,
}

/// Promises by outcome.
#[derive(Debug, Clone)]
pub struct PromiseFigures {
    /// Kept in time.
    pub kept: i64,
    /// Moved at least once (whatever became of them after).
    pub extended: i64,
    /// Broken.
    pub broken: i64,
    /// Still live.
    pub open: i64,
    /// Kept, of those settled (kept or broken).
    pub kept_rate: Option<f64>,
}

/// Satisfaction.
#[derive(Debug, Clone)]
pub struct Csat {
    /// Average score, 1 to 5.
    pub average: Option<f64>,
    /// How many answers.
    pub count: i64,
}

/// Compensation granted.
#[derive(Debug, Clone)]
pub struct CompensationFigures {
    /// In minor units (cents), all currencies together.
    pub total: i64,
    /// Customers who received any.
    pub customers: i64,
    /// Average per customer who received any, in minor units.
    pub per_customer: Option<i64>,
}

/// Win-back cases by outcome.
#[derive(Debug, Clone)]
pub struct WinBackFigures {
    /// Customers who stayed.
    pub stayed: i64,
    /// Customers who left.
    pub left: i64,
    /// Not settled yet.
    pub undecided: i64,
}

impl Store {
    /// The figures over `[from, to)`.
    pub async fn figures(&self, from: Timestamp, to: Timestamp) -> Result<Figures, StoreError> {
        let mut conn = self.read.acquire().await?;
        let (f, t) = (from.millis(), to.millis());
        let (resolved, first_contact): (i64, i64) = sqlx::query_as(
            "select count(*), cast(coalesce(sum(first_contact_resolution), 0) as bigint) \
             from cases where resolved_at >= $1 and resolved_at < $2 \
             and first_contact_resolution is not null",
        )
        .bind(f)
        .bind(t)
        .fetch_one(&mut *conn)
        .await?;
        let waits: Vec<i64> = sqlx::query_scalar(
            "select first_response_at - opened_at from cases where opened_at >= $1 \
             and opened_at < $2 and first_response_at is not null",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
        let waits: Vec<i64> = waits.into_iter().map(|ms| ms / 1000).collect();
        let promises = promise_figures(&mut conn, f, t).await?;
        let reopened: i64 = sqlx::query_scalar(
            "select count(*) from cases where opened_at >= $1 and opened_at < $2 \
             and reopen_count > 0",
        )
        .bind(f)
        .bind(t)
        .fetch_one(&mut *conn)
        .await?;
        let scores: Vec<i64> = sqlx::query_scalar(
            "select score from surveys where answered_at >= $1 and answered_at < $2",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
        let (total_minor, customers): (i64, i64) = sqlx::query_as(
            "select cast(coalesce(sum(amount_minor), 0) as bigint), count(distinct customer_id) \
             from compensation where state = 'granted' and created_at >= $1 and created_at < $2",
        )
        .bind(f)
        .bind(t)
        .fetch_one(&mut *conn)
        .await?;
        let win_back = win_back_figures(&mut conn, f, t).await?;
        let chat = chat_figures(&mut conn, f, t).await?;
        Ok(Figures {
            from,
            to,
            first_contact_resolution_rate: rate(first_contact, resolved),
            resolved,
            time_to_first_response: Spread {
                median: percentile(&waits, 50),
                p90: percentile(&waits, 90),
                count: waits.len(),
            },
            promises,
            reopened,
            csat: Csat {
                average: (!scores.is_empty()).then(|| {
                    let sum: i64 = scores.iter().sum();
                    (sum as f64 / scores.len() as f64 * 100.0).round() / 100.0
                }),
                count: i64::try_from(scores.len()).unwrap_or(i64::MAX),
            },
            compensation: CompensationFigures {
                total: total_minor,
                customers,
                per_customer: (customers > 0).then(|| total_minor / customers),
            },
            win_back_rate: rate(win_back.stayed, win_back.stayed + win_back.left),
            win_back,
            chat,
        })
    }
}

/// Promises made in `[f, t)` by what became of them.
async fn promise_figures(
    conn: &mut sqlx::AnyConnection,
    f: i64,
    t: i64,
) -> Result<PromiseFigures, StoreError> {
    let promise_rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "select state, count(*), cast(coalesce(sum(case when extensions > 0 then 1 else 0 \
             end), 0) as bigint) from promises where created_at >= $1 and created_at < $2 \
             group by state",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let count = |state: &str| {
        promise_rows
            .iter()
            .filter(|r| r.0 == state)
            .map(|r| r.1)
            .sum::<i64>()
    };
    let extended: i64 = promise_rows.iter().map(|r| r.2).sum();
    let (kept, broken) = (count("kept"), count("broken"));
    Ok(PromiseFigures {
        kept,
        extended,
        broken,
        open: count("open") + count("extended"),
        kept_rate: rate(kept, kept + broken),
    })
}

/// Win-back cases opened in `[f, t)` by outcome.
async fn win_back_figures(
    conn: &mut sqlx::AnyConnection,
    f: i64,
    t: i64,
) -> Result<WinBackFigures, StoreError> {
    let outcomes: Vec<(String, i64)> = sqlx::query_as(
        "select win_back, count(*) from cases where win_back is not null and \
             opened_at >= $1 and opened_at < $2 group by win_back",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let outcome = |name: &str| {
        outcomes
            .iter()
            .filter(|o| o.0 == name)
            .map(|o| o.1)
            .sum::<i64>()
    };
    Ok(WinBackFigures {
        stayed: outcome("stayed"),
        left: outcome("left"),
        undecided: outcome("undecided"),
    })
}

/// The chats opened in `[f, t)`, abandonment judged as at `t`.
async fn chat_figures(
    conn: &mut sqlx::AnyConnection,
    f: i64,
    t: i64,
) -> Result<ChatFigures, StoreError> {
    type ChatRow = (i64, Option<i64>, Option<i64>, String, i64, Option<String>);
    let rows: Vec<ChatRow> = sqlx::query_as(
        "select cases.opened_at, cases.first_response_at, cases.resolved_at, cases.status, \
         chats.updated_at, agents.name from chats join cases on cases.id = chats.case_id \
         left join agents on agents.id = cases.owner_id \
         where cases.opened_at >= $1 and cases.opened_at < $2",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let seconds = |pick: fn(&ChatRow) -> Option<i64>| -> Vec<i64> {
        rows.iter()
            .filter_map(|row| pick(row).map(|at| (at - row.0) / 1000))
            .collect()
    };
    let spread = |values: Vec<i64>| Spread {
        median: percentile(&values, 50),
        p90: percentile(&values, 90),
        count: values.len(),
    };
    let abandoned = rows
        .iter()
        .filter(|(_, answered, _, status, last, _)| {
            let ended = matches!(status.as_str(), "resolved" | "closed");
            amends_core::chat::abandoned(answered.is_some(), ended, Timestamp(*last), Timestamp(t))
        })
        .count();
    let mut per_agent: Vec<(String, i64)> = Vec::new();
    for name in rows.iter().filter_map(|row| row.5.clone()) {
        match per_agent.iter_mut().find(|(held, _)| *held == name) {
            Some((_, count)) => *count += 1,
            None => per_agent.push((name, 1)),
        }
    }
    per_agent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let assistant = assistant_figures(conn, f, t).await?;
    Ok(ChatFigures {
        chats: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        first_response: spread(seconds(|row| row.1)),
        resolution: spread(seconds(|row| row.2)),
        abandoned: i64::try_from(abandoned).unwrap_or(i64::MAX),
        per_agent,
        assistant,
    })
}

/// The assistant's chats opened in `[f, t)`: how many, closed without a person, handed over.
async fn assistant_figures(
    conn: &mut sqlx::AnyConnection,
    f: i64,
    t: i64,
) -> Result<AssistantFigures, StoreError> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(
        "select bot_handoffs.reason, cases.status from chats \
         join cases on cases.id = chats.case_id \
         left join bot_handoffs on bot_handoffs.chat_id = chats.id \
         where chats.bot_stage is not null and cases.opened_at >= $1 and cases.opened_at < $2",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let closed = rows
        .iter()
        .filter(|(reason, status)| {
            reason.is_none() && matches!(status.as_str(), "resolved" | "closed")
        })
        .count();
    let handed_over = amends_core::bot::HandOff::ALL
        .iter()
        .map(|reason| {
            let n = rows
                .iter()
                .filter(|(r, _)| r.as_deref() == Some(reason.as_str()))
                .count();
            (reason.as_str(), count(n))
        })
        .collect();
    Ok(AssistantFigures {
        conversations: count(rows.len()),
        closed: count(closed),
        handed_over,
    })
}
