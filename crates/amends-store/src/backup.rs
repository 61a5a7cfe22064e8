//! Backups and the consistency check: an online copy of a SQLite desk, a snapshot of a
//! PostgreSQL desk held open while `pg_dump` reads it, and what either holds (rows per table,
//! the audit trail's extent, the schema's version) read in that same snapshot, so that a
//! restore can be compared row for row with what was taken.
//!
//! The archive around the copy, and running `pg_dump`, belong to the `amends` binary; this
//! module only speaks SQL.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use sqlx::any::AnyConnectOptions;
use sqlx::{Any, AnyConnection, ConnectOptions, Connection, Row, Transaction};

use crate::{Backend, Store, StoreError};

/// What a database holds, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Rows per table of the desk (the migrator's own table and a search index's internal
    /// tables left out).
    pub rows: BTreeMap<String, i64>,
    /// The audit trail's last entry, 0 when it is empty.
    pub audit_last_id: i64,
    /// The last migration applied.
    pub schema_version: i64,
}

/// What the consistency check found on a database: what it holds, and each problem in words.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    /// What it holds.
    pub tally: Tally,
    /// Broken references, damaged pages, a missing guard of the audit trail; empty when sound.
    pub problems: Vec<String>,
}

/// A PostgreSQL snapshot held open: `pg_dump --snapshot` reads exactly what [`Snapshot::tally`]
/// counts, however many writers work meanwhile.
pub struct Snapshot {
    transaction: Transaction<'static, Any>,
    id: String,
}

impl Snapshot {
    /// The id to pass to `pg_dump --snapshot`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the snapshot holds.
    pub async fn tally(&mut self) -> Result<Tally, StoreError> {
        tally(&mut self.transaction, Backend::Postgres).await
    }

    /// Lets the snapshot go (once `pg_dump` is done with it).
    pub async fn release(self) -> Result<(), StoreError> {
        self.transaction.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// Writes a consistent copy of this SQLite desk to `to` while it keeps working: one read
    /// transaction (`vacuum into`), so writers carry on and the copy is of one moment.
    pub async fn copy_sqlite(&self, to: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::BadUrl(
                "only a SQLite desk is copied file to file".to_owned(),
            ));
        }
        let path = to.to_str().ok_or_else(|| {
            StoreError::BadUrl(format!("{} is not a path SQLite can take", to.display()))
        })?;
        let sql = format!("vacuum into '{}'", path.replace('\'', "''"));
        sqlx::query(&sql).execute(&self.read).await?;
        Ok(())
    }

    /// Opens a snapshot of this PostgreSQL desk and keeps it until released.
    pub async fn hold_snapshot(&self) -> Result<Snapshot, StoreError> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::BadUrl(
                "only PostgreSQL exports a snapshot".to_owned(),
            ));
        }
        let mut transaction = self.read.begin().await?;
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *transaction)
            .await?;
        let id: String = sqlx::query_scalar("select pg_export_snapshot()")
            .fetch_one(&mut *transaction)
            .await?;
        Ok(Snapshot { transaction, id })
    }
}

/// Whether the database at `url` holds no tables at all (a fresh target for a restore). A
/// SQLite file that does not exist is empty, and is not created.
pub async fn holds_nothing(url: &str) -> Result<bool, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.split('?').next().unwrap_or(path);
        return Ok(std::fs::metadata(path).map_or(true, |m| m.len() == 0));
    }
    let mut connection = connect(url).await?;
    let tables: i64 =
        sqlx::query_scalar("select count(*) from pg_tables where schemaname = current_schema()")
            .fetch_one(&mut connection)
            .await?;
    connection.close().await?;
    Ok(tables == 0)
}

/// Reads the database at `url` (a SQLite file read-only) and checks it: page integrity on
/// SQLite, every reference between tables, and the audit trail's append-only guards.
pub async fn inspect(url: &str) -> Result<Inspection, StoreError> {
    let backend = backend_of(url)?;
    let mut connection = connect(url).await?;
    let tally = tally(&mut connection, backend).await?;
    let mut problems = match backend {
        Backend::Sqlite => sqlite_problems(&mut connection).await?,
        Backend::Postgres => postgres_problems(&mut connection).await?,
    };
    if !audit_guarded(&mut connection, backend).await? {
        problems.push("the audit trail is not guarded against change and removal".to_owned());
    }
    connection.close().await?;
    Ok(Inspection { tally, problems })
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::BadUrl(
            "the database must be sqlite:PATH or postgres://…".to_owned(),
        ))
    }
}

