//! Defects found by probing the desk as an attacker would (issue "Hardening"), each written to
//! fail on the code before the fix, on both backends: mail with NUL bytes, deeply nested HTML,
//! more attachments than are kept, addresses that can never be mailed, bidirectional
//! controls, authority dodged by opening cases, slow and oversized requests, silent
//! connections, and answers a browser could sniff or cache.

use std::time::{Duration, Instant};

use amends_core::AgentRole;
use amends_server::{ConnectionLimits, ServerSettings};
use amends_store::testing::TestDatabase;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{assert_problem, get, post, post_mail, TestApp};

/// On PostgreSQL a NUL anywhere in a mail made filing fail as "database unavailable" and the
/// mail was neither filed nor quarantined. Now it is filed with the NUL replaced, and a mail
/// whose sender address holds one is quarantined whole.
#[tokio::test]
async fn a_mail_with_nul_bytes_is_filed_and_never_lost() {
    for app in TestApp::each().await {
        let intake = app.token_client(AgentRole::Agent).await;
        let raw = b"From: \"Nora\0 Null\" <nora@example.com>\r\nSubject: Broken\0 kettle\r\n\
            Message-ID: <nul-1@example.com>\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n\
            --b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n\
            --c\r\nContent-Type: text/plain\r\n\r\nThe kettle\0 leaks.\r\n\
            --c\r\nContent-Type: text/html\r\n\r\n<p>The kettle\0 leaks.</p>\r\n--c--\r\n\
            --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"receipt\0.txt\"\r\n\r\npaid\r\n\
            --b--\r\n";
        let (status, outcome) = post_mail(&app, &intake, raw).await;
        assert_eq!(status, 202, "{outcome}");
        assert_eq!(outcome["outcome"], "filed", "{outcome}");
        let case = get(&app, &intake, &format!("/cases/{}", outcome["case_id"])).await;
        let body = case["messages"][0]["body"].as_str().unwrap();
        assert_eq!(body, "The kettle\u{FFFD} leaks.");

        let raw = b"From: <no\0ra@example.com>\r\nSubject: Hello\r\n\r\nHi\r\n";
        let (status, outcome) = post_mail(&app, &intake, raw).await;
        assert_eq!(status, 202, "{outcome}");
        assert_eq!(outcome["outcome"], "quarantined", "{outcome}");
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let id = outcome["quarantine_id"].as_i64().unwrap();
        let kept = supervisor
            .get(app.api(&format!("/mail/intake/{id}/raw")))
            .send()
            .await
            .unwrap();
        assert_eq!(kept.status(), 200);
        assert_eq!(kept.bytes().await.unwrap().as_ref(), raw);
    }
}

/// A search for a NUL answered 503 on PostgreSQL.
#[tokio::test]
async fn a_search_for_a_nul_finds_nothing_instead_of_failing() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let found = get(&app, &agent, "/customers?q=%00").await;
        assert_eq!(found["items"], json!([]), "{found}");
        let found = get(&app, &agent, "/customers?q=a%00b").await;
        assert_eq!(found["items"], json!([]), "{found}");
    }
}

fn nested_mail(id: usize, depth: usize) -> Vec<u8> {
    format!(
        "From: Dee <dee{id}@example.com>\r\nSubject: Deep {id}\r\nMessage-ID: <deep-{id}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nMy order is late.\r\n\
         --b\r\nContent-Type: text/html\r\n\r\n{}\r\n--b--\r\n",
        "<div>".repeat(depth)
    )
    .into_bytes()
}

