//! Running durable jobs: one batch by [`run_due_jobs`], and the loop that calls it until the
//! server shuts down. A job's database effect is saved with its completion in one transaction,
//! so a job is done once even if a runner dies or several servers share the database.

use std::time::Duration;

use amends_core::audit::{Actor, AuditContext};
use amends_core::retry::retry_delay_millis;
use amends_core::Timestamp;
use amends_store::{FollowUpCheck, Job, JobEffect, PromiseCheck, StoreError};
use amends_store::{FOLLOW_UP, MAIL_SEND, PROMISE_DUE, PROMISE_REMINDER, STAFF_MAIL};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::links::Purpose;
use crate::mail::SendFailure;
use crate::AppState;

/// The job kind that writes a reminder note on a case.
pub const REMINDER: &str = "case.reminder";

/// The arguments of a [`REMINDER`] job.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReminderPayload {
    /// The case.
    pub case_id: i64,
    /// What to be reminded of.
    pub note: String,
}

const BATCH: i64 = 32;

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobOutcome {
    /// Jobs done.
    pub done: usize,
    /// Jobs that failed and will be tried again.
    pub retrying: usize,
    /// Jobs that failed for good.
    pub failed: usize,
}

impl JobOutcome {
    /// Jobs touched in the batch.
    pub fn total(self) -> usize {
        self.done + self.retrying + self.failed
    }
}

enum Failure {
    /// Worth trying again later.
    Temporary(String),
    /// Trying again cannot help (an unknown kind, a payload that does not parse).
    Permanent(String),
}

fn payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, Failure> {
    serde_json::from_str(&job.payload).map_err(|e| Failure::Permanent(format!("bad payload: {e}")))
}

async fn effect_of(state: &AppState, job: &Job) -> Result<JobEffect, Failure> {
    match job.kind.as_str() {
        MAIL_SEND => match crate::mail::send_notice(state, job).await {
            Ok(Some(sent)) => Ok(JobEffect::MailSent(sent)),
            Ok(None) => Ok(JobEffect::Nothing),
            Err(SendFailure::Temporary(why)) => Err(Failure::Temporary(why)),
            Err(SendFailure::Permanent(why)) => Err(Failure::Permanent(why)),
        },
        STAFF_MAIL => match crate::mail::send_staff_mail(state, job).await {
            Ok(Some(sent)) => Ok(JobEffect::StaffMailSent(sent)),
            Ok(None) => Ok(JobEffect::Nothing),
            Err(SendFailure::Temporary(why)) => Err(Failure::Temporary(why)),
            Err(SendFailure::Permanent(why)) => Err(Failure::Permanent(why)),
        },
        REMINDER => {
            let payload: ReminderPayload = payload(job)?;
            Ok(JobEffect::Note {
                case_id: payload.case_id,
                body: format!("Reminder: {}", payload.note),
            })
        }
        PROMISE_REMINDER => Ok(JobEffect::PromiseReminder(payload::<PromiseCheck>(job)?)),
        PROMISE_DUE => Ok(JobEffect::PromiseDue(payload::<PromiseCheck>(job)?)),
        FOLLOW_UP => {
            let check: FollowUpCheck = payload(job)?;
            let survey_url = state.customer_link("survey", check.case_id, Purpose::Survey);
            Ok(JobEffect::FollowUp { check, survey_url })
        }
        other => Err(Failure::Permanent(format!("unknown job kind {other:?}"))),
    }
}

fn lease_millis(state: &AppState) -> i64 {
    i64::try_from(state.settings.job_lease.as_millis()).unwrap_or(i64::MAX)
}

/// Claims and runs one batch of due jobs as `runner` at `now`.
pub async fn run_due_jobs(
    state: &AppState,
    runner: &str,
    now: Timestamp,
) -> Result<JobOutcome, StoreError> {
    let store = &state.store;
    let jobs = store
        .claim_due_jobs(runner, now, lease_millis(state), BATCH)
        .await?;
    let mut outcome = JobOutcome::default();
    let context = AuditContext {
        actor: Actor::System,
        at: now,
        remote_addr: None,
    };
    for job in jobs {
        let result = match effect_of(state, &job).await {
            Ok(effect) => match store.complete_job(&job, runner, &effect, &context).await {
                Ok(()) => Ok(()),
                // Another runner took the job over after our lease ran out; it will finish it.
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotFound(what)) => {
                    Err(Failure::Permanent(format!("{what} not found")))
                }
                Err(error) => Err(Failure::Temporary(error.to_string())),
            },
            Err(failure) => Err(failure),
        };
        match result {
            Ok(()) => outcome.done += 1,
            Err(Failure::Temporary(reason)) if job.attempts < job.max_attempts => {
                let retry_at = now.plus_millis(retry_delay_millis(job.attempts));
                store
                    .fail_job(&job, runner, &reason, Some(retry_at), now)
                    .await?;
                tracing::warn!(job = job.id, kind = %job.kind, %reason, "job will be retried");
                outcome.retrying += 1;
            }
            Err(Failure::Temporary(reason) | Failure::Permanent(reason)) => {
                store.fail_job(&job, runner, &reason, None, now).await?;
                tracing::error!(job = job.id, kind = %job.kind, %reason, "job failed");
                outcome.failed += 1;
            }
        }
    }
    Ok(outcome)
}

/// Runs due jobs every `poll` until `shutdown` turns true; a batch under way is finished first.
pub async fn run_jobs(
    state: AppState,
    runner: String,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(%runner, "job runner started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        match run_due_jobs(&state, &runner, state.clock.now()).await {
            // A full batch means more may be waiting: go again without pausing.
            Ok(outcome) if outcome.total() as i64 >= BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "claiming jobs failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!(%runner, "job runner stopped");
}
