//! Offence in a customer's message: insults aimed at the staff, abusive language in general, and
//! swearing, told apart from swearing about the situation.

use crate::lexicon::{negated_before, Hit, Stems};
use crate::model::{Found, Phrases};
use crate::text::{Token, TokenKind};
use crate::Model;

/// The offensive-language head's score from which offensive words make a message abusive.
const OFFENSIVE_AT: f32 = 0.3;

/// What a message says about offence, each with its words.
pub(crate) struct Offence {
    /// Threats of violence or harm to people.
    pub(crate) harm: Vec<Hit>,
    /// Insults and abusive phrases aimed at the staff ("you idiots").
    pub(crate) at_staff: Vec<Hit>,
    /// Whether the message is abusive: aimed at the staff, or offensive words the head agrees
    /// with that are not mere swearing about a thing.
    pub(crate) abusive: bool,
    /// The offensive words that make it abusive when the abuse is not at the staff.
    pub(crate) abusive_words: Vec<Hit>,
    pub(crate) swearing: Vec<Hit>,
    /// The offensive-language head's score.
    pub(crate) score: f32,
}

impl Offence {
    pub(crate) fn is_at_staff(&self) -> bool {
        !self.at_staff.is_empty()
    }
}

/// Reads abuse at staff, swearing and abusive language. The head judges tone, the words are the
/// evidence: without an offensive word or an insult the message is not abusive, whatever the
/// head's prior says, nor when all it does is swear about a thing.
pub(crate) fn offence(tokens: &[Token], model: &Model, found: &Found, score: f32) -> Offence {
    let harm = threats_of_harm(tokens, found);
    let at_staff = abuse_at_staff(tokens, found);
    let profanity = found.get(Phrases::Profanity);
    let insults = found.get(Phrases::Insults);
    let mut offensive_words = found.get(Phrases::Offensive).to_vec();
    offensive_words.extend(insults.iter().copied());
    offensive_words.extend(stem_hits(tokens, &model.offensive_stems));
    let situational = !profanity.is_empty()
        && insults.is_empty()
        && profanity.iter().all(|h| about_a_thing(tokens, h));
    let abusive = !at_staff.is_empty()
        || !harm.is_empty()
        || (score >= OFFENSIVE_AT && !offensive_words.is_empty() && !situational);
    if !abusive || !at_staff.is_empty() {
        offensive_words.clear();
    }
    Offence {
        harm,
        at_staff,
        abusive,
        abusive_words: offensive_words,
        swearing: profanity.to_vec(),
        score,
    }
}

/// Threats of violence or harm: harm to people the writer says they will do ("I'm going to
/// punch you"), or a menace on its own ("I know where you live"); never when negated ("I would
/// never hurt you"). Wishes ("I hope someone punches you"), hyperbole about the writer ("this is
/// killing me", "#killme"), accusations ("trying to kill me") and what others said they would do
/// (quoted, or retweeted) are not the writer's intent, so they are no threat.
fn threats_of_harm(tokens: &[Token], found: &Found) -> Vec<Hit> {
    let harm = found
        .get(Phrases::Harm)
        .iter()
        .filter(|h| said_by_the_writer(tokens, h.first));
    let menace = found.get(Phrases::Menace).iter();
    harm.chain(menace)
        .filter(|h| !negated_before(tokens, h.first, 6) && !reported(tokens, h.first))
        .copied()
        .collect()
}

/// Whether the words at `at` are someone else's, repeated: inside quotation marks, or after
/// "RT @name" (a retweet).
fn reported(tokens: &[Token], at: usize) -> bool {
    let before = &tokens[..at];
    let quotes = before
        .iter()
        .filter(|t| matches!(t.norm.as_str(), "\"" | "\u{201c}" | "\u{201d}"))
        .count();
    let retweet = before
        .windows(2)
        .any(|w| w[0].norm == "rt" && w[1].kind == TokenKind::Mention);
    quotes % 2 == 1 || retweet
}

