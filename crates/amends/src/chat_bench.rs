//! `amends bench-chat`: live chat under load. Starts one or two real `amends serve` on one
//! database, holds `--connections` visitors' WebSockets (on the second server when there are
//! two), has agents answer random chats at `--rate` lines a second through the first server's
//! API, and times each answer from its request to its arrival at the visitor's socket. Reads the
//! visitors' server's resident memory before and after the idle connections opened.
//! A measurement, not a test: it asserts nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use amends_core::audit::{Actor, AuditContext};
use amends_server::{Clock, SystemClock};
use amends_store::{ChatSay, NewChat, Store};
use anyhow::{bail, Context};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio_tungstenite::tungstenite::Message;

use crate::bench::{bench_token, rank, resident_kib, start_server};

/// What to measure.
#[derive(Args)]
pub(crate) struct ChatBenchArgs {
    /// The database: `sqlite:PATH` (one server) or `postgres://…/DB` (one or two).
    #[arg(long)]
    database: String,
    /// Visitors connected at once.
    #[arg(long, default_value_t = 2_000)]
    connections: usize,
    /// Agents' lines a second, spread over random chats.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// How long the agents write.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Servers: 1, or 2 (PostgreSQL): visitors on the second, agents on the first.
    #[arg(long, default_value_t = 1)]
    servers: usize,
}

/// When each agent line was sent, by its text, until a visitor receives it.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

pub(crate) async fn run(args: ChatBenchArgs) -> anyhow::Result<()> {
    if args.servers == 2 && args.database.starts_with("sqlite:") {
        bail!("two servers need a PostgreSQL database");
    }
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard).unwrap_or(());
    eprintln!("open files: {soft} -> {hard}");
    let store = Store::connect(&args.database).await?;
    store.migrate().await?;
    let token = bench_token(&store).await?;
    let chats = open_chats(&store, args.connections).await?;
    store.close().await;
    let first = start_server(&args.database).await?;
    let second = match args.servers {
        2 => Some(start_server(&args.database).await?),
        _ => None,
    };
    let visitors_server = second.as_ref().unwrap_or(&first);
    let pid = visitors_server.pid();
    let before = resident_kib(pid)?;
    let sent: Sent = Arc::default();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let ws = format!(
        "{}/chat/v1/socket",
        visitors_server.url.replace("http://", "ws://")
    );
    for (key, _) in &chats {
        let (mut socket, _) = tokio_tungstenite::connect_async(&ws)
            .await
            .context("connecting a visitor")?;
        let hello = serde_json::json!({"type": "hello", "key": key, "after": 1});
        socket.send(Message::text(hello.to_string())).await?;
        tokio::spawn(listen(socket, sent.clone(), latencies.clone()));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(pid)?;
    let per_connection = (after.saturating_sub(before)) as f64 / args.connections as f64;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let api = format!("{}/api/v1/cases", first.url);
    let total = u64::from(args.rate) * args.seconds;
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate.max(1));
    let mut requests = Vec::new();
    for n in 0..total {
        tick.tick().await;
        let case_id = chats[rand::thread_rng().gen_range(0..chats.len())].1;
        let text = format!("bench line {n}");
        let (client, url, token, sent) = (client.clone(), api.clone(), token.clone(), sent.clone());
        requests.push(tokio::spawn(async move {
            let body = serde_json::json!({"direction": "outbound", "body": text});
            let started = Instant::now();
            sent.lock().map(|mut s| s.insert(text, started)).ok();
            let response = client
                .post(format!("{url}/{case_id}/messages"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "reply: {}",
                response.status()
            );
            Ok(started.elapsed())
        }));
    }
    let mut answered = Vec::with_capacity(requests.len());
    for request in requests {
        answered.push(request.await??);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answered = Mutex::new(answered);
    report(&args, &latencies, &answered, total, per_connection);
    Ok(())
}

/// Starts `count` chats, each with a first line (so each has a case), straight in the store.
async fn open_chats(store: &Store, count: usize) -> anyhow::Result<Vec<(String, i64)>> {
    let context = AuditContext {
        actor: Actor::Customer,
        at: SystemClock.now(),
        remote_addr: None,
    };
    let mut chats = Vec::with_capacity(count);
    for n in 0..count {
        let key = amends_server::accounts::new_secret();
        let new = NewChat {
            key_hash: amends_server::accounts::digest(&key),
            visitor_name: None,
            email: None,
            site_customer_id: None,
        };
        let chat = store.start_chat(&new, context.at).await?;
        let say = ChatSay {
            client_id: format!("first{n}"),
            body: "Hello, my order has not arrived yet.".to_owned(),
            reading: None,
        };
        let said = store
            .say_in_chat(chat.id, &say, &context, |case| case.clone())
            .await?;
        chats.push((key, said.case.id));
    }
    Ok(chats)
}

/// Reads a visitor's socket, timing each agent line it was waiting for.
async fn listen<S>(mut socket: S, sent: Sent, latencies: Arc<Mutex<Vec<Duration>>>)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Text(text) = frame else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
            continue;
        };
        let Some(line) = frame["line"]["text"].as_str() else {
            continue;
        };
        let started = sent.lock().ok().and_then(|mut s| s.remove(line));
        if let (Some(started), Ok(mut latencies)) = (started, latencies.lock()) {
            latencies.push(started.elapsed());
        }
    }
}

/// The sorted figures and their quantile in milliseconds.
fn quantiles(figures: &Mutex<Vec<Duration>>) -> (usize, impl Fn(usize) -> f64) {
    let mut figures = figures.lock().map(|l| l.clone()).unwrap_or_default();
    figures.sort_unstable();
    let count = figures.len();
    let at = move |per_mille| {
        figures
            .get(rank(figures.len(), per_mille))
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    (count, at)
}

fn report(
    args: &ChatBenchArgs,
    latencies: &Mutex<Vec<Duration>>,
    answered: &Mutex<Vec<Duration>>,
    total: u64,
    per_kib: f64,
) {
    let (received, at) = quantiles(latencies);
    let (_, reply_at) = quantiles(answered);
    let backend = if args.database.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    eprintln!("| backend | servers | connections | lines/s | lines sent | received | arrived p50 ms | p99 ms | reply answered p50 ms | p99 ms | KiB per idle connection |");
    eprintln!("|---|---|---|---|---|---|---|---|---|---|---|");
    eprintln!(
        "| {backend} | {} | {} | {} | {total} | {received} | {:.1} | {:.1} | {:.1} | {:.1} | {per_kib:.1} |",
        args.servers,
        args.connections,
        args.rate,
        at(500),
        at(990),
        reply_at(500),
        reply_at(990),
    );
}