/// Three mails of deeply nested HTML at once stalled `/healthz` for 16 s. Now each is read off
/// the async threads within a budget: all are filed quickly, with the raw mail kept, while
/// the server keeps answering.
#[tokio::test]
async fn nested_html_is_filed_quickly_while_the_server_keeps_answering() {
    for app in TestApp::each().await {
        let intake = app.token_client(AgentRole::Agent).await;
        let started = Instant::now();
        let (one, two, three) = (
            nested_mail(1, 90_000),
            nested_mail(2, 90_000),
            nested_mail(3, 90_000),
        );
        let mails = async {
            let (a, b, c) = tokio::join!(
                post_mail(&app, &intake, &one),
                post_mail(&app, &intake, &two),
                post_mail(&app, &intake, &three)
            );
            [a, b, c]
        };
        let health = async {
            let mut slowest = Duration::ZERO;
            for _ in 0..10 {
                let asked = Instant::now();
                let answer = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
                assert_eq!(answer.status(), 200);
                slowest = slowest.max(asked.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            slowest
        };
        let (outcomes, slowest) = tokio::join!(mails, health);
        assert!(slowest < Duration::from_secs(1), "healthz took {slowest:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        for (status, outcome) in outcomes {
            assert_eq!(status, 202, "{outcome}");
            assert_eq!(outcome["outcome"], "filed", "{outcome}");
        }
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let log = get(&app, &supervisor, "/mail/intake?outcome=filed").await;
        for line in log.as_array().unwrap() {
            assert_eq!(line["kept_whole"], true, "{line}");
            assert!(line["reason"].as_str().unwrap().contains("nested deeper"));
        }
    }
}

/// Attachments after the 100th were dropped silently. Now they are listed as not kept, and
/// the raw mail is kept beside the message.
#[tokio::test]
async fn attachments_past_the_hundredth_are_listed_and_the_raw_mail_kept() {
    for app in TestApp::each().await {
        let intake = app.token_client(AgentRole::Agent).await;
        let mut raw = String::from(
            "From: Pat <pat@example.com>\r\nSubject: Photos of the damage\r\n\
             Message-ID: <photos@example.com>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\nAll 130 photos attached.\r\n",
        );
        for i in 0..130 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; \
                 filename=\"p{i}.png\"\r\n\r\npng{i}\r\n"
            ));
        }
        raw.push_str("--b--\r\n");
        let (status, outcome) = post_mail(&app, &intake, raw.as_bytes()).await;
        assert_eq!(status, 202, "{outcome}");
        let listed = get(
            &app,
            &intake,
            &format!("/cases/{}/attachments", outcome["case_id"]),
        )
        .await;
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 130);
        let omitted: Vec<&Value> = listed.iter().filter(|a| !a["omitted"].is_null()).collect();
        assert_eq!(omitted.len(), 30);
        assert_eq!(omitted[0]["name"], "p100.png");
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let log = get(&app, &supervisor, "/mail/intake?outcome=filed").await;
        let line = &log[0];
        assert_eq!(line["kept_whole"], true);
        assert_eq!(line["reason"], "30 of 130 attachments were not kept");
        let kept = supervisor
            .get(app.api(&format!("/mail/intake/{}/raw", line["id"])))
            .send()
            .await
            .unwrap();
        assert_eq!(kept.bytes().await.unwrap().as_ref(), raw.as_bytes());
    }
}

/// `a>,evil@evil.test` was accepted and could never be mailed; bidirectional overrides in a
/// name or subject were kept; a customer could carry any number of addresses.
#[tokio::test]
async fn addresses_names_and_contacts_are_checked_as_the_sender_would() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let before = app.counts().await;
        let case = |name: &str, email: &str, subject: &str| {
            json!({"customer": {"name": name, "email": email}, "channel": "email",
                   "subject": subject, "body": "Where is it?"})
        };
        for (body, field) in [
            (case("Eve", "a>,evil@evil.test", "Late"), "customer.email"),
            (case("Eve", "eve@example.com\"", "Late"), "customer.email"),
            (
                case("Eve \u{202E}", "eve@example.com", "Late"),
                "customer.name",
            ),
            (case("Eve", "eve@example.com", "Late \u{2066}x"), "subject"),
        ] {
            let response = agent
                .post(app.api("/cases"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_problem(response, 422, Some(field)).await;
        }
        let emails: Vec<String> = (0..21).map(|i| format!("c{i}@example.com")).collect();
        let response = agent
            .post(app.api("/customers"))
            .json(&json!({"name": "Many", "emails": emails}))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, Some("emails")).await;
        let response = agent
            .post(app.api("/customers"))
            .json(&json!({"name": "Many", "emails": ["x>@example.com"]}))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, Some("emails[0]")).await;
        assert_eq!(
            app.counts().await,
            before,
            "a refused request writes nothing"
        );
        // A right-to-left mark is ordinary in right-to-left names and stays allowed.
        let (status, _) = post(
            &app,
            &agent,
            "/cases",
            case("\u{5D3}\u{5E0}\u{200F}", "dana@example.com", "Late"),
        )
        .await;
        assert_eq!(status, 201);
    }
}

