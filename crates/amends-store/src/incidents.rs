//! Incidents: declared, updated and resolved, each update fanned out to every affected customer
//! as one durable notice and one job per customer, queued by the transaction that posts it.

use amends_core::audit::AuditContext;
use amends_core::case::after_message;
use amends_core::incident::{
    self, Incident, IncidentCounts, IncidentDraft, IncidentStatus, IncidentUpdate, UpdateKind,
    FOLLOW_UP_AFTER_MILLIS,
};
use amends_core::job::{FollowUpSend, Job, Scheduled, UpdateCheck};
use amends_core::{Channel, Direction, Timestamp};
use sqlx::AnyConnection;

use crate::cases::add_message_in;
use crate::table::messages::NewMessage;

use crate::table::jobs::{insert_job, DEFAULT_ATTEMPTS};
use crate::{audit, Store, StoreError};

const COLUMNS: &str = "id, title, summary, started_at, status, key_words, next_update_at, \
                       declared_by, declared_at, first_notice_at, resolved_at";
const UPDATE_COLUMNS: &str =
    "id, incident_id, kind, body, next_update_at, posted_by, posted_at, sent_at";

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: i64,
    title: String,
    summary: String,
    started_at: i64,
    status: String,
    key_words: String,
    next_update_at: Option<i64>,
    declared_by: Option<i64>,
    declared_at: i64,
    first_notice_at: Option<i64>,
    resolved_at: Option<i64>,
}

impl TryFrom<IncidentRow> for Incident {
    type Error = StoreError;

    fn try_from(row: IncidentRow) -> Result<Self, StoreError> {
        Ok(Incident {
            id: row.id,
            title: row.title,
            summary: row.summary,
            started_at: Timestamp(row.started_at),
            status: IncidentStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("incident status {}", row.status)))?,
            key_words: row
                .key_words
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            next_update_at: row.next_update_at.map(Timestamp),
            declared_by: row.declared_by,
            declared_at: Timestamp(row.declared_at),
            first_notice_at: row.first_notice_at.map(Timestamp),
            resolved_at: row.resolved_at.map(Timestamp),
        })
    }
}

#[derive(sqlx::FromRow)]
struct UpdateRow {
    id: i64,
    incident_id: i64,
    kind: String,
    body: String,
    next_update_at: Option<i64>,
    posted_by: Option<i64>,
    posted_at: i64,
    sent_at: Option<i64>,
}

impl TryFrom<UpdateRow> for IncidentUpdate {
    type Error = StoreError;

    fn try_from(row: UpdateRow) -> Result<Self, StoreError> {
        Ok(IncidentUpdate {
            id: row.id,
            incident_id: row.incident_id,
            kind: UpdateKind::parse(&row.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("incident update {}", row.kind)))?,
            body: row.body,
            next_update_at: row.next_update_at.map(Timestamp),
            posted_by: row.posted_by,
            posted_at: Timestamp(row.posted_at),
            sent_at: row.sent_at.map(Timestamp),
        })
    }
}

/// Loads an incident in the caller's transaction, holding it (on PostgreSQL) until the
/// transaction ends, so two fan-outs of one incident never interleave.
pub(crate) async fn hold_incident(
    conn: &mut AnyConnection,
    id: i64,
    now: Timestamp,
) -> Result<Incident, StoreError> {
    let row: Option<IncidentRow> = sqlx::query_as(&format!(
        "update incidents set updated_at = $1 where id = $2 returning {COLUMNS}"
    ))
    .bind(now.millis())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or(StoreError::NotFound("incident"))?.try_into()
}

async fn insert_update(
    conn: &mut AnyConnection,
    incident_id: i64,
    kind: UpdateKind,
    body: &str,
    next_update_at: Option<Timestamp>,
    context: &AuditContext,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "insert into incident_updates (incident_id, kind, body, next_update_at, posted_by, \
         posted_at) values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(incident_id)
    .bind(kind.as_str())
    .bind(body)
    .bind(next_update_at.map(Timestamp::millis))
    .bind(context.actor.agent_id())
    .bind(context.at.millis())
    .fetch_one(&mut *conn)
    .await?)
}

