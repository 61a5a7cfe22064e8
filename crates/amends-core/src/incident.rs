//! Incidents: something broken for many customers at once. A supervisor declares one (what is
//! wrong, since when, what is being done, when the next update comes), chooses the customers it
//! affects, and the desk tells them before they write in, keeps them updated, and closes it
//! with a follow-up. Cases it brings are linked to it so one wave does not bury the queue.
//!
//! The next update's time is a promise: a check is scheduled for it, and an incident not
//! updated by then alerts whoever is in charge.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::{bounded_text, FieldError};
use crate::job::UpdateCheck;
use crate::knowledge::words;
use crate::outcome::{AlertKind, Effect, Outcome, Recipient};
use crate::Timestamp;

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest summary or update.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// The most key words an incident keeps.
pub const MAX_KEY_WORDS: usize = 20;
/// The furthest ahead a next update may be promised: a week.
pub const MAX_NEXT_UPDATE_MILLIS: i64 = 7 * 86_400_000;
/// How long after the close the affected customers are asked whether it is fixed for them.
pub const FOLLOW_UP_AFTER_MILLIS: i64 = 86_400_000;
/// How long a resolved incident is still listed (the console, the API, the status page): a
/// fortnight.
pub const RESOLVED_LISTED_MILLIS: i64 = 14 * 86_400_000;
/// The most customer fields one segment may name.
pub const MAX_SEGMENT_FIELDS: usize = 20;
/// The most customers one CSV list may name.
pub const MAX_IMPORTED: usize = 50_000;

/// Whether an incident is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentStatus {
    /// Still broken.
    Open,
    /// Fixed and closed.
    Resolved,
}

impl IncidentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// Reads a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "open" => Some(IncidentStatus::Open),
            "resolved" => Some(IncidentStatus::Resolved),
            _ => None,
        }
    }
}

/// An incident as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Its id.
    pub id: i64,
    /// A short name customers recognise ("Card payments failing").
    pub title: String,
    /// What is wrong, as customers are told it.
    pub summary: String,
    /// Since when.
    pub started_at: Timestamp,
    /// Open or resolved.
    pub status: IncidentStatus,
    /// Words a customer's message about it would use, lowercased.
    pub key_words: Vec<String>,
    /// The promised time of the next update, while open.
    pub next_update_at: Option<Timestamp>,
    /// Who declared it.
    pub declared_by: Option<i64>,
    /// When.
    pub declared_at: Timestamp,
    /// When the first notice went to a customer.
    pub first_notice_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
}

/// What the desk said about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateKind {
    /// The declaration: what is wrong and what is being done.
    Declared,
    /// News while it is open.
    Update,
    /// The close.
    Resolved,
    /// The question after the close: is it fixed for you?
    FollowUp,
}

impl UpdateKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateKind::Declared => "declared",
            UpdateKind::Update => "update",
            UpdateKind::Resolved => "resolved",
            UpdateKind::FollowUp => "follow_up",
        }
    }

    /// Reads a stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "declared" => Some(UpdateKind::Declared),
            "update" => Some(UpdateKind::Update),
            "resolved" => Some(UpdateKind::Resolved),
            "follow_up" => Some(UpdateKind::FollowUp),
            _ => None,
        }
    }
}

/// One update as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    /// Its id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// What kind.
    pub kind: UpdateKind,
    /// What it says.
    pub body: String,
    /// The next update it promises.
    pub next_update_at: Option<Timestamp>,
    /// Who posted it (none for the desk's own follow-up).
    pub posted_by: Option<i64>,
    /// When.
    pub posted_at: Timestamp,
    /// When it was sent to the affected customers.
    pub sent_at: Option<Timestamp>,
}

/// A declaration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDraft {
    /// The title.
    pub title: String,
    /// What is wrong.
    pub summary: String,
    /// Since when.
    pub started_at: Timestamp,
    /// What is being done: the first update.
    pub doing: String,
    /// When the next update comes.
    pub next_update_at: Timestamp,
    /// Key words for linking new cases.
    pub key_words: Vec<String>,
}

/// A declaration as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawDeclaration {
    /// The title.
    pub title: String,
    /// What is wrong.
    pub summary: String,
    /// Since when (RFC 3339); now when empty.
    pub started_at: String,
    /// What is being done.
    pub doing: String,
    /// When the next update comes (RFC 3339).
    pub next_update_at: String,
    /// Key words, separated by commas or spaces.
    pub key_words: String,
}

fn instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse_rfc3339(raw.trim())
        .ok_or_else(|| FieldError::new(field, "must be a time like 2026-05-04T09:30:00Z"))
}

