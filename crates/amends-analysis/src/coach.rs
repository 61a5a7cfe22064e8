//! Coaching an agent's draft reply: what to change, with a suggested rewrite for each finding,
//! and what the draft already does well.

use serde::{Deserialize, Serialize};

use crate::assess::{clip, ANGRY_AT};
use crate::lexicon::{negated_before, Hit};
use crate::text::{tokenize, Token, TokenKind};
use crate::{public, Model};

/// What the coach knows besides the draft.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CoachContext {
    /// The customer's name, which the reply should use.
    pub customer_name: Option<String>,
    /// How angry the customer is, 0 to 1 (from the assessment of their message).
    pub customer_anger: Option<f32>,
    /// The most compensation the agent may offer, in whole currency units.
    pub authority_limit: Option<f64>,
    /// Whether the customer wrote in public (a post or a comment), so the reply is public too.
    pub public_post: bool,
}

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// "It will never happen again": a promise nobody can keep.
    ForbiddenPromise,
    /// Blame, excuses, defensiveness.
    Blame,
    /// Begging the customer to stay.
    Desperation,
    /// Saying what cannot be done where what can be done belongs.
    NegativeWording,
    /// No apology or acknowledgement of feelings to an upset customer.
    MissingAcknowledgement,
    /// The customer's name is not used.
    MissingName,
    /// "Soon" where a time belongs.
    VagueTime,
    /// Compensation beyond the agent's authority.
    OverAuthority,
    /// A refusal, a policy or "no information" with no alternative and no next step.
    Dismissive,
    /// An outcome the agent cannot control or does not know yet, stated as certain ("I'm
    /// confident it'll be worth the wait", "we'll make sure you can", before anything is checked).
    GuaranteedOutcome,
    /// On a public post: no offer to continue in private, or personal details written where
    /// anyone can read them.
    TakePrivate,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Should change.
    Medium,
    /// Must change: sending asks for confirmation.
    High,
}

/// One thing to change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// How much it matters.
    pub severity: Severity,
    /// Byte offset of the words (for a missing thing, where to insert it).
    pub start: usize,
    /// Byte offset past them (equal to `start` for an insertion).
    pub end: usize,
    /// Why, in a sentence for the agent.
    pub message: String,
    /// The text to put in place of `start..end`.
    pub suggestion: String,
}

/// Something the draft does well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strength {
    /// `apology`, `empathy`, `ownership` or `concrete_next_step`.
    pub kind: String,
    /// Byte span.
    pub start: usize,
    /// Byte span end.
    pub end: usize,
}

/// The coach's reading of a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coaching {
    /// 0 to 100.
    pub score: u8,
    /// What to change, in text order.
    pub findings: Vec<Finding>,
    /// What is good.
    pub strengths: Vec<Strength>,
    /// Whether a high-severity finding remains: sending should ask for confirmation.
    pub needs_confirmation: bool,
}

const MAX_BYTES: usize = 64 * 1024;

/// Coaches `draft`. Never panics; spans are on character boundaries inside `draft`.
pub fn coach(draft: &str, context: &CoachContext, model: &Model) -> Coaching {
    let draft = clip(draft, MAX_BYTES);
    let tokens = tokenize(draft);
    let concrete = concrete_times(&tokens);
    let mut findings = faults(draft, &tokens, &concrete, model);
    let mut strengths = strengths(&tokens, &concrete, model);
    let insert_at = greeting_end(&tokens, draft);
    missing_things(
        draft,
        context,
        &tokens,
        &strengths,
        insert_at,
        &mut findings,
    );
    findings.extend(over_authority(draft, &tokens, context));
    if context.public_post {
        findings.extend(public_reply(draft, &tokens));
    }
    findings.sort_by_key(|f| (f.start, f.end));
    strengths.sort_by_key(|s| (s.start, s.end));
    Coaching {
        score: score(&findings, &strengths),
        needs_confirmation: findings.iter().any(|f| f.severity == Severity::High),
        findings,
        strengths,
    }
}

/// The faults the coaching phrase list finds in a draft, each with its suggestion.
fn faults(
    draft: &str,
    tokens: &[Token],
    concrete: &[(usize, usize)],
    model: &Model,
) -> Vec<Finding> {
    // A refusal is dismissive only when nothing in the reply offers a way forward.
    let way_forward = !model.ways_forward.find(tokens).is_empty();
    let mut findings = Vec::new();
    for hit in model.coaching.list.find(tokens) {
        let labels = &model.coaching.labels[hit.phrase];
        let (Some(kind), Some(severity)) = (
            labels.first().and_then(|k| kind(k)),
            labels.get(1).and_then(|s| severity(s)),
        ) else {
            continue;
        };
        if skip(kind, &hit, tokens, concrete) || kind == FindingKind::Dismissive && way_forward {
            continue;
        }
        let suggestion = labels.get(2).cloned().unwrap_or_default();
        // "This will never happen again" is replaced whole, subject included, so the rewrite reads.
        let start = if kind == FindingKind::ForbiddenPromise {
            clause_start(tokens, hit.first)
        } else {
            hit.start
        };
        findings.push(Finding {
            kind,
            severity,
            start,
            end: hit.end,
            message: message(kind).to_owned(),
            suggestion: keep_case(&draft[start..hit.end], &suggestion),
        });
    }
    findings
}

