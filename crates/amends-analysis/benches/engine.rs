//! Speed of the engine on one core: tweet-sized messages, a 2 KB email, a 1 KB draft.
//! Targets (issue 3): 100,000 tweets/s, 10,000 emails/s, coaching a 1 KB draft under 50 µs.
//! Then the same messages read through the optional sentence encoder, when it is installed
//! (no target: it is opt-in because it costs milliseconds).
//!
//! The tweets are sixteen different ones read in turn and the email does not repeat itself, so
//! the heads' weights and the phrase lists are looked up as for real traffic, not for one text
//! whose every lookup stays in the cache.

#![allow(clippy::expect_used)] // a benchmark that cannot set up should stop right there

#[path = "../tests/common/mod.rs"]
mod common;

use amends_analysis::{assess, coach, CoachContext, Model};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const TWEETS: [&str; 16] = [
    "@SkyAir flight 214 delayed AGAIN and nobody at the gate can tell us anything. 3 hours now. Worst airline ever, I want a refund",
    "@ParcelCo my parcel says delivered but it's not here. Checked with neighbours. Where is it?? Order #55102",
    "Thanks @BrightBank, the new app finally lets me freeze my card in two taps. Nice work 👍",
    "@TeleMax third time this month the internet drops during work calls. I'm switching to another provider if this isn't fixed",
    "just got charged twice for the same order @ShopNow and your chat bot keeps closing on me. absolutely ridiculous",
    "@CityRail the 8:12 was cancelled with no announcement, stood on the platform for 40 min in the rain",
    "Is the Camden store open on Sunday? Want to pick up a click & collect order @HomeBits",
    "@FreshBox half my delivery was missing and the milk was warm. Not paying for food I can't eat.",
    "you lot are useless, absolute clowns running this company @QuickFix",
    "@StreamFlix love the new series!! could you add subtitles in Welsh please?",
    "booked a table for 6 through @DineOut and the restaurant had no record of it. Embarrassing in front of my in-laws",
    "@PowerGrid engineer was supposed to come between 8 and 12, it's 3pm and no call, no text, nothing",
    "My new @PhoneCo handset won't charge past 60% after the update. Tried two cables. Repair or replace?",
    "Never flying with @BudgetJet again. Lost my bag, lost my connection, and the staff laughed at us",
    "@GymOne cancelled my membership in March and you still took £39 in April and May. I want it back now",
    "Really impressed with @FixItNow, the plumber came within an hour and explained everything. Cheers!",
];

/// A 2 KB email that says different things all through, as a real one does.
fn email() -> String {
    let text = "Hello, I ordered a blender from your shop two weeks ago (order 48213) and it arrived with a cracked jug. \
        I called on Monday and was told someone would call me back the same day, but nobody did. On Wednesday I tried \
        the live chat, waited forty minutes in the queue, and was then disconnected without a word. Your website still \
        says the case is open and that I should expect an update within 24 hours, which it has said since last week. \
        I have been a customer for six years, I buy most of my kitchen things from you and I have always recommended \
        you to friends, so I am really disappointed with how this has been handled. The delivery driver also left the \
        box in the rain outside the front door although the note clearly asked for it to go to the neighbour at number \
        twelve. The manual was soaked and the receipt is barely readable, but the order confirmation email is attached. \
        What I would like is simple: a replacement jug or a new blender sent this week, with a courier slot I can \
        choose, or a full refund of the £89.99 to the card I paid with. I do not want store credit. Please also tell \
        me whether you need the broken jug back, and if so, arrange a collection rather than asking me to queue at the \
        post office, as I work full time and cannot take another morning off. If this is not sorted by Friday I will \
        cancel my subscription to your delivery club, dispute the payment with my bank and write an honest review about \
        the whole experience. I would much rather not do any of that. My phone number is on the account and I am \
        available after six in the evening most days, or by email at any time. I look forward to hearing from someone \
        who can actually make a decision. For what it is worth, the blender itself seemed well made before the jug \
        cracked on its first use, and I would happily keep buying from you if the way you treat a problem matched the \
        way you sell. Please pass this on to a manager if the first person to read it cannot help. Kind regards, \
        Margaret Ellis";
    let mut text = text.to_owned();
    while text.len() < 2048 {
        text.push_str(" Thanks.");
    }
    text.truncate(2048);
    text
}

fn draft() -> String {
    let paragraph = "Hi Ann, I'm so sorry about the cracked jug, and I understand how frustrating it has been to wait for a call that never came. \
        I've arranged a replacement today and I'll call you by 4 pm tomorrow with the tracking number. This will never happen again. \
        As a thank you for your patience I've added a $20 credit to your account. ";
    let mut text = String::new();
    while text.len() < 1024 {
        text.push_str(paragraph);
    }
    text.truncate(1024);
    text
}

fn engine(c: &mut Criterion) {
    let model = Model::english();
    let email = email();
    let draft = draft();
    let context = CoachContext {
        customer_name: Some("Ann Smith".to_owned()),
        customer_anger: Some(0.7),
        authority_limit: Some(50.0),
        public_post: false,
    };
    assessing(c, "assess", model, &email, 100);
    airline_tweets(c, model);
    let mut group = c.benchmark_group("coach");
    group.throughput(Throughput::Elements(1));
    group.bench_with_input(
        BenchmarkId::new("draft", draft.len()),
        draft.as_str(),
        |b, text| b.iter(|| coach(text, &context, model)),
    );
    group.finish();
    let Some(encoder) = common::encoder() else {
        return;
    };
    let model = &model.with_encoder(encoder).expect("heads for this encoder");
    assessing(c, "assess_with_encoder", model, &email, 20);
}

/// All the public airline tweets (`../shared/eval`, when it is there), read in turn: real
/// tweets, and too many for their features to stay in the cache between one reading and the
/// next. VADER's speed on the same file is the yardstick.
fn airline_tweets(c: &mut Criterion, model: &Model) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/eval/airline_sentiment.jsonl"
    );
    let Ok(file) = std::fs::read_to_string(path) else {
        eprintln!("no {path}: the airline tweets are not measured");
        return;
    };
    let tweets: Vec<String> = file
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|item| item["text"].as_str().map(str::to_owned))
        .collect();
    let mut group = c.benchmark_group("assess");
    group.throughput(Throughput::Elements(tweets.len() as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("airline_tweets", tweets.len()), |b| {
        b.iter(|| {
            tweets
                .iter()
                .map(|text| assess(text, model).anger)
                .sum::<f32>()
        })
    });
    group.finish();
}

/// Assessing the tweets (throughput counts each one) and `email` with `model`, as the group
/// `name`.
fn assessing(c: &mut Criterion, name: &str, model: &Model, email: &str, samples: usize) {
    let mut group = c.benchmark_group(name);
    group.sample_size(samples);
    group.throughput(Throughput::Elements(TWEETS.len() as u64));
    let bytes = TWEETS.iter().map(|t| t.len()).sum::<usize>() / TWEETS.len();
    group.bench_with_input(BenchmarkId::new("tweet", bytes), &TWEETS, |b, tweets| {
        b.iter(|| tweets.map(|text| assess(text, model)))
    });
    group.throughput(Throughput::Elements(1));
    group.bench_with_input(BenchmarkId::new("email", email.len()), email, |b, text| {
        b.iter(|| assess(text, model))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
