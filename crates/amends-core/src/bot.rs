//! The chat's assistant (issue 18): optional, off by default. It greets a visitor, collects an
//! order number and an email address, and hands over to a person, with what it collected, at
//! once when the visitor is upset, complains, threatens to leave, is abusive, raises a legal or
//! safety matter, asks for a person, or asks again; it never says "I didn't understand" twice,
//! and never keeps anyone from a person. With no knowledge base to answer from yet (issue 20),
//! every conversation it opens ends in a hand-off; the reason is recorded for the figures.

use crate::message::Reading;
use crate::queue::ANGRY_PERMILLE;

/// Why the assistant handed a conversation to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandOff {
    /// Abuse aimed at staff, or a threat.
    Abuse,
    /// A legal or safety matter: a lawyer, a court, an injury, a fire.
    LegalOrSafety,
    /// A threat to leave.
    Leaving,
    /// Angry.
    Upset,
    /// A complaint.
    Complaint,
    /// They asked for a person.
    AskedForPerson,
    /// They asked again instead of answering the assistant.
    AskedTwice,
    /// It collected what it asks for and has nothing to answer with.
    Collected,
    /// An agent took the conversation first.
    AgentTook,
}

impl HandOff {
    /// Every reason, in the order the figures show them.
    pub const ALL: [HandOff; 9] = [
        HandOff::Abuse,
        HandOff::LegalOrSafety,
        HandOff::Leaving,
        HandOff::Upset,
        HandOff::Complaint,
        HandOff::AskedForPerson,
        HandOff::AskedTwice,
        HandOff::Collected,
        HandOff::AgentTook,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            HandOff::Abuse => "abuse",
            HandOff::LegalOrSafety => "legal_or_safety",
            HandOff::Leaving => "leaving",
            HandOff::Upset => "upset",
            HandOff::Complaint => "complaint",
            HandOff::AskedForPerson => "asked_for_person",
            HandOff::AskedTwice => "asked_twice",
            HandOff::Collected => "collected",
            HandOff::AgentTook => "agent_took",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<HandOff> {
        HandOff::ALL.into_iter().find(|h| h.as_str() == raw)
    }
}

/// Where the assistant stands in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// It has not spoken yet.
    Waiting,
    /// It asked for the order number.
    AskedOrder,
    /// It asked for the email address.
    AskedEmail,
    /// A person has the conversation; the assistant stays quiet.
    HandedOver,
}

impl Stage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::AskedOrder => "asked_order",
            Stage::AskedEmail => "asked_email",
            Stage::HandedOver => "handed_over",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Stage> {
        [
            Stage::Waiting,
            Stage::AskedOrder,
            Stage::AskedEmail,
            Stage::HandedOver,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// What the assistant knows of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotState {
    /// Where it stands.
    pub stage: Stage,
    /// The order number the visitor gave.
    pub order: Option<String>,
    /// The email address the visitor gave.
    pub email: Option<String>,
}

impl BotState {
    /// A conversation it has not spoken in.
    pub fn new() -> BotState {
        BotState {
            stage: Stage::Waiting,
            order: None,
            email: None,
        }
    }
}

impl Default for BotState {
    fn default() -> Self {
        BotState::new()
    }
}

/// A visitor's line as the assistant hears it: the words and the engine's reading of them.
#[derive(Debug, Clone, Copy)]
pub struct Heard<'a> {
    /// The words.
    pub text: &'a str,
    /// The engine's reading.
    pub reading: &'a Reading,
    /// Whether the engine reads a complaint.
    pub complaint: bool,
    /// Whether the engine reads a threat of harm.
    pub threat: bool,
    /// Whether the engine reads a legal threat.
    pub legal: bool,
}

/// What the assistant does with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Its state after.
    pub state: BotState,
    /// What it says to the visitor, if anything.
    pub say: Option<String>,
    /// The hand-off, with the note the person reads first.
    pub hand_off: Option<(HandOff, String)>,
}

/// What the assistant does with the visitor's line `heard`, in state `state`; `agent_there`
/// when an agent has already taken or answered the conversation, `email_known` when the desk
/// already has an address for the visitor.
pub fn hear(state: &BotState, heard: Heard<'_>, agent_there: bool, email_known: bool) -> Turn {
    let mut next = state.clone();
    if state.stage == Stage::HandedOver {
        return quiet(next);
    }
    if agent_there {
        return hand_over(next, HandOff::AgentTook, None);
    }
    next.order = next.order.or_else(|| order_number(heard.text));
    next.email = next.email.or_else(|| email_address(heard.text));
    if let Some(reason) = reason_to_hand_over(heard) {
        return hand_over(next, reason, Some(reason));
    }
    let asking = state.stage != Stage::Waiting && heard.text.contains('?');
    if asking {
        return hand_over(next, HandOff::AskedTwice, Some(HandOff::AskedTwice));
    }
    if next.order.is_none() && state.stage == Stage::Waiting {
        next.stage = Stage::AskedOrder;
        return say(next, ASK_ORDER);
    }
    if next.email.is_none() && !email_known && state.stage != Stage::AskedEmail {
        next.stage = Stage::AskedEmail;
        return say(next, ASK_EMAIL);
    }
    hand_over(next, HandOff::Collected, Some(HandOff::Collected))
}