/// A promised next update: after `now` and at most a week ahead.
pub fn next_update(raw: &str, now: Timestamp) -> Result<Timestamp, FieldError> {
    let at = instant("next_update_at", raw)?;
    if at <= now {
        return Err(FieldError::new("next_update_at", "must be in the future"));
    }
    if at.millis() - now.millis() > MAX_NEXT_UPDATE_MILLIS {
        return Err(FieldError::new(
            "next_update_at",
            "must be within a week: promise an update you can keep",
        ));
    }
    Ok(at)
}

/// Key words separated by commas or spaces: lowercased, deduplicated, at most 20, each a word
/// of 2 to 40 letters or digits.
pub fn parse_key_words(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut kept: Vec<String> = Vec::new();
    for word in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        let word = word.trim().to_lowercase();
        if word.is_empty() || kept.contains(&word) {
            continue;
        }
        let letters = word.chars().count();
        if !(2..=words::MAX_WORD_CHARS).contains(&letters)
            || !word.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return Err(FieldError::new(
                "key_words",
                "must be words of 2 to 40 letters or digits, separated by commas",
            ));
        }
        kept.push(word);
    }
    if kept.len() > MAX_KEY_WORDS {
        return Err(FieldError::new("key_words", "may hold at most 20 words"));
    }
    Ok(kept)
}

impl IncidentDraft {
    /// Checks a declaration typed at `now`: a title, what is wrong and what is being done, a
    /// start not in the future, a next update within a week.
    pub fn parse(raw: &RawDeclaration, now: Timestamp) -> Result<IncidentDraft, FieldError> {
        let title = bounded_text("title", &raw.title, MAX_TITLE_CHARS, false)?;
        let summary = bounded_text("summary", &raw.summary, MAX_TEXT_CHARS, true)?;
        let doing = bounded_text("doing", &raw.doing, MAX_TEXT_CHARS, true)?;
        let started_at = if raw.started_at.trim().is_empty() {
            now
        } else {
            instant("started_at", &raw.started_at)?
        };
        if started_at > now {
            return Err(FieldError::new("started_at", "must not be in the future"));
        }
        Ok(IncidentDraft {
            title,
            summary,
            started_at,
            doing,
            next_update_at: next_update(&raw.next_update_at, now)?,
            key_words: parse_key_words(&raw.key_words)?,
        })
    }
}

/// An update as typed: its words, and the next update it promises unless it closes the
/// incident.
pub fn parse_update(
    body: &str,
    next_update_at: Option<&str>,
    resolving: bool,
    now: Timestamp,
) -> Result<(String, Option<Timestamp>), FieldError> {
    let body = bounded_text("body", body, MAX_TEXT_CHARS, true)?;
    if resolving {
        return Ok((body, None));
    }
    let raw = next_update_at
        .filter(|raw| !raw.trim().is_empty())
        .ok_or_else(|| FieldError::new("next_update_at", "say when the next update comes"))?;
    Ok((body, Some(next_update(raw, now)?)))
}

/// Which customers an incident affects, by what the desk holds on them: their plan and their
/// custom fields (a region, a product). Every condition must hold; at least one is needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    /// The plan they are on.
    pub plan: Option<String>,
    /// Custom customer fields and the value each must hold.
    pub fields: Vec<(String, String)>,
}

impl Segment {
    /// Checks a segment: at least one condition, each value at most 200 characters.
    pub fn parse(plan: Option<&str>, fields: &[(String, String)]) -> Result<Segment, FieldError> {
        let plan = match plan.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(bounded_text("plan", p, 200, false)?),
            None => None,
        };
        if fields.len() > MAX_SEGMENT_FIELDS {
            return Err(FieldError::new(
                "fields",
                "may name at most 20 customer fields",
            ));
        }
        let mut kept = Vec::new();
        for (key, value) in fields {
            let key = crate::custom_field::parse_key(key)?;
            let value = bounded_text(&format!("field:{key}"), value, 200, false)?;
            kept.push((key, value));
        }
        if plan.is_none() && kept.is_empty() {
            return Err(FieldError::new(
                "segment",
                "choose the affected customers by plan or by a customer field",
            ));
        }
        Ok(Segment { plan, fields: kept })
    }
}

/// Why a new case belongs to an incident whose affected set holds its customer: the key words
/// its subject and message use (compared by stem, so "charged" finds "charge"), or, when none
/// is used, the engine reading it as a complaint while the incident is open. `None` when
/// neither: an affected customer asking about something else is not linked.
pub fn link_reason(key_words: &[String], text: &str, complaint: bool) -> Option<String> {
    let said: Vec<String> = words::stems(text);
    let matched: Vec<&str> = key_words
        .iter()
        .filter(|word| {
            let wanted = words::stems(word);
            !wanted.is_empty() && wanted.iter().all(|stem| said.contains(stem))
        })
        .map(String::as_str)
        .collect();
    if !matched.is_empty() {
        return Some(format!(
            "the customer is affected and wrote about {}",
            matched.join(", ")
        ));
    }
    complaint.then(|| "the customer is affected and complained while it is open".to_owned())
}

