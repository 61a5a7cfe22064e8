//! Opening cases on SQLite by group commit.
//!
//! SQLite has one writer. When cases arrive together (a burst of mail, a busy web form), each
//! one committing on its own spends most of its time writing the same index pages to the log
//! and waiting for the disk. Here the requests that are waiting when the writer comes free are
//! opened in one transaction and each caller is answered only after that commit: every
//! acknowledged case is as durable as before (`synchronous = full`), and a burst costs one
//! commit instead of one per case.
//!
//! There is no standing background task. A caller that finds nobody writing takes the turn and
//! starts a task that writes batch after batch of whatever is waiting, until nothing is (a
//! spawned task, so a caller that goes away cannot cut a batch short); everyone else is
//! answered by that task. When any case in a batch fails, the batch is rolled back and each
//! case is opened on its own, so one bad request never decides another's outcome.
//!
//! Only cases are opened this way: they are the one write that arrives in bursts from outside
//! (mail, web forms, webhooks). Other writes keep one transaction each on the same connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use amends_core::audit::AuditContext;
use amends_core::outcome::Outcome;
use amends_core::{conversation, AuditEvent, Case, Direction, Message};
use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::oneshot;

use crate::apply::apply;
use crate::customers::{bind_customer, contacts, lookup_addresses};
use crate::ids::{give_out_ids, given_ids, Ids};
use crate::new_cases::{open_case_in, OpenCase, OpenedCase, Opening};
use crate::rows::{placeholders, CaseRow, MessageRow, CASE_COLUMNS, MESSAGE_COLUMNS};
use crate::{audit, Backend, StoreError};

/// At most this many cases share one commit, which bounds how long the last of them waits.
const MOST_PER_COMMIT: usize = 64;

/// Batches written on one connection before it goes back to the pool for other writes.
const BATCHES_PER_CONNECTION: usize = 8;

/// Bound values per statement, well under SQLite's limit of 32,766.
const BINDS_PER_STATEMENT: usize = 10_000;

/// The cases waiting for the writer, and whose turn it is.
pub(crate) struct Openings {
    /// Which database the batches are written to: ids are given out differently.
    backend: Backend,
    waiting: Mutex<Vec<Waiting>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Commits that opened more than one case, since the store was opened.
    shared_commits: AtomicU64,
}

struct Waiting {
    request: OpenCase,
    context: AuditContext,
    answer: oneshot::Sender<Result<OpenedCase, StoreError>>,
}

impl Openings {
    /// No case waiting yet, on `backend`.
    pub(crate) fn new(backend: Backend) -> Openings {
        Openings {
            backend,
            waiting: Mutex::default(),
            turn: Arc::default(),
            shared_commits: AtomicU64::default(),
        }
    }

    /// Opens the case, sharing the commit with whatever else is waiting.
    pub(crate) async fn open(
        self: &Arc<Self>,
        write: &AnyPool,
        request: &OpenCase,
        context: &AuditContext,
    ) -> Result<OpenedCase, StoreError> {
        let (answer, mut answered) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Waiting {
                request: request.clone(),
                context: context.clone(),
                answer,
            });
        // Either a running batch answers, or this caller gets the turn and starts one. Waiting
        // for both at once matters: answered callers must not queue for a turn they no
        // longer need, or the next batch would wait for each of them in turn.
        let turn = tokio::select! {
            biased;
            result = &mut answered => return result.unwrap_or(Err(crashed())),
            turn = self.turn.clone().lock_owned() => turn,
        };
        if let Ok(result) = answered.try_recv() {
            return result;
        }
        let (openings, write) = (self.clone(), write.clone());
        tokio::spawn(async move {
            let _turn = turn;
            openings.write_while_waiting(&write).await;
        });
        answered.await.unwrap_or(Err(crashed()))
    }

    /// Writes batches until nobody is waiting. The writer's connection is kept for a few
    /// batches at a time (taking it back from the pool costs a round trip to its thread) and
    /// then given back, so that other writes get their turn under a steady stream of cases.
    async fn write_while_waiting(&self, write: &AnyPool) {
        loop {
            let mut batch = self.next_batch();
            if batch.is_empty() {
                return;
            }
            let mut conn = match write.acquire().await {
                Ok(conn) => conn,
                Err(error) => {
                    let error = StoreError::from(error);
                    for waiting in batch.drain(..) {
                        let _ = waiting.answer.send(Err(copy_of(&error)));
                    }
                    continue;
                }
            };
            for _ in 0..BATCHES_PER_CONNECTION {
                if run(&mut conn, self.backend, batch).await {
                    self.shared_commits.fetch_add(1, Ordering::Relaxed);
                }
                batch = self.next_batch();
                if batch.is_empty() {
                    return;
                }
            }
            drop(conn);
            self.put_back(batch);
        }
    }

    /// Returns a batch taken but not written to the front of the queue.
    fn put_back(&self, batch: Vec<Waiting>) {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        waiting.splice(0..0, batch);
    }

    /// Commits that opened more than one case so far.
    pub(crate) fn shared_commits(&self) -> u64 {
        self.shared_commits.load(Ordering::Relaxed)
    }

    /// Up to [`MOST_PER_COMMIT`] of the waiting cases, oldest first.
    fn next_batch(&self) -> Vec<Waiting> {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let take = waiting.len().min(MOST_PER_COMMIT);
        waiting.drain(..take).collect()
    }
}

