//! The features the statistical heads read: words, word pairs, character n-grams inside words
//! (which survive misspellings and creative spelling), negation scope and a few shapes such as
//! shouting, all hashed into a fixed number of buckets. Training and assessment share this code,
//! so what the model learnt is exactly what it later sees.

use crate::text::{fnv, is_negation, Token, TokenKind, FNV_OFFSET};

/// Buckets are `1 << BUCKET_BITS`.
pub const BUCKET_BITS: u32 = 18;
const MASK: u64 = (1 << BUCKET_BITS) - 1;

fn bucket(hash: u64) -> u32 {
    // Fold the high bits in: FNV's low bits alone spread short keys poorly.
    ((hash ^ (hash >> 29)) & MASK) as u32
}

/// The hashed features of a token stream, each once and in bucket order, with the value every
/// feature carries (one over the square root of their number, so long texts do not shout
/// louder).
pub fn features(tokens: &[Token], out: &mut Vec<u32>) -> f32 {
    features_and_words(tokens, out, &mut Vec::new())
}

/// [`features`], also giving for each token the bucket of its own word feature (`None` for
/// stops, links and mentions), so the words that weighed most can be named without hashing
/// them again.
pub fn features_and_words(
    tokens: &[Token],
    out: &mut Vec<u32>,
    words: &mut Vec<Option<u32>>,
) -> f32 {
    out.clear();
    words.clear();
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        collect(tokens, &mut seen, words);
        // Read in bucket order, the order training saw, so scores add up in the same order.
        seen.drain(out);
    });
    1.0 / (out.len() as f32).sqrt()
}

thread_local! {
    static SEEN: std::cell::RefCell<Buckets> = std::cell::RefCell::new(Buckets::new());
}

/// The set of buckets a text has produced so far: one bit per bucket, and one bit per 64 of
/// those saying which words of bits are not empty, so reading the set back in order (and
/// clearing it for the next text) visits only what was set, with no sorting.
struct Buckets {
    bits: Vec<u64>,
    words: Vec<u64>,
}

impl Buckets {
    fn new() -> Self {
        let bits = 1usize << (BUCKET_BITS - 6);
        Buckets {
            bits: vec![0; bits],
            words: vec![0; bits >> 6],
        }
    }

    fn push(&mut self, bucket: u32) {
        let word = (bucket >> 6) as usize;
        if let (Some(bits), Some(words)) = (self.bits.get_mut(word), self.words.get_mut(word >> 6))
        {
            *bits |= 1u64 << (bucket & 63);
            *words |= 1u64 << (word & 63);
        }
    }

    /// Appends every bucket in order to `out` and empties the set.
    fn drain(&mut self, out: &mut Vec<u32>) {
        for (w, words) in self.words.iter_mut().enumerate() {
            while *words != 0 {
                let word = (w << 6) | words.trailing_zeros() as usize;
                *words &= *words - 1;
                let Some(bits) = self.bits.get_mut(word) else {
                    continue;
                };
                while *bits != 0 {
                    out.push(
                        (u32::try_from(word << 6).unwrap_or(u32::MAX)) | bits.trailing_zeros(),
                    );
                    *bits &= *bits - 1;
                }
            }
        }
    }
}

