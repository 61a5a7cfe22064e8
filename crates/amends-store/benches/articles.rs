//! `cargo bench -p amends-store --bench articles -- --database URL [--articles N]`: the
//! knowledge base's search at a big help centre. Fills the database (kept between runs) up to
//! `--articles` published articles through `Store::write_article` (the real path: the row,
//! the revision, the index and the audit entry in one transaction), with words drawn the way
//! real text draws them (a few very common, a long tail of rarer ones); reports the write
//! rate, then times `Store::search_articles` (the whole search but HTTP: stems, slips,
//! postings, ranking and the articles loaded) for questions of several kinds. A measurement,
//! not a test: it asserts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(
    clippy::print_stdout,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::time::Instant;

use amends_core::audit::{Actor, AuditContext};
use amends_core::knowledge::{article_event, ArticleDraft, ArticleStatus, Audience, Readers};
use amends_core::Timestamp;
use amends_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Words of help articles, most common first; an article draws most of its words here.
const COMMON: &str = "your order account we you can the to if payment delivery refund card \
    email password parcel address subscription return item days working change cancel plan \
    settings sign page number tracking courier invoice bill charge price discount code gift \
    voucher app phone call contact support team hours week month store warehouse label post \
    office size colour stock replacement warranty repair damage missing late exchange credit \
    bank transfer statement receipt login security reset verify device update notification";

/// Syllables the long tail's words are made of: rarer product, place and feature names.
const SYLLABLES: [&str; 24] = [
    "bra", "ton", "ex", "lin", "mar", "qui", "sol", "ver", "dan", "pel", "rio", "cor", "fen",
    "gal", "hut", "jor", "kel", "mun", "nox", "pra", "sta", "tre", "ulm", "zed",
];

/// How many tail words there are.
const TAIL: u64 = 30_000;

fn tail_word(n: u64) -> String {
    let mut n = n;
    let mut word = String::new();
    for _ in 0..3 {
        word.push_str(SYLLABLES[(n % 24) as usize]);
        n /= 24;
    }
    word
}

/// A word drawn as text draws them: mostly common, otherwise from a Zipf-like tail.
fn word(rng: &mut StdRng, common: &[&str]) -> String {
    if rng.gen_bool(0.6) {
        let i = (rng.gen::<f64>().powi(2) * common.len() as f64) as usize;
        common[i.min(common.len() - 1)].to_owned()
    } else {
        let rank = (TAIL as f64).powf(rng.gen::<f64>()) as u64;
        tail_word(rank)
    }
}

fn words(rng: &mut StdRng, common: &[&str], count: usize) -> String {
    (0..count)
        .map(|_| word(rng, common))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word with one letter swapped for another: a reader's slip.
fn slip(rng: &mut StdRng, word: &str) -> String {
    let mut letters: Vec<char> = word.chars().collect();
    if letters.len() > 4 {
        let at = rng.gen_range(1..letters.len());
        letters[at] = if letters[at] == 'x' { 'y' } else { 'x' };
    }
    letters.into_iter().collect()
}

/// Makes a question of one kind.
type Question = fn(&mut StdRng, &[&str]) -> String;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(url) = arg("--database") else {
        eprintln!(
            "usage: cargo bench -p amends-store --bench articles -- --database URL [--articles N]"
        );
        return;
    };
    let target: usize = arg("--articles").map_or(10_000, |n| n.parse().unwrap());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let common: Vec<&str> = COMMON.split_whitespace().collect();
    fill(&store, &common, target).await;

    let mut rng = StdRng::seed_from_u64(11);
    println!("| question | n | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    let kinds: [(&str, Question); 4] = [
        ("two common words", |rng, common| words(rng, common, 2)),
        ("a five-word question", |rng, common| {
            format!("how do I {}?", words(rng, common, 5))
        }),
        ("a rare word", |rng, _| tail_word(rng.gen_range(0..TAIL))),
        ("three words, one slip", |rng, common| {
            let question = words(rng, common, 3);
            let first = question.split(' ').next().unwrap_or("").to_owned();
            format!("{} {question}", slip(rng, &first))
        }),
    ];
    for (name, make) in kinds {
        let questions: Vec<String> = (0..400).map(|_| make(&mut rng, &common)).collect();
        for question in questions.iter().take(20) {
            store
                .search_articles(question, Readers::Public, 10)
                .await
                .unwrap();
        }
        let mut times = Vec::new();
        for question in &questions {
            let started = Instant::now();
            store
                .search_articles(question, Readers::Public, 10)
                .await
                .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} |",
            times.len(),
            at(0.5),
            at(0.99),
            times[times.len() - 1]
        );
    }
    store.close().await;
}

async fn fill(store: &Store, common: &[&str], target: usize) {
    let have = store
        .articles(Readers::Editors, 1_000_000)
        .await
        .unwrap()
        .len();
    if have >= target {
        return;
    }
    let mut rng = StdRng::seed_from_u64(have as u64);
    let started = Instant::now();
    for n in have..target {
        let length = rng.gen_range(80..400);
        let title_length = rng.gen_range(3..9);
        let draft = ArticleDraft::parse(
            &words(&mut rng, common, title_length),
            &words(&mut rng, common, length),
            &format!("Category {}", n % 30),
            &[],
            ArticleStatus::Published,
            Audience::Public,
            None,
        )
        .unwrap();
        let context = AuditContext {
            actor: Actor::System,
            at: Timestamp(1_800_000_000_000),
            remote_addr: None,
        };
        store
            .write_article(None, &draft, None, &context, |_| Ok(()), article_event)
            .await
            .unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "wrote {} articles in {seconds:.1} s ({:.0} a second)",
        target - have,
        (target - have) as f64 / seconds
    );
}
