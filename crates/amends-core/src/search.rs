//! Search: what an agent typed in the search box, read into words, phrases and filters; how the
//! cases found are ranked; and where in a text the words were found, for highlighting.
//!
//! Words are what the store's full-text indexes make of a text: runs of letters and digits,
//! lowercased, accents kept, no stemming. Both databases index the same words and the ranking
//! is decided here, so they answer the same search with the same cases in the same order.

use crate::customer::{EmailAddress, PhoneNumber};
use crate::field::FieldError;
use crate::tag::Tag;
use crate::{CaseStatus, Channel, Timestamp};

/// The longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// The most words and phrases one search may combine.
pub const MAX_TERMS: usize = 16;

/// A search, read from what the agent typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words and phrases that must all be found in one text (a subject, a message, a customer).
    pub terms: Vec<Term>,
    /// When what was typed looks like a phone number: its last ten digits (fewer when it has
    /// fewer), which find a customer's number however either was written.
    pub phone: Option<String>,
    /// Which cases may be found.
    pub filters: SearchFilters,
}

/// A word or a phrase to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// One word; with `prefix`, any word that starts with it (`refund*`).
    Word {
        /// The word, lowercased.
        text: String,
        /// Whether longer words starting with it match too.
        prefix: bool,
    },
    /// Words next to each other in this order (typed in quotes, or joined by punctuation as in
    /// an address or an order number).
    Phrase(Vec<String>),
}

/// Which cases a search may find; the default allows every case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// `status:open`.
    pub status: Option<CaseStatus>,
    /// `channel:chat`.
    pub channel: Option<Channel>,
    /// `owner:me`, `owner:none` or `owner:ana@example.com`.
    pub owner: Option<OwnerFilter>,
    /// `customer:bo@example.com` or `customer:+44...`: the customer with that address.
    pub customer: Option<ContactFilter>,
    /// `after:2026-11-01`: texts from the start of that day (UTC) on.
    pub after: Option<Timestamp>,
    /// `before:2026-11-01`: texts before the start of that day (UTC).
    pub before: Option<Timestamp>,
    /// `angry`: cases whose customer reads angry or furious.
    pub angry: bool,
    /// `churn`: cases whose customer threatened to leave.
    pub churn: bool,
    /// `tag:refund` (each one given): cases carrying every one of these tags.
    pub tags: Vec<Tag>,
    /// `KEY:VALUE` for any other key: a custom field of the case or its customer with that
    /// value, checked against the fields the desk defines where the search runs.
    pub fields: Vec<(String, String)>,
}

impl SearchFilters {
    /// Whether any filter narrows the cases; customers are then not searched, since the
    /// filters speak of cases.
    pub fn narrows_cases(&self) -> bool {
        *self != SearchFilters::default()
    }
}

/// Whose cases `owner:` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerFilter {
    /// The searching agent's.
    Me,
    /// Cases no one owns.
    Nobody,
    /// The agent with this address.
    Agent(EmailAddress),
}

/// The address `customer:` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactFilter {
    /// An email address.
    Email(EmailAddress),
    /// A phone number.
    Phone(PhoneNumber),
}

const FILTERS: &str =
    "status:, channel:, owner:, customer:, tag:, after:, before:, angry, churn and custom fields";

/// The keys of search's own filters, which no custom field may take.
pub const FILTER_KEYS: [&str; 10] = [
    "status", "channel", "owner", "customer", "tag", "after", "before", "is", "angry", "churn",
];

