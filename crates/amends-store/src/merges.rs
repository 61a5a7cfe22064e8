//! Merging duplicate cases, and undoing a merge: what the core decides for both cases is saved,
//! and the duplicate's records move to the survivor (and back), in one transaction.

use std::collections::BTreeMap;

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::merge::{Folded, Merged};
use amends_core::{Case, CaseStatus, Customer, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::customers::load_customer;
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::{audit, Store, StoreError};

/// The tables whose rows move with a merge: what the customer said and was told, what was
/// found out, promised and given. A duplicate's plan, summary and surveys stay with it.
const MOVED: [&str; 8] = [
    "messages",
    "facts",
    "promises",
    "compensation",
    "notices",
    "notifications",
    "abuse_steps",
    "inbound_mails",
];

/// Records that follow their case to the survivor only when it has none of its own (a case
/// holds one chat): the visitor's later lines then reach the survivor.
const FOLLOWS: [&str; 1] = ["chats"];

/// The tables whose new rows on a survivor mean something happened since its merge.
const NEWS: [&str; 4] = ["messages", "facts", "promises", "compensation"];

/// A merge of one case into another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMerge {
    /// Its id.
    pub id: i64,
    /// The case that stayed.
    pub survivor_id: i64,
    /// The duplicate merged into it.
    pub duplicate_id: i64,
    /// When.
    pub created_at: Timestamp,
    /// When it was undone.
    pub undone_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    id: i64,
    survivor_id: i64,
    merged_id: i64,
    merged_status: String,
    moved: String,
    tags_added: String,
    survivor_anger_permille: i64,
    survivor_churn_threat: i64,
    survivor_abusive_messages: i64,
    survivor_replies_sent: i64,
    survivor_first_response_at: Option<i64>,
    undone_at: Option<i64>,
    created_at: i64,
}

const MERGE_COLUMNS: &str = "id, survivor_id, merged_id, merged_status, moved, tags_added, \
    survivor_anger_permille, survivor_churn_threat, survivor_abusive_messages, \
    survivor_replies_sent, survivor_first_response_at, undone_at, created_at";

impl From<&MergeRow> for CaseMerge {
    fn from(row: &MergeRow) -> Self {
        CaseMerge {
            id: row.id,
            survivor_id: row.survivor_id,
            duplicate_id: row.merged_id,
            created_at: Timestamp(row.created_at),
            undone_at: row.undone_at.map(Timestamp),
        }
    }
}

