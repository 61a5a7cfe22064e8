//! The rest of the recovery protocol's records: facts, win-back, the abuse policy's steps,
//! notifications to staff, notices to customers and the desk's shared secrets.

use amends_core::audit::{AuditContext, RecordKind};
use amends_core::case::{flag_win_back, Case};
use amends_core::recovery::{self, AbusePolicy, AbuseStep, Fact, FactSource};
use amends_core::{AgentRole, AuditEvent, Direction, FieldError, Message, Timestamp};
use sqlx::AnyConnection;

use crate::cases::{insert_message, load_case, refresh_case, save_case, NewMessage};
use crate::{audit, Backend, Store, StoreError};

/// A message to a member of staff.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// What kind: `promise_due_soon`, `promise_broken`, `win_back`, `abuse`, `approval`.
    pub kind: String,
    /// What to tell.
    pub body: String,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A notice to a customer in the outbox.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Notice {
    /// Its id.
    pub id: i64,
    /// The case it is about.
    pub case_id: i64,
    /// What kind: `promise_extended`, `follow_up`, `abuse_policy`.
    pub kind: String,
    /// The channel it goes out on.
    pub channel: String,
    /// The address, when the channel has one on file.
    pub to_address: Option<String>,
    /// Its subject line.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// `queued` (waiting to go out, or for an agent on a channel without mail), `sent`,
    /// `held` (kept in the local outbox: no SMTP relay configured) or `failed`.
    pub status: String,
    /// The Message-ID it went out with.
    pub message_id: Option<String>,
    /// Why the last attempt to send it failed.
    pub last_error: Option<String>,
    /// When it went out (or was held).
    pub sent_at: Option<Timestamp>,
    /// When it was queued.
    pub created_at: Timestamp,
}

type NoticeRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

const NOTICE_COLUMNS: &str = "id, case_id, kind, channel, to_address, subject, body, status, \
     message_id, last_error, sent_at, created_at";

fn notice_of(r: NoticeRow) -> Notice {
    Notice {
        id: r.0,
        case_id: r.1,
        kind: r.2,
        channel: r.3,
        to_address: r.4,
        subject: r.5,
        body: r.6,
        status: r.7,
        message_id: r.8,
        last_error: r.9,
        sent_at: r.10.map(Timestamp),
        created_at: Timestamp(r.11),
    }
}

