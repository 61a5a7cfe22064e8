//! Speed of the engine on one core: a tweet-sized message, a 2 KB email, a 1 KB draft.
//! Targets (issue 3): 100,000 tweets/s, 10,000 emails/s, coaching a 1 KB draft under 50 µs.
//! Then the same messages read through the optional sentence encoder, when it is installed
//! (no target: it is opt-in because it costs milliseconds).

#[path = "../tests/common/mod.rs"]
mod common;

use amends_analysis::{assess, coach, CoachContext, Model};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const TWEET: &str = "@SkyAir flight 214 delayed AGAIN and nobody at the gate can tell us anything. 3 hours now. Worst airline ever, I want a refund";

fn email() -> String {
    let paragraph = "Hello, I ordered a blender from your shop two weeks ago (order 48213) and it arrived with a cracked jug. \
        I called on Monday and was told someone would call me back, but nobody did. I have now waited long enough and I am \
        really disappointed with how this has been handled. I would like a replacement sent this week, or a full refund to my card. \
        If this is not sorted I will cancel my subscription and leave a review. ";
    let mut text = String::new();
    while text.len() < 2048 {
        text.push_str(paragraph);
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
    };
    assessing(c, "assess", model, &email, 100);
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

/// Assessing a tweet and `email` with `model`, as the group `name`.
fn assessing(c: &mut Criterion, name: &str, model: &Model, email: &str, samples: usize) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.sample_size(samples);
    group.bench_with_input(BenchmarkId::new("tweet", TWEET.len()), TWEET, |b, text| {
        b.iter(|| assess(text, model))
    });
    group.bench_with_input(BenchmarkId::new("email", email.len()), email, |b, text| {
        b.iter(|| assess(text, model))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
