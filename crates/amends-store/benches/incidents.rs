//! `cargo bench -p amends-store --bench incidents -- --database URL [--customers N]`: an
//! incident's notice fan-out to a big customer base. Fills the database (kept between runs) up
//! to `--customers` customers on one plan, declares an incident, chooses them by plan, then
//! times (1) `Store::send_incident_notice`: the one transaction that queues a notice and a
//! durable job per customer, and (2) draining those jobs as the job runner does (claimed 32 at
//! a time, each completed with its notice marked sent in its own transaction), without the
//! SMTP conversation, which is the relay's speed, not the desk's. A measurement, not a test.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::time::Instant;

use amends_core::audit::{Actor, AuditContext};
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::incident::{IncidentDraft, RawDeclaration, Segment};
use amends_core::job::Job;
use amends_core::{EmailAddress, Timestamp};
use amends_store::{ImportedCustomer, JobEffect, Store};

const PLAN: &str = "Bench fibre";

fn at(millis: i64) -> AuditContext {
    AuditContext {
        actor: Actor::Shell,
        at: Timestamp(millis),
        remote_addr: None,
    }
}

async fn fill(store: &Store, target: usize, now: i64) {
    let have = usize::try_from(store.count_customers().await.unwrap()).unwrap_or(0);
    let started = Instant::now();
    let mut made = have;
    while made < target {
        let rows: Vec<ImportedCustomer> = (made..target.min(made + 5_000))
            .map(|i| {
                let name = CustomerName::parse("name", &format!("Customer {i}")).unwrap();
                let mut customer = NewCustomer::named(name);
                customer.plan = Some(PLAN.to_owned());
                let address = format!("customer{i}@bench.test");
                customer.emails = vec![EmailAddress::parse("email", &address).unwrap()];
                ImportedCustomer {
                    line: i,
                    customer,
                    tags: Vec::new(),
                    fields: Vec::new(),
                }
            })
            .collect();
        made += rows.len();
        store
            .import_customers(&rows, &at(now), amends_core::events::customer_created)
            .await
            .unwrap();
    }
    if made > have {
        println!(
            "filled {} customers in {:.1} s",
            made - have,
            started.elapsed().as_secs_f64()
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
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
            "usage: cargo bench -p amends-store --bench incidents -- --database URL [--customers N]"
        );
        return;
    };
    let target: usize = arg("--customers").map_or(100_000, |n| n.parse().unwrap());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    // The bench stands for a desk on the real clock.
    #[allow(clippy::disallowed_methods)]
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    fill(&store, target, now).await;

    let raw = RawDeclaration {
        title: "Bench outage".into(),
        summary: "Nothing works.".into(),
        started_at: String::new(),
        doing: "Fixing it.".into(),
        next_update_at: Timestamp(now + 3_600_000).to_rfc3339(),
        key_words: String::new(),
    };
    let draft = IncidentDraft::parse(&raw, Timestamp(now)).unwrap();
    let id = store.declare_incident(&draft, &at(now)).await.unwrap();
    let segment = Segment::parse(Some(PLAN), &[]).unwrap();
    let started = Instant::now();
    let affected = store.affect_segment(id, &segment, &at(now)).await.unwrap();
    let chosen = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let queued = store.send_incident_notice(id, &at(now)).await.unwrap();
    let queueing = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut sent = 0_i64;
    loop {
        let jobs = store
            .claim_due_jobs("bench", Timestamp(now + 1), 600_000, 32)
            .await
            .unwrap();
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            let Ok(Job::IncidentNotice(send)) = job.work() else {
                continue;
            };
            let effect = JobEffect::IncidentNoticeSent {
                notice_id: send.notice_id,
                held: false,
                message_id: format!("<bench.{}@bench.test>", send.notice_id),
            };
            store
                .complete_job(&job, "bench", &effect, &at(now + 1))
                .await
                .unwrap();
            sent += 1;
        }
    }
    let draining = started.elapsed().as_secs_f64();
    println!("| step | customers | seconds | per second |");
    println!("|---|---|---|---|");
    println!(
        "| choose by plan | {affected} | {chosen:.2} | {:.0} |",
        affected as f64 / chosen
    );
    println!(
        "| queue notices and jobs (one transaction) | {queued} | {queueing:.2} | {:.0} |",
        queued as f64 / queueing
    );
    println!(
        "| drain: claim and mark sent | {sent} | {draining:.2} | {:.0} |",
        sent as f64 / draining
    );
    store.close().await;
}
