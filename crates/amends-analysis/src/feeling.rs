//! How upset a customer is: the anger of a message, from its tone and the signs of feeling in it.

use crate::text::{Token, TokenKind};

/// What raises the anger beside the tone.
pub(crate) struct Signs {
    pub(crate) anger_words: usize,
    pub(crate) swearing: bool,
    pub(crate) at_staff: bool,
    pub(crate) churn: bool,
    /// A threat of the law or of going public.
    pub(crate) threat: bool,
    pub(crate) sarcasm: bool,
}

/// How angry, 0 to 1: the negativity, raised by angry words, shouting, exclamation marks,
/// outbursts (below), swearing, abuse, a threat to leave or of the law or going public; halved
/// when the message is neither negative nor shows any sign of feeling.
pub(crate) fn anger(tokens: &[Token], negativity: f32, negative: bool, signs: &Signs) -> f32 {
    let shouting = tokens
        .iter()
        .filter(|t| t.shouting && t.norm.len() > 2)
        .count();
    let exclaims = tokens.iter().filter(|t| t.norm == "!").count();
    let outbursts = outbursts(tokens) + usize::from(signs.sarcasm);
    let raise = |sign: bool, by: f32| if sign { by } else { 0.0 };
    let boost = 0.12 * signs.anger_words.min(3) as f32
        + raise(shouting > 0, 0.1)
        + 0.04 * exclaims.min(3) as f32
        + 0.2 * outbursts.min(2) as f32
        + raise(signs.swearing, 0.1)
        + raise(signs.at_staff, 0.2)
        + raise(signs.churn, 0.1)
        + raise(signs.threat, 0.08);
    let mut anger = 0.6 * negativity + boost;
    let feeling = outbursts > 0 || signs.anger_words > 0 || shouting > 0;
    if !negative && !feeling {
        anger *= 0.5;
    }
    anger.clamp(0.0, 1.0)
}

/// Faces of anger, frustration, disgust or distress.
const UPSET_EMOJI: &[&str] = &[
    "😡", "😠", "🤬", "😤", "😭", "😢", "😩", "😫", "🙄", "😒", "🤦", "😞", "😔", "😣", "😖", "😰",
    "😱", "💔", "👎", "😑", "🤯", "🤢", "🤮",
];

/// Signs of feeling beyond the words: rows of "?!" (two or more together; each row counts,
/// at most two), upset faces (at most two) and a drawn-out word ("nooo", "pleeease"; one).
fn outbursts(tokens: &[Token]) -> usize {
    let mut rows = 0;
    let mut row = 0;
    let mut last_end = usize::MAX;
    for token in tokens {
        let cry = token.kind == TokenKind::Stop && matches!(token.norm.as_str(), "!" | "?");
        row = match (cry, token.start == last_end) {
            (true, true) if row > 0 => row + 1,
            (true, _) => 1,
            (false, _) => 0,
        };
        if row == 2 {
            rows += 1;
        }
        last_end = token.end;
    }
    let faces = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Symbol && UPSET_EMOJI.contains(&t.norm.as_str()))
        .count();
    let drawn_out = tokens
        .iter()
        .any(|t| t.kind == TokenKind::Word && drawn_out(&t.norm));
    rows.min(2) + faces.min(2) + usize::from(drawn_out)
}

/// A word with a letter three times in a row.
fn drawn_out(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes
        .windows(3)
        .any(|w| w[0].is_ascii_alphabetic() && w[0] == w[1] && w[1] == w[2])
}
