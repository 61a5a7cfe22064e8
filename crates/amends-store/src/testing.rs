//! Fresh databases for tests: a temporary SQLite file, or a PostgreSQL database with a unique
//! name on the local server, dropped when the test is done.
//!
//! PostgreSQL is found through `AMENDS_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432`). When it cannot be reached a test using it fails
//! under `CI=true`, and is skipped with a loud message elsewhere: a skipped suite must never
//! pass silently in CI.

use std::path::PathBuf;
use std::str::FromStr;

use rand::Rng;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor};

use crate::Backend;

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to give `Store::connect` or `amends --database`.
    pub url: String,
    backend: Backend,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Postgres { server: String, name: String },
}

fn unique_name() -> String {
    let suffix: u64 = rand::thread_rng().gen();
    format!("amends_test_{}_{suffix:016x}", std::process::id())
}

/// The PostgreSQL server tests use, without a database name.
pub fn postgres_server() -> String {
    std::env::var("AMENDS_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// Whether a missing PostgreSQL must fail the run rather than skip.
pub fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl TestDatabase {
    /// A fresh SQLite file in the system's temporary folder.
    pub fn sqlite() -> TestDatabase {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        TestDatabase {
            url: format!("sqlite:{}", path.display()),
            backend: Backend::Sqlite,
            cleanup: Cleanup::File(path),
        }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so) when the server cannot be
    /// reached outside CI. Panics under `CI=true` when it cannot be reached.
    pub async fn postgres() -> Option<TestDatabase> {
        static DRIVERS: std::sync::Once = std::sync::Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let server = postgres_server();
        let name = unique_name();
        let created = async {
            let mut admin = admin_connection(&server).await?;
            admin
                .execute(format!("create database {name}").as_str())
                .await?;
            admin.close().await
        }
        .await;
        match created {
            Ok(()) => Some(TestDatabase {
                url: format!("{server}/{name}"),
                backend: Backend::Postgres,
                cleanup: Cleanup::Postgres { server, name },
            }),
            Err(error) if postgres_required() => {
                panic!("CI=true and PostgreSQL at {server} cannot be used: {error}")
            }
            Err(error) => {
                eprintln!("SKIPPED: PostgreSQL at {server} cannot be used ({error}); set CI=true to make this fail");
                None
            }
        }
    }

    /// Both backends: SQLite always, PostgreSQL when it can be had (always under CI).
    pub async fn each() -> Vec<TestDatabase> {
        let mut databases = vec![TestDatabase::sqlite()];
        databases.extend(TestDatabase::postgres().await);
        databases
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

async fn admin_connection(server: &str) -> Result<AnyConnection, sqlx::Error> {
    AnyConnectOptions::from_str(&format!("{server}/postgres"))?
        .connect()
        .await
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop runs inside the test's runtime, which must not block; a thread with its
                // own small runtime drops the database and is waited for.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let mut admin = admin_connection(&server).await.ok()?;
                        let sql = format!("drop database if exists {name} with (force)");
                        admin.execute(sql.as_str()).await.ok()?;
                        admin.close().await.ok()
                    })
                });
                let _ = dropped.join();
            }
        }
    }
}

/// Stores a job row as it is, kind and arguments unchecked, as a newer or broken server might
/// have left it; answers its id.
pub async fn insert_raw_job(
    store: &crate::Store,
    kind: &str,
    payload: &str,
    run_at: amends_core::Timestamp,
    max_attempts: i64,
) -> Result<i64, crate::StoreError> {
    Ok(sqlx::query_scalar(
        "insert into jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) \
         values ($1, $2, 'pending', $3, $4, $3, $3) returning id",
    )
    .bind(kind)
    .bind(payload)
    .bind(run_at.millis())
    .bind(max_attempts)
    .fetch_one(&store.write)
    .await?)
}
