//! Finding articles by what a reader types: words cut to their stems, typing slips forgiven,
//! and ranked by BM25 with the title counting most. The store keeps, for every article, how
//! often each stem occurs (a posting) and for every stem its spellings one letter short; it
//! hands the postings a query reaches to [`rank`], so both databases rank alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::stop_words::STOP_WORDS;

/// How much a word in the title counts against one in the body.
pub const TITLE_WEIGHT: i64 = 3;

/// How much a word of a tag or of the category counts.
pub const LABEL_WEIGHT: i64 = 2;

/// The most words of a query that are read; a reader's whole paragraph is cut here.
pub const MAX_QUERY_WORDS: usize = 12;

/// The longest word kept, in characters; longer runs are not words anyone searches for.
pub const MAX_WORD_CHARS: usize = 40;

/// A word this short or shorter is matched only as typed: one letter off is another word.
pub const EXACT_BELOW: usize = 4;

/// How much a word matched only after forgiving a slip counts against one matched as typed.
pub const SLIP_FACTOR: f64 = 0.6;

/// How much more the very form typed counts, on top of its stem.
pub const FORM_FACTOR: f64 = 0.5;

/// BM25's saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The stems of `text`, in order: split on anything not a letter or digit, lowercased,
/// apostrophes dropped inside words (`don't` is `dont`), stop words and overlong runs left out.
pub fn stems(text: &str) -> Vec<String> {
    forms(text).into_iter().map(|(_, stem)| stem).collect()
}

/// The words of `text` as [`stems`] reads them, each beside its stem.
pub fn forms(text: &str) -> Vec<(String, String)> {
    let joined: String = text
        .chars()
        .filter(|c| !matches!(c, '\'' | '\u{2019}'))
        .collect();
    joined
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
        .map(str::to_lowercase)
        .filter(|w| STOP_WORDS.binary_search(&w.as_str()).is_err())
        .map(|w| {
            let stem = stem(&w);
            (w, stem)
        })
        .collect()
}

/// The weight the very word `word` has among a posting's `forms` (as [`postings`] writes
/// them: `word:weight` pairs), if the article holds that form: an article holding the very
/// word a reader typed ranks above one holding only another form of it (`package` above
/// `packaging`).
pub fn form_weight(forms: &str, word: &str) -> Option<i64> {
    forms.split(' ').find_map(|pair| {
        let (form, weight) = pair.rsplit_once(':')?;
        (form == word).then(|| weight.parse().ok()).flatten()
    })
}

/// A light English stemmer: plurals, `-ing`, `-ed`, `-ly` and a few endings that name the
/// same thing (`cancellation`, `cancelled`, `cancelling` are all `cancel`). It keeps at least
/// three letters, and leaves words with digits or other scripts' letters as they are.
pub fn stem(word: &str) -> String {
    if !word.chars().all(|c| c.is_ascii_lowercase()) || word.len() <= 3 {
        return word.to_owned();
    }
    let mut w = word.to_owned();
    for (ending, replacement) in [
        ("sses", "ss"),
        ("ies", "y"),
        ("ations", ""),
        ("ation", ""),
        ("ments", ""),
        ("ment", ""),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", "e"),
        ("s", ""),
    ] {
        if let Some(base) = w.strip_suffix(ending) {
            let keeps_its_s = ending == "s" && (base.ends_with('s') || base.ends_with('u'));
            if base.len() + replacement.len() >= 3 && !keeps_its_s {
                w = format!("{base}{replacement}");
                break;
            }
        }
    }
    // A doubled last consonant left by an ending goes: `cancell` → `cancel`, `shipp` → `ship`.
    let bytes = w.as_bytes();
    if bytes.len() > 3 {
        let (last, before) = (bytes[bytes.len() - 1], bytes[bytes.len() - 2]);
        if last == before && !b"aeiouls".contains(&last) || last == b'l' && before == b'l' {
            w.pop();
        }
    }
    // A final silent `e` goes, so `charge`, `charged` and `charging` meet at `charg`.
    if w.len() > 3 && w.ends_with('e') && !w.ends_with("ee") {
        w.pop();
    }
    w
}