const ASK_ORDER: &str = "Thanks for writing. I'm the desk's assistant, and I'll pass you to a member of the team. So they can help you faster: what is your order number? (If there isn't one, just say so.)";
const ASK_EMAIL: &str =
    "Thank you. And the email address you use with us, so the team can find your account?";

fn quiet(state: BotState) -> Turn {
    Turn {
        state,
        say: None,
        hand_off: None,
    }
}

fn say(state: BotState, words: &str) -> Turn {
    Turn {
        state,
        say: Some(words.to_owned()),
        hand_off: None,
    }
}

/// Hands over: the visitor is told (unless a person already has them), and the person reads
/// why and what was collected.
fn hand_over(mut state: BotState, reason: HandOff, tell: Option<HandOff>) -> Turn {
    state.stage = Stage::HandedOver;
    let mut note = format!("The assistant handed this chat over: {}.", words(reason));
    if let Some(order) = &state.order {
        note.push_str(&format!(" Order number: {order}."));
    }
    if let Some(email) = &state.email {
        note.push_str(&format!(" Email: {email}."));
    }
    Turn {
        say: tell.map(|reason| told(reason).to_owned()),
        state,
        hand_off: Some((reason, note)),
    }
}

fn words(reason: HandOff) -> &'static str {
    match reason {
        HandOff::Abuse => "abusive or threatening words",
        HandOff::LegalOrSafety => "a legal or safety matter",
        HandOff::Leaving => "the customer says they will leave",
        HandOff::Upset => "the customer is upset",
        HandOff::Complaint => "a complaint",
        HandOff::AskedForPerson => "the customer asked for a person",
        HandOff::AskedTwice => "the customer asked again",
        HandOff::Collected => "it has no answer to give; details collected",
        HandOff::AgentTook => "an agent took the chat",
    }
}

/// What the visitor reads on a hand-off: plain, never cheerful to someone upset.
fn told(reason: HandOff) -> &'static str {
    match reason {
        HandOff::Upset | HandOff::Complaint | HandOff::Leaving => {
            "I'm sorry this has happened. I'm passing you to a member of our team now; they will see everything you've written, so you won't need to repeat it."
        }
        HandOff::LegalOrSafety => {
            "This needs a person. I'm passing you to a member of our team now, and they will see everything you've written."
        }
        _ => "I'm passing you to a member of our team now; they will see everything you've written.",
    }
}

/// The first reason in `heard` to hand over at once, if any.
fn reason_to_hand_over(heard: Heard<'_>) -> Option<HandOff> {
    let lower = heard.text.to_lowercase();
    let reading = heard.reading;
    if reading.abusive || heard.threat {
        Some(HandOff::Abuse)
    } else if heard.legal || LEGAL_OR_SAFETY.iter().any(|w| has_word(&lower, w)) {
        Some(HandOff::LegalOrSafety)
    } else if reading.churn_threat {
        Some(HandOff::Leaving)
    } else if ASK_PERSON.iter().any(|w| has_word(&lower, w)) {
        Some(HandOff::AskedForPerson)
    } else if reading.anger_permille >= ANGRY_PERMILLE {
        Some(HandOff::Upset)
    } else if heard.complaint {
        Some(HandOff::Complaint)
    } else {
        None
    }
}

const LEGAL_OR_SAFETY: [&str; 22] = [
    "lawyer",
    "solicitor",
    "attorney",
    "sue",
    "court",
    "legal",
    "ombudsman",
    "trading standards",
    "small claims",
    "injured",
    "injury",
    "hurt",
    "burnt",
    "burned",
    "fire",
    "smoke",
    "caught fire",
    "electric shock",
    "unsafe",
    "dangerous",
    "allergic",
    "hospital",
];

const ASK_PERSON: [&str; 12] = [
    "human",
    "real person",
    "a person",
    "an agent",
    "an advisor",
    "an adviser",
    "someone real",
    "speak to someone",
    "talk to someone",
    "customer service",
    "a manager",
    "operator",
];