/// The batch's task answers every case it took; it can only drop an answer by panicking.
fn crashed() -> StoreError {
    StoreError::Unavailable(sqlx::Error::WorkerCrashed)
}

/// What a failure to reach the database says to each case of a batch.
fn copy_of(error: &StoreError) -> StoreError {
    match error {
        StoreError::NotFound(what) => StoreError::NotFound(what),
        StoreError::Conflict { constraint } => StoreError::Conflict {
            constraint: constraint.clone(),
        },
        StoreError::Refused(why) => StoreError::Refused(why.clone()),
        _ => StoreError::Unavailable(sqlx::Error::PoolTimedOut),
    }
}

/// Writes a batch and answers each of its cases; says whether they shared one commit.
async fn run(conn: &mut AnyConnection, backend: Backend, batch: Vec<Waiting>) -> bool {
    if batch.len() > 1 {
        if let Ok(opened) = together(conn, backend, &batch).await {
            for (waiting, opened) in batch.into_iter().zip(opened) {
                let _ = waiting.answer.send(Ok(opened));
            }
            return true;
        }
    }
    for waiting in batch {
        let result = alone(conn, &waiting.request, &waiting.context).await;
        let _ = waiting.answer.send(result);
    }
    false
}

/// Every case of the batch in one transaction, or none of them.
async fn together(
    conn: &mut AnyConnection,
    backend: Backend,
    batch: &[Waiting],
) -> Result<Vec<OpenedCase>, StoreError> {
    let mut tx = conn.begin().await?;
    match open_all_in(&mut tx, backend, batch).await {
        Ok(opened) => {
            tx.commit().await?;
            Ok(opened)
        }
        Err(error) => {
            let _ = tx.rollback().await;
            Err(error)
        }
    }
}

/// Opens the batch's cases in order. Runs of cases without an external id are written a few
/// statements per run rather than per case; a case with an external id may be a repeat, so it
/// takes the one-by-one path after everything before it is written.
async fn open_all_in(
    tx: &mut AnyConnection,
    backend: Backend,
    batch: &[Waiting],
) -> Result<Vec<OpenedCase>, StoreError> {
    let mut opened = Vec::with_capacity(batch.len());
    let mut run: Vec<&Waiting> = Vec::new();
    for waiting in batch {
        if waiting.request.external_id.is_none() {
            run.push(waiting);
            continue;
        }
        opened.extend(write_run(tx, backend, &run).await?);
        run.clear();
        opened.push(open_case_in(tx, &waiting.request, &waiting.context).await?);
    }
    opened.extend(write_run(tx, backend, &run).await?);
    Ok(opened)
}

/// A case of a run, decided and numbered before anything is written.
struct Numbered<'a> {
    waiting: &'a Waiting,
    customer_id: i64,
    customer_created: bool,
    case_id: i64,
    message_id: i64,
    opening: Opening,
}

