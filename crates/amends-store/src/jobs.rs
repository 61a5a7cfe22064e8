//! Durable jobs: work that must happen later and must not be lost or done twice.
//!
//! A job is claimed by moving it to `running` with a lease (`locked_until`) and the runner's
//! name. On PostgreSQL the claim skips rows another server holds (`for update skip locked`);
//! SQLite has one writer, so the claim's transaction alone keeps two claims apart. A job's
//! effect on the database is saved in the same transaction that marks it done, so a crash
//! either leaves both undone (the lease expires and the job runs again) or both done.

use amends_core::audit::AuditContext;
use amends_core::due::{self, Loaded, Needs};
use amends_core::job::{FollowUpCheck, Job, Scheduled, UnreadableJob};
use amends_core::{events, follow_up, outcome, Timestamp};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::incident_reach::{mark_notice_failed, mark_notice_out};
use crate::incidents::hold_incident;
use crate::table::cases::{load_case, refresh_case};
use crate::table::jobs::insert_job;
use crate::table::promises::{load_promise, save_promise};
use crate::table::{notices, staff_mails};
use crate::{audit, Backend, Store, StoreError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its time.
    Pending,
    /// Claimed by a runner.
    Running,
    /// Finished.
    Done,
    /// Gave up after its last attempt.
    Failed,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(JobStatus::Pending),
            "running" => Some(JobStatus::Running),
            "done" => Some(JobStatus::Done),
            "failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }
}

/// A job to schedule by hand.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do, and when.
    pub work: Scheduled,
    /// How many attempts before it is marked failed.
    pub max_attempts: i64,
}

/// A job as stored.
#[derive(Debug, Clone)]
pub struct JobRecord {
    /// The job's id.
    pub id: i64,
    /// What to do.
    pub kind: String,
    /// Its arguments, as JSON.
    pub payload: String,
    /// Where it stands.
    pub status: JobStatus,
    /// When it is due (or due again, after a failed attempt).
    pub run_at: Timestamp,
    /// Attempts so far, counting the one under way.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The runner holding it.
    pub locked_by: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    run_at: i64,
    attempts: i64,
    max_attempts: i64,
    locked_by: Option<String>,
    last_error: Option<String>,
}

const JOB_COLUMNS: &str =
    "id, kind, payload, status, run_at, attempts, max_attempts, locked_by, last_error";

impl TryFrom<JobRow> for JobRecord {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<JobRecord, StoreError> {
        Ok(JobRecord {
            status: JobStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("job status {:?}", row.status)))?,
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            run_at: Timestamp(row.run_at),
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            locked_by: row.locked_by,
            last_error: row.last_error,
        })
    }
}

impl JobRecord {
    /// The work the stored kind and arguments name.
    pub fn work(&self) -> Result<Job, UnreadableJob> {
        Job::read(&self.kind, &self.payload)
    }
}

/// What finishing a job writes, in the transaction that marks it done.
#[derive(Debug, Clone)]
pub enum JobEffect {
    /// Nothing beyond marking it done.
    Nothing,
    /// The job's own rule, decided by the core on the records it names (a promise's reminder or
    /// due-time check, an agent's reminder on a case).
    Decided,
    /// A follow-up, asked through the survey page's address signed for the case.
    FollowUp {
        /// Which resolution to ask about.
        check: FollowUpCheck,
        /// The survey page's address.
        survey_url: String,
    },
    /// A notice went out by mail (or was kept in the local outbox).
    MailSent(crate::mail_log::MailSent),
    /// A staff mail (a password reset link) went out (or was kept in the local outbox).
    StaffMailSent(crate::table::staff_mails::StaffMailSent),
    /// An incident notice went out (or was kept in the local outbox) with this Message-ID.
    IncidentNoticeSent {
        /// The notice.
        notice_id: i64,
        /// Kept in the outbox rather than relayed.
        held: bool,
        /// Its Message-ID.
        message_id: String,
    },
    /// A resolved incident's follow-up is due: it is posted and sent to the affected, once.
    IncidentFollowUp(amends_core::job::FollowUpSend),
}

