//! The limits a server on the internet needs, measured on the real process: the memory a
//! crowd of sign-ins takes (from `/proc`), and a crowd of silent connections under a low
//! open-file limit.

use std::process::Command;
use std::time::{Duration, Instant};

use amends_store::testing::TestDatabase;
use serde_json::json;

use super::{Desk, BIN};

/// A figure in kB from `/proc/PID/status`, such as `VmHWM` (peak resident) or `VmRSS`.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// 128 sign-ins at once with a wrong password took the server from 12 MiB to 1.6 GiB (each
/// runs argon2id with 19 MiB). Password checks are now bounded: the rest are told "busy" at
/// once, the peak stays within a few checks' memory, and it is given back.
#[tokio::test]
async fn a_crowd_of_sign_ins_is_bounded_in_memory() {
    let database = TestDatabase::sqlite();
    let desk = Desk::start_with(&database.url, &[("AMENDS_PASSWORD_CHECKS", "4")]).await;
    let pid = desk.child.id();
    let before = status_kb(pid, "VmRSS");
    let client = reqwest::Client::new();
    let attempts: Vec<_> = (0..128)
        .map(|i| {
            let request = client
                .post(desk.api("/session"))
                .json(&json!({"email": format!("nobody{i}@desk.test"), "password": "wrong guess"}))
                .send();
            tokio::spawn(async move {
                let response = request.await.unwrap();
                let retry = response.headers().get("retry-after").is_some();
                (response.status().as_u16(), retry)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    let refused = answers.iter().filter(|(status, _)| *status == 401).count();
    let busy = answers
        .iter()
        .filter(|(status, retry)| *status == 503 && *retry)
        .count();
    assert_eq!(refused + busy, 128, "{answers:?}");
    assert!(refused >= 4, "{answers:?}");
    let peak = status_kb(pid, "VmHWM");
    assert!(
        peak < before + 200 * 1024,
        "peak {} MiB from {} MiB",
        peak / 1024,
        before / 1024
    );
    // The memory is given back (or never taken): the resident size settles near the start.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = status_kb(pid, "VmRSS");
        if now < before + 120 * 1024 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {} MiB resident",
            now / 1024
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// 300 silent connections exhausted the file descriptors and nobody was answered until they
/// closed. With a low open-file limit (raised to its hard limit at start), the connection cap
/// keeps descriptors free, silent connections are closed after the header timeout, and the
/// desk answers again.
#[tokio::test]
async fn silent_connections_under_a_low_open_file_limit_do_not_stop_the_desk() {
    let database = TestDatabase::sqlite();
    let mut shell = Command::new("sh");
    shell.args([
        "-c",
        "ulimit -Sn 64 && ulimit -Hn 256 && exec \"$0\" \"$@\"",
        BIN,
    ]);
    let mut desk = Desk::start_as(
        shell,
        &database.url,
        &[("AMENDS_HEADER_TIMEOUT_SECONDS", "2")],
    )
    .await;
    let address = desk.url.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..300 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            silent.push(stream);
        }
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(answer) = client.get(format!("{}/readyz", desk.url)).send().await {
            assert_eq!(answer.status(), 200);
            break;
        }
        assert!(Instant::now() < deadline, "the desk never answered again");
        assert!(desk.child.try_wait().unwrap().is_none(), "the desk died");
    }
    drop(silent);
}

/// The demo desk's password is published: it refuses to listen beyond loopback.
#[tokio::test]
async fn the_demo_desk_refuses_an_address_beyond_loopback() {
    let database = TestDatabase::sqlite();
    let output = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--database",
            &database.url,
            "--addr",
            "0.0.0.0:0",
        ])
        .env("AMENDS_LOG", "warn")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("loopback"), "{said}");
}

/// An agent who forgot their password gets a new one from the shell (their sessions end); a
/// token made from the shell for an MTA can hand in mail and nothing else.
#[tokio::test]
async fn the_shell_sets_a_password_and_makes_an_intake_token() {
    let database = TestDatabase::sqlite();
    let url = database.url.as_str();
    let created = super::amends(
        &[
            "admin",
            "create-agent",
            "--database",
            url,
            "--email",
            "al@desk.test",
            "--name",
            "Al",
            "--role",
            "admin",
        ],
        "the first password\n",
    );
    assert!(created.status.success());
    let set = super::amends(
        &[
            "admin",
            "set-password",
            "--database",
            url,
            "--email",
            "al@desk.test",
        ],
        "the second password\n",
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let short = super::amends(
        &[
            "admin",
            "set-password",
            "--database",
            url,
            "--email",
            "al@desk.test",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    let token = super::amends(
        &[
            "admin",
            "create-token",
            "--database",
            url,
            "--email",
            "al@desk.test",
            "--scope",
            "intake",
        ],
        "",
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let desk = Desk::start(url).await;
    let client = reqwest::Client::new();
    let sign_in = |password: &str| {
        client
            .post(desk.api("/session"))
            .json(&json!({"email": "al@desk.test", "password": password}))
            .send()
    };
    assert_eq!(sign_in("the first password").await.unwrap().status(), 401);
    assert_eq!(sign_in("the second password").await.unwrap().status(), 200);
    let bearer = format!("Bearer {token}");
    let queue = client
        .get(desk.api("/queue"))
        .header("authorization", &bearer)
        .send();
    assert_eq!(queue.await.unwrap().status(), 403);
    let mail = client
        .post(desk.api("/inbound/email"))
        .header("authorization", &bearer)
        .header("content-type", "message/rfc822")
        .body("From: Jo <jo@example.com>\r\nSubject: Late\r\n\r\nWhere is it?\r\n")
        .send();
    assert_eq!(mail.await.unwrap().status(), 202);
}