/// A run numbered: its cases, and the new customers with their ids.
type Run<'a> = (Vec<Numbered<'a>>, Vec<(i64, &'a Waiting)>);

/// Gives each case of the run its `ids`, finds its customer among those `known`
/// (on file, or new earlier in the run) or numbers a new one, and lets the core decide it.
fn number<'a>(
    run: &[&'a Waiting],
    mut known: HashMap<(&'static str, String), (i64, i64)>,
    ids: &Ids,
) -> Result<Run<'a>, StoreError> {
    let short = || StoreError::Corrupt("fewer ids than cases".to_owned());
    let mut numbered = Vec::with_capacity(run.len());
    let mut new_customers = Vec::new();
    for (i, waiting) in run.iter().enumerate() {
        let customer = &waiting.request.customer;
        let found = lookup_addresses(customer)
            .find_map(|(kind, value)| known.get(&(kind, value.to_owned())).copied());
        let (customer_id, revenue, customer_created) = match found {
            Some((id, revenue)) => (id, revenue, false),
            None => {
                let id = *ids.customers.get(new_customers.len()).ok_or_else(short)?;
                for (kind, value) in contacts(customer) {
                    known.insert(
                        (kind, value.to_owned()),
                        (id, customer.revenue_to_date_minor),
                    );
                }
                new_customers.push((id, *waiting));
                (id, customer.revenue_to_date_minor, true)
            }
        };
        numbered.push(Numbered {
            waiting,
            customer_id,
            customer_created,
            case_id: *ids.cases.get(i).ok_or_else(short)?,
            message_id: *ids.messages.get(i).ok_or_else(short)?,
            opening: Opening::decide(&waiting.request, customer_id, revenue, waiting.context.at),
        });
    }
    Ok((numbered, new_customers))
}

/// Writes a run of new cases (no external ids) with one statement per table: ids are given
/// out here (see [`give_out_ids`]), which lets one multi-row insert per table stand in for one
/// insert per case, on both backends.
async fn write_run(
    tx: &mut AnyConnection,
    backend: Backend,
    run: &[&Waiting],
) -> Result<Vec<OpenedCase>, StoreError> {
    if run.is_empty() {
        return Ok(Vec::new());
    }
    let ids = give_out_ids(tx, backend, run.len()).await?;
    let known = customers_on_file(tx, run).await?;
    let (mut numbered, new_customers) = number(run, known, &ids)?;
    let given = given_ids(backend);
    insert_customers(tx, given, &new_customers).await?;
    let mut cases = insert_cases(tx, given, &numbered).await?;
    let mut messages = insert_messages(tx, given, &numbered).await?;
    let outcomes: Vec<Outcome> = numbered
        .iter_mut()
        .map(|n| {
            conversation::opened(
                n.customer_created.then_some(n.customer_id),
                n.case_id,
                n.message_id,
                std::mem::take(&mut n.opening.case_events),
                n.opening.win_back,
            )
        })
        .collect();
    let events: Vec<&[AuditEvent]> = outcomes.iter().map(|o| o.events.as_slice()).collect();
    let requests: Vec<(&AuditContext, &[AuditEvent])> = numbered
        .iter()
        .zip(&events)
        .map(|(n, events)| (&n.waiting.context, *events))
        .collect();
    audit::record_each(tx, &requests).await?;
    // What opening a case tells people (a threat to leave) makes no events of its own.
    for (n, outcome) in numbered.iter().zip(outcomes) {
        if !outcome.effects.is_empty() {
            let effects = Outcome {
                events: Vec::new(),
                effects: outcome.effects,
            };
            apply(tx, &n.waiting.context, effects).await?;
        }
    }
    numbered
        .iter()
        .map(|n| {
            let (case, message) = cases
                .remove(&n.case_id)
                .zip(messages.remove(&n.message_id))
                .ok_or_else(|| {
                    StoreError::Corrupt("a case opened in this batch was not returned".to_owned())
                })?;
            Ok(OpenedCase {
                case: Case::try_from(case)?,
                message: Message::try_from(message)?,
                created: true,
                customer_created: n.customer_created,
            })
        })
        .collect()
}

/// The customers already on file under any address of the run.
async fn customers_on_file(
    tx: &mut AnyConnection,
    run: &[&Waiting],
) -> Result<HashMap<(&'static str, String), (i64, i64)>, StoreError> {
    let addresses: Vec<(&'static str, &str)> = run
        .iter()
        .flat_map(|w| lookup_addresses(&w.request.customer))
        .collect();
    let mut known = HashMap::new();
    for chunk in addresses.chunks(BINDS_PER_STATEMENT / 2) {
        let conditions = (0..chunk.len())
            .map(|i| {
                format!(
                    "(customer_contacts.kind = ${} and customer_contacts.value = ${})",
                    2 * i + 1,
                    2 * i + 2
                )
            })
            .collect::<Vec<_>>()
            .join(" or ");
        let sql = format!(
            "select customer_contacts.kind, customer_contacts.value, customers.id, \
             customers.revenue_to_date_minor from customer_contacts join customers on \
             customers.id = customer_contacts.customer_id where {conditions}"
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64)>(&sql);
        for (kind, value) in chunk {
            query = query.bind(*kind).bind(*value);
        }
        for (kind, value, id, revenue) in query.fetch_all(&mut *tx).await? {
            let kind = if kind == "email" { "email" } else { "phone" };
            known.insert((kind, value), (id, revenue));
        }
    }
    Ok(known)
}

async fn insert_customers(
    tx: &mut AnyConnection,
    given: &str,
    customers: &[(i64, &Waiting)],
) -> Result<(), StoreError> {
    for chunk in customers.chunks(BINDS_PER_STATEMENT / 10) {
        let sql = format!(
            "insert into customers (id, name, revenue_to_date_minor, currency, plan, billing_day, \
             invoice_dates, notes, created_at, updated_at){given} values {}",
            placeholders(chunk.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for (id, waiting) in chunk {
            let now = waiting.context.at.millis();
            query = bind_customer(query.bind(*id), &waiting.request.customer)
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    let rows: Vec<(i64, &'static str, &str, i64)> = customers
        .iter()
        .flat_map(|(id, waiting)| {
            let at = waiting.context.at.millis();
            contacts(&waiting.request.customer).map(move |(kind, value)| (*id, kind, value, at))
        })
        .collect();
    for chunk in rows.chunks(BINDS_PER_STATEMENT / 5) {
        let sql = format!(
            "insert into customer_contacts (customer_id, kind, value, created_at, updated_at) \
             values {}",
            placeholders(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for (id, kind, value, at) in chunk {
            query = query.bind(*id).bind(*kind).bind(*value).bind(*at).bind(*at);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts the run's cases; returns them as stored, by id (a multi-row `returning` gives its
/// rows in no promised order).
async fn insert_cases(
    tx: &mut AnyConnection,
    given: &str,
    run: &[Numbered<'_>],
) -> Result<HashMap<i64, CaseRow>, StoreError> {
    let sql = format!(
        "insert into cases (id, customer_id, channel, subject, status, priority, opened_at, \
         anger_permille, churn_threat, win_back, abusive_messages, urgency, created_at, \
         updated_at){given} values {} returning {CASE_COLUMNS}",
        placeholders(run.len(), 14)
    );
    let mut query = sqlx::query_as::<_, CaseRow>(&sql);
    for n in run {
        let case = &n.opening.case;
        let now = n.waiting.context.at.millis();
        query = query
            .bind(n.case_id)
            .bind(n.customer_id)
            .bind(case.channel.as_str())
            .bind(&case.subject)
            .bind(case.status.as_str())
            .bind(case.priority.rank())
            .bind(now)
            .bind(case.anger_permille)
            .bind(i64::from(case.churn_threat))
            .bind(case.win_back.map(|w| w.as_str()))
            .bind(case.abusive_messages)
            .bind(case.urgency)
            .bind(now)
            .bind(now);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// Inserts the run's first messages; returns them as stored, by id.
async fn insert_messages(
    tx: &mut AnyConnection,
    given: &str,
    run: &[Numbered<'_>],
) -> Result<HashMap<i64, MessageRow>, StoreError> {
    let sql = format!(
        "insert into messages (id, case_id, direction, channel, author_id, body, body_html, \
         external_id, anger_permille, abusive, churn_threat, assessment, created_at, updated_at)\
         {given} values {} returning {MESSAGE_COLUMNS}",
        placeholders(run.len(), 14)
    );
    let mut query = sqlx::query_as::<_, MessageRow>(&sql);
    for n in run {
        let request = &n.waiting.request;
        let reading = request.reading.as_ref();
        let now = n.waiting.context.at.millis();
        query = query
            .bind(n.message_id)
            .bind(n.case_id)
            .bind(Direction::Inbound.as_str())
            .bind(request.case.channel.as_str())
            .bind(None::<i64>)
            .bind(&request.case.body)
            .bind(request.body_html.as_deref())
            .bind(None::<&str>)
            .bind(reading.map(|r| r.anger_permille))
            .bind(reading.map_or(0, |r| i64::from(r.abusive)))
            .bind(reading.map_or(0, |r| i64::from(r.churn_threat)))
            .bind(reading.map(|r| r.assessment_json.as_str()))
            .bind(now)
            .bind(now);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    Ok(rows.into_iter().map(|row| (row.id, row)).collect())
}

/// One case in its own transaction, retried when a concurrent writer created the same
/// customer first.
pub(crate) async fn alone(
    conn: &mut AnyConnection,
    request: &OpenCase,
    context: &AuditContext,
) -> Result<OpenedCase, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let mut tx = conn.begin().await?;
            let opened = open_case_in(&mut tx, request, context).await?;
            tx.commit().await?;
            Ok(opened)
        }
        .await;
        match result {
            Err(StoreError::Conflict { .. }) if attempt < 3 => continue,
            other => return other,
        }
    }
}
