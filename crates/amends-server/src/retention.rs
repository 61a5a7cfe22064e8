//! The desk's retention rule: the content of cases closed more than N months ago is erased by
//! a durable job that runs once a day (and at once when an admin changes the rule). Without a
//! rule, nothing is erased.

use amends_core::audit::{Actor, AuditContext};
use amends_core::job::{
    retention_cutoff, Job, RetentionSweep, Scheduled, RETENTION_SWEEP_EVERY_MILLIS,
};
use amends_core::Timestamp;
use amends_store::{NewJob, StoreError};

use crate::AppState;

/// The desk setting: months a closed case keeps its content; absent or empty, for ever.
pub(crate) const RETENTION_SETTING: &str = "retention_months";
/// Cases erased per transaction, so a first sweep over years of cases never holds the writer
/// long.
const BATCH: i64 = 200;

/// Months a closed case keeps its content, when the desk has a rule.
pub(crate) async fn retention_months(state: &AppState) -> Result<Option<i64>, StoreError> {
    let stored = state.store.desk_setting(RETENTION_SETTING).await?;
    Ok(stored
        .and_then(|months| months.parse().ok())
        .filter(|m| *m > 0))
}

fn system(at: Timestamp) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at,
        remote_addr: None,
    }
}

/// Makes sure a sweep will run by `at` (when the desk starts, and when the rule changes).
pub(crate) async fn sweep_by(state: &AppState, at: Timestamp) -> Result<(), StoreError> {
    let work = Scheduled {
        job: Job::RetentionSweep(RetentionSweep {}),
        run_at: at,
    };
    state
        .store
        .ensure_job(&work, &system(state.clock.now()))
        .await
}

/// Applies the rule at `now`, then schedules the next sweep a day later; answers how many
/// cases' content went.
pub(crate) async fn sweep(state: &AppState, now: Timestamp) -> Result<i64, StoreError> {
    let mut erased = 0;
    if let Some(months) = retention_months(state).await? {
        let cutoff = retention_cutoff(now, months);
        loop {
            let batch = state
                .store
                .erase_closed_cases(cutoff, BATCH, &system(now))
                .await?;
            erased += batch.cases;
            if batch.cases < BATCH {
                break;
            }
        }
    }
    let next = NewJob {
        work: Scheduled {
            job: Job::RetentionSweep(RetentionSweep {}),
            run_at: now.plus_millis(RETENTION_SWEEP_EVERY_MILLIS),
        },
        max_attempts: amends_store::DEFAULT_ATTEMPTS,
    };
    state.store.schedule_job(&next, &system(now)).await?;
    if erased > 0 {
        tracing::info!(
            cases = erased,
            "the retention rule erased closed cases' content"
        );
    }
    Ok(erased)
}