async fn connect(url: &str) -> Result<AnyConnection, StoreError> {
    static DRIVERS: std::sync::Once = std::sync::Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let url = match url.strip_prefix("sqlite:") {
        Some(path) if !path.contains('?') => format!("sqlite:{path}?mode=ro"),
        _ => url.to_owned(),
    };
    let options = AnyConnectOptions::from_str(&url).map_err(StoreError::from)?;
    Ok(options.connect().await?)
}

async fn tally(connection: &mut AnyConnection, backend: Backend) -> Result<Tally, StoreError> {
    let tables: Vec<String> = match backend {
        Backend::Sqlite => {
            sqlx::query_scalar(
                "select name from sqlite_master t where type = 'table' \
                 and name not like 'sqlite_%' and name not like '\\_sqlx%' escape '\\' \
                 and not exists (select 1 from sqlite_master v where v.type = 'table' \
                     and v.sql like 'create virtual table%' \
                     and t.name like v.name || '\\_%' escape '\\') \
                 order by name",
            )
            .fetch_all(&mut *connection)
            .await?
        }
        Backend::Postgres => {
            sqlx::query_scalar(
                "select tablename::text from pg_tables where schemaname = current_schema() \
                 and tablename not like '\\_sqlx%' order by tablename",
            )
            .fetch_all(&mut *connection)
            .await?
        }
    };
    let mut rows = BTreeMap::new();
    for table in tables {
        let count: i64 = sqlx::query_scalar(&format!("select count(*) from \"{table}\""))
            .fetch_one(&mut *connection)
            .await?;
        rows.insert(table, count);
    }
    let audit_last_id: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from audit_events")
        .fetch_one(&mut *connection)
        .await?;
    let schema_version: i64 =
        sqlx::query_scalar("select coalesce(max(version), 0) from _sqlx_migrations where success")
            .fetch_one(&mut *connection)
            .await?;
    Ok(Tally {
        rows,
        audit_last_id,
        schema_version,
    })
}

async fn sqlite_problems(connection: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let mut problems: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&mut *connection)
        .await?
        .into_iter()
        .filter(|line: &String| line != "ok")
        .map(|line| format!("damaged: {line}"))
        .collect();
    let mut broken: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in sqlx::query("pragma foreign_key_check")
        .fetch_all(&mut *connection)
        .await?
    {
        let table: String = row.try_get(0)?;
        let parent: String = row.try_get(2)?;
        *broken.entry((table, parent)).or_default() += 1;
    }
    problems.extend(broken.into_iter().map(|((table, parent), rows)| {
        format!("{rows} row(s) of {table} refer to missing {parent}")
    }));
    Ok(problems)
}

async fn postgres_problems(connection: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let references = sqlx::query(
        "select c.conrelid::regclass::text, a.attname::text, \
                c.confrelid::regclass::text, p.attname::text \
         from pg_constraint c \
         join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1] \
         join pg_attribute p on p.attrelid = c.confrelid and p.attnum = c.confkey[1] \
         where c.contype = 'f' and cardinality(c.conkey) = 1 \
           and c.connamespace = current_schema()::regnamespace \
         order by 1, 2",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut problems = Vec::new();
    for reference in references {
        let (table, column): (String, String) = (reference.try_get(0)?, reference.try_get(1)?);
        let (parent, key): (String, String) = (reference.try_get(2)?, reference.try_get(3)?);
        let sql = format!(
            "select count(*) from {table} r where r.\"{column}\" is not null and not exists \
             (select 1 from {parent} p where p.\"{key}\" = r.\"{column}\")"
        );
        let rows: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *connection).await?;
        if rows > 0 {
            problems.push(format!(
                "{rows} row(s) of {table} refer to missing {parent}"
            ));
        }
    }
    Ok(problems)
}

async fn audit_guarded(
    connection: &mut AnyConnection,
    backend: Backend,
) -> Result<bool, StoreError> {
    let sql = match backend {
        Backend::Sqlite => {
            "select count(*) from sqlite_master where type = 'trigger' \
             and tbl_name = 'audit_events' \
             and name in ('audit_events_no_update', 'audit_events_no_delete')"
        }
        Backend::Postgres => {
            "select 2 * count(*) from pg_trigger where tgname = 'audit_events_no_update' \
             and tgrelid = 'audit_events'::regclass and tgenabled <> 'D'"
        }
    };
    let guards: i64 = sqlx::query_scalar(sql).fetch_one(&mut *connection).await?;
    Ok(guards == 2)
}
