//! Running durable jobs: one batch by [`run_due_jobs`], and the loop that calls it until the
//! server shuts down. A job's database effect is saved with its completion in one transaction,
//! so a job is done once even if a runner dies or several servers share the database.

use std::time::Duration;

use amends_core::audit::{Actor, AuditContext};
use amends_core::job::Job;
use amends_core::retry::retry_delay_millis;
use amends_core::Timestamp;
use amends_store::{JobEffect, JobRecord, StoreError};
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::links::Purpose;
use crate::mailroom::SendFailure;
use crate::AppState;

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

fn sent<T>(
    result: Result<Option<T>, SendFailure>,
    done: fn(T) -> JobEffect,
) -> Result<JobEffect, Failure> {
    match result {
        Ok(Some(sent)) => Ok(done(sent)),
        Ok(None) => Ok(JobEffect::Nothing),
        Err(SendFailure::Temporary(why)) => Err(Failure::Temporary(why)),
        Err(SendFailure::Permanent(why)) => Err(Failure::Permanent(why)),
    }
}

/// What a job does: the jobs that talk to the world are done here and say what to save; the
/// rest are decided by the core on their records when the store completes them.
async fn effect_of(state: &AppState, job: &JobRecord) -> Result<JobEffect, Failure> {
    let work = job
        .work()
        .map_err(|unreadable| Failure::Permanent(unreadable.to_string()))?;
    match work {
        Job::MailSend(send) => sent(
            crate::mailroom::send_notice(state, send).await,
            JobEffect::MailSent,
        ),
        Job::StaffMail(send) => sent(
            crate::mailroom::send_staff_mail(state, send).await,
            JobEffect::StaffMailSent,
        ),
        Job::SocialSend(send) => sent(
            crate::messaging::send_reply(state, send).await,
            |sent: String| {
                tracing::info!(provider_id = %sent, "reply sent through its messaging app");
                JobEffect::Nothing
            },
        ),
        Job::IncidentNotice(send) => sent(crate::incidents::send_notice(state, send).await, |e| e),
        Job::IncidentFollowUp(send) => Ok(JobEffect::IncidentFollowUp(send)),
        Job::RetentionSweep(_) => crate::retention::sweep(state, state.clock.now())
            .await
            .map(|_| JobEffect::Nothing)
            .map_err(|error| Failure::Temporary(error.to_string())),
        Job::FollowUp(check) => {
            let survey_url = state.customer_link("survey", check.case_id, Purpose::Survey);
            Ok(JobEffect::FollowUp { check, survey_url })
        }
        // Every other kind only decides on the desk's records (`amends_core::due`); the store
        // does that when it completes the job, so a new kind of that sort needs no arm here.
        _ => Ok(JobEffect::Decided),
    }
}

fn lease_millis(state: &AppState) -> i64 {
    i64::try_from(state.settings.job_lease.as_millis()).unwrap_or(i64::MAX)
}

/// How many incident notices of one batch are mailed at once: a fan-out to thousands of
/// customers waits on the relay's round trips, not on the desk. Other jobs run one at a time,
/// in order (two replies on one case must leave in the order they were written).
const PARALLEL_NOTICES: usize = 8;

/// Saves what running `job` gave: its effect with its completion, or the failure and when to
/// try again.
async fn finish(
    state: &AppState,
    runner: &str,
    job: &JobRecord,
    result: Result<JobEffect, Failure>,
    context: &AuditContext,
    outcome: &mut JobOutcome,
) -> Result<(), StoreError> {
    let store = &state.store;
    let now = context.at;
    let result = match result {
        Ok(effect) => match store.complete_job(job, runner, &effect, context).await {
            Ok(()) => Ok(()),
            // Another runner took the job over after our lease ran out; it will finish it.
            Err(StoreError::Conflict { .. }) => return Ok(()),
            Err(StoreError::NotFound(what)) => Err(Failure::Permanent(format!("{what} not found"))),
            Err(error) => Err(Failure::Temporary(error.to_string())),
        },
        Err(failure) => Err(failure),
    };
    match result {
        Ok(()) => outcome.done += 1,
        Err(Failure::Temporary(reason)) if job.attempts < job.max_attempts => {
            let retry_at = now.plus_millis(retry_delay_millis(job.attempts));
            store
                .fail_job(job, runner, &reason, Some(retry_at), now)
                .await?;
            tracing::warn!(job = job.id, kind = %job.kind, %reason, "job will be retried");
            outcome.retrying += 1;
        }
        Err(Failure::Temporary(reason) | Failure::Permanent(reason)) => {
            store.fail_job(job, runner, &reason, None, now).await?;
            tracing::error!(job = job.id, kind = %job.kind, %reason, "job failed");
            outcome.failed += 1;
        }
    }
    Ok(())
}

/// Claims and runs one batch of due jobs as `runner` at `now`.
pub async fn run_due_jobs(
    state: &AppState,
    runner: &str,
    now: Timestamp,
) -> Result<JobOutcome, StoreError> {
    let jobs = state
        .store
        .claim_due_jobs(runner, now, lease_millis(state), BATCH)
        .await?;
    let mut outcome = JobOutcome::default();
    let context = AuditContext {
        actor: Actor::System,
        at: now,
        remote_addr: None,
    };
    let (notices, others): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|job| matches!(job.work(), Ok(Job::IncidentNotice(_))));
    for job in others {
        let result = effect_of(state, &job).await;
        finish(state, runner, &job, result, &context, &mut outcome).await?;
    }
    let mut sending = futures_util::stream::iter(notices.into_iter().map(|job| async move {
        let result = effect_of(state, &job).await;
        (job, result)
    }))
    .buffer_unordered(PARALLEL_NOTICES);
    while let Some((job, result)) = sending.next().await {
        finish(state, runner, &job, result, &context, &mut outcome).await?;
    }
    if outcome.done > 0 {
        // A job may have changed a case (a promise broken, a reminder): consoles read again.
        state.live.desk_changed();
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
    // The retention rule's daily sweep: whichever server starts first schedules it.
    if let Err(error) = crate::retention::sweep_by(&state, state.clock.now()).await {
        tracing::error!(%error, "the retention sweep could not be scheduled");
    }
    loop {
        if *shutdown.borrow() {
            break;
        }
        match run_due_jobs(&state, &runner, state.clock.now()).await {
            // A full batch means more may be waiting: go again without pausing.
            Ok(outcome) if i64::try_from(outcome.total()).is_ok_and(|n| n >= BATCH) => continue,
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
