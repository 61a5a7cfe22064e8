//! What demo customers and agents say. Plain English, written to exercise the desk: calm
//! questions, real frustration, fury, threats to leave, and a few messages abusive to staff.

use amends_core::Priority;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// The demo team: name, role, compensation authority in cents.
pub(crate) const TEAM: [(&str, &str, i64); 9] = [
    ("Dana Admin", "admin", 100_000),
    ("Sam Okafor", "supervisor", 50_000),
    ("Priya Raman", "supervisor", 50_000),
    ("Leo Martin", "agent", 5_000),
    ("Mia Chen", "agent", 5_000),
    ("Noah Brooks", "agent", 2_500),
    ("Ava Novak", "agent", 2_500),
    ("Omar Haddad", "agent", 5_000),
    ("Zoe Lindqvist", "agent", 2_500),
];

pub(crate) const FIRST_NAMES: [&str; 24] = [
    "Ann", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kate",
    "Luis", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Will", "Yuki",
];

pub(crate) const LAST_NAMES: [&str; 20] = [
    "Smith", "Garcia", "Kowalski", "Nguyen", "Okoye", "Rossi", "Schmidt", "Tanaka", "Dubois",
    "Silva", "Jensen", "Murphy", "Haddad", "Ivanova", "Patel", "Moreau", "Costa", "Berg", "Walsh",
    "Kim",
];

const PROBLEMS: [(&str, &str); 8] = [
    (
        "Parcel never arrived",
        "my order #{n} was due a week ago and it still has not arrived",
    ),
    (
        "Charged twice",
        "I was charged twice for my subscription this month",
    ),
    (
        "Damaged on arrival",
        "the blender I ordered arrived with a cracked jug",
    ),
    (
        "Booking disappeared",
        "my booking for Friday has vanished from my account",
    ),
    (
        "App keeps crashing",
        "the app crashes every time I try to check out",
    ),
    (
        "Refund still missing",
        "you promised a refund three weeks ago and I have seen nothing",
    ),
    (
        "Rude engineer",
        "the engineer who came yesterday was rude and left without fixing anything",
    ),
    (
        "Cannot log in",
        "I have been locked out of my account since the password reset",
    ),
];

/// How the customer feels, which shapes what they write and the priority the desk gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mood {
    Calm,
    Frustrated,
    Furious,
    Leaving,
    Abusive,
}

impl Mood {
    pub(crate) fn priority(self, rng: &mut StdRng) -> Priority {
        match self {
            Mood::Calm => *[Priority::Low, Priority::Normal]
                .choose(rng)
                .unwrap_or(&Priority::Normal),
            Mood::Frustrated => Priority::Normal,
            Mood::Furious | Mood::Abusive => Priority::High,
            Mood::Leaving => *[Priority::High, Priority::Urgent]
                .choose(rng)
                .unwrap_or(&Priority::High),
        }
    }
}

pub(crate) fn pick_mood(rng: &mut StdRng) -> Mood {
    match rng.gen_range(0..100) {
        0..=34 => Mood::Calm,
        35..=69 => Mood::Frustrated,
        70..=84 => Mood::Furious,
        85..=95 => Mood::Leaving,
        _ => Mood::Abusive,
    }
}

pub(crate) fn complaint(rng: &mut StdRng, mood: Mood, name: &str) -> (String, String) {
    let (subject, problem) = *PROBLEMS.choose(rng).unwrap_or(&PROBLEMS[0]);
    let problem = problem.replace("{n}", &rng.gen_range(10_000..99_999).to_string());
    let first = name.split(' ').next().unwrap_or(name);
    let body = match mood {
        Mood::Calm => format!("Hello, {problem}. Could you have a look when you get a chance? Thanks, {first}"),
        Mood::Frustrated => format!("Hi. Honestly this is really frustrating: {problem}. I have already called twice. Can someone please sort this out today? {first}"),
        Mood::Furious => format!("This is UNACCEPTABLE. {problem} and nobody has bothered to tell me anything! I expect a full refund and an explanation. {first}"),
        Mood::Leaving => format!("I've had enough. {problem}. If this is not fixed by tomorrow I am cancelling my account and switching to your competitor. This is the last time I use you. {first}"),
        Mood::Abusive => format!("{problem}. You are useless idiots, every one of you, and whoever answers this is a joke. Fix it."),
    };
    let subject = match mood {
        Mood::Furious | Mood::Abusive => format!("{} - UNACCEPTABLE", subject),
        Mood::Leaving => format!("{subject} - cancelling"),
        _ => subject.to_owned(),
    };
    (subject, body)
}

pub(crate) fn reply(rng: &mut StdRng) -> String {
    [
        "I'm so sorry about this, and thank you for telling us. I've checked your order and I'm arranging a replacement today; I'll call you by 4 pm with the tracking number.",
        "Thank you for your patience, and I apologise for the trouble. I've refunded the duplicate charge; you will see it on your statement within 3 working days.",
        "I understand how frustrating this must be. I've escalated it to our engineering lead and will update you by tomorrow at 10 am.",
    ]
    .choose(rng)
    .map(|s| (*s).to_owned())
    .unwrap_or_default()
}

pub(crate) fn follow_up(rng: &mut StdRng) -> String {
    [
        "Thanks for getting back to me. Any news?",
        "It's been two days and still nothing. When will this actually be fixed?",
        "OK, the replacement arrived. Thank you.",
    ]
    .choose(rng)
    .map(|s| (*s).to_owned())
    .unwrap_or_default()
}

pub(crate) fn note(rng: &mut StdRng) -> String {
    [
        "Checked with the warehouse: the parcel was mis-sorted at the depot.",
        "Customer has been with us four years; goodwill gesture approved up to $25.",
        "Second contact about this. Keep the customer updated daily.",
    ]
    .choose(rng)
    .map(|s| (*s).to_owned())
    .unwrap_or_default()
}

pub(crate) fn still_broken(rng: &mut StdRng) -> String {
    [
        "This is not solved at all. It happened again this morning.",
        "You closed this but nothing has changed. Please reopen it.",
    ]
    .choose(rng)
    .map(|s| (*s).to_owned())
    .unwrap_or_default()
}
