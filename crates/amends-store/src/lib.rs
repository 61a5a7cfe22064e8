//! Storage for Amends: one [`Store`] over embedded SQLite or PostgreSQL, its migrations, the
//! append-only audit trail and the durable jobs table.
//!
//! This is the only crate that contains SQL. It must not decide domain rules, word a sentence
//! or an audit event, or shape the wire: a workflow loads its records (plain data access by
//! table, in `table/`), calls a pure function of `amends-core`, saves the record it answers
//! and applies its outcome (`apply.rs`: notices, alerts, lines on a case, jobs, audit events),
//! all in one transaction. Callers never see which backend is in use.

mod accounts;
mod agents;
mod apply;
mod article_index;
mod assistant;
mod audit;
mod backup;
mod bulk;
mod canned;
mod cases;
mod casework;
mod chats;
mod compensation;
mod custom_fields;
mod customer_data;
mod customers;
mod erasure;
mod error;
mod ids;
mod imports;
mod incident_reach;
mod incidents;
mod jobs;
mod knowledge;
mod live;
mod mail_log;
mod merges;
mod messaging;
mod new_cases;
mod openings;
mod outbox;
mod plans;
mod presence;
mod promises;
mod resets;
mod rows;
mod search;
mod sight;
mod stats;
mod surveys;
mod table;
mod tags;
#[cfg(feature = "test-support")]
pub mod testing;
mod two_factor;
mod views;

use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use accounts::SessionInfo;
pub use agents::{NewAgent, Session, SessionOrigin, TokenInfo};
pub use audit::AuditEntry;
pub use backup::{holds_nothing, inspect, Inspection, Snapshot, Tally};
pub use cases::{QueueCursor, QueueFilter, QueueFlag, QueuePage, QueuedCase};
pub use chats::{AddressLeft, Chat, ChatLine, ChatSaid, ChatSay, NewChat};
pub use customer_data::{Cell, TableRows};
pub use customers::CustomerPage;
pub use erasure::Erased;
pub use error::StoreError;
pub use imports::ImportedCustomer;
pub use incident_reach::{CaseIncident, IncidentNotice, LinkedCase};
pub use incidents::Posted;
pub use jobs::{JobEffect, JobRecord, JobStatus, NewJob};
pub use knowledge::{FeedbackEntry, KnowledgeGap};
pub use live::LiveFeed;
pub use mail_log::{InboundMailEntry, Intake, MailFiling, MailSent};
pub use mail_log::{NewAttachment, SetAside};
pub use merges::CaseMerge;
pub use messaging::{SocialReply, TakenIn};
pub use new_cases::{OpenCase, OpenedCase};
pub use outbox::{AttachmentInfo, MailThread};
pub use plans::{Plan, Summary};
pub use presence::Presence;
pub use resets::{NewPasswordReset, StaffMailRecord};
pub use search::{CaseFound, OwnerScope, SearchResults, SearchScope, CANDIDATES};
pub use sight::CaseRecord;
pub use stats::{AssistantFigures, ChatFigures, Figures, Spread};
pub use surveys::Survey;
pub use table::jobs::DEFAULT_ATTEMPTS;
pub use table::messages::NewMessage;
pub use table::notices::Notice;
pub use table::notifications::Notification;
pub use table::staff_mails::StaffMailSent;
pub use tags::{TagUse, Tagged};
pub use two_factor::{Challenge, SecondFactor, SsoLogin};
pub use views::SavedView;

/// When the store schedules the jobs it makes itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long before a promise's due time its owner is reminded.
    pub reminder_lead_millis: i64,
    /// How long after a case is resolved the customer is asked how it went.
    pub follow_up_delay_millis: i64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            reminder_lead_millis: 30 * 60_000,
            follow_up_delay_millis: 3 * 86_400_000,
        }
    }
}

/// Which database holds the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One embedded SQLite file: the laptop and small-team default.
    Sqlite,
    /// A PostgreSQL server shared by any number of stateless `amends serve` processes.
    Postgres,
}

