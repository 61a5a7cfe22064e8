//! Phrase lists kept as data (`lexicon/en/*.txt`), matched over tokens with their spans.
//!
//! A phrase is a sequence of words; `*` stands for any one word. A phrase never matches across
//! a clause break (`. , ! ? ; :`), so "no. refund" is not "no refund". In a list file two
//! shorthands keep a family of phrases on one line: `fly|use|book` is any one of those words,
//! `**` is up to three words of any kind (`never fly|use ** again`), and `@mention` any `@name`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::text::{Token, TokenKind};

/// A phrase found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Which phrase of the list.
    pub phrase: usize,
    /// Index of its first token.
    pub first: usize,
    /// Index just past its last token.
    pub last: usize,
    /// Byte span in the text.
    pub start: usize,
    /// Byte span end.
    pub end: usize,
}

/// One word of a phrase: its text and [`word_key`], or any word at all.
#[derive(Debug, Clone)]
enum Word {
    Exactly {
        key: u64,
        text: crate::text::Norm,
    },
    Any,
    /// Any `@name`: written `@mention` in a list.
    AnyMention,
}

/// A comment line: `#` alone or followed by a space.
fn is_comment(line: &str) -> bool {
    line == "#" || line.starts_with("# ")
}

/// Every phrase a list line stands for: `a|b` is either word, `**` up to three of any word.
pub fn expand(line: &str) -> Vec<String> {
    let mut phrases = vec![String::new()];
    for word in line.split_whitespace() {
        let choices: Vec<String> = if word == "**" {
            (0..=3).map(|n| vec!["*"; n].join(" ")).collect()
        } else {
            word.split('|').map(str::to_owned).collect()
        };
        phrases = phrases
            .iter()
            .flat_map(|head| {
                choices.iter().map(move |choice| {
                    [head.as_str(), choice.as_str()]
                        .iter()
                        .filter(|part| !part.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
            })
            .collect();
    }
    phrases
}

/// A list of phrases, indexed by the key of their first word.
#[derive(Debug, Clone)]
pub struct PhraseList {
    phrases: Vec<Vec<Word>>,
    by_first: HashMap<u64, Vec<usize>, BuildHasherDefault<Keyed>>,
    /// One bit per first word's key (its top 12 bits): most tokens start no phrase, and this
    /// says so without a table lookup.
    starts: [u64; 64],
}

impl PhraseList {
    /// Parses one phrase per line, with its shorthands spelt out ([`expand`]); a line of `#`
    /// then a space is a comment (`#neveragain` is a hashtag to find).
    pub fn parse(text: &str) -> Self {
        let phrases: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !is_comment(l))
            .flat_map(expand)
            .collect();
        Self::from_phrases(phrases.iter().map(String::as_str))
    }

    /// Builds a list from phrases.
    pub fn from_phrases<'a>(phrases: impl IntoIterator<Item = &'a str>) -> Self {
        let mut list = PhraseList::default();
        for phrase in phrases {
            let words: Vec<Word> = crate::text::tokenize(phrase)
                .into_iter()
                .filter(|t| t.kind != TokenKind::Stop)
                .map(|t| {
                    if t.kind == TokenKind::Symbol && t.norm == "*" {
                        Word::Any
                    } else if t.kind == TokenKind::Mention && t.norm == "@mention" {
                        Word::AnyMention
                    } else {
                        Word::Exactly {
                            key: t.key,
                            text: t.norm,
                        }
                    }
                })
                .collect();
            list.add(words);
        }
        list
    }

    /// Adds a phrase. One that does not start with a word never matches, but keeps its number,
    /// so the phrases after it keep theirs (labels are looked up by it).
    fn add(&mut self, words: Vec<Word>) {
        if let Some(Word::Exactly { key, .. }) = words.first() {
            let (word, bit) = start_bit(*key);
            self.starts[word] |= bit;
            self.by_first
                .entry(*key)
                .or_default()
                .push(self.phrases.len());
        }
        self.phrases.push(words);
    }

    /// How many phrases.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Every match in `tokens`; phrases that overlap are merged into one hit (so "will never
    /// use you again" is one churn threat, not two halves), which keeps the first phrase's id.
    pub fn find(&self, tokens: &[Token]) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.search(tokens, |hit| merge(&mut hits, hit));
        hits
    }

    /// Calls `found` with every match, in token order (and phrase order at one token).
    fn search(&self, tokens: &[Token], mut found: impl FnMut(Hit)) {
        for (i, token) in tokens.iter().enumerate() {
            let (word, bit) = start_bit(token.key);
            if self.starts[word] & bit == 0 {
                continue;
            }
            let Some(candidates) = self.by_first.get(&token.key) else {
                continue;
            };
            for &phrase in candidates {
                if let Some(last) = matches_at(&self.phrases[phrase], tokens, i) {
                    found(Hit {
                        phrase,
                        first: i,
                        last,
                        start: token.start,
                        end: tokens[last - 1].end,
                    });
                }
            }
        }
    }
}

/// Adds `hit` to `hits` (found in order), merged into the last one when they overlap.
fn merge(hits: &mut Vec<Hit>, hit: Hit) {
    match hits.last_mut() {
        Some(previous) if hit.first < previous.last => {
            if hit.last > previous.last {
                previous.last = hit.last;
                previous.end = hit.end;
            }
        }
        _ => hits.push(hit),
    }
}