/// A promised update that did not come: when the incident is open and still promises the same
/// time, whoever declared it (or someone in charge) is alerted; otherwise nothing.
pub fn update_late(incident: &Incident, check: UpdateCheck) -> Option<Outcome> {
    let still_promised = incident.status == IncidentStatus::Open
        && incident.next_update_at == Some(Timestamp(check.due_at));
    still_promised.then(|| {
        Outcome::event(AuditEvent::new(
            "incident.update_late",
            RecordKind::Incident,
            incident.id,
        ))
        .and(Effect::Alert {
            to: Recipient::InChargeOf(incident.declared_by),
            case_id: None,
            kind: AlertKind::IncidentUpdateLate,
            body: crate::wording::incident_update_late(&incident.title, Timestamp(check.due_at)),
        })
    })
}

/// A customer's answer to an incident's follow-up: recorded, and when it is not fixed for them,
/// whoever declared the incident (or someone in charge) hears, with what they wrote.
pub fn follow_up_answered(
    incident: &Incident,
    customer_name: &str,
    fixed: bool,
    comment: Option<&str>,
) -> Outcome {
    let event = incident_event(
        "incident.follow_up_answered",
        incident.id,
        vec![Change::new("fixed", "", fixed.to_string())],
    );
    let outcome = Outcome::event(event);
    if fixed {
        return outcome;
    }
    outcome.and(Effect::Alert {
        to: Recipient::InChargeOf(incident.declared_by),
        case_id: None,
        kind: AlertKind::IncidentNotFixed,
        body: crate::wording::incident_not_fixed(&incident.title, customer_name, comment),
    })
}

fn incident_event(action: &'static str, incident_id: i64, changes: Vec<Change>) -> AuditEvent {
    AuditEvent::new(action, RecordKind::Incident, incident_id).with_changes(changes)
}

fn counted(action: &'static str, incident_id: i64, what: &str, count: i64) -> AuditEvent {
    incident_event(
        action,
        incident_id,
        vec![Change::new(what, "", count.to_string())],
    )
}

/// The event of an incident declared.
pub fn declared(incident_id: i64, title: &str) -> AuditEvent {
    incident_event(
        "incident.declared",
        incident_id,
        vec![Change::new("title", "", title)],
    )
}

/// The event of the latest update sent to `queued` customers who had not had it.
pub fn notified(incident_id: i64, queued: i64) -> AuditEvent {
    counted("incident.notified", incident_id, "notices", queued)
}

/// The event of an update (or, `resolving`, the close) posted and sent to `queued` customers.
pub fn posted(incident_id: i64, resolving: bool, queued: i64) -> AuditEvent {
    let action = if resolving {
        "incident.resolved"
    } else {
        "incident.updated"
    };
    counted(action, incident_id, "notices", queued)
}

/// The event of the follow-up sent to `queued` customers.
pub fn followed_up(incident_id: i64, queued: i64) -> AuditEvent {
    counted("incident.followed_up", incident_id, "notices", queued)
}

/// The event of `added` customers added to the affected set, chosen by `source`.
pub fn customers_added(incident_id: i64, source: &str, added: i64) -> AuditEvent {
    counted("incident.customers_added", incident_id, source, added)
}

/// The event of a case linked to the incident.
pub fn case_linked(incident_id: i64, case_id: i64) -> AuditEvent {
    counted("incident.case_linked", incident_id, "case", case_id)
}

/// The event of a case unlinked from the incident.
pub fn case_unlinked(incident_id: i64, case_id: i64) -> AuditEvent {
    incident_event(
        "incident.case_unlinked",
        incident_id,
        vec![Change::new("case", case_id.to_string(), "")],
    )
}

/// The event of one reply written on `cases` linked cases.
pub fn replied(incident_id: i64, cases: usize) -> AuditEvent {
    let cases = i64::try_from(cases).unwrap_or(i64::MAX);
    counted("incident.replied", incident_id, "cases", cases)
}

/// The counts an incident's figures are made from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentCounts {
    /// Customers in the affected set.
    pub affected: i64,
    /// Affected customers a notice reached (sent or kept in the outbox).
    pub warned: i64,
    /// Affected customers warned before they opened a case about it (or who never did).
    pub warned_before_wrote: i64,
    /// Affected customers who opened a case since it began.
    pub wrote_in: i64,
    /// Cases linked to it.
    pub linked_cases: i64,
    /// Affected customers no notice can reach (no email address).
    pub unreachable: i64,
}

