//! Reading one customer message.

use serde::Serialize;

use crate::features::features_and_words;
use crate::feeling::{anger, Signs};
use crate::lexicon::{negated_before, Hit};
use crate::linear::LinearModel;
use crate::model::{Found, Phrases};
use crate::offence::{offence, Offence};
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

/// The anger from which a customer reads as angry rather than dissatisfied.
pub(crate) const ANGRY_AT: f32 = 0.55;

impl AngerLabel {
    /// The word for an anger of 0 to 1.
    fn of(anger: f32) -> AngerLabel {
        match anger {
            a if a < 0.3 => AngerLabel::Calm,
            a if a < ANGRY_AT => AngerLabel::Dissatisfied,
            a if a < 0.8 => AngerLabel::Angry,
            _ => AngerLabel::Furious,
        }
    }
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
    /// Whether the customer threatens violence or harm to people ("I'm going to punch you", "I
    /// know where you live"); not wishes, hyperbole, accusations or what others threatened.
    pub threat: bool,
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
/// The n-gram complaint scores too unsure to decide alone, where the encoder is read instead.
/// Chosen on the cross-validated scores of the public complaint set (docs/benchmarks.md): this
/// band sends about 39% of those tweets to the encoder for an F1 of 0.81, where reading every
/// tweet gives 0.82 and none 0.72; a narrower band falls under 0.80 quickly.
const COMPLAINT_UNSURE: std::ops::Range<f32> = 0.22..0.60;

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
    let head = |name: &str| score_of(&model.linear, &scores, name);

    let found = model.find(tokens);
    let negativity = negativity(head("negative"), &found, &mut evidence);
    let churn = threats_to_leave(tokens, &found);
    push(&mut evidence, "churn_threat", &churn);
    let offence = offence(tokens, model, &found, head("abusive"));
    push(&mut evidence, "threat", &offence.harm);
    push(&mut evidence, "abuse_at_staff", &offence.at_staff);
    push(&mut evidence, "swearing", &offence.swearing);
    push(&mut evidence, "abusive", &offence.abusive_words);
    for (kind, list) in [
        ("public_exposure_threat", Phrases::Public),
        ("legal_threat", Phrases::Legal),
        ("payment", Phrases::Payment),
        ("urgent", Phrases::Urgency),
        ("anger", Phrases::Anger),
    ] {
        push(&mut evidence, kind, found.get(list));
    }

    let negative = negativity >= NEGATIVE_AT
        || offence.is_at_staff()
        || !offence.harm.is_empty()
        || !churn.is_empty();
    let complaint_score = complaint_score(text, model, vector, (buckets, value), &scores);
    // A clearly happy message ("thanks, it works now") is not a complaint unless the complaint
    // head is sure.
    let happy = negativity < 0.15 && complaint_score.0 < 0.6;
    let complaint = (complaint_score.0 >= complaint_score.1 && !happy) || !churn.is_empty();
    let heads = [("negative", negative), ("complaint", complaint)];
    evidence.extend(strongest_words(tokens, words, model, heads, 3));

    let signs = signs(&found, &offence, &churn);
    let anger = anger(tokens, negativity, negative, &signs);
    let (requested_resolutions, asked) = requests(tokens, model, &found);
    evidence.extend(asked);
    let category =
        (complaint || negative).then(|| category(model, &found, &scores, &churn, &mut evidence));
    evidence.sort_by_key(|e| (e.start, e.end));
    Assessment {
        negative,
        negativity,
        anger,
        label: AngerLabel::of(anger),
        complaint,
        complaint_score: complaint_score.0,
        category,
        churn_threat: !churn.is_empty(),
        abusive: offence.abusive,
        abuse_at_staff: offence.is_at_staff(),
        threat: !offence.harm.is_empty(),
        swearing: !offence.swearing.is_empty(),
        offensive_score: offence.score,
        public_exposure_threat: !found.get(Phrases::Public).is_empty(),
        legal_threat: !found.get(Phrases::Legal).is_empty(),
        mentions_payment: !found.get(Phrases::Payment).is_empty(),
        requested_resolutions,
        urgent: !found.get(Phrases::Urgency).is_empty(),
        evidence,
    }
}

/// What head `name` of `linear` answered, among its `scores`.
fn score_of(linear: &LinearModel, scores: &[f32], name: &str) -> f32 {
    linear
        .head(name)
        .and_then(|h| scores.get(h).copied())
        .unwrap_or(0.0)
}