/// Several phrase lists searched in one pass over the tokens: a message is read for some twenty
/// lists, and looking each token up once instead of once per list is most of the lists' cost.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Every phrase of every list.
    all: PhraseList,
    /// For each phrase of `all`, its list and its number in that list.
    owner: Vec<(usize, usize)>,
    lists: usize,
}

impl Lexicon {
    /// The lists, searched together.
    pub fn new(lists: &[PhraseList]) -> Self {
        let mut all = PhraseList::default();
        let mut owner = Vec::new();
        for (list, phrases) in lists.iter().enumerate() {
            for (number, words) in phrases.phrases.iter().enumerate() {
                all.add(words.clone());
                owner.push((list, number));
            }
        }
        Lexicon {
            all,
            owner,
            lists: lists.len(),
        }
    }

    /// For each list, what [`PhraseList::find`] finds in `tokens`.
    pub fn find(&self, tokens: &[Token]) -> Vec<Vec<Hit>> {
        let mut found = vec![Vec::new(); self.lists];
        self.all.search(tokens, |hit| {
            let (list, phrase) = self.owner[hit.phrase];
            merge(&mut found[list], Hit { phrase, ..hit });
        });
        found
    }
}

impl Default for PhraseList {
    fn default() -> Self {
        PhraseList {
            phrases: Vec::new(),
            by_first: HashMap::default(),
            starts: [0; 64],
        }
    }
}

/// The word and bit of [`PhraseList::starts`] for a first word's key. FNV's top bits depend on
/// every byte of the word, its low bits much less.
fn start_bit(key: u64) -> (usize, u64) {
    let top = (key >> 52) as usize;
    (top >> 6, 1 << (top & 63))
}

/// Where the phrase `words` ends when it starts at token `at`.
fn matches_at(words: &[Word], tokens: &[Token], at: usize) -> Option<usize> {
    let mut t = at;
    for word in words {
        let token = tokens.get(t)?;
        if token.kind == TokenKind::Stop {
            return None;
        }
        match word {
            Word::Exactly { key, text } if *key != token.key || *text != token.norm => return None,
            Word::AnyMention if token.kind != TokenKind::Mention => return None,
            _ => {}
        }
        t += 1;
    }
    Some(t)
}

/// Word beginnings ("fuck" for "fuckinnn"), matched as the start of a word.
#[derive(Debug, Clone)]
pub struct Stems {
    stems: Vec<String>,
    /// One bit per stem's first two bytes (folded to 12 bits): most words start like no stem,
    /// and this says so without comparing them to each.
    openings: [u64; 64],
}

impl Stems {
    /// Parses one stem per line; `#` starts a comment line. Stems are at least two bytes long
    /// (shorter ones are left out: a one-letter stem would match every other word).
    pub fn parse(text: &str) -> Self {
        let mut stems = Stems {
            stems: Vec::new(),
            openings: [0; 64],
        };
        for stem in text
            .lines()
            .map(str::trim)
            .filter(|l| l.len() >= 2 && !l.starts_with('#'))
        {
            let (word, bit) = Self::opening(stem.as_bytes());
            stems.openings[word] |= bit;
            stems.stems.push(stem.to_owned());
        }
        stems
    }

    fn opening(word: &[u8]) -> (usize, u64) {
        let folded = ((usize::from(word[0]) << 6) ^ usize::from(word[1])) & 4095;
        (folded >> 6, 1 << (folded & 63))
    }

    /// Whether `word` starts with one of the stems.
    pub fn start(&self, word: &str) -> bool {
        if word.len() < 2 {
            return false;
        }
        let (at, bit) = Self::opening(word.as_bytes());
        self.openings[at] & bit != 0 && self.stems.iter().any(|s| word.starts_with(s.as_str()))
    }
}

/// Parses `kind<TAB>…` lines into (kind, rest) pairs.
pub fn tab_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::trim).collect::<Vec<_>>())
}

/// Whether a negation stands in the same clause within `window` words before token `at`.
pub fn negated_before(tokens: &[Token], at: usize, window: usize) -> bool {
    tokens[..at]
        .iter()
        .rev()
        .take_while(|t| t.kind != TokenKind::Stop)
        .take(window)
        .any(|t| crate::text::is_negation(&t.norm))
}

/// The phrase index's keys are already hashes ([`crate::text::word_key`]); hashing them again
/// would only cost time.
#[derive(Default)]
pub struct Keyed(u64);

impl Hasher for Keyed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    #[test]
    fn a_phrase_that_cannot_start_keeps_the_numbers_of_those_after_it() {
        let list = PhraseList::parse("* refund\n!!\nmoney back\nrefund");
        let tokens = tokenize("I want my money back, a refund");
        let phrases: Vec<usize> = list.find(&tokens).iter().map(|h| h.phrase).collect();
        assert_eq!(phrases, [2, 3]);
        let together = Lexicon::new(&[PhraseList::parse("refund"), list]);
        let found = together.find(&tokens);
        assert_eq!(found[0].iter().map(|h| h.phrase).collect::<Vec<_>>(), [0]);
        assert_eq!(
            found[1].iter().map(|h| h.phrase).collect::<Vec<_>>(),
            [2, 3]
        );
    }
}
