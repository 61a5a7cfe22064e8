//! Importing customers from another desk: every row written in one transaction, or none.

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::customer::NewCustomer;
use amends_core::tag::Tag;
use amends_core::FieldError;

use crate::custom_fields::insert_value;
use crate::customers::insert_customer;
use crate::tags::{write_tags, Tagged};
use crate::{audit, Store, StoreError};

/// A customer to import, with the line of the file it came from.
#[derive(Debug, Clone)]
pub struct ImportedCustomer {
    /// The line of the file (the header is line 1).
    pub line: usize,
    /// The customer.
    pub customer: NewCustomer,
    /// Their tags.
    pub tags: Vec<Tag>,
    /// Their custom field values: field id and stored value.
    pub fields: Vec<(i64, String)>,
}

impl Store {
    /// Records every customer of `rows` with their addresses, tags and fields, and the event
    /// `event` gives each new id, in one transaction. An address already on file (or twice in
    /// the file) refuses the whole import, naming the line as `line N`.
    pub async fn import_customers(
        &self,
        rows: &[ImportedCustomer],
        context: &AuditContext,
        event: impl Fn(i64) -> AuditEvent,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.write.begin().await?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let id = match insert_customer(&mut tx, &row.customer, context).await {
                Err(StoreError::Conflict { .. }) => {
                    return Err(FieldError::new(
                        format!("line {}", row.line),
                        "an address on this line belongs to a customer already on file or to an earlier line",
                    )
                    .into())
                }
                other => other?,
            };
            if !row.tags.is_empty() {
                write_tags(&mut tx, Tagged::Customer(id), &row.tags, context.at).await?;
            }
            for (field_id, value) in &row.fields {
                insert_value(&mut tx, *field_id, id, value, context.at).await?;
            }
            events.push(event(id));
            ids.push(id);
        }
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(ids)
    }
}
