//! Reading a raw RFC 5322 message into what the desk files: who wrote, what they wrote (whole,
//! and without the quoted history for the text engine), how it threads, its attachments, and
//! whether a person wrote it at all (auto-replies, bounces and list mail open no case).
//!
//! Pure: bytes in, a value out. Any input gives an [`InboundMail`] or an [`Unreadable`] reason,
//! never a panic (fuzzed in `fuzz/fuzz_targets/mail_intake.rs`).

use std::borrow::Cow;

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::quote::fresh_part;
use crate::reference::case_reference;

/// Bounds on what one mail may bring in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// An attachment larger than this is listed (name, type, size) but its content not kept.
    pub max_attachment_bytes: usize,
    /// Attachments past this total are listed but not kept.
    pub max_attachments_total: usize,
    /// At most this many characters of text are kept (the rest is cut with a marker).
    pub max_text_chars: usize,
    /// At most this many characters of subject.
    pub max_subject_chars: usize,
    /// HTML larger than this is not sanitised for display (the text part is shown instead and
    /// the raw mail kept): sanitising costs time that grows with size and nesting.
    pub max_html_bytes: usize,
    /// HTML nested deeper than this is not sanitised either: the parser's cost per tag grows
    /// with the depth, so deep nesting made one mail take seconds.
    pub max_html_depth: usize,
    /// Attachments past this many are listed (name, type, size) but their content not kept.
    pub max_attachments: usize,
    /// Attachments past this many are not even listed; one line says how many there were.
    pub max_attachments_listed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attachment_bytes: 15 * 1024 * 1024,
            max_attachments_total: 25 * 1024 * 1024,
            max_text_chars: 100_000,
            max_subject_chars: 300,
            max_html_bytes: 2 * 1024 * 1024,
            max_html_depth: 256,
            max_attachments: 100,
            max_attachments_listed: 1_000,
        }
    }
}

/// Who sent a mail, as far as a machine can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// A person: the mail may open or continue a case.
    Person,
    /// An out-of-office or other automatic answer.
    AutoReply(&'static str),
    /// A delivery failure report.
    Bounce(&'static str),
    /// Mailing-list or bulk mail.
    List(&'static str),
}

impl Sender {
    /// Why no case is opened for it, when none is.
    pub fn reason(&self) -> Option<String> {
        match self {
            Sender::Person => None,
            Sender::AutoReply(why) => Some(format!("auto-reply ({why})")),
            Sender::Bounce(why) => Some(format!("bounce ({why})")),
            Sender::List(why) => Some(format!("list or bulk mail ({why})")),
        }
    }
}

/// One attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name, when it has one.
    pub name: Option<String>,
    /// Its MIME type, such as `image/png`.
    pub content_type: String,
    /// Its decoded size in bytes.
    pub size: usize,
    /// Its bytes; `None` when a limit kept them out (see `omitted`).
    pub content: Option<Vec<u8>>,
    /// Why the content was not kept.
    pub omitted: Option<String>,
}

/// A mail read and ready to file.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// Its Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// SHA-256 of the raw bytes, hex: the same bytes fetched twice are one mail.
    pub digest: String,
    /// The Message-IDs it answers (In-Reply-To), without angle brackets.
    pub in_reply_to: Vec<String>,
    /// The Message-IDs of its thread (References), oldest first.
    pub references: Vec<String>,
    /// The sender's address, lower-cased.
    pub from_address: String,
    /// The sender's display name, when given.
    pub from_name: Option<String>,
    /// The subject, or "(no subject)".
    pub subject: String,
    /// A case number named in the subject as `[Case #N]`.
    pub case_reference: Option<i64>,
    /// The whole text (from the HTML when there is no plain part).
    pub text: String,
    /// The text without quoted history and signature: what the customer wrote this time.
    pub fresh_text: String,
    /// The HTML, sanitised for display.
    pub html: Option<String>,
    /// Attachments, with content kept within the limits.
    pub attachments: Vec<Attachment>,
    /// Whether a person wrote it.
    pub sender: Sender,
    /// What the limits left out (the HTML over budget, attachments not kept); when anything
    /// was, the desk keeps the raw mail beside the message.
    pub left_out: Vec<String>,
}

impl InboundMail {
    /// The id to recognise this mail by when it arrives twice: its Message-ID, or the digest of
    /// its bytes when it has none.
    pub fn external_id(&self) -> String {
        match &self.message_id {
            Some(id) => id.clone(),
            None => format!("sha256:{}", self.digest),
        }
    }
}

/// Why a mail could not be read; it is kept whole in quarantine with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// Empty input.
    #[error("the message is empty")]
    Empty,
    /// No header block could be found.
    #[error("not an email: no header fields could be read")]
    NoHeaders,
    /// No usable From address.
    #[error("no sender address (From) that a reply could go to")]
    NoSender,
}

