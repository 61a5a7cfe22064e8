//! An incident declared for 10,000 customers queues 10,000 notices as durable jobs; the desk is
//! killed with -9 while mailing them (one mail half-sent: the SMTP server has its bytes but has
//! not said 250), restarted, and every customer gets the notice exactly once. Both backends.

use std::collections::HashMap;
use std::time::Duration;

use amends_mail::testing::SmtpCapture;
use amends_store::testing::TestDatabase;
use serde_json::{json, Value};

use super::{bootstrap, in_seconds, wait_for, Desk};

const CUSTOMERS: usize = 10_000;

async fn call(desk: &Desk, token: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(desk.api(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn sent(desk: &Desk, token: &str, id: i64) -> i64 {
    let detail: Value = reqwest::Client::new()
        .get(desk.api(&format!("/incidents/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    detail["notices"]["sent"].as_i64().unwrap_or(0)
}

fn message_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

async fn declare_for_everyone(desk: &Desk, token: &str) -> i64 {
    // In lists of a thousand, as a spreadsheet would be split: each import is one request.
    for start in (0..CUSTOMERS).step_by(1_000) {
        let mut csv = String::from("name,email,plan\n");
        for i in start..start + 1_000 {
            csv.push_str(&format!("Customer {i},c{i}@fan.test,Fibre\n"));
        }
        let imported = reqwest::Client::new()
            .post(desk.api("/import/customers"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(imported.status(), 201);
    }
    let declared = call(
        desk,
        token,
        "/incidents",
        json!({"title": "Fibre outage in the north", "summary": "No connection.",
               "doing": "Engineers are repairing a cut cable.",
               "next_update_at": in_seconds(3_600)}),
    )
    .await;
    let id = declared["id"].as_i64().unwrap();
    let path = format!("/incidents/{id}/customers");
    let added = call(desk, token, &path, json!({"plan": "Fibre"})).await;
    assert_eq!(added["added"], CUSTOMERS);
    id
}

#[tokio::test]
async fn ten_thousand_notices_interrupted_by_kill_9_go_out_once_each() {
    let Some(smtp) = SmtpCapture::start() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the incident fan-out test"
        );
        return;
    };
    for database in TestDatabase::each().await {
        let before = smtp.count();
        let token = bootstrap(&database.url);
        let smtp_url = smtp.url();
        let settings = [
            ("AMENDS_SMTP_URL", smtp_url.as_str()),
            ("AMENDS_JOB_LEASE_MS", "2000"),
            ("AMENDS_MAIL_FROM", "Care <care@isp.example>"),
        ];
        let mut desk = Desk::start_with(&database.url, &settings).await;
        let id = declare_for_everyone(&desk, &token).await;
        let queued = call(
            &desk,
            &token,
            &format!("/incidents/{id}/notices"),
            json!({}),
        )
        .await;
        assert_eq!(
            queued["queued"], CUSTOMERS,
            "every notice is queued at once"
        );

        // Midway, one mail is left half-sent and the desk is killed.
        let deadline = std::time::Instant::now() + Duration::from_secs(300);
        while smtp.count() < before + CUSTOMERS / 5 {
            let so_far = smtp.count() - before;
            assert!(
                std::time::Instant::now() < deadline,
                "only {so_far} went out"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!("{} sent before the kill", smtp.count() - before);
        smtp.stall(true);
        wait_for("a mail to be held mid-sending", || async { smtp.holding() }).await;
        // Mails accepted just before the stall are marked sent within milliseconds; every one
        // sent after it is held unanswered when the desk dies.
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        desk.kill_hard();
        smtp.stall(false);
        let at_kill = smtp.count() - before;
        assert!(at_kill < CUSTOMERS, "killed midway ({at_kill} sent)");

        let desk = Desk::start_with(&database.url, &settings).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(600);
        while sent(&desk, &token, id).await < i64::try_from(CUSTOMERS).unwrap() {
            assert!(
                std::time::Instant::now() < deadline,
                "the notices did not all go out"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // Long enough for a second sending to show: more than two leases and many polls.
        tokio::time::sleep(Duration::from_millis(4_500)).await;
        let received = smtp.received();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut recipients: HashMap<String, usize> = HashMap::new();
        for mail in &received[before..] {
            *by_id.entry(message_id(&mail.raw)).or_default() += 1;
            for to in &mail.to {
                *recipients.entry(to.clone()).or_default() += 1;
            }
        }
        assert_eq!(received.len() - before, CUSTOMERS, "each sent exactly once");
        assert_eq!(by_id.len(), CUSTOMERS);
        assert_eq!(recipients.len(), CUSTOMERS);
        assert!(recipients.values().all(|n| *n == 1));
        drop(desk);
    }
}
