//! Reading one customer message.

use serde::Serialize;

use crate::features::features_and_words;
use crate::lexicon::{negated_before, Hit, Stems};
use crate::linear::LinearModel;
use crate::model::{Found, Phrases};
use crate::text::{tokenize_into, Token, TokenKind};
use crate::Model;

/// How upset a customer is, in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AngerLabel {
    /// No sign of upset.
    Calm,
    /// Unhappy, still civil.
    Dissatisfied,
    /// Clearly angry.
    Angry,
    /// Shouting, swearing, threatening.
    Furious,
}

/// What a complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Late, still waiting.
    Delay,
    /// Lost or damaged goods or luggage.
    LostOrDamaged,
    /// A charge, a bill, a refund.
    Billing,
    /// Rude or poor service.
    PoorService,
    /// The product does not work.
    ProductFault,
    /// Something was cancelled.
    Cancellation,
    /// A booking or an account.
    BookingAccount,
    /// Anything else.
    Other,
}

impl Category {
    fn parse(raw: &str) -> Category {
        match raw {
            "delay" | "Late Flight" | "longlines" => Category::Delay,
            "lost_or_damaged" | "Lost Luggage" | "Damaged Luggage" => Category::LostOrDamaged,
            "billing" => Category::Billing,
            "poor_service" | "Customer Service Issue" | "Flight Attendant Complaints" => {
                Category::PoorService
            }
            "product_fault" | "Bad Flight" => Category::ProductFault,
            "cancellation" | "Cancelled Flight" => Category::Cancellation,
            "booking_account" | "Flight Booking Problems" => Category::BookingAccount,
            _ => Category::Other,
        }
    }
}

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Their money back.
    Refund,
    /// A new one.
    Replacement,
    /// Fixing it.
    Repair,
    /// Credit, a voucher, a discount.
    Credit,
    /// An apology.
    Apology,
    /// A call.
    CallBack,
    /// Ending the contract or order.
    Cancel,
}

impl Resolution {
    fn parse(raw: &str) -> Option<Resolution> {
        Some(match raw {
            "refund" => Resolution::Refund,
            "replacement" => Resolution::Replacement,
            "repair" => Resolution::Repair,
            "credit" => Resolution::Credit,
            "apology" => Resolution::Apology,
            "call_back" => Resolution::CallBack,
            "cancel" => Resolution::Cancel,
            _ => return None,
        })
    }
}

/// The words behind a finding: a byte span of the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Which finding, such as `churn_threat` or `negative`.
    pub kind: &'static str,
    /// Byte offset where the words start.
    pub start: usize,
    /// Byte offset just past them.
    pub end: usize,
}

/// Everything the engine reads in one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Whether the message is negative in tone.
    pub negative: bool,
    /// How negative, 0 to 1.
    pub negativity: f32,
    /// How angry, 0 to 1.
    pub anger: f32,
    /// The anger in a word.
    pub label: AngerLabel,
    /// Whether it is a complaint.
    pub complaint: bool,
    /// How likely a complaint, 0 to 1.
    pub complaint_score: f32,
    /// What the complaint is about, for complaints and negative messages.
    pub category: Option<Category>,
    /// Whether the customer threatens to leave.
    pub churn_threat: bool,
    /// Whether the message is abusive: insults or offensive language aimed at people, not
    /// swearing about the situation.
    pub abusive: bool,
    /// Whether the abuse is aimed at the staff ("you idiots").
    pub abuse_at_staff: bool,
    /// Whether the customer swears (at anything).
    pub swearing: bool,
    /// How likely offensive language, 0 to 1.
    pub offensive_score: f32,
    /// Whether they threaten a review, social media or the press.
    pub public_exposure_threat: bool,
    /// Whether they threaten legal or regulatory action.
    pub legal_threat: bool,
    /// Whether money comes up: payment, billing, refund.
    pub mentions_payment: bool,
    /// What they ask for, when they say it.
    pub requested_resolutions: Vec<Resolution>,
    /// Whether they say it is urgent.
    pub urgent: bool,
    /// The words behind every finding.
    pub evidence: Vec<Evidence>,
}