/// How often each stem occurs in an article, weighted by where: the title counts
/// [`TITLE_WEIGHT`] times, tags and category [`LABEL_WEIGHT`] times, the body once; with the
/// forms it stands in, each weighted alike. Also the article's length in weighted words, which
/// BM25 divides by.
pub fn postings(title: &str, category: &str, tags: &[String], body: &str) -> (Vec<Posting>, i64) {
    let mut weights: HashMap<String, (i64, BTreeMap<String, i64>)> = HashMap::new();
    let mut length = 0;
    let mut add = |text: &str, weight: i64| {
        for (word, stem) in forms(text) {
            let entry = weights.entry(stem).or_default();
            entry.0 += weight;
            *entry.1.entry(word).or_default() += weight;
            length += weight;
        }
    };
    add(title, TITLE_WEIGHT);
    add(category, LABEL_WEIGHT);
    for tag in tags {
        add(tag, LABEL_WEIGHT);
    }
    add(body, 1);
    let mut postings: Vec<Posting> = weights
        .into_iter()
        .map(|(stem, (weight, forms))| Posting {
            stem,
            weight,
            forms: forms
                .iter()
                .map(|(form, weight)| format!("{form}:{weight}"))
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    postings.sort_by(|a, b| a.stem.cmp(&b.stem));
    (postings, length)
}

/// One stem of an article, as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The stem.
    pub stem: String,
    /// Its weighted count.
    pub weight: i64,
    /// The forms it stands in, `word:weight` pairs split by spaces.
    pub forms: String,
}

/// The spellings a stem is filed under for forgiving slips: itself and, from [`EXACT_BELOW`]
/// letters, every spelling with one letter left out. Two words one slip apart (a letter
/// missing, extra, wrong or two swapped) share one of these.
pub fn spellings(stem: &str) -> Vec<String> {
    let letters: Vec<char> = stem.chars().collect();
    let mut found = BTreeSet::from([stem.to_owned()]);
    if letters.len() >= EXACT_BELOW {
        for skip in 0..letters.len() {
            found.insert(
                letters
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, c)| c)
                    .collect(),
            );
        }
    }
    found.into_iter().collect()
}

/// Whether `typed` and `kept` are one slip apart (optimal string alignment distance 1):
/// what a shared spelling suggests, checked.
pub fn one_slip(typed: &str, kept: &str) -> bool {
    let a: Vec<char> = typed.chars().collect();
    let b: Vec<char> = kept.chars().collect();
    if a.len().abs_diff(b.len()) > 1 || a.len() < EXACT_BELOW || b.len() < EXACT_BELOW {
        return false;
    }
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, row);
    }
    prev[b.len()] == 1
}

/// The topic a question is grouped under among the knowledge base's gaps: its subject's
/// stems, each once, sorted, at most five (`Where's my parcel?` and `my parcel, where is it`
/// are one topic).
pub fn topic(subject: &str) -> String {
    let stems: BTreeSet<String> = stems(subject).into_iter().collect();
    stems.into_iter().take(5).collect::<Vec<_>>().join(" ")
}

/// A query read: its words, each stem at most once, in the order typed, as (word, stem).
pub fn query_terms(text: &str) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for (word, stem) in forms(text) {
        if !seen.iter().any(|(_, s)| *s == stem) {
            seen.push((word, stem));
        }
        if seen.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    seen
}

/// How a query's word reached an article's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Matched {
    /// Its stem, as typed.
    Stem,
    /// A stem one slip from the one typed.
    Slip,
    /// The very word typed (counted on top of its stem).
    Form,
}

/// One stem of an article that a query reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Reached {
    /// The query's stem it answers (by its place in the query).
    pub term: usize,
    /// The article.
    pub article_id: i64,
    /// The stem's weighted count in the article.
    pub weight: i64,
    /// The article's weighted length.
    pub length: i64,
    /// How many articles hold the stem.
    pub holders: i64,
    /// How.
    pub matched: Matched,
}