impl SearchQuery {
    /// Reads what was typed in the search box. Refuses an empty search, one too long, an
    /// unknown filter or a filter with a value it cannot take, naming the field `q`.
    pub fn parse(raw: &str) -> Result<SearchQuery, FieldError> {
        let error = |message: String| FieldError::new("q", message);
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(error(format!(
                "must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut query = SearchQuery::default();
        let mut free = String::new();
        for (piece, quoted) in pieces(raw) {
            if quoted {
                query.push_words(words(piece).map(|(_, _, w)| w).collect(), false);
                continue;
            }
            match piece.split_once(':') {
                // `https://…` is an address to find, not a filter.
                Some((key, value))
                    if is_filter_key(key) && !value.is_empty() && !value.starts_with('/') =>
                {
                    query
                        .filters
                        .set(&key.to_lowercase(), value)
                        .map_err(error)?;
                }
                _ if piece.eq_ignore_ascii_case("angry") => query.filters.angry = true,
                _ if piece.eq_ignore_ascii_case("churn") => query.filters.churn = true,
                _ => {
                    free.push_str(piece);
                    free.push(' ');
                    let prefix = piece.ends_with('*');
                    query.push_words(words(piece).map(|(_, _, w)| w).collect(), prefix);
                }
            }
        }
        query.phone = phone_key(&free);
        if query.terms.len() > MAX_TERMS {
            return Err(error(format!(
                "may combine at most {MAX_TERMS} words and phrases"
            )));
        }
        if query.terms.is_empty() && !query.filters.narrows_cases() {
            return Err(error(format!("type words to find, or a filter: {FILTERS}")));
        }
        Ok(query)
    }

    fn push_words(&mut self, mut words: Vec<String>, prefix: bool) {
        match words.len() {
            0 => {}
            1 => {
                let text = words.remove(0);
                // A one-letter prefix would match most of the index.
                let prefix = prefix && text.chars().count() >= 2;
                self.terms.push(Term::Word { text, prefix });
            }
            _ => self.terms.push(Term::Phrase(words)),
        }
    }
}

/// Whether `key` can name a filter: a letter, then letters, digits and `_` (as custom field
/// keys are made).
fn is_filter_key(key: &str) -> bool {
    key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl SearchFilters {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value_lower = value.to_lowercase();
        match key {
            "status" => {
                let status = CaseStatus::parse(&value_lower)
                    .ok_or_else(|| format!("status:{value} is not a case status"))?;
                self.status = Some(status);
            }
            "channel" => {
                let channel = Channel::parse(&value_lower)
                    .ok_or_else(|| format!("channel:{value} is not a channel"))?;
                self.channel = Some(channel);
            }
            "owner" => {
                self.owner = Some(match value_lower.as_str() {
                    "me" => OwnerFilter::Me,
                    "none" | "nobody" => OwnerFilter::Nobody,
                    _ => OwnerFilter::Agent(
                        EmailAddress::parse("q", value)
                            .map_err(|_| "owner: takes me, none or an agent's email".to_owned())?,
                    ),
                });
            }
            "customer" => {
                let contact = EmailAddress::parse("q", value)
                    .map(ContactFilter::Email)
                    .or_else(|_| PhoneNumber::parse("q", value).map(ContactFilter::Phone))
                    .map_err(|_| "customer: takes an email address or a phone number".to_owned())?;
                self.customer = Some(contact);
            }
            "tag" => {
                let tag =
                    Tag::parse("q", value).map_err(|e| format!("tag:{value} {}", e.message))?;
                if !self.tags.contains(&tag) {
                    self.tags.push(tag);
                }
            }
            "after" => self.after = Some(day_start(key, value)?),
            "before" => self.before = Some(day_start(key, value)?),
            "is" if value_lower == "angry" => self.angry = true,
            "is" if value_lower == "churn" => self.churn = true,
            "is" => {
                return Err(format!(
                    "is:{value} is not a filter; is: takes angry or churn"
                ))
            }
            _ => self.fields.push((key.to_owned(), value.to_owned())),
        }
        Ok(())
    }
}

/// The start (UTC) of a day written `YYYY-MM-DD`.
fn day_start(key: &str, value: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(&format!("{value}T00:00:00Z"))
        .filter(|_| value.len() == 10)
        .ok_or_else(|| format!("{key}: takes a date like 2026-11-01"))
}

/// What was typed, cut at spaces outside quotes; each piece says whether it was quoted.
fn pieces(raw: &str) -> Vec<(&str, bool)> {
    let mut pieces = Vec::new();
    let mut rest = raw;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return pieces;
        }
        if let Some(inside) = rest.strip_prefix('"') {
            let end = inside.find('"').unwrap_or(inside.len());
            pieces.push((&inside[..end], true));
            rest = inside.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            pieces.push((&rest[..end], false));
            rest = &rest[end..];
        }
    }
}

/// The words of a text as the search indexes make them: runs of letters and digits, each with
/// its byte range in `text` and lowercased.
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.peek().is_some_and(|(_, c)| !c.is_alphanumeric()) {
            chars.next();
        }
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some((at, c)) = chars.peek().copied().filter(|(_, c)| c.is_alphanumeric()) {
            end = at + c.len_utf8();
            chars.next();
        }
        Some((start, end, text[start..end].to_lowercase()))
    })
}

/// The key a typed phone number is looked up by: its last ten digits, when everything typed
/// outside filters is a phone number (digits with `+`, spaces, dots, dashes and brackets, 6
/// to 15 digits).
fn phone_key(free: &str) -> Option<String> {
    let text = free.trim();
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
    {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if !(6..=15).contains(&digits.len()) {
        return None;
    }
    Some(digits[digits.len().saturating_sub(10)..].to_owned())
}

/// Where in a case a search found its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// The case's subject.
    Subject,
    /// A message from the customer.
    CustomerMessage,
    /// A reply to the customer.
    Reply,
    /// An internal note.
    Note,
}