/// The SHA-256 of `raw`, as lower-case hex.
pub fn digest(raw: &[u8]) -> String {
    let hash = Sha256::digest(raw);
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one raw message.
pub fn read_mail(raw: &[u8], limits: &Limits) -> Result<InboundMail, Unreadable> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(Unreadable::Empty);
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(Unreadable::NoHeaders)?;
    if message.headers().is_empty() {
        return Err(Unreadable::NoHeaders);
    }
    let (from_address, from_name) = sender_of(message.from())
        .or_else(|| sender_of(message.sender()))
        .or_else(|| sender_of(message.reply_to()))
        .ok_or(Unreadable::NoSender)?;
    let subject = plain_line(truncated(
        message.subject().map(str::trim).unwrap_or_default(),
        limits.max_subject_chars,
    ));
    let subject = if subject.is_empty() {
        "(no subject)".to_owned()
    } else {
        subject
    };
    let mut left_out = Vec::new();
    let html_raw: Option<String> = first_html(&message);
    let text = match first_text(&message) {
        Some(text) => text,
        None => html_raw
            .as_deref()
            .map(mail_parser::decoders::html::html_to_text)
            .unwrap_or_default(),
    };
    let text = storable(bounded(text.trim(), limits.max_text_chars));
    let fresh_text = fresh_part(&text).to_owned();
    let html = html_raw.and_then(|h| match html_over_budget(&h, limits) {
        Some(why) => {
            left_out.push(why);
            None
        }
        None => Some(storable(sanitise_html(&bounded(
            &h,
            limits.max_text_chars * 4,
        )))),
    });
    let sender = classify(&message, &from_address, &subject);
    let attachments = attachments(&message, limits, &mut left_out);
    Ok(InboundMail {
        message_id: message.message_id().and_then(clean_id),
        digest: digest(raw),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        case_reference: case_reference(&subject),
        from_address,
        from_name,
        subject,
        text,
        fresh_text,
        html,
        attachments,
        sender,
        left_out,
    })
}

/// Why `html` is not sanitised for display, when it is over the budget in size or nesting.
fn html_over_budget(html: &str, limits: &Limits) -> Option<String> {
    if html.len() > limits.max_html_bytes {
        return Some(format!(
            "the HTML part is larger than {} bytes; its text is shown",
            limits.max_html_bytes
        ));
    }
    (nesting_depth(html) > limits.max_html_depth).then(|| {
        format!(
            "the HTML part is nested deeper than {} elements; its text is shown",
            limits.max_html_depth
        )
    })
}

/// How deeply the elements of `html` nest, as a quick scan of its tags sees it: elements that
/// never hold others (`<br>`, `<img>`, `<x/>`) and those whose end tag mail often leaves out
/// (`<p>`, `<li>`, `<td>`...) are not counted, so ordinary mail stays well under the limit.
/// It stops counting once it reaches `u16::MAX`.
pub fn nesting_depth(html: &str) -> usize {
    const OPEN_ENDED: [&str; 24] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param", "p", "li", "td", "th", "tr", "dt", "dd", "option", "!", "?",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let start = at + offset + 1;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(bytes.len(), |e| start + e);
        let tag = &html[start..end];
        at = end.min(bytes.len());
        if let Some(closing) = tag.strip_prefix('/') {
            if !closing.is_empty() {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '!' | '?'))
            .take(10)
            .collect::<String>()
            .to_ascii_lowercase();
        let name = if name.starts_with(['!', '?']) {
            &name[..1]
        } else {
            name.as_str()
        };
        if name.is_empty() || tag.ends_with('/') || OPEN_ENDED.contains(&name) {
            continue;
        }
        depth += 1;
        deepest = deepest.max(depth);
        if deepest >= usize::from(u16::MAX) {
            break;
        }
    }
    deepest
}

/// A subject or name on one line: control characters become spaces and bidirectional
/// controls go, so a sender cannot make the text read backwards in a list (Trojan Source).
fn plain_line(text: &str) -> String {
    storable(
        text.chars()
            .filter(|&c| !is_bidi_control(c))
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_owned(),
    )
}

/// The bidirectional embeddings, overrides and isolates, which make a line read otherwise than
/// it is stored (the marks U+200E, U+200F and U+061C only steer their neighbours and stay).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every NUL replaced by U+FFFD: PostgreSQL cannot keep a NUL in text, and a mail
/// must be filed on either database.
pub fn storable(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

/// Keeps safe HTML only: no script, no event handlers, no style blocks, links opened safely.
pub fn sanitise_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

fn sender_of(address: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    let addr = address?.first()?;
    let email = storable(addr.address()?.trim().to_lowercase());
    let (local, domain) = email.split_once('@')?;
    if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return None;
    }
    let name = addr
        .name()
        .map(|n| plain_line(n.trim().trim_matches('"')))
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&email));
    Some((email, name))
}

fn clean_id(raw: &str) -> Option<String> {
    let id = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty() && id.len() <= 500 && !id.chars().any(char::is_control)).then(|| id.to_owned())
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(Cow::as_ref).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(clean_id).take(50).collect()
}

fn first_text(message: &mail_parser::Message<'_>) -> Option<String> {
    message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) if !text.trim().is_empty() => Some(text.to_string()),
        _ => None,
    })
}

fn first_html(message: &mail_parser::Message<'_>) -> Option<String> {
    message.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) if !html.trim().is_empty() => Some(html.to_string()),
        _ => None,
    })
}