/// What raises the anger of a message beside its tone.
fn signs(found: &Found, offence: &Offence, churn: &[Hit]) -> Signs {
    Signs {
        anger_words: found.get(Phrases::Anger).len(),
        swearing: !offence.swearing.is_empty(),
        at_staff: offence.is_at_staff(),
        churn: !churn.is_empty(),
        law_or_public: !found.get(Phrases::Legal).is_empty()
            || !found.get(Phrases::Public).is_empty(),
        sarcasm: !found.get(Phrases::Sarcasm).is_empty(),
        harm: !offence.harm.is_empty(),
    }
}

/// The negativity head's score, raised by sarcasm and lowered by praise, whose words it adds
/// as evidence.
fn negativity(score: f32, found: &Found, evidence: &mut Vec<Evidence>) -> f32 {
    let sarcasm = found.get(Phrases::Sarcasm);
    let praise = found.get(Phrases::PositiveIdioms);
    push(evidence, "sarcasm", sarcasm);
    (score + 0.25 * sarcasm.len().min(2) as f32 - 0.3 * praise.len().min(2) as f32).clamp(0.0, 1.0)
}

/// The customer's threats to leave. An exit the same message takes back (a pause, a restart as
/// a fix) is none, nor is one negated just before ("not cancelling"); a hashtag ("#NeverAgain")
/// stands on its own, whatever came before it.
fn threats_to_leave(tokens: &[Token], found: &Found) -> Vec<Hit> {
    if !found.get(Phrases::ChurnNot).is_empty() {
        return Vec::new();
    }
    found
        .get(Phrases::Churn)
        .iter()
        .filter(|h| tokens[h.first].kind == TokenKind::Hashtag || !leaving_negated(tokens, h.first))
        .copied()
        .collect()
}

/// Whether a threat to leave starting at `at` is taken back by a negation in the three words
/// before it ("I will not cancel"). A negation that belongs to something else is not one:
/// "can't wait to go back to Android", "if not fixed soon, switching phones".
fn leaving_negated(tokens: &[Token], at: usize) -> bool {
    let start = at.saturating_sub(3);
    (start..at).rev().any(|i| {
        let blocked = tokens[i + 1..at].iter().any(|t| t.kind == TokenKind::Stop);
        let next = tokens.get(i + 1).map_or("", |t| t.norm.as_str());
        let elsewhere = matches!(
            next,
            "wait" | "fixed" | "resolved" | "sorted" | "solved" | "addressed" | "improved"
        );
        !blocked
            && tokens[i].kind != TokenKind::Stop
            && crate::text::is_negation(&tokens[i].norm)
            && !elsewhere
    })
}

/// The complaint head's score and the threshold it is read against. The n-gram head decides
/// where it is sure; where it is not ([`complaint_unsure`]) and the model has the heads for the
/// sentence encoder's vector (`vector` given, or computed by the model's encoder), the head that
/// reads that vector beside the n-grams decides. `scores` are the n-gram heads'.
fn complaint_score(
    text: &str,
    model: &Model,
    vector: Option<&[f32]>,
    (buckets, value): (&[u32], f32),
    scores: &[f32],
) -> (f32, f32) {
    let ngrams = score_of(&model.linear, scores, "complaint");
    if !complaint_unsure(ngrams) {
        return (ngrams, COMPLAINT_AT);
    }
    let encoded;
    let vector = match vector {
        Some(v) => Some(v),
        None if model.encoder_heads.is_some() => {
            encoded = model.encode(text);
            encoded.as_deref()
        }
        None => None,
    };
    match (&model.encoder_heads, vector) {
        (Some(heads), Some(vector)) => {
            let mut read = Vec::new();
            let input = encoder_input(vector, &model.linear, scores);
            heads.predict_with(buckets, value, &input, &mut read);
            let score = heads.head("complaint").and_then(|h| read.get(h).copied());
            (score.unwrap_or(0.0), ENCODER_COMPLAINT_AT)
        }
        _ => (ngrams, COMPLAINT_AT),
    }
}

/// Whether the n-gram complaint head's `score` is too unsure to decide alone: then the sentence
/// encoder, when the desk has one, is read (about 20 ms a message instead of microseconds).
pub(crate) fn complaint_unsure(score: f32) -> bool {
    COMPLAINT_UNSURE.contains(&score)
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