/// Queues `update_id` to every affected customer of `incident_id` who has not had it: a
/// notice each (to their email address, or marked unreachable without one) and one job per
/// notice that can go. Returns how many were queued.
pub(crate) async fn fan_out(
    conn: &mut AnyConnection,
    incident_id: i64,
    update_id: i64,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let before: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from incident_notices")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "insert into incident_notices (incident_id, update_id, customer_id, status, to_address, \
         created_at, updated_at) \
         select $1, $2, affected.customer_id, \
         case when address.value is null then 'unreachable' else 'queued' end, address.value, \
         $3, $3 from incident_customers affected \
         left join (select customer_id, min(id) as id from customer_contacts \
           where kind = 'email' and customer_id in \
           (select customer_id from incident_customers where incident_id = $1) \
           group by customer_id) first_email on first_email.customer_id = affected.customer_id \
         left join customer_contacts address on address.id = first_email.id \
         where affected.incident_id = $1 order by affected.id \
         on conflict (update_id, customer_id) do nothing",
    )
    .bind(incident_id)
    .bind(update_id)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    let queued = sqlx::query(
        "insert into jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) \
         select $1, '{\"notice_id\":' || id || '}', 'pending', $2, $3, $2, $2 \
         from incident_notices where update_id = $4 and id > $5 and status = 'queued' order by id",
    )
    .bind(Job::IncidentNotice(amends_core::job::NoticeSend { notice_id: 0 }).kind())
    .bind(now.millis())
    .bind(DEFAULT_ATTEMPTS)
    .bind(update_id)
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("update incident_updates set sent_at = coalesce(sent_at, $1) where id = $2")
        .bind(now.millis())
        .bind(update_id)
        .execute(&mut *conn)
        .await?;
    Ok(i64::try_from(queued).unwrap_or(i64::MAX))
}

async fn promise_update(
    conn: &mut AnyConnection,
    incident_id: i64,
    due_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let check = UpdateCheck {
        incident_id,
        due_at: due_at.millis(),
    };
    let work = Scheduled {
        job: Job::IncidentUpdateDue(check),
        run_at: due_at,
    };
    insert_job(conn, &work, DEFAULT_ATTEMPTS, now).await?;
    Ok(())
}

/// What a posted update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The update.
    pub update_id: i64,
    /// Notices queued to the affected customers.
    pub queued: i64,
}