/// Decision thresholds of the statistical heads. The complaint threshold is the one with the
/// best cross-validated F1 on the public complaint set (`amends eval` prints the sweep).
const NEGATIVE_AT: f32 = 0.5;
const COMPLAINT_AT: f32 = 0.35;
/// The same for the complaint head that reads the sentence encoder's vector too.
const ENCODER_COMPLAINT_AT: f32 = 0.40;
const OFFENSIVE_AT: f32 = 0.3;

/// Longest text read, in bytes: past this the findings would not change, only the cost would.
const MAX_BYTES: usize = 64 * 1024;

/// What the heads reading the sentence encoder see beside the n-grams: the encoder's reading,
/// then the negativity head's log-odds (tone, learnt from the larger airline set). `scores` are
/// `linear`'s answers for the same text.
pub(crate) fn encoder_input(vector: &[f32], linear: &LinearModel, scores: &[f32]) -> Vec<f32> {
    let negative = linear
        .head("negative")
        .and_then(|h| scores.get(h))
        .map_or(0.0, |p| {
            let p = p.clamp(1e-4, 1.0 - 1e-4);
            (p / (1.0 - p)).ln()
        });
    let mut input = Vec::with_capacity(vector.len() + 1);
    input.extend_from_slice(vector);
    input.push(negative * NEGATIVE_INPUT_SCALE);
    input
}

/// The negativity log-odds are scaled to the size of the encoder's numbers (a vector of length
/// one), so one penalty suits both.
const NEGATIVE_INPUT_SCALE: f32 = 0.1;

/// Reads `text`. Never panics; spans are on character boundaries inside `text`.
pub fn assess(text: &str, model: &Model) -> Assessment {
    assess_with(text, model, None)
}

/// [`assess`], with the sentence encoder's reading of `text` when it is already known (training
/// and evaluation compute it once); without one, the model's encoder (if any) computes it.
pub fn assess_with(text: &str, model: &Model, vector: Option<&[f32]>) -> Assessment {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => read(text, model, vector, &mut scratch),
        Err(_) => read(text, model, vector, &mut Scratch::default()),
    })
}

