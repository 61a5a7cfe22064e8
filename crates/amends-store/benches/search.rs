//! `cargo bench -p amends-store --bench search -- --database URL [--messages N]`: search at a
//! big desk. Fills the database (kept between runs) up to `--messages` messages in cases of
//! five, with words drawn the way real text draws them (a few very common, a long tail of rare
//! ones such as order numbers), through plain inserts so the full-text triggers and indexes do
//! their real work; reports the fill rate, then times adding a message through the store (its
//! indexing included) and searches of every kind. A measurement, not a test: it asserts
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// a bench that cannot go on should stop
// A measurement that reports on standard output, with counts far inside every type's range.
#![allow(
    clippy::print_stdout,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap
)]

use std::time::Instant;

use amends_core::audit::{Actor, AuditContext};
use amends_core::search::SearchQuery;
use amends_core::{Channel, Direction, Timestamp};
use amends_store::{NewMessage, SearchScope, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

/// Words of customer service, most common first; a message draws most of its words here.
const COMMON: &str = "the i my to and a it is was for of not you have this on in order \
    that with me be we no but at your please still from can has they been would refund \
    parcel delivery days account help now when again week phone call back customer service \
    waiting money charged twice cancel subscription broken item package email payment card \
    received wrong late arrived never ordered replacement number problem told time app \
    working support issue store manager return label courier update price bill months \
    contract internet router engineer flight booking seat luggage hotel room train ticket";

/// How many rare words (order numbers, product codes, names) the long tail holds.
const TAIL: u64 = 200_000;

const CASE_MESSAGES: i64 = 5;
const CHUNK_CASES: i64 = 400;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(url) = arg("--database") else {
        eprintln!(
            "usage: cargo bench -p amends-store --bench search -- --database URL [--messages N]"
        );
        return;
    };
    let target: i64 = arg("--messages").map_or(1_000_000, |n| n.parse().unwrap());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    fill(&pool, target).await;
    // What autovacuum does after a bulk load on PostgreSQL, so the planner knows how common
    // each word is; SQLite has no statistics to gather.
    if url.starts_with("postgres") {
        sqlx::query("analyze").execute(&pool).await.unwrap();
    }
    pool.close().await;
    intake(&store).await;
    searches(&store).await;
}

fn common() -> Vec<&'static str> {
    COMMON.split_whitespace().collect()
}

/// A message of 12 to 60 words: Zipf-like picks among the common words, one in five from the
/// tail (Zipf too, so some rare words are found in thousands of messages and most in few).
fn message(rng: &mut StdRng, common: &[&str]) -> String {
    let len = rng.gen_range(12..60);
    let mut words = Vec::with_capacity(len);
    for _ in 0..len {
        if rng.gen_ratio(1, 5) {
            words.push(format!("sku{}", zipf(rng, TAIL)));
        } else {
            let index = usize::try_from(zipf(rng, common.len() as u64)).unwrap() - 1;
            words.push(common[index].to_owned());
        }
    }
    words.join(" ")
}

/// A rank from 1 to `n`, rank k drawn about as often as 1/k.
fn zipf(rng: &mut StdRng, n: u64) -> u64 {
    let h = (n as f64).ln() + 0.5772;
    let u: f64 = rng.gen_range(0.0..h);
    (u.exp().floor() as u64).clamp(1, n)
}