/// Whether the clause before `at` says the writer will do it: "I'll", "imma", or "will",
/// "shall", "going (to)" or "gonna" whose subject is "I" (or, for "gonna", no subject at all).
fn said_by_the_writer(tokens: &[Token], at: usize) -> bool {
    let before: Vec<&Token> = tokens[..at]
        .iter()
        .rev()
        .take_while(|t| t.kind != TokenKind::Stop)
        .take(6)
        .collect();
    for (i, token) in before.iter().enumerate() {
        match token.norm.as_str() {
            "i'll" | "ill" | "imma" | "ima" | "i'mma" | "i'ma" => return true,
            "will" | "shall" | "going" | "gonna" | "finna" => {
                let subject = before[i + 1..].iter().find(|t| is_subject(&t.norm));
                return match subject {
                    Some(subject) => matches!(subject.norm.as_str(), "i" | "i'm" | "im"),
                    None => matches!(token.norm.as_str(), "gonna" | "finna"),
                };
            }
            _ => {}
        }
    }
    false
}

fn is_subject(word: &str) -> bool {
    matches!(
        word,
        "i" | "i'm"
            | "im"
            | "you"
            | "u"
            | "you're"
            | "he"
            | "she"
            | "they"
            | "we"
            | "it"
            | "he's"
            | "she's"
            | "they're"
            | "we're"
            | "someone"
            | "somebody"
    )
}

/// Insults aimed at "you" or the staff within the same clause, and abusive phrases.
fn abuse_at_staff(tokens: &[Token], found: &Found) -> Vec<Hit> {
    let mut hits = found.get(Phrases::Abuse).to_vec();
    let targets = found.get(Phrases::Targets);
    let mut insults = found.get(Phrases::Insults).to_vec();
    insults.extend_from_slice(found.get(Phrases::Belittling));
    for insult in insults {
        let aimed = targets.iter().any(|target| {
            if in_relative_clause(tokens, target) {
                return false;
            }
            let (from, to) = if target.last <= insult.first {
                (target.last, insult.first)
            } else if is_you(&tokens[target.first]) {
                // "a joke you can mail": an insult before "you" is seldom aimed at them; one
                // before the staff ("useless agents") is.
                return false;
            } else {
                (insult.last, target.first)
            };
            let gap = &tokens[from.min(to)..to.max(from)];
            gap.len() <= 4 && gap.iter().all(|t| t.kind != TokenKind::Stop)
        });
        if aimed {
            let target = targets.iter().rfind(|t| t.last <= insult.first);
            let start = target.map_or(insult.start, |t| t.start.min(insult.start));
            hits.push(Hit { start, ..insult });
        }
    }
    hits
}

/// "the voucher you gave us is useless": "you" opening a clause about a thing is not what the
/// insult is aimed at.
fn in_relative_clause(tokens: &[Token], target: &Hit) -> bool {
    is_you(&tokens[target.first])
        && target.first >= 2
        && tokens[target.first - 1].kind == TokenKind::Word
        && matches!(
            tokens[target.first - 2].norm.as_str(),
            "the" | "a" | "an" | "this" | "that" | "every" | "any"
        )
}

/// Whether a target is the second person rather than staff by role.
fn is_you(token: &Token) -> bool {
    matches!(
        token.norm.as_str(),
        "you" | "u" | "ur" | "you're" | "youre" | "yourself" | "y'all" | "yall"
    )
}

/// Words that start with one of `stems`, ignoring a leading `#`.
fn stem_hits(tokens: &[Token], stems: &Stems) -> Vec<Hit> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != TokenKind::Stop && stems.start(t.norm.trim_start_matches('#')))
        .map(|(i, t)| Hit {
            phrase: 0,
            first: i,
            last: i + 1,
            start: t.start,
            end: t.end,
        })
        .collect()
}

/// Whether swearing is about a thing ("this damn parcel", "wtf") rather than at a person.
fn about_a_thing(tokens: &[Token], hit: &Hit) -> bool {
    let before = hit.first.checked_sub(1).map(|i| tokens[i].norm.as_str());
    let after = tokens.get(hit.last).map(|t| t.norm.as_str());
    matches!(
        before,
        Some("this" | "that" | "the" | "these" | "those" | "my" | "so" | "a" | "what" | "of")
    ) || after.is_none_or(|a| matches!(a, "!" | "." | "?" | ","))
}
