//! `amends bench-console`: how fast the console answers with a big desk behind it. Fills the
//! database up to `--cases` open cases (kept between runs), starts a real `amends serve`, and
//! times, one request after another over loopback, the queue page (plain and filtered), case
//! pages picked at random, and the coaching request a keystroke in the composer sends.
//! A measurement, not a test: it asserts nothing.

use std::time::Instant;

use amends_core::audit::{Actor, AuditContext};
use amends_core::case::NewCase;
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::{Channel, EmailAddress, Priority};
use amends_server::{Clock, SystemClock};
use amends_store::{OpenCase, Store};
use anyhow::{bail, Context};
use clap::Args;
use rand::{Rng, SeedableRng};

use crate::bench::{bench_token, start_server};

/// What to measure.
#[derive(Args)]
pub(crate) struct ConsoleBenchArgs {
    /// The database: `sqlite:PATH` or `postgres://…/DB`; filled up to `--cases` when short.
    #[arg(long)]
    database: String,
    /// How many cases the desk holds while measuring.
    #[arg(long, default_value_t = 100_000)]
    cases: i64,
    /// Requests timed per kind of page.
    #[arg(long, default_value_t = 1_000)]
    requests: usize,
}

const COMPLAINTS: [&str; 6] = [
    "My parcel was due on Monday and it still has not arrived. This is the second time.",
    "You charged me twice for the same order. I want the extra payment refunded today.",
    "The kettle stopped working after a week. I am really disappointed with the quality.",
    "Your agent hung up on me. I am furious and I am cancelling my subscription.",
    "I was promised a call back yesterday and nobody called. Absolutely unacceptable.",
    "Could you tell me when my replacement will ship? I have been waiting a while.",
];

/// A 1 KB reply draft, as the composer sends it while the agent types.
const DRAFT: &str =
    "Hi Dana,\n\nI'm so sorry about the trouble with your delivery, and I understand \
how frustrating it has been to wait in for a parcel that did not come. That is not the \
experience we want for you. I have looked into it: the courier marked the parcel as \
attempted on Monday and Wednesday, but our records show no card was left. I have asked them \
to deliver it tomorrow between 9 and 12, and I will call you at 12:30 to make sure it \
arrived. As an apology I have added a credit of 10 EUR to your account. This will never \
happen again, and we can't change the courier, but we can make sure you hear from us soon. \
If anything else is not right, reply to this email and it comes straight back to me. \
Thank you for your patience, and again, I'm sorry.\n\nBest wishes,\nSam";

pub(crate) async fn run(args: ConsoleBenchArgs) -> anyhow::Result<()> {
    let store = Store::connect(&args.database)
        .await
        .context("opening the bench database")?;
    store.migrate().await?;
    fill(&store, args.cases).await?;
    let token = bench_token(&store).await?;
    store.close().await;
    let server = start_server(&args.database).await?;
    let client = reqwest::Client::new();
    let auth = format!("Bearer {token}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);

    eprintln!("| request | n | p50 ms | p99 ms | max ms |");
    eprintln!("|---|---|---|---|---|");
    for (name, path) in [
        ("queue page", "/queue"),
        ("queue page, angry only", "/queue?flag=angry"),
        ("queue page, email only", "/queue?channel=email"),
        // The bench agent owns nothing: without the owner index every open case would be read.
        ("queue page, mine (owns none)", "/queue?owner=me"),
    ] {
        let url = format!("{}{path}", server.url);
        let times = time(args.requests, || {
            let request = client.get(&url).header("authorization", &auth);
            async move { check(request.send().await?).await }
        })
        .await?;
        report(name, &times);
    }
    let urls: Vec<String> = (0..args.requests)
        .map(|_| format!("{}/cases/{}", server.url, rng.gen_range(1..=args.cases)))
        .collect();
    let mut next = urls.iter().cycle();
    #[allow(clippy::expect_used)] // a cycle over a list this function just filled never ends
    let times = time(args.requests, || {
        let request = client
            .get(next.next().expect("one url per request"))
            .header("authorization", &auth);
        async move { check(request.send().await?).await }
    })
    .await?;
    report("case page (random case)", &times);
    let coach = format!("{}/api/v1/coach", server.url);
    let times = time(args.requests, || {
        let request = client
            .post(&coach)
            .header("authorization", &auth)
            .json(&serde_json::json!({"text": DRAFT, "case_id": 1}));
        async move { check(request.send().await?).await }
    })
    .await?;
    report("coaching a 1 KB draft (keystroke)", &times);
    Ok(())
}

async fn check(response: reqwest::Response) -> anyhow::Result<()> {
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        bail!("{status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

async fn time<F, Fut>(n: usize, mut request: F) -> anyhow::Result<Vec<f64>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // A few untimed requests first, to warm the connection and the database's cache.
    for _ in 0..20 {
        request().await?;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        request().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

fn report(name: &str, sorted: &[f64]) {
    let at = |per_mille| sorted[crate::bench::rank(sorted.len(), per_mille)];
    eprintln!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} |",
        sorted.len(),
        at(500),
        at(990),
        sorted[sorted.len() - 1]
    );
}

/// Opens cases until the desk holds `cases`, through the store as intake does.
async fn fill(store: &Store, cases: i64) -> anyhow::Result<()> {
    let have = store.count_cases().await?;
    if have >= cases {
        return Ok(());
    }
    eprintln!("filling the desk from {have} to {cases} cases…");
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    for n in have..cases {
        let customer = n % 20_000;
        let body = COMPLAINTS[rng.gen_range(0..COMPLAINTS.len())];
        let mut who = NewCustomer::named(CustomerName::parse(
            "name",
            &format!("Customer {customer}"),
        )?);
        who.emails = vec![EmailAddress::parse(
            "email",
            &format!("c{customer}@example.com"),
        )?];
        let request = OpenCase {
            customer: who,
            case: NewCase {
                channel: Channel::ALL[rng.gen_range(0..Channel::ALL.len())],
                subject: format!("Complaint {n}"),
                body: body.to_owned(),
                priority: Priority::ALL[rng.gen_range(0..Priority::ALL.len())],
            },
            body_html: None,
            external_id: None,
            reading: Some(amends_server::read_message(body)),
        };
        let context = AuditContext {
            actor: Actor::System,
            at: SystemClock.now(),
            remote_addr: None,
        };
        store.open_case(&request, &context).await?;
        if (n + 1) % 10_000 == 0 {
            eprintln!(
                "  {} cases, {:.0} s",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
