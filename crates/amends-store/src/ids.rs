//! Ids given out ahead of a multi-row insert, so that one statement per table can write many
//! cases at once on either backend.

use sqlx::AnyConnection;

use crate::{Backend, StoreError};

/// Ids for a run of `n` cases: as many for customers (some go unused: a gap), cases and
/// messages.
pub(crate) struct Ids {
    pub(crate) customers: Vec<i64>,
    pub(crate) cases: Vec<i64>,
    pub(crate) messages: Vec<i64>,
}

/// Gives out ids for `n` new cases. On SQLite the single writer's transaction holds the file,
/// so the ids after the last ones given out are ours; on PostgreSQL they are taken from the
/// tables' sequences, which no other transaction will hand out again.
pub(crate) async fn give_out_ids(
    tx: &mut AnyConnection,
    backend: Backend,
    n: usize,
) -> Result<Ids, StoreError> {
    let count = i64::try_from(n).map_err(|_| StoreError::Corrupt("batch size".to_owned()))?;
    match backend {
        Backend::Sqlite => {
            let (customers, cases, messages): (i64, i64, i64) = sqlx::query_as(
                "select max(coalesce((select seq from sqlite_sequence where name = 'customers'), \
                 0), coalesce((select max(id) from customers), 0)), \
                 max(coalesce((select seq from sqlite_sequence where name = 'cases'), 0), \
                 coalesce((select max(id) from cases), 0)), \
                 max(coalesce((select seq from sqlite_sequence where name = 'messages'), 0), \
                 coalesce((select max(id) from messages), 0))",
            )
            .fetch_one(&mut *tx)
            .await?;
            let after = |last: i64| (1..=count).map(|i| last + i).collect();
            Ok(Ids {
                customers: after(customers),
                cases: after(cases),
                messages: after(messages),
            })
        }
        Backend::Postgres => {
            let mut taken = Vec::with_capacity(3);
            for table in ["customers", "cases", "messages"] {
                let ids: Vec<i64> = sqlx::query_scalar(&format!(
                    "select nextval(pg_get_serial_sequence('{table}', 'id')) \
                     from generate_series(1, $1)"
                ))
                .bind(count)
                .fetch_all(&mut *tx)
                .await?;
                taken.push(ids);
            }
            let messages = taken.pop().unwrap_or_default();
            let cases = taken.pop().unwrap_or_default();
            let customers = taken.pop().unwrap_or_default();
            Ok(Ids {
                customers,
                cases,
                messages,
            })
        }
    }
}

/// `overriding system value` where PostgreSQL needs it to take the ids given out here.
pub(crate) fn given_ids(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " overriding system value",
    }
}