/// The articles `reached` ranks, best first, at most `limit`: BM25 summed over the query's
/// stems (each stem taking its best match in the article, a slip counting [`SLIP_FACTOR`],
/// the very form typed adding [`FORM_FACTOR`] of its own),
/// over `articles` articles averaging `average_length` weighted words. Ties go to the newer
/// article (the higher id).
pub fn rank(
    reached: &[Reached],
    asked: usize,
    articles: i64,
    average_length: f64,
    limit: usize,
) -> Vec<Ranked> {
    let n = articles.max(1) as f64;
    let average = average_length.max(1.0);
    let mut best: HashMap<(i64, usize, bool), f64> = HashMap::new();
    for hit in reached {
        let holders = (hit.holders.max(1) as f64).min(n);
        let idf = ((n - holders + 0.5) / (holders + 0.5) + 1.0).ln();
        let tf = hit.weight as f64;
        let norm = K1 * (1.0 - B + B * hit.length as f64 / average);
        let factor = match hit.matched {
            Matched::Stem => 1.0,
            Matched::Slip => SLIP_FACTOR,
            Matched::Form => FORM_FACTOR,
        };
        let score = factor * idf * tf * (K1 + 1.0) / (tf + norm);
        let form = hit.matched == Matched::Form;
        let entry = best.entry((hit.article_id, hit.term, form)).or_default();
        *entry = entry.max(score);
    }
    let mut scores: HashMap<i64, Ranked> = HashMap::new();
    for ((article_id, _, form), score) in best {
        let entry = scores.entry(article_id).or_insert(Ranked {
            article_id,
            score: 0.0,
            matched: 0,
            asked,
        });
        entry.score += score;
        if !form {
            entry.matched += 1;
        }
    }
    let mut ranked: Vec<Ranked> = scores.into_values().collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.article_id.cmp(&a.article_id))
    });
    ranked.truncate(limit);
    ranked
}

/// An article as a search ranked it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// The article.
    pub article_id: i64,
    /// Its BM25 score: comparable within one search only.
    pub score: f64,
    /// How many of the query's words it holds (as typed or one slip off).
    pub matched: usize,
    /// How many telling words the query had.
    pub asked: usize,
}

impl Ranked {
    /// Whether it answers the question well enough to send unasked: it holds at least half of
    /// the question's telling words, and at least two when the question has two or more. A
    /// share, not a score, so it means the same in a help centre of ten articles or ten
    /// thousand.
    pub fn answers_well(&self) -> bool {
        self.matched >= self.asked.min(2) && self.matched * 2 >= self.asked && self.asked > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_word_meet_at_one_stem() {
        for group in [
            &[
                "cancel",
                "cancelled",
                "cancelling",
                "cancellation",
                "cancels",
            ][..],
            &["charge", "charged", "charges", "charging"],
            &["refund", "refunds", "refunded", "refunding"],
            &["parcel", "parcels"],
            &["delivery", "deliveries"],
            &["ship", "shipped", "shipping"],
        ] {
            let stems: BTreeSet<String> = group.iter().map(|w| stem(w)).collect();
            assert_eq!(stems.len(), 1, "{group:?} gave {stems:?}");
        }
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("café"), "café");
        assert_eq!(stem("2fa"), "2fa");
    }

