//! The real `amends` binary as an operator runs it: bootstrapped from the shell, killed with
//! -9 mid-load, restarted, run twice on one PostgreSQL, stopped with SIGTERM.
//!
//! These tests talk to child processes, so they wait on real time; every wait polls for a
//! condition with a deadline rather than sleeping a fixed amount.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use amends_store::testing::TestDatabase;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_amends");

#[path = "process/backup.rs"]
mod backup;
#[path = "process/chat.rs"]
mod chat;
#[path = "process/incidents.rs"]
mod incidents;
#[path = "process/limits.rs"]
mod limits;

struct Desk {
    child: Child,
    url: String,
}

impl Desk {
    async fn start(database: &str) -> Desk {
        Desk::start_with(database, &[]).await
    }

    /// Starts the desk with extra `AMENDS_*` settings.
    async fn start_with(database: &str, settings: &[(&str, &str)]) -> Desk {
        Desk::start_as(Command::new(BIN), database, settings).await
    }

    /// Starts the desk by `command` (the binary, or a shell that execs it).
    async fn start_as(mut command: Command, database: &str, settings: &[(&str, &str)]) -> Desk {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = command
            .args([
                "serve",
                "--database",
                database,
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .env("AMENDS_JOB_POLL_MS", "100")
            .env("AMENDS_LOG", "warn")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let desk = Desk {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_for("the desk to be ready", || async {
            reqwest::get(format!("{}/readyz", desk.url))
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        desk
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn amends(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Creates an admin and a token from the shell, as the README says; returns the token.
fn bootstrap(database: &str) -> String {
    let created = amends(
        &[
            "admin",
            "create-agent",
            "--database",
            database,
            "--email",
            "boss@desk.test",
            "--name",
            "Boss",
            "--role",
            "admin",
        ],
        "a long admin password\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = amends(
        &[
            "admin",
            "create-token",
            "--database",
            database,
            "--email",
            "boss@desk.test",
        ],
        "",
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let stdout = String::from_utf8(token.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the token and nothing else: {stdout:?}"
    );
    stdout.trim().to_owned()
}

fn case_body(n: usize) -> Value {
    json!({"customer": {"name": format!("Load {n}"), "email": format!("load{n}@example.com")}, "channel": "web_form", "subject": "Broken", "body": "It broke again."})
}

fn in_seconds(seconds: i64) -> String {
    // The desk under test runs on the real clock, so the test reads it too.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    amends_core::Timestamp(i64::try_from(now.as_millis()).unwrap() + seconds * 1000).to_rfc3339()
}

async fn notes(client: &reqwest::Client, desk: &Desk, token: &str, case: i64) -> Vec<String> {
    let case: Value = client
        .get(desk.api(&format!("/cases/{case}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "note")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_answered_case_and_scheduled_job_survives_kill_9() {
    for database in TestDatabase::each().await {
        let token = bootstrap(&database.url);
        let mut desk = Desk::start(&database.url).await;
        let client = reqwest::Client::new();
        let first: Value = client
            .post(desk.api("/cases"))
            .bearer_auth(&token)
            .json(&case_body(0))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reminded = first["id"].as_i64().unwrap();
        let reminder = json!({"at": in_seconds(3), "note": "call back after the crash"});
        let scheduled = client
            .post(desk.api(&format!("/cases/{reminded}/reminders")))
            .bearer_auth(&token)
            .json(&reminder)
            .send()
            .await
            .unwrap();
        assert_eq!(scheduled.status(), 201);

        let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut writers = Vec::new();
        for writer in 0..4 {
            let (client, url, token, answered) = (
                client.clone(),
                desk.api("/cases"),
                token.clone(),
                answered_tx.clone(),
            );
            writers.push(tokio::spawn(async move {
                for n in 0.. {
                    let sent = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&case_body(1 + writer * 100_000 + n))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 201 => {
                            let case: Value = match response.json().await {
                                Ok(case) => case,
                                Err(_) => return,
                            };
                            let _ = answered.send(case["id"].as_i64().unwrap());
                        }
                        _ => return, // the server is gone
                    }
                }
            }));
        }
        drop(answered_tx);
        let mut answered = Vec::new();
        while answered.len() < 150 {
            answered.push(answered_rx.recv().await.unwrap());
        }
        desk.kill_hard();
        for writer in writers {
            writer.await.unwrap();
        }
        while let Some(id) = answered_rx.recv().await {
            answered.push(id);
        }

        let desk = Desk::start(&database.url).await;
        for id in &answered {
            let response = client
                .get(desk.api(&format!("/cases/{id}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                200,
                "case {id} was answered 201 before the kill"
            );
        }
        if database.url.starts_with("sqlite:") {
            use sqlx::{Connection, Row};
            let mut conn = sqlx::AnyConnection::connect(&format!("{}?mode=ro", database.url))
                .await
                .unwrap();
            let check = sqlx::query("pragma integrity_check")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(check.get::<String, _>(0), "ok");
        }
        wait_for("the reminder scheduled before the kill", || async {
            notes(&client, &desk, &token, reminded).await.len() == 1
        })
        .await;
        assert_eq!(
            notes(&client, &desk, &token, reminded).await,
            ["Reminder: call back after the crash"]
        );
        eprintln!(
            "{}: {} cases answered before kill -9, all present after restart",
            database.url,
            answered.len()
        );
    }
}

async fn api_json(
    client: &reqwest::Client,
    token: &str,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Value {
    let mut request = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn promises_and_follow_ups_scheduled_before_kill_9_fire_once_after_restart() {
    for database in TestDatabase::each().await {
        let token = bootstrap(&database.url);
        // The first desk takes no jobs after its first look (a minute between looks), so
        // everything below is still pending when it is killed.
        let settings = [
            ("AMENDS_REMINDER_LEAD_MINUTES", "0"),
            ("AMENDS_FOLLOW_UP_MINUTES", "0"),
        ];
        let mut first = Desk::start_with(
            &database.url,
            &[settings[0], settings[1], ("AMENDS_JOB_POLL_MS", "60000")],
        )
        .await;
        let client = reqwest::Client::new();
        let post = reqwest::Method::POST;
        let promised = api_json(
            &client,
            &token,
            post.clone(),
            first.api("/cases"),
            Some(case_body(1)),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let resolved = api_json(
            &client,
            &token,
            post.clone(),
            first.api("/cases"),
            Some(case_body(2)),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        api_json(
            &client,
            &token,
            post.clone(),
            first.api(&format!("/cases/{promised}/promises")),
            Some(json!({"kind": "call_back", "description": "call back", "due_at": in_seconds(2)})),
        )
        .await;
        api_json(
            &client,
            &token,
            reqwest::Method::PATCH,
            first.api(&format!("/cases/{resolved}")),
            Some(json!({"status": "resolved"})),
        )
        .await;
        first.kill_hard();
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;

        let desk = Desk::start_with(&database.url, &settings).await;
        let get =
            |path: String| api_json(&client, &token, reqwest::Method::GET, desk.api(&path), None);
        wait_for(
            "the promise to break and the follow-up to go out",
            || async {
                let case = get(format!("/cases/{promised}")).await;
                let notices = get(format!("/notices?case_id={resolved}")).await;
                case["promises"][0]["state"] == "broken" && notices.as_array().unwrap().len() == 1
            },
        )
        .await;
        // Give a second runner pass the chance to do anything twice.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let kinds: Vec<Value> = get("/notifications".to_owned())
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].clone())
            .collect();
        assert_eq!(
            kinds,
            [json!("promise_broken"), json!("promise_due_soon")],
            "{}",
            database.url
        );
        let notices = get(format!("/notices?case_id={resolved}")).await;
        assert_eq!(notices.as_array().unwrap().len(), 1);
        assert_eq!(notices[0]["kind"], "follow_up");
    }
}

#[tokio::test]
async fn two_servers_on_one_postgres_run_each_job_once() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    let token = bootstrap(&database.url);
    let desks = [
        Desk::start(&database.url).await,
        Desk::start(&database.url).await,
    ];
    let client = reqwest::Client::new();
    let case: Value = client
        .post(desks[0].api("/cases"))
        .bearer_auth(&token)
        .json(&case_body(0))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case = case["id"].as_i64().unwrap();
    let due = in_seconds(2);
    for n in 0..100 {
        let desk = &desks[n % 2];
        let reminder = json!({"at": due, "note": format!("reminder {n}")});
        let response = client
            .post(desk.api(&format!("/cases/{case}/reminders")))
            .bearer_auth(&token)
            .json(&reminder)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    wait_for("all 100 reminders", || async {
        notes(&client, &desks[1], &token, case).await.len() >= 100
    })
    .await;
    let done = amends(
        &["jobs", "--database", &database.url, "--status", "done"],
        "",
    );
    let listing = String::from_utf8(done.stdout).unwrap();
    // The reminders; the desk's own daily retention sweep is listed beside them.
    let attempts: Vec<&str> = listing
        .lines()
        .skip(1)
        .filter(|line| line.contains("case.reminder"))
        .map(|line| line.split('\t').nth(4).unwrap())
        .collect();
    assert_eq!(attempts.len(), 100);
    assert!(
        attempts.iter().all(|a| *a == "1/10"),
        "each job was claimed once: {attempts:?}"
    );
    let mut seen = notes(&client, &desks[0], &token, case).await;
    assert_eq!(seen.len(), 100, "no reminder written twice");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 100);
}

#[tokio::test]
async fn sigterm_stops_the_desk_cleanly() {
    let database = TestDatabase::sqlite();
    let desk = Desk::start(&database.url).await;
    let status = Command::new("kill")
        .args(["-TERM", &desk.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut desk = desk;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(exit) = desk.child.try_wait().unwrap() {
            assert!(exit.success(), "exit status {exit}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the desk did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn the_shell_commands_refuse_bad_input_clearly() {
    let database = TestDatabase::sqlite();
    let short = amends(
        &[
            "admin",
            "create-agent",
            "--database",
            &database.url,
            "--email",
            "a@desk.test",
            "--name",
            "A",
            "--role",
            "admin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));
    let role = amends(
        &[
            "admin",
            "create-agent",
            "--database",
            &database.url,
            "--email",
            "a@desk.test",
            "--name",
            "A",
            "--role",
            "root",
        ],
        "a long admin password\n",
    );
    assert!(String::from_utf8_lossy(&role.stderr).contains("role"));
    let nobody = amends(
        &[
            "admin",
            "create-token",
            "--database",
            &database.url,
            "--email",
            "nobody@desk.test",
        ],
        "",
    );
    assert!(!nobody.status.success());
    assert!(
        nobody.stdout.is_empty(),
        "nothing on stdout when there is no token"
    );
    let bad_range = amends(
        &[
            "stats",
            "--database",
            &database.url,
            "--from",
            "last tuesday",
        ],
        "",
    );
    assert!(!bad_range.status.success());
    assert!(String::from_utf8_lossy(&bad_range.stderr).contains("--from must be an RFC 3339"));
    let figures = amends(&["stats", "--database", &database.url], "");
    assert!(figures.status.success());
    let figures: serde_json::Value = serde_json::from_slice(&figures.stdout).unwrap();
    for key in [
        "first_contact_resolution_rate",
        "time_to_first_response",
        "promises",
        "reopened",
        "csat",
        "compensation",
        "win_back_rate",
    ] {
        assert!(figures.get(key).is_some(), "amends stats prints {key}");
    }
    let migrated = amends(&["migrate", "--database", &database.url], "");
    assert!(migrated.status.success());
    let example = amends(&["config", "example"], "");
    assert!(String::from_utf8_lossy(&example.stdout).contains("database = \"sqlite:amends.db\""));
}

#[test]
fn analyze_and_coach_stream_in_order_and_answer_bad_lines_with_errors() {
    let input = concat!(
        "{\"id\": \"a\", \"text\": \"You useless idiots, I'm cancelling my account\"}\n",
        "not json at all\n",
        "{\"id\": 7, \"text\": 42}\n",
        "\n",
        "{\"id\": \"c\", \"text\": \"Thanks, it arrived and works great\"}\n",
    );
    let mut bad_utf8 = input.as_bytes().to_vec();
    bad_utf8.extend_from_slice(b"{\"id\": \"d\", \"text\": \"\xff\xfe\"}\n");
    let mut child = Command::new(BIN)
        .arg("analyze")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bad_utf8).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one answer per non-empty line");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(
        (
            lines[0]["abusive"].as_bool(),
            lines[0]["churn_threat"].as_bool(),
            lines[0]["negative"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    assert!(lines[0]["anger"].as_f64().unwrap() > 0.5);
    assert!(lines[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "churn_threat"));
    assert!(lines[1]["error"].is_string() && lines[1].get("id").is_none());
    assert_eq!(lines[2]["id"], 7);
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["id"], "c");
    assert_eq!(lines[3]["complaint"], false);
    assert!(
        lines[4]["error"].is_string(),
        "invalid UTF-8 is an error line, not a crash"
    );

    // Lines are answered in chunks of 256 on every core: over several chunks, the order holds.
    let many: String = (0..1000)
        .map(|i| format!("{{\"id\": {i}, \"text\": \"order {i}: where is my parcel?\"}}\n\n"))
        .collect();
    let answered = amends(&["analyze", "--no-encoder"], &many);
    assert!(answered.status.success());
    let ids: Vec<i64> = String::from_utf8(answered.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, (0..1000).collect::<Vec<i64>>());

    let draft = "{\"id\": 1, \"text\": \"This will never happen again.\", \"customer_name\": \"Ann\", \"customer_anger\": 0.8, \"authority_limit\": 20}\n{\"id\": 2, \"text\": \"x\", \"customer_anger\": \"very\"}\n";
    let coached = amends(&["coach"], draft);
    assert!(coached.status.success());
    let lines: Vec<Value> = String::from_utf8(coached.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"forbidden_promise") && kinds.contains(&"missing_name"),
        "{kinds:?}"
    );
    assert_eq!(lines[0]["needs_confirmation"], true);
    assert_eq!(lines[1]["id"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("bad context"));
}

/// A mail being sent when the desk is killed -9 (the SMTP server has its bytes but has not yet
/// said 250) goes out exactly once after the restart; mail queued while the relay is away is
/// not lost either. Both backends.
#[tokio::test]
async fn a_mail_interrupted_by_kill_9_goes_out_once_after_restart() {
    use amends_mail::testing::SmtpCapture;
    let Some(smtp) = SmtpCapture::start() else {
        return;
    };
    for database in TestDatabase::each().await {
        let before = smtp.received().len();
        let token = bootstrap(&database.url);
        let smtp_url = smtp.url();
        let settings = [
            ("AMENDS_SMTP_URL", smtp_url.as_str()),
            ("AMENDS_JOB_LEASE_MS", "2000"),
            ("AMENDS_MAIL_FROM", "Care <care@shop.example>"),
        ];
        let mut desk = Desk::start_with(&database.url, &settings).await;
        let client = reqwest::Client::new();
        let opened: Value = client
            .post(desk.api("/cases"))
            .bearer_auth(&token)
            .json(
                &json!({"customer": {"name": "Ivy", "email": "ivy@example.com"},
                          "channel": "email", "subject": "Late", "body": "Still waiting."}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let case = opened["id"].as_i64().unwrap();
        smtp.stall(true);
        let sent = client
            .post(desk.api(&format!("/cases/{case}/messages")))
            .bearer_auth(&token)
            .json(&json!({"direction": "outbound", "body": "Ivy, it leaves today."}))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 201);
        wait_for("the mail to reach the SMTP server", || async {
            smtp.holding()
        })
        .await;
        desk.kill_hard();
        smtp.stall(false);

        let desk = Desk::start_with(&database.url, &settings).await;
        wait_for("the mail to go out after the restart", || async {
            smtp.received().len() > before
        })
        .await;
        // Long enough for a second sending to show: more than two leases and many polls.
        wait_for("the notice to be marked sent", || async {
            let notices: Value = client
                .get(desk.api(&format!("/notices?case_id={case}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            notices[0]["status"] == "sent"
        })
        .await;
        tokio::time::sleep(Duration::from_millis(4_500)).await;
        let received = smtp.received();
        assert_eq!(received.len(), before + 1, "sent exactly once");
        assert!(String::from_utf8_lossy(&received[before].raw).contains("it leaves today"));
    }
}
