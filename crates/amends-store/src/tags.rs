//! Tags on cases and customers, and the tags in use for suggestions.

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::tag::Tag;
use sqlx::AnyConnection;

use crate::{audit, Store, StoreError};

/// What carries tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    /// A case, by id.
    Case(i64),
    /// A customer, by id.
    Customer(i64),
}

impl Tagged {
    /// Its tag table, key column and record table.
    fn tables(self) -> (&'static str, &'static str, &'static str, i64) {
        match self {
            Tagged::Case(id) => ("case_tags", "case_id", "cases", id),
            Tagged::Customer(id) => ("customer_tags", "customer_id", "customers", id),
        }
    }
}

/// A tag in use, and on how many cases and customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagUse {
    /// The tag.
    pub tag: Tag,
    /// How many cases and customers carry it.
    pub uses: i64,
}

impl Store {
    /// The tags of a case or customer, in order.
    pub async fn tags(&self, of: Tagged) -> Result<Vec<Tag>, StoreError> {
        let mut conn = self.read.acquire().await?;
        tags_of(&mut conn, of).await
    }

    /// Replaces the tags of a case or customer with those `decide` answers for the current
    /// ones, recording its audit event, in one transaction. A missing record is `NotFound`.
    pub async fn retag(
        &self,
        of: Tagged,
        context: &AuditContext,
        decide: impl FnOnce(&[Tag]) -> (Vec<Tag>, Option<AuditEvent>),
    ) -> Result<Vec<Tag>, StoreError> {
        let (_, _, records, id) = of.tables();
        let mut tx = self.write.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar(&format!("select id from {records} where id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(match of {
                Tagged::Case(_) => "case",
                Tagged::Customer(_) => "customer",
            }));
        }
        let before = tags_of(&mut tx, of).await?;
        let (after, event) = decide(&before);
        if let Some(event) = event {
            write_tags(&mut tx, of, &after, context.at).await?;
            audit::record(&mut tx, context, &[event]).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// The tags in use that start with `prefix`, most used first, at most `limit`.
    pub async fn tags_in_use(&self, prefix: &str, limit: i64) -> Result<Vec<TagUse>, StoreError> {
        // Tags hold no LIKE wildcards (`Tag::parse` allows only letters, digits and - _ . /),
        // but a typed prefix might; a range on the index needs no escaping.
        let upper = format!("{prefix}\u{10FFFF}");
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select tag, count(*) from (select tag from case_tags where tag >= $1 and tag < $2 \
             union all select tag from customer_tags where tag >= $1 and tag < $2) as used \
             group by tag order by count(*) desc, tag limit $3",
        )
        .bind(prefix)
        .bind(upper)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(tag, uses)| TagUse {
                tag: Tag::stored(tag),
                uses,
            })
            .collect())
    }
}

/// Replaces the tags of a record in the caller's transaction.
pub(crate) async fn write_tags(
    conn: &mut AnyConnection,
    of: Tagged,
    tags: &[Tag],
    at: amends_core::Timestamp,
) -> Result<(), StoreError> {
    let (table, key, _, id) = of.tables();
    sqlx::query(&format!("delete from {table} where {key} = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query(&format!(
            "insert into {table} ({key}, tag, created_at, updated_at) values ($1, $2, $3, $3)"
        ))
        .bind(id)
        .bind(tag.as_str())
        .bind(at.millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(crate) async fn tags_of(conn: &mut AnyConnection, of: Tagged) -> Result<Vec<Tag>, StoreError> {
    let (table, key, _, id) = of.tables();
    let tags: Vec<String> = sqlx::query_scalar(&format!(
        "select tag from {table} where {key} = $1 order by tag"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(tags.into_iter().map(Tag::stored).collect())
}