/// An agent with a 2,500 limit could give one customer any amount by opening more cases, and
/// a supervisor could approve anything. Now the limit covers the customer over the period
/// and a supervisor approves within their own; above it an admin decides.
#[tokio::test]
async fn authority_covers_the_customer_across_cases_and_bounds_approvals() {
    for app in TestApp::each().await {
        let agent = app.token_client(AgentRole::Agent).await;
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let admin = app.token_client(AgentRole::Admin).await;
        let first = app
            .open_case(&agent, "Gus", "gus@example.com", "normal")
            .await;
        let grant =
            |amount: i64| json!({"kind": "refund", "amount_minor": amount, "reason": "late"});
        let (status, line) = post(
            &app,
            &agent,
            &format!("/cases/{}/compensation", first["id"]),
            grant(2_500),
        )
        .await;
        assert_eq!(
            (status, line["state"].as_str()),
            (201, Some("granted")),
            "{line}"
        );

        // Another case of the same customer: the agent's authority is used up.
        let (status, second) = post(&app, &agent, "/cases", json!({"customer": {"name": "Gus", "email": "gus@example.com"}, "channel": "email", "subject": "Again", "body": "Late again."})).await;
        assert_eq!(status, 201);
        assert_eq!(second["customer_id"], first["customer_id"]);
        let (_, line) = post(
            &app,
            &agent,
            &format!("/cases/{}/compensation", second["id"]),
            grant(2_500),
        )
        .await;
        assert_eq!(line["state"], "awaiting_approval", "{line}");

        // 2,500 given plus 9,000 asked is past the supervisor's 10,000.
        let (_, big) = post(
            &app,
            &agent,
            &format!("/cases/{}/compensation", second["id"]),
            grant(9_000),
        )
        .await;
        let decide = |id: &Value| format!("/compensation/{id}/decision");
        let (status, problem) = post(
            &app,
            &supervisor,
            &decide(&big["id"]),
            json!({"approve": true}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("admin"),
            "{problem}"
        );
        let (status, approved) = post(
            &app,
            &supervisor,
            &decide(&line["id"]),
            json!({"approve": true}),
        )
        .await;
        assert_eq!(
            (status, approved["state"].as_str()),
            (200, Some("granted")),
            "{approved}"
        );
        let (status, approved) =
            post(&app, &admin, &decide(&big["id"]), json!({"approve": true})).await;
        assert_eq!(
            (status, approved["state"].as_str()),
            (200, Some("granted")),
            "{approved}"
        );

        // Past the period, the customer's old grants no longer use the agent's authority up.
        app.clock.advance(31 * 86_400_000);
        let third = app
            .open_case(&agent, "Gus", "gus@example.com", "normal")
            .await;
        let (_, line) = post(
            &app,
            &agent,
            &format!("/cases/{}/compensation", third["id"]),
            grant(2_000),
        )
        .await;
        assert_eq!(line["state"], "granted", "{line}");
    }
}

fn quick_settings() -> ServerSettings {
    ServerSettings {
        connections: ConnectionLimits {
            max_connections: 64,
            header_timeout: Duration::from_secs(1),
        },
        body_timeout: Duration::from_secs(1),
        ..ServerSettings::default()
    }
}

/// Reads what the server sends until it closes the connection or `within` passes.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

/// Silent connections, slow headers and slow bodies were held forever, and a 10 GB
/// Content-Length waited for its body.
#[tokio::test]
async fn slow_and_oversized_requests_are_cut_off() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), quick_settings()).await;
    let address = app.url.trim_start_matches("http://").to_owned();

    let mut silent = TcpStream::connect(&address).await.unwrap();
    let closed = read_until_closed(&mut silent, Duration::from_secs(5)).await;
    assert!(closed.is_some(), "a silent connection is closed");

    let mut slow_header = TcpStream::connect(&address).await.unwrap();
    slow_header
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let closed = read_until_closed(&mut slow_header, Duration::from_secs(5)).await;
    assert!(closed.is_some(), "an unfinished header is cut off");

    let mut slow_body = TcpStream::connect(&address).await.unwrap();
    slow_body
        .write_all(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow_body, Duration::from_secs(5)).await;
    let answer = answer.expect("a slow body is answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    let mut huge = TcpStream::connect(&address).await.unwrap();
    let asked = Instant::now();
    huge.write_all(b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut huge, Duration::from_secs(5)).await;
    let answer = answer.expect("an oversized declared length is refused");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        asked.elapsed() < Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );

    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.expect("an idle connection is closed").contains("ok"));
}

