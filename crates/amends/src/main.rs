//! `amends`: the service-recovery desk. Reading this file shows every moving part: the
//! configuration, the database, the HTTP server and the job runner under one shutdown signal.

mod admin;
mod analysis;
mod backup;
mod bench;
mod chat_bench;
mod chat_config;
mod config;
mod console_bench;
mod intake_bench;
mod labelled;
mod lines;
mod messaging_config;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use amends_server::{AppState, Clock, ServerSettings, SystemClock};
use amends_store::{JobStatus, Store};
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use tokio::sync::watch;

use crate::admin::{run_admin, AdminCommand};
use crate::config::{Config, DatabaseUrl};

#[derive(Parser)]
#[command(
    name = "amends",
    about = "A service-recovery desk: turn unhappy customers into loyal ones"
)]
struct Cli {
    /// A TOML configuration file (default: ./amends.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DatabaseArg {
    /// `sqlite:PATH` (default sqlite:amends.db) or `postgres://…`.
    #[arg(long)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the desk: the HTTP API and the job runner.
    Serve {
        #[command(flatten)]
        database: DatabaseArg,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<String>,
        /// Fill a fresh database with a realistic demo desk and print how to sign in.
        #[arg(long)]
        demo: bool,
        /// The SMTP relay mail goes out through, e.g. smtp://user:pass@host:587?tls=starttls
        /// (default: AMENDS_SMTP_URL; none keeps mail in the local outbox).
        #[arg(long)]
        smtp_url: Option<String>,
    },
    /// Brings the database schema up to date.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Bootstraps accounts from the shell.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Lists pending, running and failed jobs.
    Jobs {
        #[command(flatten)]
        database: DatabaseArg,
        /// Only jobs in this state: pending, running, done or failed.
        #[arg(long)]
        status: Option<String>,
    },
    /// Prints the desk's figures over a date range as JSON (the same as GET /api/v1/stats).
    Stats {
        #[command(flatten)]
        database: DatabaseArg,
        /// Start, RFC 3339 (default: 30 days before --to).
        #[arg(long)]
        from: Option<String>,
        /// End, RFC 3339, excluded (default: now).
        #[arg(long)]
        to: Option<String>,
    },
    /// Takes a consistent backup of the desk while it runs: one archive with the copy and what
    /// it holds (SQLite: an online copy; PostgreSQL: through pg_dump).
    Backup {
        #[command(flatten)]
        database: DatabaseArg,
        /// The archive to write (replaced only once the new one is complete).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restores a backup into an empty database, then checks it against what was taken.
    Restore {
        /// The archive `amends backup` wrote.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Checks a database: references between tables, damaged pages, the audit trail's guards.
    Check {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Prints the documented default configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measures case creation over HTTP (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Measures mail intake: parses and files the mails of a local maildir (10,000 written
    /// first when it is empty) into an empty database.
    BenchIntake(intake_bench::IntakeBenchArgs),
    /// Measures the console's pages and coaching with a big desk (see docs/benchmarks.md).
    BenchConsole(console_bench::ConsoleBenchArgs),
    /// Live chat under load: connections held, a line's way from an agent to a visitor (on
    /// one server or across two), memory per idle connection.
    BenchChat(chat_bench::ChatBenchArgs),
    /// Assesses customer messages: JSON Lines `{"id", "text"}` on stdin, one answer a line.
    Analyze {
        #[command(flatten)]
        encoder: analysis::EncoderArg,
    },
    /// Coaches agent drafts: JSON Lines `{"id", "text", "customer_name"?, "customer_anger"?,
    /// "authority_limit"?}` on stdin, one answer a line.
    Coach,
    /// Trains the text engine's statistical heads on a labelled folder (see shared/eval).
    Train {
        /// The folder with airline_sentiment.jsonl, complaints.jsonl, offensive.jsonl.
        dir: PathBuf,
        /// Where to write the model.
        #[arg(long, default_value = "crates/amends-analysis/model/en.bin")]
        out: PathBuf,
        /// Also trains the complaint head that reads the sentence encoder (the installed one
        /// unless `--encoder` names another or `--no-encoder` none).
        #[command(flatten)]
        encoder: analysis::EncoderArg,
        /// Where to write the heads that read the encoder's vectors.
        #[arg(long, default_value = "crates/amends-analysis/model/en-encoder.bin")]
        encoder_out: PathBuf,
        #[command(flatten)]
        training: analysis::TrainingArgs,
    },
    /// Measures the text engine on a labelled folder: precision, recall and F1.
    Eval {
        /// The folder with airline_sentiment.jsonl, complaints.jsonl, offensive.jsonl.
        dir: PathBuf,
        /// Cross-validation folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Exit non-zero when a cross-validated F1 is below its floor: `task=F1,…`
        /// (with no value, the targets).
        #[arg(long, num_args = 0..=1, default_missing_value = labelled::TARGETS)]
        check: Option<String>,
        #[command(flatten)]
        encoder: analysis::EncoderArg,
        #[command(flatten)]
        training: analysis::TrainingArgs,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Prints every setting with its default and what it does.
    Example,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve {
            database,
            addr,
            demo,
            smtp_url,
        } => {
            config.smtp_url = smtp_url.unwrap_or(config.smtp_url);
            config.database = database
                .database
                .map(DatabaseUrl)
                .unwrap_or(config.database);
            config.addr = addr.unwrap_or(config.addr);
            init_logs(&config);
            runtime.block_on(serve(config, demo))
        }
        Command::Migrate { database } => runtime.block_on(async {
            let store = open(&database, &config).await?;
            store.close().await;
            eprintln!("the database is up to date");
            Ok(())
        }),
        Command::Admin(admin) => runtime.block_on(run_admin(admin, &config)),
        Command::Jobs { database, status } => {
            runtime.block_on(list_jobs(&database, &config, status))
        }
        Command::Stats { database, from, to } => {
            runtime.block_on(print_stats(&database, &config, from, to))
        }
        Command::Backup { database, to } => {
            runtime.block_on(backup::backup(&database.url(&config), &to))
        }
        Command::Restore { from, database } => {
            runtime.block_on(backup::restore(&from, &database.url(&config)))
        }
        Command::Check { database } => runtime.block_on(backup::check(&database.url(&config))),
        Command::Config(ConfigCommand::Example) => {
            #[allow(clippy::print_stdout)] // the example file is this command's output
            {
                print!("{}", config::EXAMPLE);
            }
            Ok(())
        }
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::BenchIntake(args) => runtime.block_on(intake_bench::run(args)),
        Command::BenchConsole(args) => runtime.block_on(console_bench::run(args)),
        Command::BenchChat(args) => runtime.block_on(chat_bench::run(args)),
        Command::Analyze { encoder } => analysis::analyze(&encoder),
        Command::Coach => analysis::coach_drafts(),
        Command::Train {
            dir,
            out,
            encoder,
            encoder_out,
            training,
        } => labelled::train_model(&dir, &out, &encoder, &encoder_out, training.into()),
        Command::Eval {
            dir,
            folds,
            check,
            encoder,
            training,
        } => labelled::eval(&dir, folds, check, &encoder, training.into()),
    }
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AMENDS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
}

impl DatabaseArg {
    /// The database named by the flag, else the configuration.
    fn url(&self, config: &Config) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| config.database.0.clone())
    }
}

/// Opens and migrates the database named by the flag, else the configuration.
async fn open(database: &DatabaseArg, config: &Config) -> anyhow::Result<Store> {
    let url = database.url(config);
    let shown = DatabaseUrl(url.clone());
    let store = Store::connect(&url)
        .await
        .with_context(|| format!("opening {shown}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating {shown}"))?;
    Ok(store)
}

/// Raises the soft open-file limit to the hard one, so a crowd of connections meets the
/// connection cap rather than "too many open files"; answers the limit in force.
fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "the open-file limit could not be read or raised");
            1024
        }
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let open_files = raise_open_file_limit();
    let store = open(&DatabaseArg { database: None }, &config)
        .await?
        .with_timing(config.timing());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let url = format!("http://{}", listener.local_addr()?);
    if demo && !listener.local_addr()?.ip().is_loopback() {
        bail!(
            "the demo desk's sign-in password is published in the README: serve it on a \
             loopback address only (--addr 127.0.0.1:8080), never on {}",
            config.addr
        );
    }
    if demo {
        fill_demo_desk(&store, clock.now(), &url).await?;
    }
    let settings = server_settings(&config, open_files)?;
    tracing::info!(
        open_files,
        max_connections = settings.connections.max_connections,
        "connection limits"
    );
    if settings.reader.is_some() {
        tracing::info!(
            encoder = %config.encoder,
            "reading messages through the sentence encoder where the n-grams are unsure of a complaint"
        );
    } else {
        tracing::info!(
            "reading messages by n-grams alone (bash scripts/encoder/install to tell complaints better)"
        );
    }
    let state = AppState::new(store.clone(), clock, settings)
        .await
        .context("reading the desk's link key")?;
    let (stop, stopped) = watch::channel(false);
    let runner_name = format!("{}-{}", hostname(), std::process::id());
    let runner = tokio::spawn(amends_server::runner::run_jobs(
        state.clone(),
        runner_name,
        Duration::from_millis(config.job_poll_ms),
        stopped.clone(),
    ));
    match &state.settings.mail.relay {
        Some(relay) => tracing::info!(relay = %relay.describe(), "mail goes out by SMTP"),
        None => tracing::info!("no SMTP relay configured: mail is kept in the local outbox"),
    }
    let mut watchers = Vec::new();
    for mailbox in state.settings.mail.mailboxes.clone() {
        tracing::info!(mailbox = %mailbox.describe(), "taking mail in");
        watchers.push(tokio::spawn(amends_server::mailroom::watch_mailbox(
            state.clone(),
            mailbox,
            stopped.clone(),
        )));
    }
    let mut server_stopped = stopped.clone();
    let server = tokio::spawn(amends_server::serve(listener, state, async move {
        let _ = server_stopped.wait_for(|stop| *stop).await;
    }));
    tracing::info!(%url, database = %config.database, "serving");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight, taking no new jobs");
    let _ = stop.send(true);
    let (server, runner) = tokio::join!(server, runner);
    for watcher in watchers {
        let _ = watcher.await;
    }
    store.close().await;
    match (server, runner) {
        (Ok(Ok(())), Ok(())) => Ok(()),
        (Ok(Err(error)), _) => Err(error).context("the HTTP server stopped"),
        (Err(error), _) => Err(error).context("the HTTP server panicked"),
        (_, Err(error)) => Err(error).context("the job runner panicked"),
    }
}