impl Store {
    /// Schedules a job; returns its id.
    pub async fn schedule_job(
        &self,
        job: &NewJob,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = insert_job(&mut tx, &job.work, job.max_attempts, context.at).await?;
        audit::record(&mut tx, context, &[events::job_scheduled(id)]).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Makes sure one job of `work`'s kind is waiting to run by `work.run_at`: a waiting one
    /// is brought forward to it when later, one running now is left to schedule the next, and
    /// otherwise `work` is scheduled. For the desk's own recurring work (the retention sweep),
    /// whichever server asks first.
    pub async fn ensure_job(
        &self,
        work: &Scheduled,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let kind = work.job.kind();
        let waiting: Vec<(i64, String, i64)> = sqlx::query_as(
            "select id, status, run_at from jobs where kind = $1 and status in ('pending', 'running') \
             order by id",
        )
        .bind(kind)
        .fetch_all(&mut *tx)
        .await?;
        match waiting.first() {
            Some((_, status, _)) if status == "running" => {}
            Some((id, _, run_at)) => {
                if *run_at > work.run_at.millis() {
                    sqlx::query("update jobs set run_at = $1, updated_at = $2 where id = $3")
                        .bind(work.run_at.millis())
                        .bind(context.at.millis())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            None => {
                let id = insert_job(&mut tx, work, crate::DEFAULT_ATTEMPTS, context.at).await?;
                audit::record(&mut tx, context, &[events::job_scheduled(id)]).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` due jobs for `runner`, holding each until `now + lease_millis`.
    /// Jobs whose runner's lease ran out are claimed again.
    pub async fn claim_due_jobs(
        &self,
        runner: &str,
        now: Timestamp,
        lease_millis: i64,
        limit: i64,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let skip_locked = match self.backend {
            Backend::Postgres => " for update skip locked",
            Backend::Sqlite => "",
        };
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "update jobs set status = 'running', attempts = attempts + 1, locked_until = $1, \
             locked_by = $2, updated_at = $3 where id in (select id from jobs where \
             (status = 'pending' and run_at <= $3) or (status = 'running' and locked_until <= $3) \
             order by run_at, id limit $4{skip_locked}) returning {JOB_COLUMNS}"
        ))
        .bind(now.millis() + lease_millis)
        .bind(runner)
        .bind(now.millis())
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        let mut jobs = rows
            .into_iter()
            .map(JobRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    /// Marks a claimed job done and writes its effect, both or neither. Fails with
    /// [`StoreError::Conflict`] when `runner` no longer holds the job (its lease ran out and
    /// another runner took it), and then writes nothing.
    pub async fn complete_job(
        &self,
        job: &JobRecord,
        runner: &str,
        effect: &JobEffect,
        context: &AuditContext,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let held = sqlx::query(
            "update jobs set status = 'done', locked_until = null, updated_at = $1 \
             where id = $2 and status = 'running' and locked_by = $3 and attempts = $4",
        )
        .bind(context.at.millis())
        .bind(job.id)
        .bind(runner)
        .bind(job.attempts)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                constraint: "job lease".to_owned(),
            });
        }
        match effect {
            JobEffect::Nothing => {}
            JobEffect::Decided => match job.work() {
                Ok(work) => decide(&mut tx, job.id, &work, context).await?,
                Err(unreadable) => return Err(StoreError::Corrupt(unreadable.to_string())),
            },
            JobEffect::FollowUp { check, survey_url } => {
                ask_follow_up(&mut tx, check, survey_url, context).await?
            }
            JobEffect::MailSent(sent) => {
                let out = notices::mark_out(
                    &mut tx,
                    sent.notice_id,
                    sent.held,
                    &sent.message_id,
                    &sent.mail,
                    context.at,
                )
                .await?;
                if out {
                    let event = events::notice_went_out(sent.notice_id, sent.held);
                    audit::record(&mut tx, context, &[event]).await?;
                }
            }
            JobEffect::StaffMailSent(sent) => {
                staff_mails::mark_out(&mut tx, sent, context.at).await?
            }
            JobEffect::IncidentNoticeSent {
                notice_id,
                held,
                message_id,
            } => {
                mark_notice_out(&mut tx, *notice_id, *held, message_id, context.at).await?;
            }
            JobEffect::IncidentFollowUp(send) => {
                let body = amends_core::wording::INCIDENT_FOLLOW_UP;
                crate::incidents::follow_up(&mut tx, *send, body, context).await?
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: the job waits until `retry_at`, or is marked failed when
    /// `retry_at` is `None` (no attempts left, or a failure that retrying cannot mend).
    pub async fn fail_job(
        &self,
        job: &JobRecord,
        runner: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (status, run_at) = match retry_at {
            Some(at) => ("pending", at.millis()),
            None => ("failed", job.run_at.millis()),
        };
        let mut tx = self.write.begin().await?;
        let held = sqlx::query(
            "update jobs set status = $1, run_at = $2, last_error = $3, locked_until = null, \
             updated_at = $4 where id = $5 and locked_by = $6 and attempts = $7",
        )
        .bind(status)
        .bind(run_at)
        .bind(error)
        .bind(now.millis())
        .bind(job.id)
        .bind(runner)
        .bind(job.attempts)
        .execute(&mut *tx)
        .await?;
        // A mail that could not be sent says why on its notice, and a last failure tells a
        // person, in the same transaction.
        if held.rows_affected() == 1 {
            match job.work() {
                Ok(Job::MailSend(send)) => {
                    let last = retry_at.is_none();
                    notice_failed(&mut tx, send.notice_id, error, last, now).await?;
                }
                Ok(Job::IncidentNotice(send)) => {
                    let last = retry_at.is_none();
                    mark_notice_failed(&mut tx, send.notice_id, error, last, now).await?;
                }
                Ok(Job::SocialSend(send)) if retry_at.is_none() => {
                    reply_failed(&mut tx, send.message_id, error, now).await?;
                }
                _ => {}
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Jobs in any of `statuses`, soonest first, at most `limit`.
    pub async fn jobs(
        &self,
        statuses: &[JobStatus],
        limit: i64,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "select {JOB_COLUMNS} from jobs where status in ($1, $2, $3, $4) order by run_at, id limit $5"
        ))
        .bind(names.first().copied().unwrap_or(""))
        .bind(names.get(1).copied().unwrap_or(""))
        .bind(names.get(2).copied().unwrap_or(""))
        .bind(names.get(3).copied().unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(JobRecord::try_from).collect()
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<JobRecord, StoreError> {
        let row: JobRow = sqlx::query_as(&format!("select {JOB_COLUMNS} from jobs where id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        JobRecord::try_from(row)
    }
}

/// Runs a due job that only decides: loads the record the core says it needs, lets the core
/// decide, saves the promise it changed and applies the outcome. No arm per kind: a kind of
/// this sort is added in the core alone.
async fn decide(
    conn: &mut AnyConnection,
    job_id: i64,
    work: &Job,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let loaded = match due::needs(work) {
        // The server runs (and completes) the jobs that talk to the world.
        None => return Ok(()),
        Some(Needs::Nothing) => Loaded::Nothing,
        Some(Needs::Promise(id)) => Loaded::Promise(load_promise(conn, id, false).await?),
        Some(Needs::Incident(id)) => Loaded::Incident(hold_incident(conn, id, context.at).await?),
    };
    let Some(decision) = due::decide(work, job_id, loaded, context.at) else {
        return Ok(());
    };
    if let Some(promise) = &decision.promise {
        save_promise(conn, promise).await?;
        refresh_case(conn, promise.case_id, context.at).await?;
    }
    apply(conn, context, decision.outcome).await?;
    Ok(())
}

/// The follow-up: when the core finds the case still resolved from the same resolution, the
/// survey is recorded once and the customer asked.
async fn ask_follow_up(
    conn: &mut AnyConnection,
    check: &FollowUpCheck,
    survey_url: &str,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let case = load_case(conn, check.case_id, false).await?;
    let Some(outcome) = follow_up::ask(&case, check, survey_url) else {
        return Ok(());
    };
    let inserted = sqlx::query(
        "insert into surveys (case_id, resolved_at, created_at, updated_at) \
         values ($1, $2, $3, $3) on conflict (case_id, resolved_at) do nothing",
    )
    .bind(case.id)
    .bind(check.resolved_at)
    .bind(context.at.millis())
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 1 {
        apply(conn, context, outcome).await?;
    }
    Ok(())
}

/// Records why sending a notice failed; when it failed for good, the case's owner (or someone
/// in charge) hears that the customer did not get it.
/// A reply through a messaging app failed for good: its case's owner hears why.
async fn reply_failed(
    conn: &mut AnyConnection,
    message_id: i64,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let found: Option<(i64, Option<String>)> = sqlx::query_as(
        "select messages.case_id, social_routes.via from messages \
         left join social_routes on social_routes.case_id = messages.case_id \
         where messages.id = $1",
    )
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((case_id, via)) = found else {
        return Ok(());
    };
    let case = load_case(conn, case_id, false).await?;
    let via = via.as_deref().unwrap_or("its messaging app");
    let effect = outcome::reply_failed(case.id, case.owner_id, via, reason);
    let context = AuditContext {
        actor: amends_core::Actor::System,
        at: now,
        remote_addr: None,
    };
    apply(conn, &context, outcome::Outcome::default().and(effect)).await?;
    Ok(())
}

async fn notice_failed(
    conn: &mut AnyConnection,
    notice_id: i64,
    reason: &str,
    last: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let changed = notices::mark_failed(conn, notice_id, reason, last, now).await?;
    if last && changed {
        let notice = notices::load_notice(conn, notice_id).await?;
        let case = load_case(conn, notice.case_id, false).await?;
        let effect = outcome::notice_failed(
            case.id,
            case.owner_id,
            &notice.subject,
            notice.to_address.as_deref(),
            reason,
        );
        let context = AuditContext {
            actor: amends_core::Actor::System,
            at: now,
            remote_addr: None,
        };
        apply(
            conn,
            &context,
            amends_core::outcome::Outcome::default().and(effect),
        )
        .await?;
    }
    Ok(())
}
