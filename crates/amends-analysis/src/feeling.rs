//! How upset a customer is: the anger of a message, from its tone and the signs of feeling in it.

use crate::text::{Token, TokenKind};

/// What raises the anger beside the tone.
pub(crate) struct Signs {
    pub(crate) anger_words: usize,
    pub(crate) swearing: bool,
    pub(crate) at_staff: bool,
    pub(crate) churn: bool,
    /// A threat of the law or of going public.
    pub(crate) law_or_public: bool,
    pub(crate) sarcasm: bool,
    /// A threat of violence or harm.
    pub(crate) harm: bool,
}

/// The anger of a message that threatens harm, whatever its tone: furious.
const FURIOUS_AT_HARM: f32 = 0.95;

/// How angry, 0 to 1: a threat of harm is furious; otherwise the negativity, raised by angry
/// words, shouting, exclamation marks, outbursts (below), swearing, abuse, a threat to leave or
/// of the law or going public, and halved when the message is neither negative nor shows any
/// sign of feeling.
pub(crate) fn anger(tokens: &[Token], negativity: f32, negative: bool, signs: &Signs) -> f32 {
    if signs.harm {
        return FURIOUS_AT_HARM;
    }
    let Marks {
        shouting,
        exclaims,
        outbursts,
    } = marks(tokens);
    let outbursts = outbursts + usize::from(signs.sarcasm);
    let raise = |sign: bool, by: f32| if sign { by } else { 0.0 };
    let boost = 0.12 * signs.anger_words.min(3) as f32
        + raise(shouting > 0, 0.1)
        + 0.04 * exclaims.min(3) as f32
        + 0.2 * outbursts.min(2) as f32
        + raise(signs.swearing, 0.1)
        + raise(signs.at_staff, 0.2)
        + raise(signs.churn, 0.1)
        + raise(signs.law_or_public, 0.08);
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

/// What the writing itself shows, beside the words.
struct Marks {
    /// Words in capitals, of three letters or more.
    shouting: usize,
    exclaims: usize,
    /// Signs of feeling: rows of "?!" (two or more together; each row counts, at most two),
    /// upset faces (at most two) and a drawn-out word ("nooo", "pleeease"; one).
    outbursts: usize,
}

/// The marks of `tokens`, in one pass.
fn marks(tokens: &[Token]) -> Marks {
    let (mut shouting, mut exclaims, mut rows, mut faces) = (0, 0, 0, 0);
    let mut drawn = false;
    let mut row = 0;
    let mut last_end = usize::MAX;
    for token in tokens {
        let cry = token.kind == TokenKind::Stop && matches!(token.norm.as_str(), "!" | "?");
        row = match (cry, token.start == last_end) {
            (true, true) if row > 0 => row + 1,
            (true, _) => 1,
            (false, _) => 0,
        };
        rows += usize::from(row == 2);
        exclaims += usize::from(cry && token.norm == "!");
        shouting += usize::from(token.shouting && token.norm.len() > 2);
        match token.kind {
            TokenKind::Symbol => faces += usize::from(UPSET_EMOJI.contains(&token.norm.as_str())),
            TokenKind::Word => drawn = drawn || drawn_out(&token.norm),
            _ => {}
        }
        last_end = token.end;
    }
    Marks {
        shouting,
        exclaims,
        outbursts: rows.min(2) + faces.min(2) + usize::from(drawn),
    }
}

/// A word with a letter three times in a row.
fn drawn_out(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes
        .windows(3)
        .any(|w| w[0].is_ascii_alphabetic() && w[0] == w[1] && w[1] == w[2])
}
