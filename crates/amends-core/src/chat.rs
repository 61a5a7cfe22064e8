//! Live chat on the business's own website: what a visitor may write, what their first line
//! opens, how fast they may write, who a signed-in visitor is, and which way a reply goes.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::case::{apply_change, CaseChange};
use crate::customer::{CustomerName, EmailAddress, NewCustomer};
use crate::field::{bounded_text, FieldError};
use crate::outcome::{AlertKind, Effect, Outcome, Recipient};
use crate::queue::FURIOUS_PERMILLE;
use crate::{wording, Case, CaseStatus, Channel, Direction, Timestamp};

/// The most a chat line may hold, in characters: a chat is not a letter.
pub const MAX_LINE_CHARS: usize = 4_000;

/// The most a client's id for its line may hold.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// How long a subject made from a first line may be, in characters.
const SUBJECT_WORDS_CHARS: usize = 60;

/// Checks a line a visitor writes.
pub fn parse_line(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, MAX_LINE_CHARS, true)
}

/// Checks the id a visitor's browser gives a line, so that sending it twice (after a lost
/// connection) writes it once: letters, digits, `-` and `_`, at most 64.
pub fn parse_client_id(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if raw.is_empty() || raw.len() > MAX_CLIENT_ID_CHARS || !raw.chars().all(ok) {
        return Err(FieldError::new(
            field,
            "must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(raw.to_owned())
}

/// The message id a line is stored under: one per chat and client id.
pub fn external_id(chat_id: i64, client_id: &str) -> String {
    format!("chat:{chat_id}:{client_id}")
}

/// The subject of the case a chat opens: "Chat: " and the first words of its first line, on
/// one line, cut at a word.
pub fn subject_of(first_line: &str) -> String {
    let words: Vec<&str> = first_line.split_whitespace().collect();
    let mut subject = String::from("Chat:");
    for word in words {
        if subject.chars().count() + 1 + word.chars().count() > SUBJECT_WORDS_CHARS + 5 {
            subject.push_str(" …");
            break;
        }
        subject.push(' ');
        subject.push_str(word);
    }
    subject
}

/// What the host site signs to tell the desk who a signed-in visitor is: its own id for the
/// customer and their email, joined by a line break (neither may hold one).
pub fn identity_message(site_customer_id: &str, email: &str) -> String {
    format!("{site_customer_id}\n{email}")
}

/// Checks the host site's id for a customer.
pub fn parse_site_customer_id(field: &str, raw: &str) -> Result<String, FieldError> {
    bounded_text(field, raw, 200, false)
}

/// The customer a chat's first line is filed under: the visitor's name and address when
/// they gave them (found by that address when on file), else a new record for an anonymous
/// visitor, who becomes known when they leave an address.
pub fn customer_of(
    name: Option<&str>,
    email: Option<&str>,
    site_customer_id: Option<&str>,
) -> NewCustomer {
    let name = name
        .and_then(|n| CustomerName::parse("name", n).ok())
        .or_else(|| email.and_then(|e| CustomerName::parse("name", e).ok()))
        .unwrap_or_else(visitor_name);
    let mut customer = NewCustomer::named(name);
    customer.emails = email
        .and_then(|e| EmailAddress::parse("email", e).ok())
        .into_iter()
        .collect();
    customer.social_handles = site_customer_id
        .map(|id| format!("site:{id}"))
        .into_iter()
        .collect();
    customer
}

fn visitor_name() -> CustomerName {
    CustomerName::parse("name", "Chat visitor").unwrap_or_else(|_| unreachable!())
}

/// Which way an agent's reply on a chat case goes when they name no channel: by mail once the
/// visitor left an address because no one was there to answer, else in the chat.
pub fn reply_channel(by_email: bool) -> Channel {
    if by_email {
        Channel::Email
    } else {
        Channel::Chat
    }
}

/// The event of a visitor's address filed on their customer record.
pub fn address_left(customer_id: i64, email: &EmailAddress) -> AuditEvent {
    AuditEvent::new("customer.changed", RecordKind::Customer, customer_id)
        .with_changes(vec![Change::new("email", "", email.as_str())])
}

/// A supervisor told when a customer line in a live chat makes the case furious (it was not
/// before): a person may need to step in now, not at the next look at the queue.
pub fn anger_alert(before: Option<&Case>, after: &Case) -> Option<Effect> {
    let was = before.map_or(0, |case| case.anger_permille);
    (after.channel == Channel::Chat
        && was < FURIOUS_PERMILLE
        && after.anger_permille >= FURIOUS_PERMILLE)
        .then(|| Effect::Alert {
            to: Recipient::InChargeOf(after.owner_id),
            case_id: Some(after.id),
            kind: AlertKind::Furious,
            body: wording::furious_in_chat(after.id),
        })
}

/// A visitor gone this long from a chat no one answered has left it.
pub const ABANDONED_AFTER_MILLIS: i64 = 10 * 60_000;

/// Whether a chat was abandoned by `at`: no one answered and the customer left (their last line
/// is older than [`ABANDONED_AFTER_MILLIS`], or the chat was closed unanswered).
pub fn abandoned(answered: bool, ended: bool, last_line_at: Timestamp, at: Timestamp) -> bool {
    !answered && (ended || at.millis() - last_line_at.millis() > ABANDONED_AFTER_MILLIS)
}

/// How many open chats an agent holds at once unless the desk says otherwise.
pub const DEFAULT_CAPACITY: i64 = 3;

/// The most open chats an agent may be set to hold at once.
pub const MAX_CAPACITY: i64 = 50;

/// An agent taking a waiting chat: refused when it is no live chat, when another agent took it
/// first, or when the agent already holds `capacity` open chats (`held`).
pub fn accept(
    case: &Case,
    agent_id: i64,
    held: i64,
    capacity: i64,
    now: Timestamp,
) -> Result<(Case, Outcome), FieldError> {
    live(case)?;
    match case.owner_id {
        Some(owner) if owner == agent_id => return Ok((case.clone(), Outcome::default())),
        Some(_) => {
            return Err(FieldError::new(
                "owner_id",
                "another agent took this chat first",
            ))
        }
        None => {}
    }
    within_capacity("capacity", held, capacity)?;
    let (next, events) = take(case, agent_id, now)?;
    Ok((
        next,
        Outcome {
            events,
            effects: Vec::new(),
        },
    ))
}

/// Passing a chat to another agent or a supervisor (`to`, who holds `held` open chats) with a
/// note for them: a note on the case says who passed it to whom and why, and they are told.
pub fn transfer(
    case: &Case,
    to: (i64, &str),
    held: i64,
    capacity: i64,
    note: &str,
    now: Timestamp,
) -> Result<(Case, Outcome), FieldError> {
    live(case)?;
    let (to_id, to_name) = to;
    if case.owner_id == Some(to_id) {
        return Err(FieldError::new("to_agent_id", "the chat is theirs already"));
    }
    within_capacity("to_agent_id", held, capacity)?;
    let note = bounded_text("note", note, 2_000, true)?;
    let (next, events) = take(case, to_id, now)?;
    let outcome = Outcome {
        events,
        effects: Vec::new(),
    }
    .and(Effect::Write {
        case_id: case.id,
        direction: Direction::Note,
        author_id: None,
        body: wording::chat_passed(to_name, &note),
        external_id: None,
    })
    .and(Effect::Alert {
        to: Recipient::Agent(to_id),
        case_id: Some(case.id),
        kind: AlertKind::ChatPassed,
        body: wording::chat_passed_to_you(case.id, &note),
    });
    Ok((next, outcome))
}

fn live(case: &Case) -> Result<(), FieldError> {
    if case.channel != Channel::Chat {
        return Err(FieldError::new("case_id", "is not a chat"));
    }
    if matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed) {
        return Err(FieldError::new("case_id", "the chat has ended"));
    }
    Ok(())
}

fn within_capacity(field: &str, held: i64, capacity: i64) -> Result<(), FieldError> {
    if held >= capacity {
        return Err(FieldError::new(
            field,
            format!("{held} chats are open already, the most at once is {capacity}"),
        ));
    }
    Ok(())
}

fn take(case: &Case, agent_id: i64, now: Timestamp) -> Result<(Case, Vec<AuditEvent>), FieldError> {
    let status = (case.status == CaseStatus::New).then_some(CaseStatus::Open);
    let change = CaseChange {
        owner_id: Some(Some(agent_id)),
        status,
        ..CaseChange::default()
    };
    apply_change(case, &change, now)
}

/// Who wrote a line, as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The visitor.
    Customer,
    /// Someone of the business.
    Agent,
}

impl Speaker {
    /// The speaker of a message; an internal note is never a line.
    pub fn of(direction: Direction) -> Option<Speaker> {
        match direction {
            Direction::Inbound => Some(Speaker::Customer),
            Direction::Outbound => Some(Speaker::Agent),
            Direction::Note => None,
        }
    }

    /// Its stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Customer => "customer",
            Speaker::Agent => "agent",
        }
    }
}

