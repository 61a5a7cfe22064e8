//! `amends bench`: creates cases over HTTP against a real `amends serve` child process and
//! reports cases per second, p50 and p99 latency at each concurrency, and the server's
//! resident memory. A measurement, not a test: it asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use amends_core::audit::{Actor, AuditContext};
use amends_core::AgentRole;
use amends_server::{Clock, SystemClock};
use amends_store::{NewAgent, Store};
use anyhow::{bail, Context};
use clap::Args;

/// What to measure.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// An empty database: `sqlite:PATH` or `postgres://…/DB`.
    #[arg(long)]
    database: String,
    /// Cases created at each concurrency.
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
    /// Concurrency levels, comma-separated.
    #[arg(long, default_value = "1,8", value_delimiter = ',')]
    concurrency: Vec<usize>,
    /// After measuring, keep creating cases until the database holds this many, then report
    /// the server's resident memory (0 to skip).
    #[arg(long, default_value_t = 0)]
    fill_to: usize,
    /// After measuring on the empty desk, fill it (unmeasured) until it holds this many cases
    /// and measure again at each concurrency, so creation on a full desk is read beside creation
    /// on an empty one (0 to skip).
    #[arg(long, default_value_t = 0)]
    then_at: usize,
}

pub(crate) struct Server {
    child: std::process::Child,
    pub(crate) url: String,
}

impl Server {
    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let store = Store::connect(&args.database)
        .await
        .context("opening the bench database")?;
    store.migrate().await?;
    if !store.is_empty().await? {
        bail!("the bench needs an empty database so its figures are comparable");
    }
    let token = bench_token(&store).await?;
    store.close().await;
    let server = start_server(&args.database).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    eprintln!("| backend | desk held | concurrency | cases | cases/s | p50 ms | p99 ms |");
    eprintln!("|---|---|---|---|---|---|---|");
    let mut created = 0;
    for concurrency in &args.concurrency {
        created = measure(&client, &server.url, &token, &args, *concurrency, created).await?;
    }
    if args.then_at > created {
        drive(
            &client,
            &server.url,
            &token,
            args.then_at - created,
            8,
            created,
        )
        .await?;
        created = args.then_at;
        for concurrency in &args.concurrency {
            created = measure(&client, &server.url, &token, &args, *concurrency, created).await?;
        }
    }
    if args.fill_to > created {
        drive(
            &client,
            &server.url,
            &token,
            args.fill_to - created,
            8,
            created,
        )
        .await?;
        let rss = resident_kib(server.child.id())?;
        eprintln!(
            "\nserver resident memory after {} cases: {:.1} MiB",
            args.fill_to,
            rss as f64 / 1024.0
        );
    } else {
        let rss = resident_kib(server.child.id())?;
        eprintln!(
            "\nserver resident memory after {created} cases: {:.1} MiB",
            rss as f64 / 1024.0
        );
    }
    Ok(())
}

/// Creates `args.cases` cases at `concurrency` on a desk holding `held`, prints the row, and
/// answers how many the desk holds after.
async fn measure(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    args: &BenchArgs,
    concurrency: usize,
    held: usize,
) -> anyhow::Result<usize> {
    let backend = if args.database.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let report = drive(client, url, token, args.cases, concurrency, held).await?;
    eprintln!(
        "| {backend} | {held} | {concurrency} | {} | {:.0} | {:.2} | {:.2} |",
        args.cases, report.per_second, report.p50_ms, report.p99_ms
    );
    Ok(held + args.cases)
}

pub(crate) async fn bench_token(store: &Store) -> anyhow::Result<String> {
    let context = AuditContext {
        actor: Actor::Shell,
        at: SystemClock.now(),
        remote_addr: None,
    };
    let agent = NewAgent {
        // A fresh address each run, so a kept bench database can be measured again.
        email: format!("bench-{}@amends.test", rand::random::<u32>()),
        name: "Bench".to_owned(),
        role: AgentRole::Agent,
        password_hash: None,
        authority_limit_minor: 0,
        supervisor_id: None,
        case_access: amends_core::CaseAccess::All,
    };
    let agent = store.create_agent(&agent, &context).await?;
    let secret = amends_server::accounts::new_secret();
    store
        .create_token(
            agent.id,
            &amends_server::accounts::digest(&secret),
            "bench",
            amends_core::account::TokenScope::Full,
            None,
            &context,
        )
        .await?;
    Ok(secret)
}

pub(crate) async fn start_server(database: &str) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = std::process::Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--database",
            database,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("AMENDS_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting amends serve")?;
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if reqwest::get(format!("{}/readyz", server.url))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not become ready within 30 s")
}

struct Report {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn drive(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    cases: usize,
    concurrency: usize,
    offset: usize,
) -> anyhow::Result<Report> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, next, url, token) = (
            client.clone(),
            next.clone(),
            format!("{url}/api/v1/cases"),
            token.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= cases {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let n = offset + i;
                let body = serde_json::json!({
                    "customer": {"name": format!("Customer {n}"), "email": format!("customer{n}@bench.test")},
                    "channel": "email",
                    "subject": "My parcel has not arrived",
                    "body": "I ordered a week ago and the parcel still has not arrived. I am really fed up with waiting.",
                });
                let sent = Instant::now();
                let response = client.post(&url).bearer_auth(&token).json(&body).send().await?;
                if response.status() != reqwest::StatusCode::CREATED {
                    bail!("case {n}: {} {}", response.status(), response.text().await.unwrap_or_default());
                }
                response.bytes().await?;
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |per_mille| {
        latencies
            .get(rank(latencies.len(), per_mille))
            .copied()
            .unwrap_or_default()
    };
    Ok(Report {
        per_second: cases as f64 / elapsed.as_secs_f64(),
        p50_ms: at(500).as_secs_f64() * 1000.0,
        p99_ms: at(990).as_secs_f64() * 1000.0,
    })
}

/// Resident memory of process `pid`, from /proc.
pub(crate) fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("reading VmRSS")
}

/// Where the `per_mille` quantile sits in `len` sorted figures: the nearest rank.
pub(crate) fn rank(len: usize, per_mille: usize) -> usize {
    (len.saturating_sub(1) * per_mille + 500) / 1000
}