async fn count(pool: &AnyPool) -> i64 {
    sqlx::query_scalar("select count(*) from messages")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn fill(pool: &AnyPool, target: i64) {
    let mut have = count(pool).await;
    if have >= target {
        println!("the database holds {have} messages already");
        return;
    }
    let common = common();
    let mut rng = StdRng::seed_from_u64(u64::try_from(have).unwrap() + 7);
    let started = Instant::now();
    let from = have;
    while have < target {
        let mut tx = pool.begin().await.unwrap();
        let base = have / CASE_MESSAGES;
        let mut customer_ids = Vec::new();
        for i in 0..CHUNK_CASES / 4 {
            let n = base + i;
            let id: i64 = sqlx::query_scalar(
                "insert into customers (name, created_at, updated_at) values ($1, $2, $2) returning id",
            )
            .bind(format!("Customer {n} {}", common[(n as usize) % common.len()]))
            .bind(n)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "insert into customer_contacts (customer_id, kind, value, created_at, updated_at) \
                 values ($1, 'email', $2, 0, 0), ($1, 'phone', $3, 0, 0)",
            )
            .bind(id)
            .bind(format!("customer{n}@example.com"))
            .bind(format!("+4420{:08}", n))
            .execute(&mut *tx)
            .await
            .unwrap();
            customer_ids.push(id);
        }
        for i in 0..CHUNK_CASES {
            let opened = 1_700_000_000_000 + (base + i) * 60_000;
            let status = ["open", "resolved", "closed", "waiting_on_customer"][rng.gen_range(0..4)];
            let case_id: i64 = sqlx::query_scalar(
                "insert into cases (customer_id, channel, subject, status, priority, opened_at, \
                 anger_permille, created_at, updated_at) values ($1, 'email', $2, $3, 1, $4, $5, $4, $4) \
                 returning id",
            )
            .bind(customer_ids[(i as usize) % customer_ids.len()])
            .bind(message(&mut rng, &common).chars().take(60).collect::<String>())
            .bind(status)
            .bind(opened)
            .bind(rng.gen_range(0..1000_i64))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            let mut sql = String::from(
                "insert into messages (case_id, direction, channel, body, created_at, updated_at) values ",
            );
            let bodies: Vec<String> = (0..CASE_MESSAGES)
                .map(|_| message(&mut rng, &common))
                .collect();
            for k in 0..CASE_MESSAGES {
                let direction = ["inbound", "outbound", "inbound", "note", "outbound"][k as usize];
                let p = k * 2;
                sql += &format!(
                    "{}($1, '{direction}', 'email', ${}, ${}, ${})",
                    if k == 0 { "" } else { ", " },
                    p + 2,
                    p + 3,
                    p + 3
                );
            }
            let mut insert = sqlx::query(&sql).bind(case_id);
            for (k, body) in bodies.into_iter().enumerate() {
                insert = insert
                    .bind(body)
                    .bind(opened + i64::try_from(k).unwrap() * 3_600_000);
            }
            insert.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        have += CHUNK_CASES * CASE_MESSAGES;
        if have % 100_000 < CHUNK_CASES * CASE_MESSAGES {
            let rate = (have - from) as f64 / started.elapsed().as_secs_f64();
            println!("filled {have} messages ({rate:.0} messages/s with their indexing)");
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "filled {} messages in {seconds:.0} s: {:.0} messages/s, indexed in the same transactions",
        have - from,
        (have - from) as f64 / seconds
    );
}

/// Adding messages one by one through the store, each its own durable transaction with its
/// indexing, as intake does.
async fn intake(store: &Store) {
    let common = common();
    let mut rng = StdRng::seed_from_u64(99);
    let cases: i64 = store.count_cases().await.unwrap();
    let mut times = Vec::new();
    for i in 0..500 {
        let message = NewMessage {
            direction: Direction::Inbound,
            channel: Channel::Email,
            author_id: None,
            body: message(&mut rng, &common),
            body_html: None,
            external_id: None,
            reading: None,
        };
        let context = AuditContext {
            actor: Actor::System,
            at: Timestamp(1_800_000_000_000 + i),
            remote_addr: None,
        };
        let case_id = rng.gen_range(1..=cases);
        let started = Instant::now();
        store
            .add_message(case_id, &message, &context, |c| c.clone())
            .await
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("adding a message (durable, indexed)", &mut times);
}

async fn searches(store: &Store) {
    let kinds: [(&str, &[&str]); 9] = [
        (
            "a rare word",
            &["sku150000", "sku99991", "sku123457", "sku180001"],
        ),
        (
            "a middling word",
            &["sku2000", "sku3001", "sku1500", "sku4999"],
        ),
        ("a very common word", &["refund", "parcel", "order", "the"]),
        (
            "two common words",
            &[
                "refund parcel",
                "charged twice",
                "cancel subscription",
                "late delivery",
            ],
        ),
        (
            "a phrase",
            &[
                "\"charged twice\"",
                "\"never arrived\"",
                "\"still waiting\"",
                "\"my order\"",
            ],
        ),
        ("a prefix", &["sku1234*", "refu*", "deliv*", "sku99*"]),
        (
            "a word with filters",
            &[
                "refund status:open angry",
                "parcel status:closed",
                "sku500 channel:email",
                "courier after:2024-01-01",
            ],
        ),
        (
            "filters alone",
            &[
                "status:open",
                "angry",
                "status:waiting_on_customer",
                "before:2023-12-01",
            ],
        ),
        (
            "a phone number",
            &[
                "020 0001 2005",
                "+44 20 0004 0050",
                "(020) 0008-0099",
                "02000000400",
            ],
        ),
    ];
    for (kind, queries) in kinds {
        let mut times = Vec::new();
        let mut shown = 0;
        // Each search once untimed first: its first run reads its words' index pages from
        // disk, reported apart as the cold figure.
        let mut cold = Vec::new();
        for text in queries {
            let query = SearchQuery::parse(text).unwrap();
            let started = Instant::now();
            store
                .search(&query, &SearchScope::default(), 0, 20)
                .await
                .unwrap();
            cold.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        for round in 0..200 {
            let query = SearchQuery::parse(queries[round % queries.len()]).unwrap();
            let started = Instant::now();
            let results = store
                .search(&query, &SearchScope::default(), 0, 20)
                .await
                .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            shown += results.cases.len() + results.customers.len();
        }
        let slowest_cold = cold.iter().copied().fold(0.0, f64::max);
        println!("search, {kind}: first runs, slowest {slowest_cold:.2} ms");
        report(
            &format!(
                "search, {kind} ({:.1} results a search)",
                shown as f64 / 200.0
            ),
            &mut times,
        );
    }
}

fn report(what: &str, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let at = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} timed)",
        at(50),
        at(99),
        times[times.len() - 1],
        times.len()
    );
}
