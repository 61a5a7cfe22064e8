//! `amends backup`, `amends restore` and `amends check`: the operator's copy of the desk.
//!
//! A backup is one tar archive: `manifest.json` (what the copy holds, counted in the copy's
//! own snapshot, and the copy's SHA-256) followed by the copy itself, `desk.sqlite` (SQLite's
//! `vacuum into`, taken while the desk runs) or `desk.pgdump` (`pg_dump --format=custom`,
//! reading the snapshot the counts were taken in). A restore goes only into an empty database,
//! checks the copy's digest before writing anything, and afterwards checks the references
//! between tables, the audit trail and the rows per table against the manifest.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use amends_server::{Clock, SystemClock};
use amends_store::{holds_nothing, inspect, Backend, Inspection, Store, Tally};
use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The archive's layout version.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";

/// What a backup says it holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// `sqlite` or `postgres`.
    backend: String,
    /// The archive entry holding the copy.
    copy: String,
    /// SHA-256 of that entry, hex.
    sha256: String,
    /// Rows per table when the copy was taken.
    rows: std::collections::BTreeMap<String, i64>,
    audit_last_id: i64,
    schema_version: i64,
    taken_at: String,
    amends_version: String,
}

impl Manifest {
    fn tally(&self) -> Tally {
        Tally {
            rows: self.rows.clone(),
            audit_last_id: self.audit_last_id,
            schema_version: self.schema_version,
        }
    }
}

/// Takes a backup of the desk at `url` into `to`, replacing it only once complete.
pub(crate) async fn backup(url: &str, to: &Path) -> anyhow::Result<()> {
    let store = Store::connect(url).await.context("opening the desk")?;
    let copy = beside(to, "copy");
    let result = take_copy(&store, url, &copy).await;
    store.close().await;
    let (tally, name) = result.inspect_err(|_| {
        let _ = std::fs::remove_file(&copy);
    })?;
    let manifest = Manifest {
        format: FORMAT,
        backend: backend_name(backend_of(url)?).to_owned(),
        copy: name.to_owned(),
        sha256: digest_of(&copy)?,
        rows: tally.rows.clone(),
        audit_last_id: tally.audit_last_id,
        schema_version: tally.schema_version,
        taken_at: SystemClock.now().to_rfc3339(),
        amends_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let partial = beside(to, "partial");
    let written = write_archive(&partial, &manifest, &copy);
    let _ = std::fs::remove_file(&copy);
    written?;
    std::fs::rename(&partial, to)
        .with_context(|| format!("moving the backup to {}", to.display()))?;
    eprintln!("backed up to {}: {}", to.display(), summary(&tally));
    Ok(())
}

/// Copies the desk into `copy`; answers what the copy holds and its entry's name.
async fn take_copy(store: &Store, url: &str, copy: &Path) -> anyhow::Result<(Tally, &'static str)> {
    match store.backend() {
        Backend::Sqlite => {
            let _ = std::fs::remove_file(copy);
            store
                .copy_sqlite(copy)
                .await
                .context("copying the SQLite desk")?;
            let inspection = inspect(&sqlite_url(copy)).await?;
            sound(&inspection, "the copy")?;
            Ok((inspection.tally, "desk.sqlite"))
        }
        Backend::Postgres => {
            let mut snapshot = store.hold_snapshot().await.context("holding a snapshot")?;
            let tally = snapshot.tally().await?;
            let dumped = run_tool(
                Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges"])
                    .arg(format!("--snapshot={}", snapshot.id()))
                    .arg(format!("--file={}", copy.display()))
                    .arg(format!("--dbname={url}")),
            );
            snapshot.release().await?;
            dumped?;
            Ok((tally, "desk.pgdump"))
        }
    }
}

/// Restores the backup `from` into the empty database at `url`, then checks it.
pub(crate) async fn restore(from: &Path, url: &str) -> anyhow::Result<()> {
    let backend = backend_of(url)?;
    ensure!(
        holds_nothing(url).await.context("looking at the target")?,
        "{} already holds a database: restore into an empty one (a new SQLite path or a new \
         PostgreSQL database); nothing was changed",
        shown(url)
    );
    let file = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive.entries().context("reading the backup")?;
    let manifest: Manifest = {
        let mut entry = next_entry(&mut entries, MANIFEST)?;
        serde_json::from_reader(&mut entry).context("reading the backup's manifest")?
    };
    ensure!(
        manifest.format == FORMAT,
        "the backup's format {} is not one this build reads",
        manifest.format
    );
    ensure!(
        manifest.backend == backend_name(backend),
        "the backup is of a {} desk and cannot be restored into {}",
        manifest.backend,
        shown(url)
    );
    ensure!(
        manifest.schema_version <= Store::schema_version(),
        "the backup was made by a newer Amends ({}): restore it with that version",
        manifest.amends_version
    );
    let copy = match backend {
        Backend::Sqlite => beside(&sqlite_path(url), "restoring"),
        Backend::Postgres => beside(from, "restoring"),
    };
    let extracted = extract(
        &mut next_entry(&mut entries, &manifest.copy)?,
        &copy,
        &manifest.sha256,
    );
    let restored = match extracted {
        Ok(()) => put_in_place(backend, &copy, url).await,
        Err(error) => Err(error),
    };
    if backend == Backend::Postgres || restored.is_err() {
        let _ = std::fs::remove_file(&copy);
    }
    restored?;
    let inspection = inspect(url).await?;
    sound(&inspection, "the restored desk")?;
    let differences = differences(&manifest.tally(), &inspection.tally);
    ensure!(
        differences.is_empty(),
        "the restored desk differs from the backup ({}); do not serve it",
        differences.join("; ")
    );
    let store = Store::connect(url).await?;
    store
        .migrate()
        .await
        .context("bringing the restored desk's schema up to date")?;
    store.close().await;
    eprintln!(
        "restored into {}: {}; references, audit trail and rows per table match the backup",
        shown(url),
        summary(&inspection.tally)
    );
    Ok(())
}

/// Moves a checked copy into the target: a SQLite file is checked before it takes the
/// target's name; a PostgreSQL dump is restored in one transaction.
async fn put_in_place(backend: Backend, copy: &Path, url: &str) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => {
            sound(&inspect(&sqlite_url(copy)).await?, "the backup's copy")?;
            std::fs::rename(copy, sqlite_path(url)).context("moving the restored desk in place")
        }
        Backend::Postgres => run_tool(
            Command::new("pg_restore")
                .args([
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-owner",
                    "--no-privileges",
                ])
                .arg(format!("--dbname={url}"))
                .arg(copy),
        ),
    }
}

