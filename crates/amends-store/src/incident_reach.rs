//! Who an incident reaches and what reaches them: the affected set (by what the desk holds on
//! customers, by an imported list, by the cases linked), the cases linked to it, the notice
//! each customer is sent, and their answer to the follow-up.

use std::collections::HashMap;

use amends_core::audit::AuditContext;
use amends_core::incident::{self, follow_up_answered, Incident, IncidentStatus, Segment};
use amends_core::Timestamp;
use sqlx::AnyConnection;

use crate::incidents::hold_incident;
use crate::{audit, Store, StoreError};

/// How many rows one statement writes or reads by a list of values.
const CHUNK: usize = 500;

/// One incident update to one customer, with what its words are made from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentNotice {
    /// The notice.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// `queued`, `sent`, `held`, `failed` or `unreachable`.
    pub status: String,
    /// The address it goes to.
    pub to_address: Option<String>,
    /// The customer's name.
    pub customer_name: String,
    /// Their place in the affected set, which their follow-up link names.
    pub affected_id: i64,
    /// The incident's title.
    pub title: String,
    /// What is wrong.
    pub summary: String,
    /// The update's kind.
    pub kind: String,
    /// The update's words.
    pub body: String,
    /// The next update it promises, epoch milliseconds.
    pub next_update_at: Option<i64>,
}

/// A case linked to an incident.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkedCase {
    /// The case.
    pub case_id: i64,
    /// Its subject.
    pub subject: String,
    /// Its status.
    pub status: String,
    /// Why it was linked.
    pub reason: String,
    /// The agent who linked it; none when the desk did.
    pub linked_by: Option<i64>,
}

/// An incident a case is linked to, with its latest word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseIncident {
    /// The incident.
    pub incident: Incident,
    /// Why the case was linked.
    pub reason: String,
    /// Its latest update's words.
    pub latest: String,
}

async fn add_customers(
    conn: &mut AnyConnection,
    incident_id: i64,
    customer_ids: &[i64],
    source: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let mut added = 0;
    for chunk in customer_ids.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, ${}, $2, $3)", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "insert into incident_customers (incident_id, customer_id, source, added_at) \
             values {values} on conflict (incident_id, customer_id) do nothing"
        );
        let mut query = sqlx::query(&sql)
            .bind(incident_id)
            .bind(source)
            .bind(now.millis());
        for id in chunk {
            query = query.bind(*id);
        }
        added += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(i64::try_from(added).unwrap_or(i64::MAX))
}

async fn record_added(
    conn: &mut AnyConnection,
    context: &AuditContext,
    incident_id: i64,
    source: &str,
    added: i64,
) -> Result<(), StoreError> {
    let event = incident::customers_added(incident_id, source, added);
    audit::record(conn, context, &[event]).await
}

async fn open_incident(
    conn: &mut AnyConnection,
    id: i64,
    now: Timestamp,
) -> Result<Incident, StoreError> {
    let incident = hold_incident(conn, id, now).await?;
    if incident.status != IncidentStatus::Open {
        return Err(StoreError::Conflict {
            constraint: "incident resolved".to_owned(),
        });
    }
    Ok(incident)
}

