//! Canned replies: kept, changed, removed, counted when used.

use amends_core::audit::{AuditContext, AuditEvent};
use amends_core::canned::{CannedActions, CannedReply, NewCannedReply};
use amends_core::tag::Tag;
use amends_core::{Case, CaseStatus, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::{audit, Store, StoreError};

const COLUMNS: &str =
    "id, name, body, set_status, add_tags, take_case, uses, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct CannedRow {
    id: i64,
    name: String,
    body: String,
    set_status: Option<String>,
    add_tags: String,
    take_case: i64,
    uses: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CannedRow> for CannedReply {
    type Error = StoreError;

    fn try_from(row: CannedRow) -> Result<Self, StoreError> {
        let status = row
            .set_status
            .map(|s| {
                CaseStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("status {s}")))
            })
            .transpose()?;
        Ok(CannedReply {
            id: row.id,
            name: row.name,
            body: row.body,
            actions: CannedActions {
                status,
                add_tags: row
                    .add_tags
                    .split_whitespace()
                    .map(|t| Tag::stored(t.to_owned()))
                    .collect(),
                take_case: row.take_case == 1,
            },
            uses: row.uses,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

fn tags_text(actions: &CannedActions) -> String {
    actions
        .add_tags
        .iter()
        .map(Tag::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Store {
    /// Every canned reply, by name.
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>, StoreError> {
        let rows: Vec<CannedRow> = sqlx::query_as(&format!(
            "select {COLUMNS} from canned_replies order by name, id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(CannedReply::try_from).collect()
    }

    /// One canned reply.
    pub async fn canned_reply(&self, id: i64) -> Result<CannedReply, StoreError> {
        let mut conn = self.read.acquire().await?;
        load(&mut conn, id).await
    }

    /// Keeps a new canned reply; a name already used is a `Conflict`.
    pub async fn create_canned_reply(
        &self,
        reply: &NewCannedReply,
        context: &AuditContext,
        event: impl FnOnce(i64) -> AuditEvent,
    ) -> Result<CannedReply, StoreError> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into canned_replies (name, body, set_status, add_tags, take_case, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
        )
        .bind(&reply.name)
        .bind(&reply.body)
        .bind(reply.actions.status.map(CaseStatus::as_str))
        .bind(tags_text(&reply.actions))
        .bind(i64::from(reply.actions.take_case))
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event(id)]).await?;
        let created = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Rewrites a canned reply, keeping its use count.
    pub async fn change_canned_reply(
        &self,
        id: i64,
        reply: &NewCannedReply,
        context: &AuditContext,
        event: AuditEvent,
    ) -> Result<CannedReply, StoreError> {
        let mut tx = self.write.begin().await?;
        load(&mut tx, id).await?;
        sqlx::query(
            "update canned_replies set name = $1, body = $2, set_status = $3, add_tags = $4, \
             take_case = $5, updated_at = $6 where id = $7",
        )
        .bind(&reply.name)
        .bind(&reply.body)
        .bind(reply.actions.status.map(CaseStatus::as_str))
        .bind(tags_text(&reply.actions))
        .bind(i64::from(reply.actions.take_case))
        .bind(context.at.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event]).await?;
        let changed = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Removes a canned reply.
    pub async fn remove_canned_reply(
        &self,
        id: i64,
        context: &AuditContext,
        event: impl FnOnce(&CannedReply) -> AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let reply = load(&mut tx, id).await?;
        sqlx::query("delete from canned_replies where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, context, &[event(&reply)]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes canned reply `reply_id`'s actions on case `case_id` (the change `decide` makes and
    /// the tags `retag` answers) and counts its use, all in one transaction: a reply whose
    /// status cannot be set leaves the case untagged and the reply uncounted.
    pub async fn use_canned_reply(
        &self,
        reply_id: i64,
        case_id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Case) -> Result<(Case, Vec<AuditEvent>), FieldError>,
        retag: impl FnOnce(&[Tag]) -> (Vec<Tag>, Option<AuditEvent>),
    ) -> Result<(Case, Vec<Tag>), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = self
            .change_one(&mut tx, case_id, None, context, decide, retag)
            .await?;
        count_use(&mut tx, reply_id, context.at).await?;
        tx.commit().await?;
        Ok(done)
    }
}

async fn count_use(conn: &mut AnyConnection, id: i64, at: Timestamp) -> Result<(), StoreError> {
    let counted =
        sqlx::query("update canned_replies set uses = uses + 1, updated_at = $1 where id = $2")
            .bind(at.millis())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if counted.rows_affected() == 0 {
        return Err(StoreError::NotFound("canned reply"));
    }
    Ok(())
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<CannedReply, StoreError> {
    let row: CannedRow = sqlx::query_as(&format!(
        "select {COLUMNS} from canned_replies where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("canned reply"))?;
    CannedReply::try_from(row)
}