/// What the draft does well: the good phrases and the concrete times.
fn strengths(tokens: &[Token], concrete: &[(usize, usize)], model: &Model) -> Vec<Strength> {
    let mut strengths = Vec::new();
    for hit in model.good.list.find(tokens) {
        if let Some(kind) = model.good.labels[hit.phrase].first() {
            strengths.push(Strength {
                kind: kind.clone(),
                start: hit.start,
                end: hit.end,
            });
        }
    }
    strengths.extend(concrete.iter().map(|&(start, end)| Strength {
        kind: "concrete_next_step".to_owned(),
        start,
        end,
    }));
    strengths
}

/// 100 less each finding's cost (a missing acknowledgement 20, then by severity 25, 10, 4), plus 3
/// for each kind of strength among apology, empathy, ownership and a concrete next step; 0 to 100.
fn score(findings: &[Finding], strengths: &[Strength]) -> u8 {
    let penalty: i32 = findings
        .iter()
        .map(|f| match (f.kind, f.severity) {
            (FindingKind::MissingAcknowledgement, _) => 20,
            (_, Severity::High) => 25,
            (_, Severity::Medium) => 10,
            (_, Severity::Low) => 4,
        })
        .sum();
    let bonus = 3 * ["apology", "empathy", "ownership", "concrete_next_step"]
        .iter()
        .filter(|k| strengths.iter().any(|s| s.kind == **k))
        .count();
    let bonus = i32::try_from(bonus).unwrap_or(0);
    u8::try_from((100 - penalty + bonus).clamp(0, 100)).unwrap_or(0)
}

fn kind(raw: &str) -> Option<FindingKind> {
    Some(match raw {
        "forbidden_promise" => FindingKind::ForbiddenPromise,
        "blame" => FindingKind::Blame,
        "desperation" => FindingKind::Desperation,
        "negative_wording" => FindingKind::NegativeWording,
        "vague_time" => FindingKind::VagueTime,
        "dismissive" => FindingKind::Dismissive,
        "guaranteed_outcome" => FindingKind::GuaranteedOutcome,
        _ => return None,
    })
}

fn severity(raw: &str) -> Option<Severity> {
    Some(match raw {
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => return None,
    })
}

fn message(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::ForbiddenPromise => {
            "nobody can promise it will never happen again; say what has changed instead"
        }
        FindingKind::Blame => {
            "this sounds like blame or an excuse; own the problem and say what you will do"
        }
        FindingKind::Desperation => "pleading sounds desperate; offer to put it right instead",
        FindingKind::NegativeWording => "say what you can do rather than what you cannot",
        FindingKind::MissingAcknowledgement => {
            "the customer is upset: apologise and acknowledge how they feel first"
        }
        FindingKind::MissingName => "use the customer's name",
        FindingKind::VagueTime => "give a concrete time the customer can hold you to",
        FindingKind::OverAuthority => {
            "this is more than you may offer without a supervisor's approval"
        }
        FindingKind::Dismissive => {
            "this turns the customer away: add what they can do next (an alternative, a contact, a next step)"
        }
        FindingKind::GuaranteedOutcome => {
            "this promises an outcome nobody has checked or can control; promise what you will do instead"
        }
        FindingKind::TakePrivate => public::TAKE_PRIVATE,
    }
}

/// Cases where a phrase is fine: "I can't promise it will never happen again" is honest, "you
/// should have received" is an expectation, and a vague word in a sentence that also gives a
/// concrete time is not vague.
fn skip(kind: FindingKind, hit: &Hit, tokens: &[Token], concrete: &[(usize, usize)]) -> bool {
    match kind {
        FindingKind::ForbiddenPromise => {
            let clause: Vec<&str> = tokens[..hit.first]
                .iter()
                .rev()
                .take_while(|t| t.kind != TokenKind::Stop)
                .take(6)
                .map(|t| t.norm.as_str())
                .collect();
            clause.contains(&"promise") && clause.iter().any(|w| crate::text::is_negation(w))
        }
        FindingKind::VagueTime => {
            let (from, to) = sentence(tokens, hit.first);
            concrete
                .iter()
                .any(|&(start, _)| start >= from && start < to)
        }
        // "You should have received an email" says what should have happened, not who failed.
        FindingKind::Blame => {
            tokens.get(hit.last).is_some_and(|next| {
                matches!(
                    next.norm.as_str(),
                    "received" | "receive" | "gotten" | "got" | "been" | "an" | "a"
                )
            }) && tokens[hit.last - 1].norm == "have"
        }
        FindingKind::NegativeWording => {
            negated_before(tokens, hit.first, 1)
                || tokens.get(hit.last).is_some_and(|t| t.norm == "promise")
        }
        _ => false,
    }
}

