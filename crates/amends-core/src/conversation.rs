//! What a conversation does to its case: opening one, each message in it, a threat to leave
//! and a resolution, with whom they tell and what they schedule.

use crate::audit::{AuditEvent, Change};
use crate::case::{flag_win_back, Case};
use crate::job::{FollowUpCheck, Job, Scheduled, SocialSend};
use crate::outcome::{message_added, AlertKind, Effect, NoticeKind, Outcome, Recipient};
use crate::{events, wording, CaseStatus, Channel, Direction, Timestamp};

/// What opening a case leaves: the customer's creation when they are new, the case, its first
/// message, what that message's reading did to the case (`reading_events`, about the case), and
/// a supervisor told when the customer threatens to leave.
pub fn opened(
    new_customer: Option<i64>,
    case_id: i64,
    message_id: i64,
    reading_events: Vec<AuditEvent>,
    win_back: bool,
) -> Outcome {
    let mut events = Vec::with_capacity(3 + reading_events.len());
    events.extend(new_customer.map(events::customer_created));
    events.push(events::case_opened(case_id));
    events.push(message_added(Direction::Inbound, message_id));
    events.extend(reading_events.into_iter().map(|mut event| {
        event.record_id = case_id;
        event
    }));
    let mut outcome = Outcome {
        events,
        effects: Vec::new(),
    };
    if win_back {
        outcome = outcome.and(tell_win_back(None, case_id));
    }
    outcome
}

/// A message just written on a case.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// Its id.
    pub id: i64,
    /// Who speaks.
    pub direction: Direction,
    /// Where.
    pub channel: Channel,
    /// What it says.
    pub body: &'a str,
    /// When it was written.
    pub at: Timestamp,
}

/// A message on a case, from the case `before` it to the case `after` it (`reading_events` are
/// what its reading did; `win_back` whether it flagged the case). An agent's reply on an email
/// case goes out by mail, one on a messaging app through its provider.
pub fn message_written(
    before: &Case,
    after: &Case,
    line: Line<'_>,
    reading_events: Vec<AuditEvent>,
    win_back: bool,
) -> Outcome {
    let Line {
        id,
        direction,
        channel,
        body,
        at,
    } = line;
    let mut outcome = Outcome::event(message_added(direction, id));
    if after.status != before.status {
        let change = Change::new("status", before.status.as_str(), after.status.as_str());
        outcome = outcome.and_event(
            AuditEvent::new("case.changed", crate::audit::RecordKind::Case, before.id)
                .with_changes(vec![change]),
        );
    }
    outcome.events.extend(reading_events);
    if direction == Direction::Outbound && channel == Channel::Email {
        outcome = outcome.and(Effect::NotifyCustomer {
            case_id: before.id,
            kind: NoticeKind::Reply,
            wording: wording::reply(&before.subject, body),
        });
    }
    if direction == Direction::Outbound && channel == Channel::Social {
        outcome = outcome.and(Effect::Schedule(Scheduled {
            job: Job::SocialSend(SocialSend { message_id: id }),
            run_at: at,
        }));
    }
    if win_back {
        outcome = outcome.and(tell_win_back(after.owner_id, before.id));
    }
    if direction == Direction::Inbound && channel == Channel::Chat {
        outcome
            .effects
            .extend(crate::chat::anger_alert(Some(before), after));
    }
    outcome
}

/// Flags the case for win-back, as [`flag_win_back`] decides, and tells a supervisor once.
pub fn threatens_to_leave(case: &Case, now: Timestamp) -> Option<(Case, Outcome)> {
    let (flagged, event) = flag_win_back(case, now)?;
    let outcome = Outcome::event(event).and(tell_win_back(flagged.owner_id, case.id));
    Some((flagged, outcome))
}

fn tell_win_back(owner_id: Option<i64>, case_id: i64) -> Effect {
    Effect::Alert {
        to: Recipient::InChargeOf(owner_id),
        case_id: Some(case_id),
        kind: AlertKind::WinBack,
        body: wording::win_back(case_id),
    }
}

/// A case that a change resolves is followed up `delay_millis` after its resolution, with the
/// agent's `gesture` of thanks if they gave one.
pub fn follow_up_of(
    before: &Case,
    after: &Case,
    gesture: Option<&str>,
    delay_millis: i64,
) -> Option<Effect> {
    if after.status != CaseStatus::Resolved || before.status == CaseStatus::Resolved {
        return None;
    }
    let resolved_at = after.resolved_at?;
    let check = FollowUpCheck {
        case_id: after.id,
        resolved_at: resolved_at.millis(),
        gesture: gesture.map(str::to_owned),
    };
    Some(Effect::schedule(
        Job::FollowUp(check),
        resolved_at.plus_millis(delay_millis),
    ))
}

/// An agent's reminder coming due: a note on the case, written once.
pub fn reminder_due(case_id: i64, note: &str, job_id: i64) -> Outcome {
    Outcome::default().and(Effect::Write {
        case_id,
        direction: Direction::Note,
        author_id: None,
        body: wording::case_reminder(note),
        external_id: Some(format!("job:{job_id}")),
    })
}
