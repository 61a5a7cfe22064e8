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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attachment_bytes: 15 * 1024 * 1024,
            max_attachments_total: 25 * 1024 * 1024,
            max_text_chars: 100_000,
            max_subject_chars: 300,
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
    let subject = truncated(
        message.subject().map(str::trim).unwrap_or_default(),
        limits.max_subject_chars,
    )
    .trim()
    .replace(|c: char| c.is_control(), " ");
    let subject = if subject.is_empty() {
        "(no subject)".to_owned()
    } else {
        subject
    };
    let html_raw: Option<String> = first_html(&message);
    let text = match first_text(&message) {
        Some(text) => text,
        None => html_raw
            .as_deref()
            .map(mail_parser::decoders::html::html_to_text)
            .unwrap_or_default(),
    };
    let text = bounded(text.trim(), limits.max_text_chars);
    let fresh_text = fresh_part(&text).to_owned();
    let html = html_raw.map(|h| sanitise_html(&bounded(&h, limits.max_text_chars * 4)));
    let sender = classify(&message, &from_address, &subject);
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
        attachments: attachments(&message, limits),
        sender,
    })
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
    let email = addr.address()?.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    if local.is_empty() || domain.is_empty() || email.chars().any(char::is_whitespace) {
        return None;
    }
    let name = addr
        .name()
        .map(|n| n.trim().trim_matches('"').trim().to_owned())
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

fn attachments(message: &mail_parser::Message<'_>, limits: &Limits) -> Vec<Attachment> {
    let mut kept_total = 0usize;
    message
        .attachments()
        .take(100)
        .map(|part| {
            let content_type = part
                .content_type()
                .map(|t| match &t.c_subtype {
                    Some(sub) => format!("{}/{}", t.c_type, sub),
                    None => t.c_type.to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned())
                .to_lowercase();
            let bytes: Cow<'_, [u8]> = match &part.body {
                PartType::Message(inner) => Cow::Borrowed(inner.raw_message()),
                _ => Cow::Borrowed(part.contents()),
            };
            let size = bytes.len();
            let omitted = if size > limits.max_attachment_bytes {
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
            Attachment {
                name: part
                    .attachment_name()
                    .map(|n| truncated(n.trim(), 255).to_owned())
                    .filter(|n| !n.is_empty()),
                content_type: truncated(&content_type, 100).to_owned(),
                size,
                content: omitted.is_none().then(|| bytes.into_owned()),
                omitted,
            }
        })
        .collect()
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