/// The desk's database. Cheap to clone: it holds connection pools.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Connections that write. On SQLite this pool holds exactly one connection so writers
    /// queue in memory instead of spinning on the file lock, which keeps latency flat.
    write: AnyPool,
    /// Connections that only read; on PostgreSQL the same pool as `write`.
    read: AnyPool,
    /// When reminders and follow-ups are scheduled.
    timing: Timing,
    /// Cases waiting to share the SQLite writer's next commit.
    openings: std::sync::Arc<openings::Openings>,
    /// Where a PostgreSQL desk's servers hear each other (`live.rs`); none on SQLite.
    listen_url: Option<std::sync::Arc<str>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How a SQLite connection is set up. WAL lets readers work beside the writer; `synchronous =
/// full` makes every acknowledged commit survive a power cut, not only a process crash.
const SQLITE_PRAGMAS: &str = "pragma journal_mode = wal; pragma foreign_keys = on; \
     pragma busy_timeout = 10000; pragma synchronous = full;";

/// The writer's connection also keeps a larger page cache (16 MiB). Every new case inserts into
/// indexes whose keys arrive in no order (names, addresses), so once the desk outgrows
/// SQLite's default 2 MiB cache an insert may read index pages back from the operating system.
/// The cache fills only as the desk grows and belongs to the one writer, not to each reader.
/// Measured with wrk its effect is within this machine's noise (docs/benchmarks.md).
const SQLITE_WRITER_PRAGMAS: &str = "pragma journal_mode = wal; pragma foreign_keys = on; \
     pragma busy_timeout = 10000; pragma synchronous = full; pragma cache_size = -16384;";

impl Store {
    /// Opens the database named by `url`: `sqlite:PATH` (created when missing) or
    /// `postgres://…`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = AnyConnectOptions::from_str(url).map_err(StoreError::from)?;
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Store {
                backend: Backend::Postgres,
                write: pool.clone(),
                read: pool,
                timing: Timing::default(),
                openings: std::sync::Arc::new(openings::Openings::new(Backend::Postgres)),
                listen_url: Some(url.into()),
            })
        } else {
            Err(StoreError::BadUrl(
                "the database must be sqlite:PATH or postgres://…".to_owned(),
            ))
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
        let url = if url.contains('?') {
            url.to_owned()
        } else {
            format!("{url}?mode=rwc")
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::from)?;
        let pool = |connections: u32, pragmas: &'static str| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                // A connection to a local file cannot go stale; pinging it before every use
                // would cost a round trip to its thread per transaction.
                .test_before_acquire(false)
                .after_connect(move |conn, _| {
                    Box::pin(async move { conn.execute(pragmas).await.map(|_| ()) })
                })
                .connect_with(options.clone())
        };
        let write = pool(1, SQLITE_WRITER_PRAGMAS).await?;
        let read = pool(4, SQLITE_PRAGMAS).await?;
        Ok(Store {
            backend: Backend::Sqlite,
            write,
            read,
            timing: Timing::default(),
            openings: std::sync::Arc::new(openings::Openings::new(Backend::Sqlite)),
            listen_url: None,
        })
    }

    /// The same store scheduling reminders and follow-ups with `timing`.
    pub fn with_timing(mut self, timing: Timing) -> Store {
        self.timing = timing;
        self
    }

    /// When reminders and follow-ups are scheduled.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many commits opened more than one case (the group commit of `openings.rs`, on
    /// both backends).
    pub fn shared_commits(&self) -> u64 {
        self.openings.shared_commits()
    }

    /// Brings the schema up to date. Safe to run from several servers at once on PostgreSQL,
    /// where the migrator takes an advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.write)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// The last migration this build knows: a backup made by a newer build is refused.
    pub fn schema_version() -> i64 {
        SQLITE_MIGRATIONS
            .iter()
            .chain(POSTGRES_MIGRATIONS.iter())
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// Whether the database answers: the readiness check.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes every connection, letting SQLite checkpoint its log.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Whether the desk has no agents yet: a fresh database.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("select count(*) from agents")
            .fetch_one(&self.read)
            .await?;
        Ok(count == 0)
    }
}