/// Past the connection cap new connections are closed at once; once the silent ones time
/// out, the desk answers again.
#[tokio::test]
async fn past_the_connection_cap_the_desk_recovers_when_silent_ones_time_out() {
    let app = TestApp::spawn_with(TestDatabase::sqlite(), quick_settings()).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(&address).await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        if let Ok(answer) = client.get(format!("{}/healthz", app.url)).send().await {
            assert_eq!(answer.status(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "the desk never answered again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// API answers carry customers' words: never sniffed, never cached.
#[tokio::test]
async fn api_answers_are_never_sniffed_or_cached() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let agent = app.token_client(AgentRole::Agent).await;
    for path in ["/queue", "/cases/999", "/nowhere"] {
        let response = agent.get(app.api(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
}

/// The IMAP watcher stopped at a mail with a NUL byte every round, so one mail blocked its
/// mailbox. Now that mail is filed (or kept whole) and the next one is taken too.
#[tokio::test]
async fn the_watcher_takes_the_mail_after_one_with_a_nul_byte() {
    let Some(imap) = amends_mail::testing::Dovecot::start() else {
        return;
    };
    for database in TestDatabase::each().await {
        let app = TestApp::spawn(database).await;
        let url = amends_mail::MailboxUrl::parse(&imap.url()).unwrap();
        let mut mailbox = amends_mail::Mailbox::open(&url).await.unwrap();
        let tag = app.url.rsplit(':').next().unwrap().to_owned();
        let nul = format!(
            "From: Nia <nia@example.com>\r\nSubject: Null\0 byte\r\nMessage-ID: <nul-{tag}@example.com>\r\n\r\nIt\0 broke.\r\n"
        );
        let bad_sender = format!(
            "From: <n\0ia@example.com>\r\nSubject: Odd\r\nMessage-ID: <odd-{tag}@example.com>\r\n\r\nHello\r\n"
        );
        let next = format!(
            "From: Ola <ola@example.com>\r\nSubject: Next one\r\nMessage-ID: <next-{tag}@example.com>\r\n\r\nMy parcel is late.\r\n"
        );
        for raw in [&nul, &bad_sender, &next] {
            mailbox.append(raw.as_bytes()).await.unwrap();
        }
        let mut watched = amends_mail::Mailbox::open(&url).await.unwrap();
        let round = amends_server::mailroom::take_in_unseen(&app.state, &mut watched, "imap-test")
            .await
            .unwrap();
        assert_eq!(round.taken, 3);
        let agent = app.token_client(AgentRole::Agent).await;
        let queue = get(&app, &agent, "/queue").await;
        let subjects: Vec<&str> = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["subject"].as_str().unwrap())
            .collect();
        assert!(subjects.contains(&"Next one"), "{subjects:?}");
        // Dovecot may pass the NUL on or replace it itself; either way the mail is filed.
        assert!(
            subjects.iter().any(|s| s.starts_with("Null")),
            "{subjects:?}"
        );
        let supervisor = app.token_client(AgentRole::Supervisor).await;
        let quarantined = get(&app, &supervisor, "/mail/intake?outcome=quarantined").await;
        assert_eq!(quarantined.as_array().unwrap().len(), 1, "{quarantined}");
        // Everything was taken: nothing is left unseen for the next round.
        assert!(watched.unseen().await.unwrap().is_empty());
    }
}