fn attachments(
    message: &mail_parser::Message<'_>,
    limits: &Limits,
    left_out: &mut Vec<String>,
) -> Vec<Attachment> {
    let mut kept_total = 0usize;
    let mut count = 0usize;
    let mut listed: Vec<Attachment> = Vec::new();
    for part in message.attachments() {
        count += 1;
        if count > limits.max_attachments_listed {
            continue;
        }
        let bytes: Cow<'_, [u8]> = match &part.body {
            PartType::Message(inner) => Cow::Borrowed(inner.raw_message()),
            _ => Cow::Borrowed(part.contents()),
        };
        let size = bytes.len();
        let omitted = if count > limits.max_attachments {
            Some(format!(
                "past the {} attachments kept from one mail",
                limits.max_attachments
            ))
        } else if size > limits.max_attachment_bytes {
            Some(format!(
                "larger than the {} byte limit for one attachment",
                limits.max_attachment_bytes
            ))
        } else if kept_total + size > limits.max_attachments_total {
            Some(format!(
                "past the {} byte limit for one mail's attachments",
                limits.max_attachments_total
            ))
        } else {
            None
        };
        if omitted.is_none() {
            kept_total += size;
        }
        listed.push(Attachment {
            name: part
                .attachment_name()
                .map(|n| storable(truncated(n.trim(), 255).to_owned()))
                .filter(|n| !n.is_empty()),
            content_type: storable(truncated(&content_type(part), 100).to_owned()),
            size,
            content: omitted.is_none().then(|| bytes.into_owned()),
            omitted,
        });
    }
    let not_kept = listed.iter().filter(|a| a.omitted.is_some()).count();
    if not_kept > 0 {
        left_out.push(format!("{not_kept} of {count} attachments were not kept"));
    }
    if count > limits.max_attachments_listed {
        let unlisted = count - limits.max_attachments_listed;
        left_out.push(format!("{unlisted} attachments were not even listed"));
        listed.push(Attachment {
            name: None,
            content_type: "application/octet-stream".to_owned(),
            size: 0,
            content: None,
            omitted: Some(format!(
                "{unlisted} more attachments, past the {} listed from one mail",
                limits.max_attachments_listed
            )),
        });
    }
    listed
}

fn content_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|t| match &t.c_subtype {
            Some(sub) => format!("{}/{}", t.c_type, sub),
            None => t.c_type.to_string(),
        })
        .unwrap_or_else(|| "application/octet-stream".to_owned())
        .to_lowercase()
}

fn header_text<'a>(message: &'a mail_parser::Message<'_>, name: &'static str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim)
}

/// Tells apart mail a person wrote from the machines' (RFC 3834 Auto-Submitted, the older
/// Precedence and X-Autoreply conventions, delivery reports, list headers).
fn classify(message: &mail_parser::Message<'_>, from: &str, subject: &str) -> Sender {
    if let Some(value) = header_text(message, "Auto-Submitted") {
        if !value.eq_ignore_ascii_case("no") {
            return Sender::AutoReply("Auto-Submitted");
        }
    }
    let report = message.content_type().is_some_and(|t| {
        t.c_type.eq_ignore_ascii_case("multipart")
            && t.c_subtype
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && t.attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    if report {
        return Sender::Bounce("delivery status report");
    }
    let local = from.split('@').next().unwrap_or_default();
    if local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster") {
        return Sender::Bounce("sent by the mail system");
    }
    if header_text(message, "Return-Path").is_some_and(|r| r == "<>") {
        return Sender::Bounce("empty return path");
    }
    for header in ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"] {
        if let Some(value) = header_text(message, header) {
            // Outlook puts X-Auto-Response-Suppress on ordinary mail too; only "All"/"OOF"
            // on a mail that is itself automatic means anything, so that one needs more.
            if header != "X-Auto-Response-Suppress" && !value.eq_ignore_ascii_case("no") {
                return Sender::AutoReply("X-Autoreply");
            }
        }
    }
    if let Some(value) = header_text(message, "Precedence") {
        let value = value.to_ascii_lowercase();
        if value == "auto_reply" {
            return Sender::AutoReply("Precedence: auto_reply");
        }
        if matches!(value.as_str(), "bulk" | "list" | "junk") {
            return Sender::List("Precedence");
        }
    }
    if !message.list_id().is_empty() || header_text(message, "List-Unsubscribe").is_some() {
        return Sender::List("List-Id");
    }
    let subject = subject.to_lowercase();
    if [
        "out of office",
        "automatic reply",
        "auto-reply",
        "autoreply",
    ]
    .iter()
    .any(|s| subject.starts_with(s))
    {
        return Sender::AutoReply("subject");
    }
    Sender::Person
}

const CUT: &str = "\n[… cut: the rest was too long to keep]";

/// At most `max` characters of `text`, ending with a marker when cut.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(CUT.chars().count());
            format!("{}{CUT}", truncated(text, keep))
        }
    }
}

/// At most `max` characters of `text`.
fn truncated(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        None => text,
        Some((cut, _)) => &text[..cut],
    }
}
