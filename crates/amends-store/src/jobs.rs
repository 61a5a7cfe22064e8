//! Durable jobs: work that must happen later and must not be lost or done twice.
//!
//! A job is claimed by moving it to `running` with a lease (`locked_until`) and the runner's
//! name. On PostgreSQL the claim skips rows another server holds (`for update skip locked`);
//! SQLite has one writer, so the claim's transaction alone keeps two claims apart. A job's
//! effect on the database is saved in the same transaction that marks it done, so a crash
//! either leaves both undone (the lease expires and the job runs again) or both done.

use amends_core::audit::{AuditContext, RecordKind};
use amends_core::{AuditEvent, Direction, Timestamp};

use crate::cases::{insert_message, load_case, NewMessage};
use crate::{audit, Backend, Store, StoreError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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

/// A job to schedule.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do, such as `case.reminder`.
    pub kind: String,
    /// Its arguments, as JSON.
    pub payload: String,
    /// Not before this instant.
    pub run_at: Timestamp,
    /// How many attempts before it is marked failed.
    pub max_attempts: i64,
}

/// A job as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
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

impl TryFrom<JobRow> for Job {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Job, StoreError> {
        Ok(Job {
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

/// What finishing a job writes, in the transaction that marks it done.
#[derive(Debug, Clone)]
pub enum JobEffect {
    /// Nothing beyond marking it done.
    Nothing,
    /// An internal note on a case, such as a reminder coming due.
    Note {
        /// The case.
        case_id: i64,
        /// The note's text.
        body: String,
    },
    /// Reminds a promise's owner that it is coming due (when it still is, at that time).
    PromiseReminder(PromiseCheck),
    /// Marks a promise broken when its time has come and it was not kept, and tells the
    /// owner's supervisor.
    PromiseDue(PromiseCheck),
    /// A notice went out by mail (or was kept in the local outbox).
    MailSent(crate::mail::MailSent),
    /// A staff mail (a password reset link) went out (or was kept in the local outbox).
    StaffMailSent(crate::resets::StaffMailSent),
    /// Asks the customer, through a signed link, whether they are satisfied.
    FollowUp {
        /// Which resolution to ask about.
        check: FollowUpCheck,
        /// The survey page's address, signed for this case.
        survey_url: String,
    },
}

/// A job kind that reminds a promise's owner ahead of its due time.
pub const PROMISE_REMINDER: &str = "promise.reminder";
/// A job kind that breaks a promise not kept by its due time.
pub const PROMISE_DUE: &str = "promise.due";
/// A job kind that follows a resolved case up with a satisfaction survey.
pub const FOLLOW_UP: &str = "case.follow_up";

/// Which promise, at which due time: a check scheduled before an extension finds a different
/// due time and does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PromiseCheck {
    /// The promise.
    pub promise_id: i64,
    /// Its due time when the check was scheduled, epoch milliseconds.
    pub due_at: i64,
}

/// Which case, resolved when: a case reopened and resolved again gets its own follow-up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FollowUpCheck {
    /// The case.
    pub case_id: i64,
    /// When it was resolved, epoch milliseconds.
    pub resolved_at: i64,
    /// A thank-you or goodwill gesture to mention in the follow-up, in the agent's words.
    #[serde(default)]
    pub gesture: Option<String>,
}

/// Inserts a pending job in the caller's transaction; returns its id.
pub(crate) async fn insert_job(
    conn: &mut sqlx::AnyConnection,
    kind: &str,
    payload: &str,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "insert into jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) \
         values ($1, $2, 'pending', $3, $4, $5, $5) returning id",
    )
    .bind(kind)
    .bind(payload)
    .bind(run_at.millis())
    .bind(DEFAULT_ATTEMPTS)
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Attempts a job scheduled by the store itself gets before it is marked failed.
pub const DEFAULT_ATTEMPTS: i64 = 10;

impl Store {
    /// Schedules a job; returns its id.
    pub async fn schedule_job(
        &self,
        job: &NewJob,
        context: &AuditContext,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into jobs (kind, payload, status, run_at, max_attempts, created_at, updated_at) \
             values ($1, $2, 'pending', $3, $4, $5, $5) returning id",
        )
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(job.run_at.millis())
        .bind(job.max_attempts)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let event = AuditEvent::new("job.scheduled", RecordKind::Job, id);
        audit::record(&mut tx, context, &[event]).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due jobs for `runner`, holding each until `now + lease_millis`.
    /// Jobs whose runner's lease ran out are claimed again.
    pub async fn claim_due_jobs(
        &self,
        runner: &str,
        now: Timestamp,
        lease_millis: i64,
        limit: i64,
    ) -> Result<Vec<Job>, StoreError> {
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
            .map(Job::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    /// Marks a claimed job done and writes its effect, both or neither. Fails with
    /// [`StoreError::Conflict`] when `runner` no longer holds the job (its lease ran out and
    /// another runner took it), and then writes nothing.
    pub async fn complete_job(
        &self,
        job: &Job,
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
        if let JobEffect::Note { case_id, body } = effect {
            let case = load_case(&mut tx, *case_id, false).await?;
            let note = NewMessage {
                direction: Direction::Note,
                channel: case.channel,
                author_id: None,
                body: body.clone(),
                body_html: None,
                external_id: Some(format!("job:{}", job.id)),
                reading: None,
            };
            let message = insert_message(&mut tx, *case_id, &note, context.at).await?;
            let event = AuditEvent::new("note.added", RecordKind::Message, message.id);
            audit::record(&mut tx, context, &[event]).await?;
        }
        match effect {
            JobEffect::Nothing | JobEffect::Note { .. } => {}
            JobEffect::PromiseReminder(check) => {
                crate::promises::remind(&mut tx, *check, context).await?
            }
            JobEffect::PromiseDue(check) => {
                crate::promises::break_if_due(&mut tx, *check, context).await?
            }
            JobEffect::FollowUp { check, survey_url } => {
                crate::surveys::follow_up(&mut tx, check, survey_url, context).await?
            }
            JobEffect::MailSent(sent) => crate::mail::mark_sent(&mut tx, sent, context).await?,
            JobEffect::StaffMailSent(sent) => {
                crate::resets::mark_staff_mail_sent(&mut tx, sent, context.at).await?
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt: the job waits until `retry_at`, or is marked failed when
    /// `retry_at` is `None` (no attempts left, or a failure that retrying cannot mend).
    pub async fn fail_job(
        &self,
        job: &Job,
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
        if held.rows_affected() == 1 && job.kind == crate::mail::MAIL_SEND {
            if let Ok(send) = serde_json::from_str::<crate::mail::MailSend>(&job.payload) {
                let last = retry_at.is_none();
                crate::mail::mark_failed(&mut tx, send.notice_id, error, last, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Jobs in any of `statuses`, soonest first, at most `limit`.
    pub async fn jobs(&self, statuses: &[JobStatus], limit: i64) -> Result<Vec<Job>, StoreError> {
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
        rows.into_iter().map(Job::try_from).collect()
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Job, StoreError> {
        let row: JobRow = sqlx::query_as(&format!("select {JOB_COLUMNS} from jobs where id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound("job"))?;
        Job::try_from(row)
    }
}