/// Whether `phrase` stands in `text` as whole words.
fn has_word(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// An order number in `text`: a word of four or more characters with at least four digits
/// (`5521`, `#A-10442`), not an email address.
pub fn order_number(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| {
            !w.contains('@')
                && w.len() <= 40
                && w.chars().filter(char::is_ascii_digit).count() >= 4
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned)
}

/// An email address in `text`.
pub fn email_address(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| {
                matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '<' | '>')
            })
        })
        .find(|w| crate::customer::EmailAddress::parse("email", w).is_ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(anger: i64, churn: bool, abusive: bool) -> Reading {
        Reading {
            anger_permille: anger,
            abusive,
            churn_threat: churn,
            assessment_json: "{}".to_owned(),
        }
    }

    fn heard<'a>(text: &'a str, reading: &'a Reading) -> Heard<'a> {
        Heard {
            text,
            reading,
            complaint: false,
            threat: false,
            legal: false,
        }
    }

    #[test]
    fn it_collects_an_order_and_an_address_then_hands_over_with_them() {
        let calm = reading(0, false, false);
        let first = hear(
            &BotState::new(),
            heard("Can I change my delivery day", &calm),
            false,
            false,
        );
        assert_eq!(first.state.stage, Stage::AskedOrder);
        assert!(first.say.unwrap().contains("order number"));
        let second = hear(&first.state, heard("It's #A-10442", &calm), false, false);
        assert_eq!(second.state.order.as_deref(), Some("A-10442"));
        assert_eq!(second.state.stage, Stage::AskedEmail);
        let third = hear(&second.state, heard("sam@example.com", &calm), false, false);
        let (reason, note) = third.hand_off.unwrap();
        assert_eq!(reason, HandOff::Collected);
        assert!(
            note.contains("A-10442") && note.contains("sam@example.com"),
            "{note}"
        );
        assert_eq!(third.state.stage, Stage::HandedOver);
        let after = hear(&third.state, heard("Hello?", &calm), false, false);
        assert_eq!(
            (after.say, after.hand_off),
            (None, None),
            "quiet once a person has it"
        );
    }

    #[test]
    fn it_never_asks_the_same_thing_twice() {
        let calm = reading(0, false, false);
        let first = hear(&BotState::new(), heard("Hi there", &calm), false, true);
        let answer = hear(&first.state, heard("I don't have one", &calm), false, true);
        assert_eq!(
            answer.hand_off.unwrap().0,
            HandOff::Collected,
            "not asked again"
        );
        let again = hear(
            &first.state,
            heard("But can I change my delivery day?", &calm),
            false,
            true,
        );
        assert_eq!(again.hand_off.unwrap().0, HandOff::AskedTwice);
        let given = hear(
            &BotState::new(),
            heard("Order 55213, can you help", &calm),
            false,
            true,
        );
        assert_eq!(
            given.hand_off.unwrap().0,
            HandOff::Collected,
            "nothing left to ask"
        );
    }

    #[test]
    fn an_upset_customer_goes_to_a_person_at_once() {
        let cases = [
            (
                reading(700, false, false),
                "This is a disgrace",
                HandOff::Upset,
            ),
            (
                reading(0, true, false),
                "I'm cancelling my account",
                HandOff::Leaving,
            ),
            (
                reading(0, false, true),
                "you useless idiots",
                HandOff::Abuse,
            ),
            (
                reading(0, false, false),
                "The charger caught fire last night",
                HandOff::LegalOrSafety,
            ),
            (
                reading(0, false, false),
                "I will take you to court",
                HandOff::LegalOrSafety,
            ),
            (
                reading(0, false, false),
                "Can I talk to a human please",
                HandOff::AskedForPerson,
            ),
        ];
        for (reading, text, expected) in cases {
            let turn = hear(&BotState::new(), heard(text, &reading), false, false);
            assert_eq!(
                turn.hand_off.as_ref().map(|h| h.0),
                Some(expected),
                "{text}"
            );
            assert!(turn.say.unwrap().contains("passing you"), "{text}");
        }
        let calm = reading(0, false, false);
        let complaint = Heard {
            complaint: true,
            ..heard("My parcel is late", &calm)
        };
        assert_eq!(
            hear(&BotState::new(), complaint, false, false)
                .hand_off
                .unwrap()
                .0,
            HandOff::Complaint
        );
        let took = hear(&BotState::new(), heard("Hi", &calm), true, false);
        assert_eq!(
            (took.say, took.hand_off.unwrap().0),
            (None, HandOff::AgentTook)
        );
        assert!(!has_word("a courtesy call", "court"), "whole words only");
    }
}