/// What a manager reads about an incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentFigures {
    /// The counts.
    pub counts: IncidentCounts,
    /// Minutes from declaring to the first notice.
    pub minutes_to_first_notice: Option<f64>,
    /// The share of the affected who wrote in.
    pub share_wrote_in: Option<f64>,
    /// The affected who did not write: for each who complained, this many stayed silent.
    pub silent_per_complaint: Option<f64>,
}

/// The figures of `incident` from its counts.
pub fn figures(incident: &Incident, counts: IncidentCounts) -> IncidentFigures {
    #[allow(clippy::cast_precision_loss)] // counts and minutes are far below 2^52
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    #[allow(clippy::cast_precision_loss)]
    let minutes = incident
        .first_notice_at
        .map(|at| (at.millis() - incident.declared_at.millis()) as f64 / 60_000.0);
    IncidentFigures {
        counts,
        minutes_to_first_notice: minutes,
        share_wrote_in: ratio(counts.wrote_in, counts.affected),
        silent_per_complaint: ratio(counts.affected - counts.wrote_in, counts.wrote_in),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap_or(Timestamp(0))
    }

    fn raw() -> RawDeclaration {
        RawDeclaration {
            title: "Card payments failing".into(),
            summary: "Card payments at checkout fail.".into(),
            started_at: "2026-05-04T08:00:00Z".into(),
            doing: "Our payment provider is restoring service.".into(),
            next_update_at: "2026-05-04T10:00:00Z".into(),
            key_words: "payment, card checkout".into(),
        }
    }

    #[test]
    fn a_declaration_needs_a_future_update_within_a_week_and_a_past_start() {
        let now = at("2026-05-04T09:00:00Z");
        let draft = IncidentDraft::parse(&raw(), now).unwrap();
        assert_eq!(draft.key_words, vec!["payment", "card", "checkout"]);
        let late = RawDeclaration {
            next_update_at: "2026-05-04T08:59:00Z".into(),
            ..raw()
        };
        assert_eq!(
            IncidentDraft::parse(&late, now).unwrap_err().field,
            "next_update_at"
        );
        let far = RawDeclaration {
            next_update_at: "2026-05-20T08:59:00Z".into(),
            ..raw()
        };
        assert_eq!(
            IncidentDraft::parse(&far, now).unwrap_err().field,
            "next_update_at"
        );
        let future = RawDeclaration {
            started_at: "2026-05-04T09:30:00Z".into(),
            ..raw()
        };
        assert_eq!(
            IncidentDraft::parse(&future, now).unwrap_err().field,
            "started_at"
        );
        assert!(parse_key_words("drop table; --").is_err());
    }

    #[test]
    fn a_case_is_linked_by_a_key_word_in_any_form_or_by_a_complaint_and_shows_why() {
        let words = vec!["payment".to_owned(), "checkout".to_owned()];
        let reason = link_reason(&words, "My payments keep failing at the checkout", false);
        assert_eq!(
            reason.as_deref(),
            Some("the customer is affected and wrote about payment, checkout")
        );
        assert!(link_reason(&words, "How do I change my address?", false).is_none());
        assert!(link_reason(&words, "This is unacceptable, nothing works", true).is_some());
    }

    #[test]
    fn a_late_update_alerts_only_while_the_same_time_is_promised() {
        let incident = Incident {
            id: 3,
            title: "Card payments failing".into(),
            summary: String::new(),
            started_at: Timestamp(0),
            status: IncidentStatus::Open,
            key_words: Vec::new(),
            next_update_at: Some(Timestamp(5_000)),
            declared_by: Some(2),
            declared_at: Timestamp(0),
            first_notice_at: Some(Timestamp(120_000)),
            resolved_at: None,
        };
        let check = UpdateCheck {
            incident_id: 3,
            due_at: 5_000,
        };
        assert!(update_late(&incident, check).is_some());
        let moved = UpdateCheck {
            incident_id: 3,
            due_at: 4_000,
        };
        assert!(update_late(&incident, moved).is_none());
        let closed = Incident {
            status: IncidentStatus::Resolved,
            ..incident.clone()
        };
        assert!(update_late(&closed, check).is_none());
        let counts = IncidentCounts {
            affected: 100,
            wrote_in: 20,
            ..IncidentCounts::default()
        };
        let shown = figures(&incident, counts);
        assert_eq!(shown.minutes_to_first_notice, Some(2.0));
        assert_eq!(shown.share_wrote_in, Some(0.2));
        assert_eq!(shown.silent_per_complaint, Some(4.0));
    }
}