impl Store {
    /// Declares an incident: the record, its first update (what is being done, not yet sent)
    /// and the check of the promised next update. Returns its id.
    pub async fn declare_incident(
        &self,
        draft: &IncidentDraft,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let now = context.at;
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into incidents (title, summary, started_at, status, key_words, \
             next_update_at, declared_by, declared_at, created_at, updated_at) \
             values ($1, $2, $3, 'open', $4, $5, $6, $7, $7, $7) returning id",
        )
        .bind(&draft.title)
        .bind(&draft.summary)
        .bind(draft.started_at.millis())
        .bind(draft.key_words.join(" "))
        .bind(draft.next_update_at.millis())
        .bind(context.actor.agent_id())
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await?;
        let kind = UpdateKind::Declared;
        insert_update(
            &mut tx,
            id,
            kind,
            &draft.doing,
            Some(draft.next_update_at),
            context,
        )
        .await?;
        promise_update(&mut tx, id, draft.next_update_at, now).await?;
        audit::record(&mut tx, context, &[incident::declared(id, &draft.title)]).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sends the incident's latest update to every affected customer who has not had it (all
    /// of them the first time; those added since, later). Returns how many notices were queued.
    pub async fn send_incident_notice(
        &self,
        id: i64,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        hold_incident(&mut tx, id, context.at).await?;
        let latest: i64 = sqlx::query_scalar(
            "select max(id) from incident_updates where incident_id = $1 and kind <> 'follow_up'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let queued = fan_out(&mut tx, id, latest, context.at).await?;
        audit::record(&mut tx, context, &[incident::notified(id, queued)]).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Posts an update (or, with no next update, the close) and sends it to every affected
    /// customer in the same transaction. Closing schedules the follow-up survey.
    pub async fn post_incident_update(
        &self,
        id: i64,
        body: &str,
        next_update_at: Option<Timestamp>,
        context: &AuditContext,
    ) -> Result<Posted, StoreError> {
        let now = context.at;
        let mut tx = self.write.begin().await?;
        let incident = hold_incident(&mut tx, id, now).await?;
        if incident.status != IncidentStatus::Open {
            return Err(StoreError::Conflict {
                constraint: "incident resolved".to_owned(),
            });
        }
        let resolving = next_update_at.is_none();
        let kind = if resolving {
            UpdateKind::Resolved
        } else {
            UpdateKind::Update
        };
        let update_id = insert_update(&mut tx, id, kind, body, next_update_at, context).await?;
        sqlx::query(
            "update incidents set next_update_at = $1, status = $2, \
             resolved_at = case when $3 = 1 then $4 else resolved_at end where id = $5",
        )
        .bind(next_update_at.map(Timestamp::millis))
        .bind(if resolving { "resolved" } else { "open" })
        .bind(i64::from(resolving))
        .bind(now.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        match next_update_at {
            Some(due_at) => promise_update(&mut tx, id, due_at, now).await?,
            None => {
                let work = Scheduled {
                    job: Job::IncidentFollowUp(FollowUpSend { incident_id: id }),
                    run_at: now.plus_millis(FOLLOW_UP_AFTER_MILLIS),
                };
                insert_job(&mut tx, &work, DEFAULT_ATTEMPTS, now).await?;
            }
        }
        let queued = fan_out(&mut tx, id, update_id, now).await?;
        let event = incident::posted(id, resolving, queued);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(Posted { update_id, queued })
    }

    /// Sends one reply from the incident to every open case linked to it, each written on its
    /// case as the agent's own (and mailed as any reply is), all in one transaction. Returns
    /// the cases it reached.
    pub async fn reply_to_linked(
        &self,
        id: i64,
        body: &str,
        context: &AuditContext,
    ) -> Result<Vec<i64>, StoreError> {
        let now = context.at;
        let mut tx = self.write.begin().await?;
        hold_incident(&mut tx, id, now).await?;
        let cases: Vec<(i64, String)> = sqlx::query_as(
            "select cases.id, cases.channel from case_incidents join cases on \
             cases.id = case_incidents.case_id where case_incidents.incident_id = $1 \
             and cases.status not in ('resolved', 'closed') order by cases.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let lock = self.backend == crate::Backend::Postgres;
        let mut reached = Vec::with_capacity(cases.len());
        for (case_id, channel) in cases {
            let message = NewMessage {
                direction: Direction::Outbound,
                channel: Channel::parse(&channel)
                    .ok_or_else(|| StoreError::Corrupt(format!("case channel {channel}")))?,
                author_id: context.actor.agent_id(),
                body: body.to_owned(),
                body_html: None,
                external_id: None,
                reading: None,
            };
            let after = |case: &amends_core::Case| after_message(case, Direction::Outbound, now);
            add_message_in(&mut tx, case_id, &message, context, lock, after).await?;
            reached.push(case_id);
        }
        let event = incident::replied(id, reached.len());
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(reached)
    }

    /// An incident.
    pub async fn incident(&self, id: i64) -> Result<Incident, StoreError> {
        let row: Option<IncidentRow> =
            sqlx::query_as(&format!("select {COLUMNS} from incidents where id = $1"))
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        row.ok_or(StoreError::NotFound("incident"))?.try_into()
    }

    /// Incidents, open ones first, then the most recent; resolved ones only since `since`.
    pub async fn incidents(&self, since: Timestamp) -> Result<Vec<Incident>, StoreError> {
        let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
            "select {COLUMNS} from incidents where status = 'open' or resolved_at >= $1 \
             order by case when status = 'open' then 0 else 1 end, declared_at desc, id desc \
             limit 200"
        ))
        .bind(since.millis())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Incident::try_from).collect()
    }

    /// An incident's updates, oldest first.
    pub async fn incident_updates(&self, id: i64) -> Result<Vec<IncidentUpdate>, StoreError> {
        let rows: Vec<UpdateRow> = sqlx::query_as(&format!(
            "select {UPDATE_COLUMNS} from incident_updates where incident_id = $1 order by id"
        ))
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(IncidentUpdate::try_from).collect()
    }

    /// The counts an incident's figures are made from.
    pub async fn incident_counts(&self, incident: &Incident) -> Result<IncidentCounts, StoreError> {
        let since = incident
            .started_at
            .millis()
            .min(incident.declared_at.millis());
        let (affected, warned, before, wrote, unreachable): (i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "select count(*), \
                 coalesce(sum(case when warned.at is not null then 1 else 0 end), 0), \
                 coalesce(sum(case when warned.at is not null and (wrote.at is null \
                   or wrote.at > warned.at) then 1 else 0 end), 0), \
                 coalesce(sum(case when wrote.at is not null then 1 else 0 end), 0), \
                 coalesce(sum(case when warned.at is null and unreached.n > 0 then 1 else 0 end), 0) \
                 from incident_customers affected \
                 left join (select customer_id, min(sent_at) as at from incident_notices \
                   where incident_id = $1 and status in ('sent', 'held') group by customer_id) \
                   warned on warned.customer_id = affected.customer_id \
                 left join (select customer_id, count(*) as n from incident_notices \
                   where incident_id = $1 and status = 'unreachable' group by customer_id) \
                   unreached on unreached.customer_id = affected.customer_id \
                 left join (select customer_id, min(opened_at) as at from cases \
                   where opened_at >= $2 group by customer_id) wrote \
                   on wrote.customer_id = affected.customer_id \
                 where affected.incident_id = $1",
            )
            .bind(incident.id)
            .bind(since)
            .fetch_one(&self.read)
            .await?;
        let linked: i64 =
            sqlx::query_scalar("select count(*) from case_incidents where incident_id = $1")
                .bind(incident.id)
                .fetch_one(&self.read)
                .await?;
        Ok(IncidentCounts {
            affected,
            warned,
            warned_before_wrote: before,
            wrote_in: wrote,
            linked_cases: linked,
            unreachable,
        })
    }

    /// How an incident's notices stand: queued, sent (or kept in the outbox), failed,
    /// unreachable.
    pub async fn incident_notice_counts(&self, id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "select status, count(*) from incident_notices where incident_id = $1 \
             group by status order by status",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?)
    }
}

/// The follow-up of a resolved incident: its update, sent to every affected customer, once.
pub(crate) async fn follow_up(
    conn: &mut AnyConnection,
    send: FollowUpSend,
    body: &str,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let incident = hold_incident(conn, send.incident_id, context.at).await?;
    let asked: i64 = sqlx::query_scalar(
        "select count(*) from incident_updates where incident_id = $1 and kind = 'follow_up'",
    )
    .bind(incident.id)
    .fetch_one(&mut *conn)
    .await?;
    if incident.status != IncidentStatus::Resolved || asked > 0 {
        return Ok(());
    }
    let update_id =
        insert_update(conn, incident.id, UpdateKind::FollowUp, body, None, context).await?;
    let queued = fan_out(conn, incident.id, update_id, context.at).await?;
    let event = incident::followed_up(incident.id, queued);
    audit::record(conn, context, &[event]).await
}
