//! What a [`Job`] does when it comes due, for every kind that only decides on the desk's own
//! records: which record it reads ([`needs`]) and what then happens ([`decide`]). The store
//! loads what a job needs, asks [`decide`], saves the changed record and applies the outcome; it
//! has no arm per kind, so a new kind of this sort is added here and in [`Job`] only.
//!
//! The kinds that talk to the world (sending mail, asking a survey by signed link) answer
//! `None` from [`needs`]: the server runs them and tells the store what was sent.

use crate::incident::Incident;
use crate::job::Job;
use crate::outcome::Outcome;
use crate::promise::Promise;
use crate::{conversation, incident, promise, Timestamp};

/// The record a due job reads before it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: the job's arguments are enough.
    Nothing,
    /// The promise with this id, as it stands now.
    Promise(i64),
    /// The incident with this id, as it stands now.
    Incident(i64),
}

/// The record a job asked for, loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// The job needed nothing.
    Nothing,
    /// The promise it named.
    Promise(Promise),
    /// The incident it named.
    Incident(Incident),
}

/// A due job decided: what happens, and the promise it changed (to be saved, and its case's
/// queue standing refreshed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Events and effects to apply.
    pub outcome: Outcome,
    /// The promise as it now stands, when the job read one.
    pub promise: Option<Promise>,
}

/// What a due job reads, or `None` for a job the server runs (it talks to the world).
pub fn needs(job: &Job) -> Option<Needs> {
    match job {
        Job::PromiseReminder(check) | Job::PromiseDue(check) => {
            Some(Needs::Promise(check.promise_id))
        }
        Job::CaseReminder(_) => Some(Needs::Nothing),
        Job::IncidentUpdateDue(check) => Some(Needs::Incident(check.incident_id)),
        Job::FollowUp(_)
        | Job::IncidentNotice(_)
        | Job::IncidentFollowUp(_)
        | Job::MailSend(_)
        | Job::StaffMail(_)
        | Job::SocialSend(_)
        | Job::RetentionSweep(_) => None,
    }
}

/// What happens when job `job_id` comes due at `now` with the record it needed; `None` when the
/// record has moved on (kept, extended, already broken) and nothing is to be done.
pub fn decide(job: &Job, job_id: i64, loaded: Loaded, now: Timestamp) -> Option<Decision> {
    match (job, loaded) {
        (Job::PromiseReminder(check), Loaded::Promise(current)) => {
            let outcome = promise::remind(&current, *check)?;
            Some(Decision {
                outcome,
                promise: Some(current),
            })
        }
        (Job::PromiseDue(check), Loaded::Promise(current)) => {
            let (broken, outcome) = promise::break_and_tell(&current, *check, now)?;
            Some(Decision {
                outcome,
                promise: Some(broken),
            })
        }
        (Job::CaseReminder(reminder), Loaded::Nothing) => Some(Decision {
            outcome: conversation::reminder_due(reminder.case_id, &reminder.note, job_id),
            promise: None,
        }),
        (Job::IncidentUpdateDue(check), Loaded::Incident(current)) => Some(Decision {
            outcome: incident::update_late(&current, *check)?,
            promise: None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{CaseReminder, PromiseCheck};
    use crate::outcome::{AlertKind, Effect};
    use crate::promise::{PromiseKind, PromiseState};

    fn promise(due_at: i64, state: PromiseState) -> Promise {
        Promise {
            id: 4,
            case_id: 9,
            owner_id: 2,
            kind: PromiseKind::CallBack,
            description: "call Ann back".to_owned(),
            due_at: Timestamp(due_at),
            state,
            extensions: 0,
            kept_at: None,
            broken_at: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn a_due_check_breaks_a_live_promise_once_and_a_moved_one_not_at_all() {
        let check = PromiseCheck {
            promise_id: 4,
            due_at: 1_000,
        };
        let job = Job::PromiseDue(check);
        assert_eq!(needs(&job), Some(Needs::Promise(4)));
        let live = Loaded::Promise(promise(1_000, PromiseState::Open));
        let decision = decide(&job, 1, live, Timestamp(1_000)).unwrap();
        let broken = decision.promise.unwrap();
        assert_eq!(broken.state, PromiseState::Broken);
        assert!(decision.outcome.effects.iter().any(|effect| matches!(
            effect,
            Effect::Alert {
                kind: AlertKind::PromiseBroken,
                ..
            }
        )));
        // Broken already, or extended to another due time: the check does nothing.
        assert_eq!(
            decide(&job, 1, Loaded::Promise(broken), Timestamp(1_000)),
            None
        );
        let extended = Loaded::Promise(promise(5_000, PromiseState::Extended));
        assert_eq!(decide(&job, 1, extended, Timestamp(1_000)), None);
    }

    #[test]
    fn a_reminder_writes_its_note_and_jobs_that_talk_to_the_world_are_not_decided_here() {
        let job = Job::CaseReminder(CaseReminder {
            case_id: 9,
            note: "ring the courier".to_owned(),
        });
        assert_eq!(needs(&job), Some(Needs::Nothing));
        let decision = decide(&job, 12, Loaded::Nothing, Timestamp(0)).unwrap();
        assert_eq!(decision.promise, None);
        assert!(matches!(
            &decision.outcome.effects[..],
            [Effect::Write { case_id: 9, external_id: Some(id), .. }] if id == "job:12"
        ));
        let mail = Job::MailSend(crate::job::MailSend { notice_id: 1 });
        assert_eq!(needs(&mail), None);
        assert_eq!(decide(&mail, 1, Loaded::Nothing, Timestamp(0)), None);
    }
}
