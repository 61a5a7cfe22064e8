//! Work the desk must do later, as one serde-tagged [`Job`]: every kind the desk schedules and
//! the arguments it carries. A job is stored as its kind (`promise.due`) and its arguments as
//! JSON, so the durable jobs table needs no change when a kind is added here.
//!
//! Jobs carry the state they were scheduled for (a promise's due time, a case's resolution
//! time); a job that finds its record moved on does nothing, so an extension or a reopening
//! never needs to cancel one.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Which promise, at which due time: a check scheduled before an extension finds a different
/// due time and does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseCheck {
    /// The promise.
    pub promise_id: i64,
    /// Its due time when the check was scheduled, epoch milliseconds.
    pub due_at: i64,
}

/// Which case, resolved when: a case reopened and resolved again gets its own follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpCheck {
    /// The case.
    pub case_id: i64,
    /// When it was resolved, epoch milliseconds.
    pub resolved_at: i64,
    /// A thank-you or goodwill gesture to mention in the follow-up, in the agent's words.
    #[serde(default)]
    pub gesture: Option<String>,
}

/// A reminder an agent set on a case: a note lands on the case at its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseReminder {
    /// The case.
    pub case_id: i64,
    /// What to be reminded of.
    pub note: String,
}

/// One notice to send by mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSend {
    /// The notice to send.
    pub notice_id: i64,
}

/// One mail to a member of staff (a password reset link) to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMailSend {
    /// The mail to send.
    pub staff_mail_id: i64,
}

/// One reply on a messaging app to send through its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialSend {
    /// The agent's message on the case.
    pub message_id: i64,
}

/// The check of an incident's promised update: which incident, at which promised time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCheck {
    /// The incident.
    pub incident_id: i64,
    /// The promised time when the check was scheduled.
    pub due_at: i64,
}

/// One update to one customer to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSend {
    /// The incident notice.
    pub notice_id: i64,
}

/// The follow-up of a resolved incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpSend {
    /// The incident.
    pub incident_id: i64,
}

/// The desk's retention rule applied: the content of cases closed longer ago than the rule
/// keeps is erased, then the next sweep is scheduled a day later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RetentionSweep {}

/// How often the retention rule is applied.
pub const RETENTION_SWEEP_EVERY_MILLIS: i64 = 86_400_000;

/// The instant `months` calendar months before `now` (UTC): cases closed before it are past
/// the retention rule.
pub fn retention_cutoff(now: Timestamp, months: i64) -> Timestamp {
    let zoned = jiff::Timestamp::from_millisecond(now.millis())
        .ok()
        .map(|at| at.to_zoned(jiff::tz::TimeZone::UTC));
    zoned
        .and_then(|at| at.checked_sub(jiff::Span::new().months(months)).ok())
        .map_or(Timestamp(i64::MIN), |at| {
            Timestamp(at.timestamp().as_millisecond())
        })
}

/// Every kind of work the desk schedules. The tag is the stored kind; the content the stored
/// arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Job {
    /// Reminds a promise's owner ahead of its due time (and a customer of a call-back).
    #[serde(rename = "promise.reminder")]
    PromiseReminder(PromiseCheck),
    /// Breaks a promise not kept by its due time.
    #[serde(rename = "promise.due")]
    PromiseDue(PromiseCheck),
    /// Asks the customer of a resolved case how it went.
    #[serde(rename = "case.follow_up")]
    FollowUp(FollowUpCheck),
    /// Writes an agent's reminder on a case.
    #[serde(rename = "case.reminder")]
    CaseReminder(CaseReminder),
    /// Sends one notice to a customer by mail.
    #[serde(rename = "mail.send")]
    MailSend(MailSend),
    /// Sends one mail to a member of staff.
    #[serde(rename = "staff_mail.send")]
    StaffMail(StaffMailSend),
    /// Sends one reply through a messaging app.
    #[serde(rename = "social.send")]
    SocialSend(SocialSend),
    /// Applies the retention rule.
    #[serde(rename = "retention.sweep")]
    RetentionSweep(RetentionSweep),
    /// Sends one incident update to one affected customer.
    #[serde(rename = "incident.notice")]
    IncidentNotice(NoticeSend),
    /// Alerts someone in charge when an incident's promised update did not come.
    #[serde(rename = "incident.update_due")]
    IncidentUpdateDue(UpdateCheck),
    /// Asks the customers of a resolved incident whether it is fixed for them.
    #[serde(rename = "incident.follow_up")]
    IncidentFollowUp(FollowUpSend),
}