/// Checks the database at `url` and says what it holds.
pub(crate) async fn check(url: &str) -> anyhow::Result<()> {
    let inspection = inspect(url).await?;
    eprintln!("{}: {}", shown(url), summary(&inspection.tally));
    sound(&inspection, "the desk")?;
    eprintln!("references between tables, pages and the audit trail's guards are sound");
    Ok(())
}

fn sound(inspection: &Inspection, what: &str) -> anyhow::Result<()> {
    if inspection.problems.is_empty() {
        return Ok(());
    }
    for problem in &inspection.problems {
        eprintln!("problem: {problem}");
    }
    bail!(
        "{what} fails the consistency check ({} problem(s))",
        inspection.problems.len()
    )
}

/// How `found` differs from what the manifest says was taken, in words.
fn differences(taken: &Tally, found: &Tally) -> Vec<String> {
    let mut differences = Vec::new();
    let tables = taken.rows.keys().chain(found.rows.keys());
    for table in tables.collect::<std::collections::BTreeSet<_>>() {
        let (was, is) = (taken.rows.get(table), found.rows.get(table));
        if was != is {
            let count = |n: Option<&i64>| n.map_or("no table".to_owned(), |n| format!("{n} rows"));
            differences.push(format!(
                "{table}: {} taken, {} restored",
                count(was),
                count(is)
            ));
        }
    }
    if taken.audit_last_id != found.audit_last_id {
        differences.push(format!(
            "the audit trail ends at #{} taken, #{} restored",
            taken.audit_last_id, found.audit_last_id
        ));
    }
    if taken.schema_version != found.schema_version {
        differences.push("the schema's version differs".to_owned());
    }
    differences
}

fn summary(tally: &Tally) -> String {
    let rows = |table: &str| tally.rows.get(table).copied().unwrap_or(0);
    format!(
        "{} cases, {} messages, {} customers, {} audit entries (last #{}), {} tables",
        rows("cases"),
        rows("messages"),
        rows("customers"),
        rows("audit_events"),
        tally.audit_last_id,
        tally.rows.len()
    )
}

fn write_archive(path: &Path, manifest: &Manifest, copy: &Path) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut archive = tar::Builder::new(file);
    let text = serde_json::to_vec_pretty(manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    archive.append_data(&mut header, MANIFEST, text.as_slice())?;
    archive.append_path_with_name(copy, &manifest.copy)?;
    let file = archive.into_inner()?;
    file.sync_all()?;
    Ok(())
}

fn next_entry<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    name: &str,
) -> anyhow::Result<tar::Entry<'a, R>> {
    let entry = entries
        .next()
        .with_context(|| format!("the backup ends before its {name}"))?
        .context("reading the backup")?;
    let path = entry.path()?.to_string_lossy().into_owned();
    ensure!(
        path == name,
        "the backup holds {path} where {name} belongs: it is not an Amends backup"
    );
    Ok(entry)
}

/// Writes the entry to `to`, refusing (and removing it) unless its digest is `sha256`.
fn extract(entry: &mut impl Read, to: &Path, sha256: &str) -> anyhow::Result<()> {
    let mut file = File::create(to).with_context(|| format!("creating {}", to.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = entry.read(&mut buffer).context("reading the backup")?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read])?;
    }
    file.sync_all()?;
    if format!("{:x}", hasher.finalize()) != sha256 {
        let _ = std::fs::remove_file(to);
        bail!("the backup is damaged: its copy does not match the checksum taken with it; nothing was restored");
    }
    Ok(())
}

fn digest_of(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

fn run_tool(command: &mut Command) -> anyhow::Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|error| {
        anyhow::anyhow!(
            "{program} could not be run ({error}): install PostgreSQL's client programs \
             (Debian: postgresql-client) at least as new as the server"
        )
    })?;
    ensure!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

fn backend_of(url: &str) -> anyhow::Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        bail!("the database must be sqlite:PATH or postgres://…")
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

/// A working file next to `path`: `FILE.NAME`.
fn beside(path: &Path, name: &str) -> PathBuf {
    let mut file = path.as_os_str().to_owned();
    file.push(format!(".{name}"));
    PathBuf::from(file)
}

/// The URL without a password, for messages.
fn shown(url: &str) -> String {
    crate::config::DatabaseUrl(url.to_owned()).to_string()
}