impl Place {
    /// The place of a message that went `direction`.
    pub fn of(direction: crate::Direction) -> Place {
        match direction {
            crate::Direction::Inbound => Place::CustomerMessage,
            crate::Direction::Outbound => Place::Reply,
            crate::Direction::Note => Place::Note,
        }
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Subject => "subject",
            Place::CustomerMessage => "customer_message",
            Place::Reply => "reply",
            Place::Note => "note",
        }
    }

    /// How much a find here says the case is the one sought: a subject names the problem, the
    /// customer's words describe it, replies and notes only mention it.
    fn weight(self) -> u32 {
        match self {
            Place::Subject => 3,
            Place::CustomerMessage => 2,
            Place::Reply | Place::Note => 1,
        }
    }
}

/// A text in which a search found all its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The case it belongs to.
    pub case_id: i64,
    /// What kind of text it is.
    pub place: Place,
    /// Its id: the message's, or the case's for a subject.
    pub id: i64,
    /// When it was written.
    pub at: Timestamp,
}

/// A case a search found, with its place in the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankedCase {
    /// The case.
    pub case_id: i64,
    /// Its score: ten times the weight of its best text, plus one for each other text found
    /// (up to nine).
    pub score: u32,
    /// Its best text, the one shown: the weightiest place, then the latest.
    pub best: Found,
}

/// The cases of `found`, best first: the weightiest place the words were found in, then how
/// many texts of the case have them, then the latest find, then the newest case.
pub fn rank(found: &[Found]) -> Vec<RankedCase> {
    let mut cases: Vec<(RankedCase, u32)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for text in found {
        let slot = *index.entry(text.case_id).or_insert_with(|| {
            cases.push((
                RankedCase {
                    case_id: text.case_id,
                    score: 0,
                    best: *text,
                },
                0,
            ));
            cases.len() - 1
        });
        let (case, count) = &mut cases[slot];
        *count += 1;
        let better = (text.place.weight(), text.at, text.id)
            > (case.best.place.weight(), case.best.at, case.best.id);
        if better {
            case.best = *text;
        }
    }
    let mut ranked: Vec<RankedCase> = cases
        .into_iter()
        .map(|(mut case, count)| {
            case.score = case.best.place.weight() * 10 + (count - 1).min(9);
            case
        })
        .collect();
    ranked.sort_by_key(|c| std::cmp::Reverse((c.score, c.best.at, c.case_id)));
    ranked
}

/// A short piece of a text around the words a search found, and where they are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The piece, its runs of white space made single spaces, with `…` where it was cut.
    pub text: String,
    /// The byte ranges of the words found, in order.
    pub marks: Vec<(usize, usize)>,
}

/// The piece of `text`, at most `max_chars` characters, that begins a little before the first
/// word `query` looks for, with every such word marked.
pub fn snippet(text: &str, query: &SearchQuery, max_chars: usize) -> Snippet {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let found: Vec<(usize, usize, String)> = words(&flat).collect();
    let mut marks = Vec::new();
    for (i, (start, end, word)) in found.iter().enumerate() {
        for term in &query.terms {
            let len = match term {
                Term::Word { text, prefix } => {
                    usize::from(word == text || (*prefix && word.starts_with(text.as_str())))
                }
                Term::Phrase(phrase) => {
                    let here = found.get(i..i + phrase.len()).unwrap_or_default();
                    let same = here.len() == phrase.len()
                        && here.iter().zip(phrase).all(|((_, _, w), p)| w == p);
                    if same {
                        phrase.len()
                    } else {
                        0
                    }
                }
            };
            if len > 0 {
                marks.push((*start, found[i + len - 1].1));
            }
        }
        if query.phone.as_deref().is_some_and(|key| {
            word.len() >= 6 && (word.ends_with(key) || key.ends_with(word.as_str()))
        }) {
            marks.push((*start, *end));
        }
    }
    marks.sort_unstable();
    marks.dedup();
    cut(&flat, marks, max_chars)
}

/// The window of `flat` around its first mark.
fn cut(flat: &str, marks: Vec<(usize, usize)>, max_chars: usize) -> Snippet {
    let first = marks.first().map_or(0, |m| m.0);
    let lead = max_chars / 4;
    let mut begin = flat[..first]
        .char_indices()
        .rev()
        .nth(lead.saturating_sub(1))
        .map_or(0, |(at, _)| at);
    if begin > 0 {
        // Start at a word, not inside one.
        begin = flat[begin..first]
            .find(' ')
            .map_or(begin, |gap| begin + gap + 1);
    }
    let end = flat[begin..]
        .char_indices()
        .nth(max_chars)
        .map_or(flat.len(), |(at, _)| begin + at);
    let opening = if begin > 0 { "…" } else { "" };
    let mut text = format!("{opening}{}", &flat[begin..end]);
    if end < flat.len() {
        text.push('…');
    }
    let shift = |at: usize| at - begin + opening.len();
    let marks = marks
        .into_iter()
        .filter(|&(start, stop)| start >= begin && stop <= end)
        .map(|(start, stop)| (shift(start), shift(stop)))
        .collect();
    Snippet { text, marks }
}