/// Where the clause holding token `at` starts, in bytes.
fn clause_start(tokens: &[Token], at: usize) -> usize {
    let first = tokens[..at]
        .iter()
        .rposition(|t| t.kind == TokenKind::Stop)
        .map_or(0, |i| i + 1);
    tokens[first].start
}

/// The byte range of the sentence around token `at`.
fn sentence(tokens: &[Token], at: usize) -> (usize, usize) {
    let ends = |t: &Token| t.kind == TokenKind::Stop && matches!(t.norm.as_str(), "." | "!" | "?");
    let start = tokens[..at]
        .iter()
        .rposition(ends)
        .map_or(0, |i| tokens[i].end);
    let end = tokens[at..]
        .iter()
        .position(ends)
        .map_or(usize::MAX, |i| tokens[at + i].start);
    (start, end)
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Spans of concrete times: "4 pm", "16:30", "tomorrow", "Thursday", "14 March", "within 24 hours".
fn concrete_times(tokens: &[Token]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let word = token.norm.as_str();
        let next = tokens.get(i + 1).map(|t| t.norm.as_str());
        let digits = word.chars().take_while(char::is_ascii_digit).count();
        let clock = digits > 0 && digits <= 2 && matches!(&word[digits..], "am" | "pm" | "h");
        let number_then_unit = digits == word.len()
            && digits > 0
            && matches!(
                next,
                Some("am" | "pm" | "hours" | "hour" | "days" | "working" | "minutes")
            );
        let colon = digits == word.len()
            && next == Some(":")
            && tokens
                .get(i + 2)
                .is_some_and(|t| t.norm.len() == 2 && t.norm.chars().all(|c| c.is_ascii_digit()));
        let named = matches!(word, "today" | "tomorrow" | "tonight")
            || WEEKDAYS.contains(&word)
            || (MONTHS.contains(&word) && word != "may");
        if clock || named {
            spans.push((token.start, token.end));
        } else if number_then_unit || colon {
            let last = if colon { i + 2 } else { i + 1 };
            spans.push((token.start, tokens[last].end));
        }
    }
    spans
}

/// Where a missing opening belongs: after "Hi"/"Dear"/"Hello" and a comma, or at the start.
fn greeting_end(tokens: &[Token], draft: &str) -> usize {
    match tokens.first().map(|t| t.norm.as_str()) {
        Some("hi" | "hello" | "dear" | "hey") => tokens
            .iter()
            .position(|t| t.kind == TokenKind::Stop)
            .map_or(tokens[0].end, |i| tokens[i].end),
        _ => draft.len() - draft.trim_start().len(),
    }
}

/// The customer's anger from which a reply owes an acknowledgement: when they read as angry. A
/// plain report of a problem ("my order has not come") reads as dissatisfied; a sign of feeling
/// on top of it (angry words, "???", an upset face, shouting, swearing) makes it angry. Checked
/// against the labelled replies' customers (`amends eval`, `no_empathy_to_upset`).
const UPSET_AT: f32 = ANGRY_AT;

fn missing_things(
    draft: &str,
    context: &CoachContext,
    tokens: &[Token],
    strengths: &[Strength],
    at: usize,
    findings: &mut Vec<Finding>,
) {
    let upset = context.customer_anger.unwrap_or(0.0) >= UPSET_AT;
    let acknowledged = strengths
        .iter()
        .any(|s| s.kind == "apology" || s.kind == "empathy");
    let space = if at > 0 && !draft[..at].ends_with(' ') {
        " "
    } else {
        ""
    };
    if upset && !acknowledged {
        findings.push(Finding {
            kind: FindingKind::MissingAcknowledgement,
            severity: Severity::Medium,
            start: at,
            end: at,
            message: message(FindingKind::MissingAcknowledgement).to_owned(),
            suggestion: format!(
                "{space}I'm so sorry about this, and I understand how frustrating it has been. "
            ),
        });
    }
    if let Some(name) = context
        .customer_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let first = name
            .split_whitespace()
            .next()
            .unwrap_or(name)
            .to_lowercase();
        let named = tokens.iter().any(|t| t.norm == first)
            || draft.to_lowercase().contains(&name.to_lowercase());
        if !named {
            let greeting = if at > 0 {
                format!(" {}", name.split_whitespace().next().unwrap_or(name))
            } else {
                format!("Hi {},\n", name.split_whitespace().next().unwrap_or(name))
            };
            let at = if at > 0 {
                tokens.first().map_or(0, |t| t.end)
            } else {
                at
            };
            findings.push(Finding {
                kind: FindingKind::MissingName,
                severity: Severity::Low,
                start: at,
                end: at,
                message: message(FindingKind::MissingName).to_owned(),
                suggestion: greeting,
            });
        }
    }
}