impl Store {
    /// Adds every customer `segment` describes to the affected set; returns how many were new.
    pub async fn affect_segment(
        &self,
        id: i64,
        segment: &Segment,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        open_incident(&mut tx, id, context.at).await?;
        let mut conditions = String::new();
        let mut binds: Vec<&str> = Vec::new();
        if let Some(plan) = &segment.plan {
            binds.push(plan);
            conditions.push_str(&format!(" and customers.plan = ${}", binds.len() + 2));
        }
        for (key, value) in &segment.fields {
            binds.push(key);
            binds.push(value);
            conditions.push_str(&format!(
                " and exists (select 1 from custom_values v join custom_fields f on \
                 f.id = v.field_id where f.owner_kind = 'customer' and f.key = ${} and \
                 v.value = ${} and v.record_id = customers.id)",
                binds.len() + 1,
                binds.len() + 2
            ));
        }
        let sql = format!(
            "insert into incident_customers (incident_id, customer_id, source, added_at) \
             select $1, customers.id, 'attributes', $2 from customers where 1 = 1{conditions} \
             order by customers.id on conflict (incident_id, customer_id) do nothing"
        );
        let mut query = sqlx::query(&sql).bind(id).bind(context.at.millis());
        for value in binds {
            query = query.bind(value);
        }
        let added = i64::try_from(query.execute(&mut *tx).await?.rows_affected()).unwrap_or(0);
        record_added(&mut tx, context, id, "attributes", added).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Adds the customers of an imported list (already matched to ids) to the affected set in
    /// one transaction; returns how many were new.
    pub async fn affect_customers(
        &self,
        id: i64,
        customer_ids: &[i64],
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        open_incident(&mut tx, id, context.at).await?;
        let added = add_customers(&mut tx, id, customer_ids, "import", context.at).await?;
        record_added(&mut tx, context, id, "import", added).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Adds the customers of the cases linked to the incident to its affected set.
    pub async fn affect_linked(&self, id: i64, context: &AuditContext) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        open_incident(&mut tx, id, context.at).await?;
        let added = sqlx::query(
            "insert into incident_customers (incident_id, customer_id, source, added_at) \
             select distinct $1, cases.customer_id, 'cases', $2 from case_incidents \
             join cases on cases.id = case_incidents.case_id where case_incidents.incident_id = $1 \
             on conflict (incident_id, customer_id) do nothing",
        )
        .bind(id)
        .bind(context.at.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let added = i64::try_from(added).unwrap_or(0);
        record_added(&mut tx, context, id, "cases", added).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The customers with these email addresses (lowercased), by address.
    pub async fn customers_by_email(
        &self,
        addresses: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut found = HashMap::new();
        for chunk in addresses.chunks(CHUNK) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "select value, customer_id from customer_contacts where kind = 'email' and \
                 value in ({list})"
            );
            let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
            for address in chunk {
                query = query.bind(address);
            }
            found.extend(query.fetch_all(&self.read).await?);
        }
        Ok(found)
    }

    /// The customers with these ids (as text, as a list names them), by id.
    pub async fn customers_by_id(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut found = HashMap::new();
        let numbers: Vec<i64> = ids.iter().filter_map(|id| id.parse().ok()).collect();
        for chunk in numbers.chunks(CHUNK) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("select id from customers where id in ({list})");
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            found.extend(
                query
                    .fetch_all(&self.read)
                    .await?
                    .into_iter()
                    .map(|id| (id.to_string(), id)),
            );
        }
        Ok(found)
    }