/// One notice.
pub(crate) async fn load_notice(conn: &mut AnyConnection, id: i64) -> Result<Notice, StoreError> {
    let row: NoticeRow = sqlx::query_as(&format!(
        "select {NOTICE_COLUMNS} from notices where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("notice"))?;
    Ok(notice_of(row))
}

#[derive(sqlx::FromRow)]
struct FactRow {
    id: i64,
    case_id: i64,
    text: String,
    source: String,
    read_back: i64,
    confirmed: i64,
    created_at: i64,
    updated_at: i64,
}

const FACT_COLUMNS: &str =
    "id, case_id, text, source, read_back, confirmed, created_at, updated_at";

impl TryFrom<FactRow> for Fact {
    type Error = StoreError;

    fn try_from(row: FactRow) -> Result<Fact, StoreError> {
        Ok(Fact {
            id: row.id,
            case_id: row.case_id,
            text: row.text,
            source: FactSource::parse(&row.source)
                .ok_or_else(|| StoreError::Corrupt(format!("fact source {:?}", row.source)))?,
            read_back: row.read_back != 0,
            confirmed: row.confirmed != 0,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

impl Store {
    /// Notes a fact on a case.
    pub async fn add_fact(
        &self,
        case_id: i64,
        text: &str,
        source: FactSource,
        context: &AuditContext,
    ) -> Result<Fact, StoreError> {
        let text = recovery::parse_fact_text(text)?;
        let mut tx = self.write.begin().await?;
        load_case(&mut tx, case_id, false).await?;
        let row: FactRow = sqlx::query_as(&format!(
            "insert into facts (case_id, text, source, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) returning {FACT_COLUMNS}"
        ))
        .bind(case_id)
        .bind(&text)
        .bind(source.as_str())
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let fact = Fact::try_from(row)?;
        let event = AuditEvent::new("fact.added", RecordKind::Fact, fact.id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(fact)
    }

    /// A case's facts, in the order they were noted.
    pub async fn case_facts(&self, case_id: i64) -> Result<Vec<Fact>, StoreError> {
        let rows: Vec<FactRow> = sqlx::query_as(&format!(
            "select {FACT_COLUMNS} from facts where case_id = $1 order by id"
        ))
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Fact::try_from).collect()
    }

    /// Loads a fact, lets `decide` change it, saves it with its event.
    pub async fn update_fact(
        &self,
        id: i64,
        context: &AuditContext,
        decide: impl FnOnce(&Fact) -> Result<(Fact, AuditEvent), FieldError>,
    ) -> Result<Fact, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: FactRow =
            sqlx::query_as(&format!("select {FACT_COLUMNS} from facts where id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("fact"))?;
        let (next, event) = decide(&Fact::try_from(row)?)?;
        sqlx::query(
            "update facts set text = $1, read_back = $2, confirmed = $3, updated_at = $4 \
             where id = $5",
        )
        .bind(&next.text)
        .bind(i64::from(next.read_back))
        .bind(i64::from(next.confirmed))
        .bind(next.updated_at.millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Marks a case's customer as threatening to leave: flags it for win-back (once), raises
    /// its priority and tells a supervisor.
    pub async fn mark_churn_threat(
        &self,
        case_id: i64,
        context: &AuditContext,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let Some((flagged, event)) = flag_win_back(&case, context.at) else {
            return Ok(case);
        };
        save_case(&mut tx, &flagged).await?;
        let flagged = refresh_case(&mut tx, case_id, context.at).await?;
        audit::record(&mut tx, context, &[event]).await?;
        tell_win_back(&mut tx, flagged.owner_id, case_id, context.at).await?;
        tx.commit().await?;
        Ok(flagged)
    }

    /// Takes the next step of the abuse policy on a case: says (records) the step's script to
    /// the customer, and when the step ends the contact, hands the case to a supervisor.
    /// Refused when every step was taken.
    pub async fn take_abuse_step(
        &self,
        case_id: i64,
        policy: &AbusePolicy,
        agent_id: i64,
        context: &AuditContext,
    ) -> Result<(AbuseStep, Message), StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let taken: i64 = sqlx::query_scalar("select count(*) from abuse_steps where case_id = $1")
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        let step = policy
            .next_step(usize::try_from(taken).unwrap_or(usize::MAX))
            .cloned()
            .ok_or_else(|| {
                FieldError::new("step", "every step of the abuse policy was already taken")
            })?;
        let step_id: i64 = sqlx::query_scalar(
            "insert into abuse_steps (case_id, customer_id, step_index, name, agent_id, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning id",
        )
        .bind(case_id)
        .bind(case.customer_id)
        .bind(taken)
        .bind(&step.name)
        .bind(agent_id)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let said = NewMessage {
            direction: Direction::Outbound,
            channel: case.channel,
            author_id: Some(agent_id),
            body: step.script.clone(),
            body_html: None,
            external_id: Some(format!("abuse-step:{step_id}")),
            reading: None,
        };
        let message = insert_message(&mut tx, case_id, &said, context.at).await?;
        let mut events = vec![
            AuditEvent::new("abuse.step_taken", RecordKind::Case, case_id).with_changes(vec![
                amends_core::audit::Change::new("abuse_step", "", step.name.clone()),
            ]),
            AuditEvent::new("message.sent", RecordKind::Message, message.id),
        ];
        if step.ends_contact {
            let mut handed = case.clone();
            handed.owner_id = None;
            handed.updated_at = context.at;
            save_case(&mut tx, &handed).await?;
            refresh_case(&mut tx, case_id, context.at).await?;
            events.push(
                AuditEvent::new("case.changed", RecordKind::Case, case_id).with_changes(vec![
                    amends_core::audit::Change::new(
                        "owner_id",
                        case.owner_id.map_or("none".to_owned(), |o| o.to_string()),
                        "none",
                    ),
                ]),
            );
            tell_supervisors(
                &mut tx,
                case.owner_id,
                case_id,
                "abuse",
                &format!(
                    "Case #{case_id}: contact ended under the abuse policy; it needs a supervisor"
                ),
                context.at,
            )
            .await?;
        }
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok((step, message))
    }

    /// How many abuse-policy steps were taken with a customer, over all their cases.
    pub async fn abuse_steps_for_customer(&self, customer_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("select count(*) from abuse_steps where customer_id = $1")
                .bind(customer_id)
                .fetch_one(&self.read)
                .await?,
        )
    }

    /// An agent's latest notifications, newest first.
    pub async fn notifications(
        &self,
        agent_id: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows: Vec<(i64, Option<i64>, String, String, i64)> = sqlx::query_as(
            "select id, case_id, kind, body, created_at from notifications where agent_id = $1 \
             order by id desc limit $2",
        )
        .bind(agent_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, case_id, kind, body, at)| Notification {
                id,
                case_id,
                kind,
                body,
                created_at: Timestamp(at),
            })
            .collect())
    }

    /// Notices to customers, newest first: those of one case, or all.
    pub async fn notices(
        &self,
        case_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
            "select {NOTICE_COLUMNS} from notices where ($1 = 0 or case_id = $1) \
             order by id desc limit $2"
        ))
        .bind(case_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(notice_of).collect())
    }

    /// The desk's secret called `name`, made from `fresh` the first time it is asked for. Every
    /// server on the database reads the same one.
    pub async fn desk_secret(
        &self,
        name: &str,
        fresh: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "insert into desk_secrets (name, value, created_at) values ($1, $2, $3) \
             on conflict (name) do nothing",
        )
        .bind(name)
        .bind(fresh)
        .bind(now.millis())
        .execute(&self.write)
        .await?;
        Ok(
            sqlx::query_scalar("select value from desk_secrets where name = $1")
                .bind(name)
                .fetch_one(&self.write)
                .await?,
        )
    }
}

/// Tells one agent something.
pub(crate) async fn notify(
    conn: &mut AnyConnection,
    agent_id: i64,
    case_id: Option<i64>,
    kind: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into notifications (agent_id, case_id, kind, body, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(agent_id)
    .bind(case_id)
    .bind(kind)
    .bind(body)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Tells a supervisor that a case was flagged for win-back: the customer threatens to leave.
pub(crate) async fn tell_win_back(
    conn: &mut AnyConnection,
    owner_id: Option<i64>,
    case_id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    let body = format!("Case #{case_id}: the customer threatens to leave");
    tell_supervisors(conn, owner_id, case_id, "win_back", &body, now).await
}

/// Tells the supervisor of `agent_id` (their own, when they have one), or else every active
/// supervisor, or else every admin: somebody in charge always hears.
pub(crate) async fn tell_supervisors(
    conn: &mut AnyConnection,
    agent_id: Option<i64>,
    case_id: i64,
    kind: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(agent_id) = agent_id {
        let own: Option<i64> = sqlx::query_scalar(
            "select supervisor.id from agents join agents supervisor on supervisor.id = \
             agents.supervisor_id where agents.id = $1 and supervisor.active = 1",
        )
        .bind(agent_id)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(supervisor) = own {
            return notify(conn, supervisor, Some(case_id), kind, body, now).await;
        }
    }
    for role in [AgentRole::Supervisor, AgentRole::Admin] {
        let ids: Vec<i64> =
            sqlx::query_scalar("select id from agents where role = $1 and active = 1 order by id")
                .bind(role.as_str())
                .fetch_all(&mut *conn)
                .await?;
        if !ids.is_empty() {
            for id in ids {
                notify(conn, id, Some(case_id), kind, body, now).await?;
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Queues a notice to the case's customer: by email when they have an address (with the job
/// that sends it), otherwise on the case's own channel for an agent to pass on. Returns its id.
pub(crate) async fn queue_notice(
    conn: &mut AnyConnection,
    case: &Case,
    kind: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let email: Option<String> = sqlx::query_scalar(
        "select value from customer_contacts where customer_id = $1 and kind = 'email' \
         order by id limit 1",
    )
    .bind(case.customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    let channel = if email.is_some() {
        "email"
    } else {
        case.channel.as_str()
    };
    let id = sqlx::query_scalar(
        "insert into notices (case_id, customer_id, kind, channel, to_address, subject, body, \
         status, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8) \
         returning id",
    )
    .bind(case.id)
    .bind(case.customer_id)
    .bind(kind)
    .bind(channel)
    .bind(email)
    .bind(subject)
    .bind(body)
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?;
    if channel == "email" {
        let payload = serde_json::json!({ "notice_id": id }).to_string();
        crate::jobs::insert_job(conn, crate::mail::MAIL_SEND, &payload, now, now).await?;
    }
    Ok(id)
}