const COMPENSATION_WORDS: [&str; 12] = [
    "refund",
    "refunded",
    "credit",
    "voucher",
    "discount",
    "compensation",
    "gift",
    "gesture",
    "off",
    "reimburse",
    "goodwill",
    "back",
];

/// Amounts offered in a sentence about compensation that exceed the agent's limit.
/// The findings of a reply to a public post: personal details (an email address, a long number
/// such as a phone, account or card number) are high; no offer to continue privately is medium.
fn public_reply(draft: &str, tokens: &[Token]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = public::personal_details(draft)
        .into_iter()
        .map(|(start, end)| Finding {
            kind: FindingKind::TakePrivate,
            severity: Severity::High,
            start,
            end,
            message: public::NO_DETAILS.to_owned(),
            suggestion: String::new(),
        })
        .collect();
    if !public::invites_private(draft, tokens) && !draft.trim().is_empty() {
        let end = draft.trim_end().len();
        findings.push(Finding {
            kind: FindingKind::TakePrivate,
            severity: Severity::Medium,
            start: end,
            end,
            message: public::TAKE_PRIVATE.to_owned(),
            suggestion: public::INVITATION.to_owned(),
        });
    }
    findings
}

fn over_authority(draft: &str, tokens: &[Token], context: &CoachContext) -> Vec<Finding> {
    let Some(limit) = context.authority_limit else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for i in 0..tokens.len() {
        let Some((amount, start, end)) = amount_at(tokens, i, draft) else {
            continue;
        };
        let (from, to) = sentence(tokens, i);
        let about_compensation = tokens
            .iter()
            .filter(|t| t.start >= from && t.start < to)
            .any(|t| COMPENSATION_WORDS.contains(&t.norm.as_str()));
        if about_compensation && amount > limit {
            findings.push(Finding {
                kind: FindingKind::OverAuthority,
                severity: Severity::High,
                start,
                end,
                message: format!(
                    "{} (your limit is {limit:.2})",
                    message(FindingKind::OverAuthority)
                ),
                suggestion: format!("{limit:.2}"),
            });
        }
    }
    findings
}

/// An amount written `$50`, `£12.50`, `€20` or `50 dollars`, with its span.
fn amount_at(tokens: &[Token], i: usize, draft: &str) -> Option<(f64, usize, usize)> {
    let token = &tokens[i];
    let currency = matches!(token.norm.as_str(), "$" | "£" | "€");
    if currency {
        let number = tokens.get(i + 1).filter(|t| t.start == token.end)?;
        let (value, end) = number_from(tokens, i + 1, draft)?;
        return Some((value, token.start, end.max(number.end)));
    }
    let unit = tokens.get(i + 1).map(|t| t.norm.as_str());
    if matches!(
        unit,
        Some("dollars" | "pounds" | "euros" | "usd" | "eur" | "gbp")
    ) {
        let (value, _) = number_from(tokens, i, draft)?;
        return Some((value, token.start, tokens[i + 1].end));
    }
    None
}

fn number_from(tokens: &[Token], i: usize, draft: &str) -> Option<(f64, usize)> {
    let whole = tokens.get(i)?;
    let mut end = whole.end;
    if let (Some(dot), Some(cents)) = (tokens.get(i + 1), tokens.get(i + 2)) {
        if dot.norm == "." && dot.start == whole.end && cents.start == dot.end {
            end = cents.end;
        }
    }
    draft[whole.start..end]
        .replace(',', "")
        .parse()
        .ok()
        .map(|v| (v, end))
}

/// Capitalises the suggestion like the words it replaces.
fn keep_case(original: &str, suggestion: &str) -> String {
    if original.chars().next().is_some_and(char::is_uppercase) {
        let mut chars = suggestion.chars();
        chars.next().map_or_else(String::new, |c| {
            c.to_uppercase().collect::<String>() + chars.as_str()
        })
    } else {
        suggestion.to_owned()
    }
}
