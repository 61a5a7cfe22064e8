//! Custom fields: their definitions and the values records hold.

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::custom_field::{FieldDefinition, FieldKind, FieldOwner};
use amends_core::Timestamp;

use crate::{audit, Store, StoreError};

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: i64,
    key: String,
    label: String,
    owner_kind: String,
    kind: String,
    options: String,
    created_at: i64,
}

const FIELD_COLUMNS: &str = "id, key, label, owner_kind, kind, options, created_at";

impl TryFrom<FieldRow> for FieldDefinition {
    type Error = StoreError;

    fn try_from(row: FieldRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("custom field {}: {what}", row.id));
        let options: Vec<String> =
            serde_json::from_str(&row.options).map_err(|_| corrupt("options"))?;
        Ok(FieldDefinition {
            id: row.id,
            owner: FieldOwner::parse(&row.owner_kind).ok_or_else(|| corrupt("owner"))?,
            kind: FieldKind::parse(&row.kind, &options).map_err(|_| corrupt("kind"))?,
            key: row.key,
            label: row.label,
            created_at: Timestamp(row.created_at),
        })
    }
}

fn table(owner: FieldOwner) -> &'static str {
    match owner {
        FieldOwner::Case => "cases",
        FieldOwner::Customer => "customers",
    }
}

impl Store {
    /// Defines a custom field; a key already used is a `Conflict`.
    pub async fn define_field(
        &self,
        field: &FieldDefinition,
        context: &AuditContext,
        event: impl FnOnce(i64) -> AuditEvent,
    ) -> Result<FieldDefinition, StoreError> {
        let options = match &field.kind {
            FieldKind::OneOf(options) => options.clone(),
            _ => Vec::new(),
        };
        let options =
            serde_json::to_string(&options).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into custom_fields (key, label, owner_kind, kind, options, created_at, \
             updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
        )
        .bind(&field.key)
        .bind(&field.label)
        .bind(field.owner.as_str())
        .bind(field.kind.as_str())
        .bind(options)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event(id)]).await?;
        tx.commit().await?;
        let mut defined = field.clone();
        defined.id = id;
        defined.created_at = context.at;
        Ok(defined)
    }

    /// The custom fields defined, on cases then customers, in the order defined.
    pub async fn fields(&self) -> Result<Vec<FieldDefinition>, StoreError> {
        let rows: Vec<FieldRow> = sqlx::query_as(&format!(
            "select {FIELD_COLUMNS} from custom_fields order by owner_kind, id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(FieldDefinition::try_from).collect()
    }

    /// The values a case or customer holds, by field id.
    pub async fn field_values(
        &self,
        owner: FieldOwner,
        record_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let values = sqlx::query_as(
            "select custom_values.field_id, custom_values.value from custom_values join \
             custom_fields on custom_fields.id = custom_values.field_id where \
             custom_fields.owner_kind = $1 and custom_values.record_id = $2 order by field_id",
        )
        .bind(owner.as_str())
        .bind(record_id)
        .fetch_all(&self.read)
        .await?;
        Ok(values)
    }

    /// Sets (or, with `None`, clears) values of a case's or customer's fields, in one
    /// transaction with its audit event; a missing record is `NotFound`.
    pub async fn set_field_values(
        &self,
        owner: FieldOwner,
        record_id: i64,
        values: &[(i64, Option<String>)],
        context: &AuditContext,
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar(&format!("select id from {} where id = $1", table(owner)))
                .bind(record_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(owner.as_str()));
        }
        for (field_id, value) in values {
            sqlx::query("delete from custom_values where field_id = $1 and record_id = $2")
                .bind(field_id)
                .bind(record_id)
                .execute(&mut *tx)
                .await?;
            if let Some(value) = value {
                insert_value(&mut tx, *field_id, record_id, value, context.at).await?;
            }
        }
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Gives a record a value of a field, in the caller's transaction.
pub(crate) async fn insert_value(
    conn: &mut sqlx::AnyConnection,
    field_id: i64,
    record_id: i64,
    value: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into custom_values (field_id, record_id, value, created_at, updated_at) \
         values ($1, $2, $3, $4, $4)",
    )
    .bind(field_id)
    .bind(record_id)
    .bind(value)
    .bind(at.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