impl Store {
    /// Merges case `duplicate_id` into `survivor_id` as `decide` (the core's `merge`) says,
    /// moving the duplicate's records and tags to the survivor.
    pub async fn merge_cases(
        &self,
        survivor_id: i64,
        duplicate_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case, &Case) -> Result<Merged, FieldError>,
    ) -> Result<(Case, CaseMerge), StoreError> {
        let mut tx = self.write.begin().await?;
        let merged = self
            .merge_in(&mut tx, survivor_id, duplicate_id, context, decide)
            .await?;
        tx.commit().await?;
        Ok(merged)
    }

    /// Merges every case of `case_ids` but `survivor_id` into it, in the order listed, all in
    /// one transaction: all merge or none does. A case that does not exist or cannot be merged
    /// refuses the whole request, naming `case_ids[i]`. Each merge can be undone on its own,
    /// the latest first.
    pub async fn merge_many(
        &self,
        survivor_id: i64,
        case_ids: &[i64],
        context: &AuditContext,
        decide: impl Fn(&Case, &Case) -> Result<Merged, FieldError>,
    ) -> Result<(Case, Vec<CaseMerge>), StoreError> {
        let mut tx = self.write.begin().await?;
        let mut survivor = match load_case(&mut tx, survivor_id, false).await {
            Err(StoreError::NotFound(_)) => {
                let i = case_ids.iter().position(|&id| id == survivor_id);
                let field = i.map_or("into".to_owned(), |i| format!("case_ids[{i}]"));
                let message = format!("case #{survivor_id} does not exist");
                return Err(FieldError::new(field, message).into());
            }
            other => other?,
        };
        let mut merges = Vec::new();
        for (i, &id) in case_ids.iter().enumerate() {
            if id == survivor_id {
                continue;
            }
            let named = |message: &str| FieldError::new(format!("case_ids[{i}]"), message);
            let (kept, merge) = match self
                .merge_in(&mut tx, survivor_id, id, context, &decide)
                .await
            {
                Err(StoreError::NotFound(_)) => {
                    return Err(named(&format!("case #{id} does not exist")).into())
                }
                Err(StoreError::Rejected(error)) => return Err(named(&error.message).into()),
                other => other?,
            };
            survivor = kept;
            merges.push(merge);
        }
        tx.commit().await?;
        Ok((survivor, merges))
    }

    /// Merges `duplicate_id` into `survivor_id` within the caller's transaction.
    async fn merge_in(
        &self,
        tx: &mut AnyConnection,
        survivor_id: i64,
        duplicate_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case, &Case) -> Result<Merged, FieldError>,
    ) -> Result<(Case, CaseMerge), StoreError> {
        let (survivor, duplicate) = self.load_pair(&mut *tx, survivor_id, duplicate_id).await?;
        let merged = decide(&survivor, &duplicate)?;
        let moved = move_records(tx, survivor_id, duplicate_id).await?;
        let added: Vec<String> = sqlx::query_scalar(
            "select tag from case_tags where case_id = $1 and tag not in \
             (select tag from case_tags where case_id = $2) order by tag",
        )
        .bind(duplicate_id)
        .bind(survivor_id)
        .fetch_all(&mut *tx)
        .await?;
        for tag in &added {
            sqlx::query(
                "insert into case_tags (case_id, tag, created_at, updated_at) values ($1, $2, $3, $3)",
            )
            .bind(survivor_id)
            .bind(tag)
            .bind(context.at.millis())
            .execute(&mut *tx)
            .await?;
        }
        let before = Folded::of(&survivor);
        let moved =
            serde_json::to_string(&moved).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "insert into case_merges (survivor_id, merged_id, merged_status, moved, tags_added, \
             survivor_anger_permille, survivor_churn_threat, survivor_abusive_messages, \
             survivor_replies_sent, survivor_first_response_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) returning id",
        )
        .bind(survivor_id)
        .bind(duplicate_id)
        .bind(duplicate.status.as_str())
        .bind(moved)
        .bind(added.join(" "))
        .bind(before.anger_permille)
        .bind(i64::from(before.churn_threat))
        .bind(before.abusive_messages)
        .bind(before.replies_sent)
        .bind(before.first_response_at.map(Timestamp::millis))
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let survivor = save_pair(&mut *tx, &merged, context).await?;
        let record = CaseMerge {
            id,
            survivor_id,
            duplicate_id,
            created_at: context.at,
            undone_at: None,
        };
        Ok((survivor, record))
    }

    /// Undoes merge `merge_id` as `decide` (the core's `undo`) says, given the survivor's
    /// signals before it, the duplicate's status before it and whether anything new happened
    /// on the survivor since; what moved moves back.
    pub async fn undo_merge(
        &self,
        merge_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case, &Case, Folded, CaseStatus, bool) -> Result<Merged, FieldError>,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: MergeRow = sqlx::query_as(&format!(
            "select {MERGE_COLUMNS} from case_merges where id = $1 and undone_at is null"
        ))
        .bind(merge_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("merge"))?;
        let (survivor, duplicate) = self
            .load_pair(&mut tx, row.survivor_id, row.merged_id)
            .await?;
        let mut new_since = false;
        for table in NEWS {
            let count: i64 = sqlx::query_scalar(&format!(
                "select count(*) from {table} where case_id = $1 and created_at > $2"
            ))
            .bind(row.survivor_id)
            .bind(row.created_at)
            .fetch_one(&mut *tx)
            .await?;
            new_since |= count > 0;
        }
        let later: i64 = sqlx::query_scalar(
            "select count(*) from case_merges where survivor_id = $1 and id > $2 and undone_at is null",
        )
        .bind(row.survivor_id)
        .bind(row.id)
        .fetch_one(&mut *tx)
        .await?;
        new_since |= later > 0;
        let before = Folded {
            anger_permille: row.survivor_anger_permille,
            churn_threat: row.survivor_churn_threat == 1,
            abusive_messages: row.survivor_abusive_messages,
            replies_sent: row.survivor_replies_sent,
            first_response_at: row.survivor_first_response_at.map(Timestamp),
        };
        let status = CaseStatus::parse(&row.merged_status)
            .ok_or_else(|| StoreError::Corrupt(format!("status {}", row.merged_status)))?;
        let merged = decide(&survivor, &duplicate, before, status, new_since)?;
        let moved: BTreeMap<String, Vec<i64>> =
            serde_json::from_str(&row.moved).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for (table, ids) in &moved {
            let Some(table) = MOVED.iter().chain(&FOLLOWS).find(|t| **t == table.as_str()) else {
                return Err(StoreError::Corrupt(format!("moved table {table}")));
            };
            for id in ids {
                sqlx::query(&format!(
                    "update {table} set case_id = $1 where id = $2 and case_id = $3"
                ))
                .bind(row.merged_id)
                .bind(id)
                .bind(row.survivor_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        for tag in row.tags_added.split_whitespace() {
            sqlx::query("delete from case_tags where case_id = $1 and tag = $2")
                .bind(row.survivor_id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("update case_merges set undone_at = $1, updated_at = $1 where id = $2")
            .bind(context.at.millis())
            .bind(merge_id)
            .execute(&mut *tx)
            .await?;
        save_pair(&mut tx, &merged, context).await?;
        tx.commit().await?;
        Ok(merged.duplicate)
    }

    /// The merges into or of a case, newest first.
    pub async fn case_merges(&self, case_id: i64) -> Result<Vec<CaseMerge>, StoreError> {
        let rows: Vec<MergeRow> = sqlx::query_as(&format!(
            "select {MERGE_COLUMNS} from case_merges where survivor_id = $1 or merged_id = $1 \
             order by id desc"
        ))
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().map(CaseMerge::from).collect())
    }

    /// Both cases, locked on PostgreSQL in id order so two merges never wait on each other.
    async fn load_pair(
        &self,
        conn: &mut AnyConnection,
        survivor_id: i64,
        duplicate_id: i64,
    ) -> Result<(Case, Case), StoreError> {
        let lock = self.backend == crate::Backend::Postgres;
        let (first, second) = (survivor_id.min(duplicate_id), survivor_id.max(duplicate_id));
        let a = load_case(&mut *conn, first, lock).await?;
        let b = load_case(&mut *conn, second, lock).await?;
        Ok(if a.id == survivor_id { (a, b) } else { (b, a) })
    }
}

/// Saves both cases of a merge or its undoing, with the duplicate's pointer, brings their
/// signals up to date and records the events; answers the survivor.
async fn save_pair(
    conn: &mut AnyConnection,
    merged: &Merged,
    context: &AuditContext,
) -> Result<Case, StoreError> {
    for case in [&merged.survivor, &merged.duplicate] {
        save_case(&mut *conn, case).await?;
        sqlx::query("update cases set merged_into = $1 where id = $2")
            .bind(case.merged_into)
            .bind(case.id)
            .execute(&mut *conn)
            .await?;
    }
    refresh_case(&mut *conn, merged.duplicate.id, context.at).await?;
    let survivor = refresh_case(&mut *conn, merged.survivor.id, context.at).await?;
    audit::record(&mut *conn, context, &merged.events).await?;
    Ok(survivor)
}

/// The tables whose rows follow a customer merged into another.
const CUSTOMER_MOVED: [&str; 6] = [
    "customer_contacts",
    "cases",
    "compensation",
    "abuse_steps",
    "notices",
    "chats",
];

impl Store {
    /// Merges customer `duplicate_id` into `survivor_id` as `decide` (the core's
    /// `merge_customers`) says: the survivor's record is saved, the duplicate's addresses,
    /// cases, compensation, notices and tags move to it, and the duplicate is removed.
    pub async fn merge_customers(
        &self,
        survivor_id: i64,
        duplicate_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Customer, &Customer) -> Result<(Customer, Vec<AuditEvent>), FieldError>,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write.begin().await?;
        let survivor = load_customer(&mut tx, survivor_id).await?;
        let duplicate = load_customer(&mut tx, duplicate_id).await?;
        let (kept, events) = decide(&survivor, &duplicate)?;
        let invoice_dates: Vec<i64> = kept.invoice_dates.iter().map(|t| t.millis()).collect();
        sqlx::query(
            "update customers set revenue_to_date_minor = $1, currency = $2, plan = $3, \
             billing_day = $4, invoice_dates = $5, notes = $6, updated_at = $7 where id = $8",
        )
        .bind(kept.revenue_to_date_minor)
        .bind(kept.currency.as_str())
        .bind(kept.plan.as_deref())
        .bind(kept.billing_day.map(i64::from))
        .bind(
            serde_json::to_string(&invoice_dates)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )
        .bind(kept.notes.as_str())
        .bind(context.at.millis())
        .bind(survivor_id)
        .execute(&mut *tx)
        .await?;
        for table in CUSTOMER_MOVED {
            sqlx::query(&format!(
                "update {table} set customer_id = $1 where customer_id = $2"
            ))
            .bind(survivor_id)
            .bind(duplicate_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "insert into customer_tags (customer_id, tag, created_at, updated_at) \
             select $1, tag, $3, $3 from customer_tags where customer_id = $2 and tag not in \
             (select tag from customer_tags where customer_id = $1)",
        )
        .bind(survivor_id)
        .bind(duplicate_id)
        .bind(context.at.millis())
        .execute(&mut *tx)
        .await?;
        sqlx::query("delete from customer_tags where customer_id = $1")
            .bind(duplicate_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("delete from customers where id = $1")
            .bind(duplicate_id)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, context, &events).await?;
        let merged = load_customer(&mut tx, survivor_id).await?;
        tx.commit().await?;
        Ok(merged)
    }
}

/// Moves the duplicate's records to the survivor (a chat only when the survivor has none),
/// answering what moved, by table, for the merge to be undone.
async fn move_records(
    tx: &mut AnyConnection,
    survivor_id: i64,
    duplicate_id: i64,
) -> Result<BTreeMap<&'static str, Vec<i64>>, StoreError> {
    let mut moved = BTreeMap::new();
    for table in MOVED {
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "select id from {table} where case_id = $1 order by id"
        ))
        .bind(duplicate_id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "update {table} set case_id = $1 where case_id = $2"
        ))
        .bind(survivor_id)
        .bind(duplicate_id)
        .execute(&mut *tx)
        .await?;
        moved.insert(table, ids);
    }
    for table in FOLLOWS {
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "select id from {table} where case_id = $1 and not exists \
             (select 1 from {table} where case_id = $2)"
        ))
        .bind(duplicate_id)
        .bind(survivor_id)
        .fetch_all(&mut *tx)
        .await?;
        for id in &ids {
            sqlx::query(&format!("update {table} set case_id = $1 where id = $2"))
                .bind(survivor_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if !ids.is_empty() {
            moved.insert(table, ids);
        }
    }
    Ok(moved)
}
