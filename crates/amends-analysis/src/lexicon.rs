//! Phrase lists kept as data (`lexicon/en/*.txt`), matched over tokens with their spans.
//!
//! A phrase is a sequence of words; `*` stands for any one word. A phrase never matches across
//! a clause break (`. , ! ? ; :`), so "no. refund" is not "no refund".

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

/// A list of phrases, indexed by first word.
#[derive(Debug, Clone, Default)]
pub struct PhraseList {
    phrases: Vec<Vec<String>>,
    by_first: HashMap<String, Vec<usize>, BuildHasherDefault<Fnv>>,
}

impl PhraseList {
    /// Parses one phrase per line; `#` starts a comment line.
    pub fn parse(text: &str) -> Self {
        Self::from_phrases(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        )
    }

    /// Builds a list from phrases.
    pub fn from_phrases<'a>(phrases: impl IntoIterator<Item = &'a str>) -> Self {
        let mut list = PhraseList::default();
        for phrase in phrases {
            let words: Vec<String> = crate::text::tokenize(phrase)
                .into_iter()
                .filter(|t| t.kind != TokenKind::Stop)
                .map(|t| {
                    if t.kind == TokenKind::Symbol && t.norm == "*" {
                        "*".to_owned()
                    } else {
                        t.norm
                    }
                })
                .collect();
            if words.is_empty() || words[0] == "*" {
                continue;
            }
            list.by_first
                .entry(words[0].clone())
                .or_default()
                .push(list.phrases.len());
            list.phrases.push(words);
        }
        list
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
        let mut hits: Vec<Hit> = Vec::new();
        for i in 0..tokens.len() {
            let Some(candidates) = self.by_first.get(tokens[i].norm.as_str()) else {
                continue;
            };
            for &phrase in candidates {
                let Some(last) = self.matches_at(&self.phrases[phrase], tokens, i) else {
                    continue;
                };
                let hit = Hit {
                    phrase,
                    first: i,
                    last,
                    start: tokens[i].start,
                    end: tokens[last - 1].end,
                };
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
        }
        hits
    }

    fn matches_at(&self, words: &[String], tokens: &[Token], at: usize) -> Option<usize> {
        let mut t = at;
        for word in words {
            let token = tokens.get(t)?;
            if token.kind == TokenKind::Stop {
                return None;
            }
            if word != "*" && *word != token.norm {
                return None;
            }
            t += 1;
        }
        Some(t)
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

/// FNV-1a: the phrase index is looked up once per token of every message, and its keys are the
/// project's own lexicon words, so a fast hash without flooding protection is the right trade.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}
