//! The features the statistical heads read: words, word pairs, character n-grams inside words
//! (which survive misspellings and creative spelling), negation scope and a few shapes such as
//! shouting, all hashed into a fixed number of buckets. Training and assessment share this code,
//! so what the model learnt is exactly what it later sees.

use crate::text::{is_negation, Token, TokenKind};

/// Buckets are `1 << BUCKET_BITS`.
pub const BUCKET_BITS: u32 = 18;
const MASK: u64 = (1 << BUCKET_BITS) - 1;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

fn bucket(hash: u64) -> u32 {
    // Fold the high bits in: FNV's low bits alone spread short keys poorly.
    ((hash ^ (hash >> 29)) & MASK) as u32
}

/// The bucket of a word's own feature (as [`features`] hashes it), for explaining a decision
/// by the words that weighed most.
pub fn word_bucket(word: &str, negated: bool) -> u32 {
    let tag: &[u8] = if negated { b"n:" } else { b"w:" };
    bucket(fnv(fnv(FNV_OFFSET, tag), word.as_bytes()))
}

/// The hashed features of a token stream, each once, with the value every feature carries
/// (one over the square root of their number, so long texts do not shout louder).
pub fn features(tokens: &[Token], out: &mut Vec<u32>) -> f32 {
    out.clear();
    let mut negated = false;
    let mut previous: Option<u64> = None;
    let mut shouting = 0;
    let mut exclaims = 0;
    for token in tokens {
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
    out.sort_unstable();
    out.dedup();
    1.0 / (out.len() as f32).sqrt()
}

/// Character 3- to 5-grams of `<word>`, for words of three letters or more.
fn char_ngrams(word: &str, out: &mut Vec<u32>) {
    if word.len() < 3 || word.len() > 30 {
        return;
    }
    let mut padded = Vec::with_capacity(word.len() + 2);
    padded.push(b'<');
    padded.extend_from_slice(word.as_bytes());
    padded.push(b'>');
    for n in 3..=5 {
        if padded.len() < n {
            break;
        }
        for window in padded.windows(n) {
            out.push(bucket(fnv(fnv(FNV_OFFSET, b"c:"), window)));
        }
    }
}
