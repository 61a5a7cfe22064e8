//! `amends backup`, `restore` and `check` as an operator runs them: a backup taken while cases
//! pour in restores into a fresh database that passes the check and serves every case it
//! holds; a damaged backup, a non-empty target and a broken reference are each refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

fn run(args: &[&str]) -> (bool, String) {
    let output = amends(args, "");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Files cases through the API, one after another, until told to stop; answers the ids it
/// was given, in order, and a count of them so far.
fn pour_in(desk: &Desk, token: &str) -> Pouring {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let so_far = Arc::new(AtomicUsize::new(0));
    let (client, url, token) = (reqwest::Client::new(), desk.api("/cases"), token.to_owned());
    let counted = so_far.clone();
    let writer = tokio::spawn(async move {
        let mut answered = Vec::new();
        for n in 0.. {
            if *stopped.borrow() {
                break;
            }
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .json(&case_body(n))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let case: Value = response.json().await.unwrap();
            answered.push(case["id"].as_i64().unwrap());
            counted.fetch_add(1, Ordering::SeqCst);
        }
        answered
    });
    Pouring {
        stop,
        so_far,
        writer,
    }
}

struct Pouring {
    stop: tokio::sync::watch::Sender<bool>,
    so_far: Arc<AtomicUsize>,
    writer: tokio::task::JoinHandle<Vec<i64>>,
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_into_a_fresh_database_that_passes_the_check() {
    for database in TestDatabase::each().await {
        let token = bootstrap(&database.url);
        let desk = Desk::start(&database.url).await;
        let pouring = pour_in(&desk, &token);
        let client = reqwest::Client::new();
        wait_for("cases before the backup", || async {
            pouring.so_far.load(Ordering::SeqCst) >= 50
        })
        .await;
        let archive = std::env::temp_dir().join(format!("amends-backup-{}.tar", rand_suffix()));
        let archive_path = archive.to_str().unwrap();
        let before = pouring.so_far.load(Ordering::SeqCst);
        // The backup runs beside the writer (this test's runtime has one thread).
        let args = ["backup", "--database", &database.url, "--to", archive_path].map(str::to_owned);
        let (taken, said) =
            tokio::task::spawn_blocking(move || run(&args.each_ref().map(String::as_str)))
                .await
                .unwrap();
        assert!(taken, "{said}");
        let during = pouring.so_far.load(Ordering::SeqCst);
        pouring.stop.send(true).unwrap();
        let answered = pouring.writer.await.unwrap();

        let target = match database.backend() {
            amends_store::Backend::Sqlite => TestDatabase::sqlite(),
            amends_store::Backend::Postgres => TestDatabase::postgres().await.unwrap(),
        };
        let (restored, said) = run(&["restore", "--from", archive_path, "--database", &target.url]);
        assert!(restored, "{said}");
        assert!(said.contains("match the backup"), "{said}");
        let (checked, said) = run(&["check", "--database", &target.url]);
        assert!(checked, "{said}");

        // The copy is of one moment during the load: every case answered before it began is
        // there with its message, later ones may be, none half.
        drop(desk);
        let desk = Desk::start(&target.url).await;
        let mut in_copy = Vec::new();
        for id in &answered {
            let response = client
                .get(desk.api(&format!("/cases/{id}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            match response.status().as_u16() {
                200 => {
                    let case: Value = response.json().await.unwrap();
                    assert_eq!(case["messages"][0]["body"], "It broke again.");
                    in_copy.push(true);
                }
                404 => in_copy.push(false),
                other => panic!("case {id}: {other}"),
            }
        }
        let present = in_copy.iter().filter(|p| **p).count();
        assert!(
            (before..=during).contains(&present),
            "{present} cases in the copy: {before} answered before it began, {during} by its end"
        );
        assert!(
            in_copy[..present].iter().all(|p| *p),
            "the copy is not of one moment: a case is missing before a later one"
        );
        let _ = std::fs::remove_file(&archive);
        eprintln!(
            "{}: {present} of {} cases in the backup: {before} answered before it began, \
             {during} by its end",
            database.url,
            answered.len()
        );
    }
}

#[tokio::test]
async fn a_damaged_backup_a_full_target_and_a_broken_reference_are_refused() {
    let database = TestDatabase::sqlite();
    bootstrap(&database.url);
    let archive = std::env::temp_dir().join(format!("amends-backup-{}.tar", rand_suffix()));
    let archive_path = archive.to_str().unwrap();
    let (taken, said) = run(&["backup", "--database", &database.url, "--to", archive_path]);
    assert!(taken, "{said}");

    // Into a database that already holds a desk: refused, and it is left as it was.
    let (restored, said) = run(&[
        "restore",
        "--from",
        archive_path,
        "--database",
        &database.url,
    ]);
    assert!(!restored);
    assert!(said.contains("already holds a database"), "{said}");

    // One byte changed in the copy: refused before anything is written.
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.iter().rposition(|b| *b != 0).unwrap();
    bytes[last] ^= 0x5a;
    let damaged = archive.with_extension("damaged.tar");
    std::fs::write(&damaged, &bytes).unwrap();
    let target = TestDatabase::sqlite();
    let (restored, said) = run(&[
        "restore",
        "--from",
        damaged.to_str().unwrap(),
        "--database",
        &target.url,
    ]);
    assert!(!restored);
    assert!(said.contains("damaged"), "{said}");
    assert!(!std::path::Path::new(target.url.trim_start_matches("sqlite:")).exists());

    // Cut short: refused.
    let short = archive.with_extension("short.tar");
    std::fs::write(&short, &bytes[..700]).unwrap();
    let (restored, said) = run(&[
        "restore",
        "--from",
        short.to_str().unwrap(),
        "--database",
        &target.url,
    ]);
    assert!(!restored, "{said}");

    // A reference broken behind the desk's back is found and named.
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&database.url).await.unwrap();
        sqlx::query("pragma foreign_keys = off")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("insert into sessions (token_hash, csrf_token, agent_id, expires_at, created_at, updated_at) values ('x', 'y', 999, 0, 0, 0)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let (checked, said) = run(&["check", "--database", &database.url]);
    assert!(!checked);
    assert!(
        said.contains("1 row(s) of sessions refer to missing agents"),
        "{said}"
    );
    for file in [&archive, &damaged, &short] {
        let _ = std::fs::remove_file(file);
    }
}

fn rand_suffix() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap() ^ u64::from(std::process::id())
}