/// Memory one reading needs, kept from one message to the next on each thread (as much as the
/// longest message read needed, which [`MAX_BYTES`] bounds: under a megabyte).
#[derive(Default)]
struct Scratch {
    tokens: Vec<Token>,
    buckets: Vec<u32>,
    words: Vec<Option<u32>>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

fn read(text: &str, model: &Model, vector: Option<&[f32]>, scratch: &mut Scratch) -> Assessment {
    let text = clip(text, MAX_BYTES);
    tokenize_into(text, &mut scratch.tokens);
    let Scratch {
        tokens,
        buckets,
        words,
    } = scratch;
    let tokens = &tokens[..];
    let mut evidence = Vec::new();
    let value = features_and_words(tokens, buckets, words);
    let buckets = &buckets[..];
    let words = &words[..];
    let mut scores = Vec::new();
    model.linear.predict(buckets, value, &mut scores);
    let head = |name: &str| {
        model
            .linear
            .head(name)
            .and_then(|h| scores.get(h).copied())
            .unwrap_or(0.0)
    };

    let found = model.find(tokens);
    let mut negativity = head("negative");
    let sarcasm = found.get(Phrases::Sarcasm);
    let praise = found.get(Phrases::PositiveIdioms);
    negativity = (negativity + 0.25 * sarcasm.len().min(2) as f32
        - 0.3 * praise.len().min(2) as f32)
        .clamp(0.0, 1.0);
    push(&mut evidence, "sarcasm", sarcasm);

    // An exit the same message takes back (a pause, a restart as a fix) is none.
    let churn: Vec<Hit> = if found.get(Phrases::ChurnNot).is_empty() {
        found
            .get(Phrases::Churn)
            .iter()
            .filter(|h| !negated_before(tokens, h.first, 3))
            .copied()
            .collect()
    } else {
        Vec::new()
    };
    push(&mut evidence, "churn_threat", &churn);
    let abuse = abuse_at_staff(tokens, &found);
    push(&mut evidence, "abuse_at_staff", &abuse);
    let profanity = found.get(Phrases::Profanity);
    push(&mut evidence, "swearing", profanity);
    let insults = found.get(Phrases::Insults);
    let mut offensive_words = found.get(Phrases::Offensive).to_vec();
    offensive_words.extend(insults.iter().copied());
    offensive_words.extend(stem_hits(tokens, &model.offensive_stems));
    let offensive_score = head("abusive");
    let situational = !profanity.is_empty()
        && insults.is_empty()
        && profanity.iter().all(|h| about_a_thing(tokens, h));
    // The head judges tone, the words are the evidence: without an offensive word or an insult
    // the message is not abusive, whatever the head's prior says.
    let abusive = !abuse.is_empty()
        || (offensive_score >= OFFENSIVE_AT && !offensive_words.is_empty() && !situational);
    if abusive && abuse.is_empty() {
        push(&mut evidence, "abusive", &offensive_words);
    }
    let public = found.get(Phrases::Public);
    push(&mut evidence, "public_exposure_threat", public);
    let legal = found.get(Phrases::Legal);
    push(&mut evidence, "legal_threat", legal);
    let payment = found.get(Phrases::Payment);
    push(&mut evidence, "payment", payment);
    let urgency = found.get(Phrases::Urgency);
    push(&mut evidence, "urgent", urgency);
    let anger_words = found.get(Phrases::Anger);
    push(&mut evidence, "anger", anger_words);

    let negative = negativity >= NEGATIVE_AT || !abuse.is_empty() || !churn.is_empty();
    let encoded;
    let vector = match vector {
        Some(v) => Some(v),
        None if model.encoder_heads.is_some() => {
            encoded = model.encode(text);
            encoded.as_deref()
        }
        None => None,
    };
    let (complaint_score, complaint_at) = match (&model.encoder_heads, vector) {
        (Some(heads), Some(vector)) => {
            let mut read = Vec::new();
            let input = encoder_input(vector, &model.linear, &scores);
            heads.predict_with(buckets, value, &input, &mut read);
            let score = heads.head("complaint").and_then(|h| read.get(h).copied());
            (score.unwrap_or(0.0), ENCODER_COMPLAINT_AT)
        }
        _ => (head("complaint"), COMPLAINT_AT),
    };
    // A clearly happy message ("thanks, it works now") is not a complaint unless the complaint
    // head is sure.
    let happy = negativity < 0.15 && complaint_score < 0.6;
    let complaint = (complaint_score >= complaint_at && !happy) || !churn.is_empty();
    let heads = [("negative", negative), ("complaint", complaint)];
    evidence.extend(strongest_words(tokens, words, model, heads, 3));

    let shouting = tokens
        .iter()
        .filter(|t| t.shouting && t.norm.len() > 2)
        .count();
    let exclaims = tokens.iter().filter(|t| t.norm == "!").count();
    let boost = 0.12 * anger_words.len().min(3) as f32
        + if shouting > 0 { 0.1 } else { 0.0 }
        + 0.04 * exclaims.min(3) as f32
        + if profanity.is_empty() { 0.0 } else { 0.1 }
        + if abuse.is_empty() { 0.0 } else { 0.2 }
        + if churn.is_empty() { 0.0 } else { 0.1 }
        + if legal.is_empty() && public.is_empty() {
            0.0
        } else {
            0.08
        };
    let mut anger = 0.6 * negativity + boost;
    if !negative {
        anger *= 0.5;
    }
    let anger = anger.clamp(0.0, 1.0);
    let label = match anger {
        a if a < 0.3 => AngerLabel::Calm,
        a if a < 0.55 => AngerLabel::Dissatisfied,
        a if a < 0.8 => AngerLabel::Angry,
        _ => AngerLabel::Furious,
    };

    let (requested_resolutions, asked) = requests(tokens, model, &found);
    evidence.extend(asked);
    let category =
        (complaint || negative).then(|| category(model, &found, &scores, &churn, &mut evidence));
    evidence.sort_by_key(|e| (e.start, e.end));
    Assessment {
        negative,
        negativity,
        anger,
        label,
        complaint,
        complaint_score,
        category,
        churn_threat: !churn.is_empty(),
        abusive,
        abuse_at_staff: !abuse.is_empty(),
        swearing: !profanity.is_empty(),
        offensive_score,
        public_exposure_threat: !public.is_empty(),
        legal_threat: !legal.is_empty(),
        mentions_payment: !payment.is_empty(),
        requested_resolutions,
        urgent: !urgency.is_empty(),
        evidence,
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn push(evidence: &mut Vec<Evidence>, kind: &'static str, hits: &[Hit]) {
    evidence.extend(hits.iter().map(|h| Evidence {
        kind,
        start: h.start,
        end: h.end,
    }));
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

/// The words that pushed each head named in `heads` (when its flag is set) up most, as evidence:
/// the words whose own weight for the head is largest and positive, heaviest first. `words` are
/// the tokens' word buckets, from the features the heads read (so with the same negation scope).
fn strongest_words<const N: usize>(
    tokens: &[Token],
    words: &[Option<u32>],
    model: &Model,
    heads: [(&'static str, bool); N],
    most: usize,
) -> Vec<Evidence> {
    let columns = heads.map(|(name, wanted)| {
        wanted
            .then(|| model.linear.head(name))
            .flatten()
            .unwrap_or(usize::MAX)
    });
    if columns.iter().all(|c| *c == usize::MAX) {
        return Vec::new();
    }
    let mut scored: [Vec<(f32, usize)>; N] = std::array::from_fn(|_| Vec::new());
    for (i, (token, bucket)) in tokens.iter().zip(words).enumerate() {
        let Some(bucket) =
            bucket.filter(|_| token.kind == TokenKind::Word && token.norm.len() >= 3)
        else {
            continue;
        };
        let weights = model.linear.weights(bucket, columns);
        for (scored, weight) in scored.iter_mut().zip(weights) {
            if weight > 0.0 {
                scored.push((weight, i));
            }
        }
    }
    // Heaviest first, then earliest: the first `most` in that order, without sorting the rest.
    let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let mut evidence = Vec::new();
    for (mut scored, (name, _)) in scored.into_iter().zip(heads) {
        if scored.len() > most && most > 0 {
            scored.select_nth_unstable_by(most - 1, order);
            scored.truncate(most);
        }
        scored.sort_by(order);
        evidence.extend(scored.into_iter().take(most).map(|(_, i)| Evidence {
            kind: name,
            start: tokens[i].start,
            end: tokens[i].end,
        }));
    }
    evidence
}

/// What the customer asks for: a resolution word with a request cue shortly before it.
fn requests(tokens: &[Token], model: &Model, found: &Found) -> (Vec<Resolution>, Vec<Evidence>) {
    let cues = found.get(Phrases::Cues);
    let mut kinds = Vec::new();
    let mut evidence = Vec::new();
    for hit in found.get(Phrases::Resolutions) {
        let cued = cues.iter().any(|c| {
            c.last <= hit.first
                && hit.first - c.last <= 5
                && tokens[c.last..hit.first]
                    .iter()
                    .all(|t| t.kind != TokenKind::Stop)
        });
        let Some(kind) = model.resolutions[hit.phrase]
            .first()
            .and_then(|k| Resolution::parse(k))
        else {
            continue;
        };
        if cued && !negated_before(tokens, hit.first, 4) {
            kinds.push(kind);
            evidence.push(Evidence {
                kind: "requested_resolution",
                start: hit.start,
                end: hit.end,
            });
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    (kinds, evidence)
}

fn category(
    model: &Model,
    found: &Found,
    scores: &[f32],
    churn: &[Hit],
    evidence: &mut Vec<Evidence>,
) -> Category {
    // "Cancel my account" is a threat to leave, not a complaint about the account.
    let hits: Vec<&Hit> = found
        .get(Phrases::Categories)
        .iter()
        .filter(|h| !churn.iter().any(|c| h.first < c.last && c.first < h.last))
        .collect();
    let mut counts: Vec<(Category, usize, usize)> = Vec::new();
    for hit in &hits {
        let Some(label) = model.categories[hit.phrase].first() else {
            continue;
        };
        let category = Category::parse(label);
        match counts.iter_mut().find(|c| c.0 == category) {
            Some(entry) => entry.1 += 1,
            None => counts.push((category, 1, hit.first)),
        }
    }
    if let Some(&(best, _, _)) = counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
    {
        for hit in hits.iter().filter(|h| {
            model.categories[h.phrase]
                .first()
                .map(|l| Category::parse(l))
                == Some(best)
        }) {
            evidence.push(Evidence {
                kind: "category",
                start: hit.start,
                end: hit.end,
            });
        }
        return best;
    }
    model
        .linear
        .heads
        .iter()
        .zip(scores)
        .filter_map(|(name, score)| name.strip_prefix("category:").map(|c| (c, *score)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(Category::Other, |(c, _)| Category::parse(c))
}