fn collect(tokens: &[Token], out: &mut Buckets, words: &mut Vec<Option<u32>>) {
    let mut negated = false;
    let mut previous: Option<u64> = None;
    let mut shouting = 0;
    let mut exclaims = 0;
    for token in tokens {
        // These have no word feature of their own (the arms below go on to the next token).
        if matches!(
            token.kind,
            TokenKind::Stop | TokenKind::Url | TokenKind::Mention
        ) {
            words.push(None);
        }
        match token.kind {
            TokenKind::Stop => {
                negated = false;
                previous = None;
                if token.norm == "!" {
                    exclaims += 1;
                }
                if token.norm == "?" {
                    out.push(bucket(fnv(FNV_OFFSET, b"shape:question")));
                }
                continue;
            }
            TokenKind::Url => {
                out.push(bucket(fnv(FNV_OFFSET, b"<url>")));
                continue;
            }
            TokenKind::Mention => {
                out.push(bucket(fnv(FNV_OFFSET, b"@user")));
                previous = Some(fnv(FNV_OFFSET, b"@user"));
                continue;
            }
            _ => {}
        }
        if token.shouting {
            shouting += 1;
        }
        let word = token.norm.as_bytes();
        let tag: &[u8] = if negated { b"n:" } else { b"w:" };
        let word_hash = fnv(fnv(FNV_OFFSET, tag), word);
        out.push(bucket(word_hash));
        words.push(Some(bucket(word_hash)));
        if let Some(before) = previous {
            out.push(bucket(fnv(fnv(before, b" "), word)));
        }
        previous = Some(word_hash);
        if token.kind == TokenKind::Word {
            char_ngrams(&token.norm, out);
        }
        if is_negation(&token.norm) {
            negated = true;
        }
    }
    if shouting > 0 {
        out.push(bucket(fnv(FNV_OFFSET, b"shape:shouting")));
    }
    if exclaims > 0 {
        out.push(bucket(fnv(
            FNV_OFFSET,
            if exclaims > 1 {
                b"shape:!!"
            } else {
                b"shape:!"
            },
        )));
    }
    out.push(bucket(fnv(FNV_OFFSET, b"bias-feature")));
}

/// Character 3- to 5-grams of `<word>`, for words of three letters or more. FNV reads bytes in
/// order, so the 3-, 4- and 5-grams starting at one place are one hash run, read off as it
/// grows.
fn char_ngrams(word: &str, out: &mut Buckets) {
    if word.len() < 3 || word.len() > 30 {
        return;
    }
    let mut padded = [0u8; 32];
    let len = word.len() + 2;
    padded[0] = b'<';
    padded[1..len - 1].copy_from_slice(word.as_bytes());
    padded[len - 1] = b'>';
    let start = fnv(FNV_OFFSET, b"c:");
    for from in 0..len.saturating_sub(2) {
        let mut hash = fnv(start, &padded[from..from + 2]);
        for n in 3..=5 {
            let Some(&byte) = padded[..len].get(from + n - 1) else {
                break;
            };
            hash = fnv(hash, &[byte]);
            out.push(bucket(hash));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize;

    /// A word's n-grams as first written: each window hashed on its own.
    fn ngrams_one_by_one(word: &str) -> Vec<u32> {
        let mut all = Vec::new();
        if (3..=30).contains(&word.len()) {
            let padded = format!("<{word}>");
            for n in 3..=5 {
                for window in padded.as_bytes().windows(n) {
                    all.push(bucket(fnv(fnv(FNV_OFFSET, b"c:"), window)));
                }
            }
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    #[test]
    fn ngrams_hashed_in_one_run_are_the_ngrams_hashed_one_by_one() {
        for word in [
            "",
            "ok",
            "abc",
            "late",
            "parcel",
            "naïve",
            "😡😡",
            &"x".repeat(30),
            &"y".repeat(31),
        ] {
            let mut buckets = Buckets::new();
            char_ngrams(word, &mut buckets);
            let mut out = Vec::new();
            buckets.drain(&mut out);
            assert_eq!(out, ngrams_one_by_one(word), "{word}");
        }
    }

    #[test]
    fn features_are_distinct_and_sorted_and_leave_no_scratch_behind() {
        for text in [
            "",
            "ok",
            "abc",
            "Where is my parcel?? It is LATE again!!",
            "naïve café — 😡 wrong order, 3 hours",
            "a aa aaa aaaa aaaaa aaaaaa thirtycharacterslongwordxxxxxx thirtyonecharacterslongwordxxxxx",
        ] {
            let tokens = tokenize(text);
            let mut out = Vec::new();
            let value = features(&tokens, &mut out);
            let mut sorted = out.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(out, sorted, "{text}");
            assert!((value - 1.0 / (out.len() as f32).sqrt()).abs() < 1e-6);
            // The scratch bits are all clear again for the next text.
            SEEN.with(|seen| {
                let seen = seen.borrow();
                assert!(seen.bits.iter().chain(&seen.words).all(|b| *b == 0));
            });
        }
    }
}