    /// How many customers an incident affects.
    pub async fn affected_count(&self, id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("select count(*) from incident_customers where incident_id = $1")
                .bind(id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// Links a case to an incident with the reason shown (the desk's, or the agent's own);
    /// `false` when it was linked already.
    pub async fn link_case(
        &self,
        case_id: i64,
        incident_id: i64,
        reason: &str,
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        hold_incident(&mut tx, incident_id, context.at).await?;
        crate::table::cases::load_case(&mut tx, case_id, false).await?;
        let linked = sqlx::query(
            "insert into case_incidents (case_id, incident_id, reason, linked_by, linked_at) \
             values ($1, $2, $3, $4, $5) on conflict (case_id, incident_id) do nothing",
        )
        .bind(case_id)
        .bind(incident_id)
        .bind(reason)
        .bind(context.actor.agent_id())
        .bind(context.at.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if linked {
            let event = incident::case_linked(incident_id, case_id);
            audit::record(&mut tx, context, &[event]).await?;
        }
        tx.commit().await?;
        Ok(linked)
    }

    /// Unlinks a case from an incident; `NotFound` when it was not linked.
    pub async fn unlink_case(
        &self,
        case_id: i64,
        incident_id: i64,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let gone =
            sqlx::query("delete from case_incidents where case_id = $1 and incident_id = $2")
                .bind(case_id)
                .bind(incident_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound("link"));
        }
        let event = incident::case_unlinked(incident_id, case_id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The open incidents whose affected set holds `customer_id`.
    pub async fn open_incidents_of(&self, customer_id: i64) -> Result<Vec<Incident>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "select incidents.id from incident_customers join incidents on \
             incidents.id = incident_customers.incident_id where incident_customers.customer_id = $1 \
             and incidents.status = 'open' order by incidents.id",
        )
        .bind(customer_id)
        .fetch_all(&self.read)
        .await?;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(self.incident(id).await?);
        }
        Ok(found)
    }

    /// The incidents a case is linked to, each with its latest update.
    pub async fn incidents_of_case(&self, case_id: i64) -> Result<Vec<CaseIncident>, StoreError> {
        let links: Vec<(i64, String)> = sqlx::query_as(
            "select incident_id, reason from case_incidents where case_id = $1 order by incident_id",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        let mut found = Vec::with_capacity(links.len());
        for (id, reason) in links {
            let latest: Option<String> = sqlx::query_scalar(
                "select body from incident_updates where incident_id = $1 and kind <> 'follow_up' \
                 order by id desc limit 1",
            )
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
            found.push(CaseIncident {
                incident: self.incident(id).await?,
                reason,
                latest: latest.unwrap_or_default(),
            });
        }
        Ok(found)
    }

    /// Which of `case_ids` are linked to an open incident: case, incident and its title.
    pub async fn open_incident_links(
        &self,
        case_ids: &[i64],
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=case_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "select case_incidents.case_id, incidents.id, incidents.title from case_incidents \
             join incidents on incidents.id = case_incidents.incident_id \
             where incidents.status = 'open' and case_incidents.case_id in ({list}) \
             order by case_incidents.case_id, incidents.id"
        );
        let mut query = sqlx::query_as(&sql);
        for id in case_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.read).await?)
    }

    /// The cases linked to an incident, newest first, at most `limit`.
    pub async fn linked_cases(
        &self,
        incident_id: i64,
        limit: i64,
    ) -> Result<Vec<LinkedCase>, StoreError> {
        Ok(sqlx::query_as(
            "select cases.id as case_id, cases.subject, cases.status, case_incidents.reason, \
             case_incidents.linked_by from case_incidents join cases on \
             cases.id = case_incidents.case_id where case_incidents.incident_id = $1 \
             order by cases.id desc limit $2",
        )
        .bind(incident_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// One incident notice with what its words are made from.
    pub async fn incident_notice(&self, id: i64) -> Result<IncidentNotice, StoreError> {
        let found: Option<IncidentNotice> = sqlx::query_as(
            "select n.id, n.incident_id, n.status, n.to_address, customers.name as customer_name, \
             affected.id as affected_id, incidents.title, incidents.summary, u.kind, u.body, \
             u.next_update_at from incident_notices n \
             join incident_updates u on u.id = n.update_id \
             join incidents on incidents.id = n.incident_id \
             join customers on customers.id = n.customer_id \
             join incident_customers affected on affected.incident_id = n.incident_id \
               and affected.customer_id = n.customer_id \
             where n.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        found.ok_or(StoreError::NotFound("incident notice"))
    }

    /// Records a customer's answer to the incident's follow-up (whether it is fixed for them,
    /// and what they add) and applies what the core makes of it. Answered once; `Conflict`
    /// after.
    pub async fn answer_incident_follow_up(
        &self,
        affected_id: i64,
        fixed: bool,
        comment: Option<&str>,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "update incident_customers set fixed = $1, comment = $2, answered_at = $3 \
             where id = $4 and answered_at is null returning incident_id, customer_id",
        )
        .bind(i64::from(fixed))
        .bind(comment)
        .bind(context.at.millis())
        .bind(affected_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((incident_id, customer_id)) = found else {
            return Err(StoreError::Conflict {
                constraint: "answered".to_owned(),
            });
        };
        let incident = hold_incident(&mut tx, incident_id, context.at).await?;
        let name: String = sqlx::query_scalar("select name from customers where id = $1")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
        let outcome = follow_up_answered(&incident, &name, fixed, comment);
        crate::apply::apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an affected customer's follow-up was answered, and the incident it is about.
    pub async fn incident_follow_up(&self, affected_id: i64) -> Result<(i64, bool), StoreError> {
        let found: Option<(i64, Option<i64>)> =
            sqlx::query_as("select incident_id, answered_at from incident_customers where id = $1")
                .bind(affected_id)
                .fetch_optional(&self.read)
                .await?;
        let (incident_id, answered) = found.ok_or(StoreError::NotFound("follow-up"))?;
        Ok((incident_id, answered.is_some()))
    }

    /// The follow-up's answers: fixed, not fixed.
    pub async fn incident_answers(&self, id: i64) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "select coalesce(sum(case when fixed = 1 then 1 else 0 end), 0), \
             coalesce(sum(case when fixed = 0 then 1 else 0 end), 0) \
             from incident_customers where incident_id = $1",
        )
        .bind(id)
        .fetch_one(&self.read)
        .await?)
    }
}

/// Marks an incident notice sent (or kept in the outbox) with its Message-ID; the incident's
/// first notice time is set by the first. `false` when it was no longer queued.
pub(crate) async fn mark_notice_out(
    conn: &mut AnyConnection,
    notice_id: i64,
    held: bool,
    message_id: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let incident_id: Option<i64> = sqlx::query_scalar(
        "update incident_notices set status = $1, message_id = $2, sent_at = $3, \
         last_error = null, updated_at = $3 where id = $4 and status = 'queued' \
         returning incident_id",
    )
    .bind(if held { "held" } else { "sent" })
    .bind(message_id)
    .bind(now.millis())
    .bind(notice_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(incident_id) = incident_id else {
        return Ok(false);
    };
    sqlx::query(
        "update incidents set first_notice_at = $1 where id = $2 and first_notice_at is null",
    )
    .bind(now.millis())
    .bind(incident_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Records why an incident notice was not sent, and marks it failed when `last`.
pub(crate) async fn mark_notice_failed(
    conn: &mut AnyConnection,
    notice_id: i64,
    reason: &str,
    last: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "update incident_notices set last_error = $1, updated_at = $2, \
         status = case when $3 = 1 then 'failed' else status end \
         where id = $4 and status = 'queued'",
    )
    .bind(reason)
    .bind(now.millis())
    .bind(i64::from(last))
    .bind(notice_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