    #[test]
    fn a_question_keeps_only_the_words_that_tell() {
        let stems = |text: &str| -> Vec<String> {
            query_terms(text)
                .into_iter()
                .map(|(_, stem)| stem)
                .collect()
        };
        assert_eq!(
            stems("How do I get my money back?? \"refund\" OR -tracking*"),
            ["get", "money", "back", "refund", "track"]
        );
        assert_eq!(stems("Don't charge me twice"), ["charg", "twic"]);
        assert_eq!(
            query_terms("Refunds, refund")[0],
            ("refunds".into(), "refund".into())
        );
        assert!(stems(&"word ".repeat(100)).len() == 1);
        assert_eq!(stems(&"x".repeat(41)), Vec::<String>::new());
        assert_eq!(
            stems("b c d e f g h j k l m n o p q r").len(),
            MAX_QUERY_WORDS
        );
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, for the search"
        );
    }

    #[test]
    fn one_slip_is_forgiven_and_shares_a_spelling() {
        for (typed, kept) in [
            ("refnd", "refund"),
            ("reufnd", "refund"),
            ("refumd", "refund"),
            ("reffund", "refund"),
            ("pasword", "password"),
        ] {
            assert!(one_slip(typed, kept), "{typed} {kept}");
            let shared = spellings(typed)
                .into_iter()
                .any(|s| spellings(kept).contains(&s));
            assert!(shared, "{typed} {kept}");
        }
        assert!(!one_slip("refund", "refund"));
        assert!(
            !one_slip("abc", "abd"),
            "short words are matched only as typed"
        );
        assert!(!one_slip("parcel", "pencil"));
        assert_eq!(spellings("tax"), ["tax"]);
    }

    #[test]
    fn the_title_outranks_a_mention_and_a_slip_counts_less() {
        let hit = |term, article_id, weight, exact: bool| Reached {
            term,
            article_id,
            weight,
            length: 100,
            holders: 2,
            matched: if exact { Matched::Stem } else { Matched::Slip },
        };
        let ids = |ranked: &[Ranked]| ranked.iter().map(|r| r.article_id).collect::<Vec<_>>();
        let ranked = rank(
            &[hit(0, 1, TITLE_WEIGHT, true), hit(0, 2, 1, true)],
            1,
            10,
            100.0,
            10,
        );
        assert_eq!(ids(&ranked), [1, 2]);
        let ranked = rank(&[hit(0, 1, 1, false), hit(0, 2, 1, true)], 1, 10, 100.0, 10);
        assert_eq!(ranked[0].article_id, 2);
        // A term counts once per article, at its best.
        let ranked = rank(&[hit(0, 1, 1, true), hit(0, 1, 1, false)], 1, 10, 100.0, 10);
        let once = rank(&[hit(0, 1, 1, true)], 1, 10, 100.0, 10);
        assert_eq!(ranked, once);
        // Ties go to the newer article, and the limit holds.
        let ranked = rank(&[hit(0, 1, 1, true), hit(0, 2, 1, true)], 1, 10, 100.0, 1);
        assert_eq!(ids(&ranked), [2]);
        assert_eq!(ranked[0].score, once[0].score);
        // The very form typed counts on top of its stem.
        let form = Reached {
            matched: Matched::Form,
            ..hit(0, 1, 1, true)
        };
        let ranked = rank(
            &[hit(0, 1, 1, true), form, hit(0, 2, 1, true)],
            1,
            10,
            100.0,
            10,
        );
        assert_eq!(ranked[0].article_id, 1);
        assert_eq!(ranked[0].matched, 1, "the form is the same word");
    }

    #[test]
    fn questions_put_alike_share_a_topic() {
        assert_eq!(topic("Where's my parcel?"), topic("my parcel, where is it"));
        assert_eq!(
            topic("Gift vouchers for birthdays"),
            "birthday gift voucher"
        );
        assert_eq!(topic("the and of"), "");
    }

    #[test]
    fn an_answer_holds_most_of_what_was_asked() {
        let ranked = |matched, asked| Ranked {
            article_id: 1,
            score: 1.0,
            matched,
            asked,
        };
        assert!(ranked(1, 1).answers_well());
        assert!(ranked(2, 4).answers_well());
        assert!(!ranked(1, 2).answers_well(), "one word of two");
        assert!(!ranked(2, 5).answers_well(), "under half");
        assert!(!ranked(0, 0).answers_well());
    }

    #[test]
    fn postings_weigh_where_a_word_stands() {
        let (postings, length) = postings(
            "Refunds",
            "Billing",
            &["money-back".into()],
            "A refund takes five days.",
        );
        let find = |s: &str| postings.iter().find(|p| p.stem == s);
        let refund = find("refund").unwrap();
        assert_eq!(refund.weight, TITLE_WEIGHT + 1);
        assert_eq!(form_weight(&refund.forms, "refunds"), Some(TITLE_WEIGHT));
        assert_eq!(form_weight(&refund.forms, "refund"), Some(1));
        assert_eq!(form_weight(&refund.forms, "refunded"), None);
        assert_eq!(
            find("bil").map(|p| p.weight),
            Some(LABEL_WEIGHT),
            "{postings:?}"
        );
        assert_eq!(find("money").map(|p| p.weight), Some(LABEL_WEIGHT));
        assert!(find("a").is_none());
        assert_eq!(length, TITLE_WEIGHT + 3 * LABEL_WEIGHT + 4);
    }
}