/// How much one visitor, or one address, may do: `burst` at once, then one more every
/// `every_millis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// How many at once.
    pub burst: u32,
    /// How long until one more is allowed.
    pub every_millis: i64,
}

/// What is left of an [`Allowance`] at a moment, in thousandths of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Thousandths left.
    pub left_milli: i64,
    /// When it was counted.
    pub at: Timestamp,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(allowance: Allowance, now: Timestamp) -> Bucket {
        Bucket {
            left_milli: i64::from(allowance.burst) * 1_000,
            at: now,
        }
    }

    /// Takes one at `now`: the bucket after it, or `None` when none is left (nothing taken).
    /// Time going backwards refills nothing.
    pub fn take(self, allowance: Allowance, now: Timestamp) -> Option<Bucket> {
        let elapsed = (now.millis() - self.at.millis()).max(0);
        let refill = elapsed.saturating_mul(1_000) / allowance.every_millis.max(1);
        let cap = i64::from(allowance.burst) * 1_000;
        let left = self.left_milli.saturating_add(refill).min(cap);
        (left >= 1_000).then_some(Bucket {
            left_milli: left - 1_000,
            at: now.max(self.at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_line_cut_at_a_word() {
        assert_eq!(
            subject_of("  where is\nmy parcel? "),
            "Chat: where is my parcel?"
        );
        let long = "word ".repeat(40);
        let subject = subject_of(&long);
        assert!(
            subject.ends_with(" …") && subject.chars().count() <= 68,
            "{subject}"
        );
    }

    #[test]
    fn client_ids_are_plain_and_short() {
        assert!(parse_client_id("id", "c-1_a").is_ok());
        for bad in ["", "a b", "x".repeat(65).as_str(), "é", "a\n"] {
            assert!(parse_client_id("id", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bucket_allows_a_burst_then_one_per_interval() {
        let allowance = Allowance {
            burst: 3,
            every_millis: 1_000,
        };
        let mut bucket = Bucket::full(allowance, Timestamp(0));
        for _ in 0..3 {
            bucket = bucket.take(allowance, Timestamp(0)).unwrap();
        }
        assert_eq!(bucket.take(allowance, Timestamp(0)), None);
        assert_eq!(bucket.take(allowance, Timestamp(999)), None);
        let later = bucket.take(allowance, Timestamp(1_000)).unwrap();
        assert_eq!(later.take(allowance, Timestamp(1_000)), None);
        // Never more than the burst, however long the wait; the clock going back adds nothing.
        let rested = Bucket::full(allowance, Timestamp(0));
        let mut after = rested.take(allowance, Timestamp(1_000_000)).unwrap();
        assert_eq!(after.left_milli, 2_000);
        after = after.take(allowance, Timestamp(5)).unwrap();
        assert_eq!(after.left_milli, 1_000);
    }

    #[test]
    fn a_chat_turning_furious_tells_a_supervisor_once() {
        let mut case = crate::tests::case(7, crate::Priority::Normal, 0);
        case.channel = Channel::Chat;
        case.anger_permille = 400;
        let mut furious = case.clone();
        furious.anger_permille = 800;
        assert!(matches!(
            anger_alert(Some(&case), &furious),
            Some(Effect::Alert {
                kind: AlertKind::Furious,
                ..
            })
        ));
        assert!(
            anger_alert(None, &furious).is_some(),
            "a furious first line"
        );
        assert_eq!(
            anger_alert(Some(&furious), &furious),
            None,
            "already furious"
        );
        furious.channel = Channel::Email;
        assert_eq!(anger_alert(None, &furious), None, "only live chats");
    }

    #[test]
    fn a_chat_is_taken_once_within_capacity_and_passed_on_with_a_note() {
        let mut case = crate::tests::case(7, crate::Priority::Normal, 0);
        case.channel = Channel::Chat;
        let (taken, outcome) = accept(&case, 1, 2, 3, Timestamp(5)).unwrap();
        assert_eq!((taken.owner_id, taken.status), (Some(1), CaseStatus::Open));
        assert_eq!(outcome.events.len(), 1);
        assert_eq!(
            accept(&taken, 1, 3, 3, Timestamp(6)).unwrap().1,
            Outcome::default()
        );
        assert_eq!(
            accept(&taken, 2, 0, 3, Timestamp(6)).unwrap_err().field,
            "owner_id"
        );
        assert_eq!(
            accept(&case, 1, 3, 3, Timestamp(6)).unwrap_err().field,
            "capacity"
        );
        let (passed, outcome) =
            transfer(&taken, (2, "Bo"), 0, 3, "billing question", Timestamp(7)).unwrap();
        assert_eq!(passed.owner_id, Some(2));
        assert!(
            matches!(&outcome.effects[0], Effect::Write { direction: Direction::Note, body, .. } if body.contains("Bo"))
        );
        assert!(matches!(
            &outcome.effects[1],
            Effect::Alert {
                to: Recipient::Agent(2),
                ..
            }
        ));
        assert_eq!(
            transfer(&passed, (2, "Bo"), 0, 3, "x", Timestamp(8))
                .unwrap_err()
                .field,
            "to_agent_id"
        );
        assert_eq!(
            transfer(&taken, (2, "Bo"), 3, 3, "x", Timestamp(8))
                .unwrap_err()
                .field,
            "to_agent_id"
        );
        let mut email = case.clone();
        email.channel = Channel::Email;
        assert_eq!(
            accept(&email, 1, 0, 3, Timestamp(5)).unwrap_err().field,
            "case_id"
        );
    }

    #[test]
    fn a_chat_is_abandoned_when_no_one_answered_and_the_customer_left() {
        let minute = 60_000;
        assert!(!abandoned(
            false,
            false,
            Timestamp(0),
            Timestamp(10 * minute)
        ));
        assert!(abandoned(
            false,
            false,
            Timestamp(0),
            Timestamp(10 * minute + 1)
        ));
        assert!(abandoned(false, true, Timestamp(0), Timestamp(0)));
        assert!(!abandoned(true, true, Timestamp(0), Timestamp(99 * minute)));
    }

    #[test]
    fn visitors_are_known_by_what_they_gave() {
        let anonymous = customer_of(None, None, None);
        assert_eq!(anonymous.name.as_str(), "Chat visitor");
        assert!(anonymous.emails.is_empty());
        let known = customer_of(Some("Ann Lee"), Some("Ann@Example.com"), Some("u-7"));
        assert_eq!(known.name.as_str(), "Ann Lee");
        assert_eq!(known.emails.len(), 1);
        assert_eq!(known.social_handles, vec!["site:u-7".to_owned()]);
        assert_eq!(reply_channel(true), Channel::Email);
        assert_eq!(Speaker::of(Direction::Note), None);
    }
}