/// A stored job's kind or arguments do not make a [`Job`]; retrying cannot mend it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job {kind:?} cannot be read: {reason}")]
pub struct UnreadableJob {
    /// The stored kind.
    pub kind: String,
    /// Why it cannot be read.
    pub reason: String,
}

impl Job {
    /// The stored kind, such as `promise.due`.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::PromiseReminder(_) => "promise.reminder",
            Job::PromiseDue(_) => "promise.due",
            Job::FollowUp(_) => "case.follow_up",
            Job::CaseReminder(_) => "case.reminder",
            Job::MailSend(_) => "mail.send",
            Job::StaffMail(_) => "staff_mail.send",
            Job::SocialSend(_) => "social.send",
            Job::RetentionSweep(_) => "retention.sweep",
            Job::IncidentNotice(_) => "incident.notice",
            Job::IncidentUpdateDue(_) => "incident.update_due",
            Job::IncidentFollowUp(_) => "incident.follow_up",
        }
    }

    /// The stored arguments, as JSON.
    pub fn payload(&self) -> String {
        let arguments = match self {
            Job::PromiseReminder(check) | Job::PromiseDue(check) => serde_json::to_value(check),
            Job::FollowUp(check) => serde_json::to_value(check),
            Job::CaseReminder(reminder) => serde_json::to_value(reminder),
            Job::MailSend(send) => serde_json::to_value(send),
            Job::StaffMail(send) => serde_json::to_value(send),
            Job::SocialSend(send) => serde_json::to_value(send),
            Job::RetentionSweep(sweep) => serde_json::to_value(sweep),
            Job::IncidentNotice(send) => serde_json::to_value(send),
            Job::IncidentUpdateDue(check) => serde_json::to_value(check),
            Job::IncidentFollowUp(send) => serde_json::to_value(send),
        };
        // Plain structs of numbers and strings always serialise.
        arguments.map_or_else(|_| "null".to_owned(), |value| value.to_string())
    }

    /// Reads a stored job back from its kind and arguments.
    pub fn read(kind: &str, payload: &str) -> Result<Job, UnreadableJob> {
        let unreadable = |reason: String| UnreadableJob {
            kind: kind.to_owned(),
            reason,
        };
        let arguments: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": arguments }))
            .map_err(|e| unreadable(e.to_string()))
    }
}

/// A job and when it may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// What to do.
    pub job: Job,
    /// Not before this instant.
    pub run_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retention_cutoff_counts_calendar_months_back() {
        // 2026-03-31T12:00:00Z less one month is 2026-02-28T12:00:00Z (no 31st in February).
        let now = Timestamp::parse_rfc3339("2026-03-31T12:00:00Z").unwrap_or(Timestamp(0));
        assert_eq!(
            retention_cutoff(now, 1).to_rfc3339(),
            "2026-02-28T12:00:00Z"
        );
        assert_eq!(
            retention_cutoff(now, 24).to_rfc3339(),
            "2024-03-31T12:00:00Z"
        );
    }

    #[test]
    fn a_retention_sweep_is_stored_as_its_kind_with_no_arguments() {
        let job = Job::RetentionSweep(RetentionSweep {});
        assert_eq!(job.kind(), "retention.sweep");
        assert_eq!(job.payload(), "{}");
    }
}