/// Fills an empty desk with the demo's customers and cases, and says how to sign in.
async fn fill_demo_desk(
    store: &Store,
    now: amends_core::Timestamp,
    url: &str,
) -> anyhow::Result<()> {
    let hash = amends_server::accounts::hash_password(amends_demo::DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let login = amends_demo::fill_if_empty(store, now, &hash, 300, amends_server::read_message)
        .await
        .context("filling the demo desk")?;
    eprintln!(
        "\n  Amends is running at {url}\n  Sign in as {} with password {}\n  ({})\n",
        login.email, login.password, login.note
    );
    Ok(())
}

/// What the server is told from the configuration.
fn server_settings(config: &Config, open_files: u64) -> anyhow::Result<ServerSettings> {
    Ok(ServerSettings {
        max_body_bytes: config.max_body_bytes,
        session_ttl: Duration::from_secs(config.session_hours * 3600),
        secure_cookies: config.secure_cookies(),
        hsts: config.hsts,
        trusted_proxies: config.trusted_proxies()?,
        session_idle: Duration::from_secs(config.session_idle_minutes.max(1) * 60),
        public_url: config.public_url(),
        standing: config.standing(),
        abuse_policy: config.abuse_policy()?,
        mail: config.mail()?,
        job_lease: Duration::from_millis(config.job_lease_ms),
        reader: config.reader()?,
        connections: config.connections(open_files),
        authority_period_days: config.authority_period_days.max(1),
        body_timeout: Duration::from_secs(config.body_timeout_seconds.max(1)),
        password_checks: match config.password_checks {
            0 => ServerSettings::default().password_checks,
            n => n,
        },
        chat: config.chat.settings()?,
        messaging: config.messaging.settings(),
        ..ServerSettings::default()
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "amends".to_owned())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn print_stats(
    database: &DatabaseArg,
    config: &Config,
    from: Option<String>,
    to: Option<String>,
) -> anyhow::Result<()> {
    let instant = |flag: &str,
                   raw: Option<String>|
     -> anyhow::Result<Option<amends_core::Timestamp>> {
        raw.map(|text| {
            amends_core::Timestamp::parse_rfc3339(&text)
                .with_context(|| format!("--{flag} must be an RFC 3339 date-time, not {text:?}"))
        })
        .transpose()
    };
    let to = instant("to", to)?.unwrap_or_else(|| SystemClock.now().plus_millis(1));
    let from = instant("from", from)?.unwrap_or_else(|| to.plus_millis(-30 * 86_400_000));
    anyhow::ensure!(from < to, "--from must be before --to");
    let store = open(database, config).await?;
    let figures = store.figures(from, to).await;
    store.close().await;
    #[allow(clippy::print_stdout)] // the figures are this command's output
    {
        let figures = amends_server::wire::FiguresView::from(figures?);
        println!("{}", serde_json::to_string_pretty(&figures)?);
    }
    Ok(())
}

async fn list_jobs(
    database: &DatabaseArg,
    config: &Config,
    status: Option<String>,
) -> anyhow::Result<()> {
    let statuses = match status.as_deref() {
        None => vec![JobStatus::Pending, JobStatus::Running, JobStatus::Failed],
        Some(raw) => {
            vec![JobStatus::parse(raw).with_context(|| format!("{raw:?} is not a job status"))?]
        }
    };
    let store = open(database, config).await?;
    let jobs = store.jobs(&statuses, 1000).await;
    store.close().await;
    let mut out = String::from("id\tkind\tstatus\trun_at\tattempts\tlast_error\n");
    for job in jobs? {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}/{}\t{}\n",
            job.id,
            job.kind,
            job.status.as_str(),
            job.run_at.to_rfc3339(),
            job.attempts,
            job.max_attempts,
            job.last_error.unwrap_or_default()
        ));
    }
    #[allow(clippy::print_stdout)] // the listing is this command's output
    {
        print!("{out}");
    }
    Ok(())
}
