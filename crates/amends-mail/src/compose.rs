//! Composing what goes out: one multipart (text and HTML) mail per notice or reply, from the
//! templates in `templates/`, with a Message-ID, In-Reply-To and References so the customer's
//! answer threads back into the case, and the case reference in the subject.

use std::time::SystemTime;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::reference::subject_with_reference;

const TEXT_TEMPLATE: &str = include_str!("../templates/notice.txt");
const HTML_TEMPLATE: &str = include_str!("../templates/notice.html");

/// A mail to a customer.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The desk's address, such as `Customer care <care@example.com>`.
    pub from: String,
    /// The customer's address.
    pub to: String,
    /// The customer's name, for the greeting and the To header.
    pub to_name: String,
    /// The case it belongs to.
    pub case_id: i64,
    /// What kind of notice (`summary`, `follow_up`, `reply`, ...): picks the heading.
    pub kind: String,
    /// The subject, before the case reference is added.
    pub subject: String,
    /// The text, paragraphs separated by blank lines. Addresses in it become links in the HTML.
    pub body: String,
    /// The sign-off.
    pub signature: String,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The Message-ID it answers, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// When it is written.
    pub date: SystemTime,
    /// Sent by the desk on its own (a follow-up, a reminder) rather than by a person: marked
    /// `Auto-Submitted: auto-generated` so the customer's out-of-office does not answer it.
    pub automatic: bool,
}

/// Why a mail could not be composed; trying again will not help.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An address that is not one.
    #[error("{field}: {value:?} is not a mail address")]
    Address {
        /// Which.
        field: &'static str,
        /// What it was.
        value: String,
    },
    /// The builder refused.
    #[error("the mail could not be built: {0}")]
    Build(String),
}

/// The heading a kind of notice opens with.
pub fn heading(kind: &str) -> &'static str {
    match kind {
        "summary" => "What you told us",
        "plan.shared" => "Our plan to put things right",
        "plan.changed" => "Our plan has changed",
        "plan.step_done" => "Progress on our plan",
        "promise_made" => "What we promised you",
        "promise_reminder" => "A reminder of what we promised",
        "promise_extended" => "An update on our promise",
        "follow_up" => "How did we do?",
        "articles_suggested" => "While we read your message",
        "incident" => "Something that affects you",
        "abuse_policy" => "About our conversation",
        _ => "About your case",
    }
}

/// The whole mail, as bytes ready for SMTP.
pub fn compose(mail: &Outgoing) -> Result<Vec<u8>, ComposeError> {
    let (from, to) = mailboxes(&mail.from, &mail.to, &mail.to_name)?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject_with_reference(&mail.subject, mail.case_id))
        .message_id(Some(format!("<{}>", mail.message_id)))
        .date(mail.date);
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !mail.references.is_empty() {
        let references: Vec<String> = mail.references.iter().map(|r| format!("<{r}>")).collect();
        builder = builder.references(references.join(" "));
    }
    if mail.automatic {
        builder = builder.header(AutoSubmitted);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            text_of(mail),
            html_of(mail),
        ))
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(message.formatted())
}

/// The sender's and the recipient's mailboxes, or which address is not one.
fn mailboxes(from: &str, to: &str, to_name: &str) -> Result<(Mailbox, Mailbox), ComposeError> {
    let from: Mailbox = from.parse().map_err(|_| ComposeError::Address {
        field: "from",
        value: from.to_owned(),
    })?;
    let to_address = to.parse().map_err(|_| ComposeError::Address {
        field: "to",
        value: to.to_owned(),
    })?;
    Ok((from, Mailbox::new(Some(to_name.to_owned()), to_address)))
}

/// Whether the body already opens with a greeting ("Dear Lou,"), as an agent's reply or a
/// drafted summary does: then the template adds none.
pub fn has_greeting(body: &str) -> bool {
    let first = body
        .trim_start()
        .lines()
        .next()
        .unwrap_or_default()
        .to_lowercase();
    [
        "dear ",
        "hi ",
        "hello",
        "good morning",
        "good afternoon",
        "good evening",
    ]
    .iter()
    .any(|g| first.starts_with(g))
}

/// Whether the body already ends with a sign-off ("Kind regards, the team"): then the
/// template adds none.
pub fn has_sign_off(body: &str) -> bool {
    let tail: Vec<String> = body
        .trim_end()
        .lines()
        .rev()
        .take(3)
        .map(str::to_lowercase)
        .collect();
    tail.iter().any(|line| {
        let line = line.trim();
        [
            "regards",
            "sincerely",
            "best wishes",
            "thank you,",
            "thanks,",
            "yours",
        ]
        .iter()
        .any(|s| line.starts_with(s) || line.contains(&format!("{s},")) || line.ends_with(s))
    })
}

/// The plain-text part.
pub fn text_of(mail: &Outgoing) -> String {
    let greeting = if has_greeting(&mail.body) {
        String::new()
    } else {
        format!("Dear {},\n\n", mail.to_name)
    };
    let signature = if has_sign_off(&mail.body) {
        String::new()
    } else {
        format!("\n{}\n", mail.signature)
    };
    TEXT_TEMPLATE
        .replace("{{greeting}}", &greeting)
        .replace("{{signature}}", &signature)
        .replace("{{case}}", &mail.case_id.to_string())
        .replace("{{body}}", mail.body.trim())
}

/// The HTML part: every value escaped, paragraphs kept, addresses made links.
pub fn html_of(mail: &Outgoing) -> String {
    let paragraphs: String = mail
        .body
        .trim()
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.trim().lines().map(linked).collect();
            format!(
                "<p style=\"font-size:16px;line-height:1.5;margin:0 0 14px;\">{}</p>\n",
                lines.join("<br>")
            )
        })
        .collect();
    const P: &str = "<p style=\"font-size:16px;line-height:1.5;margin:0 0 14px;\">";
    let greeting = if has_greeting(&mail.body) {
        String::new()
    } else {
        format!("{P}Dear {},</p>\n", escape(&mail.to_name))
    };
    let signature = if has_sign_off(&mail.body) {
        String::new()
    } else {
        let lines: Vec<String> = mail.signature.lines().map(escape).collect();
        format!("{P}{}</p>\n", lines.join("<br>"))
    };
    HTML_TEMPLATE
        .replace("{{title}}", &escape(heading(&mail.kind)))
        .replace("{{greeting}}", &greeting)
        .replace("{{signature}}", &signature)
        .replace("{{case}}", &mail.case_id.to_string())
        .replace("{{body}}", &paragraphs)
}

/// One line, escaped, with any http(s) address in it made a link.
fn linked(line: &str) -> String {
    let mut out = String::new();
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let is_link = (word.starts_with("https://") || word.starts_with("http://"))
            && !word.contains(['"', '<', '>', '\'']);
        if is_link {
            let href = escape(word);
            out.push_str(&format!(
                "<a href=\"{href}\" style=\"color:#1d4ed8;\">{href}</a>"
            ));
        } else {
            out.push_str(&escape(word));
        }
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A plain mail from the desk that belongs to no case: to one of its own people (a password
/// reset link) or to a customer warned of an incident. No thread, marked automatic.
#[derive(Debug, Clone)]
pub struct PlainMail {
    /// The desk's address.
    pub from: String,
    /// The agent's address.
    pub to: String,
    /// The agent's name.
    pub to_name: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// When it is written.
    pub date: SystemTime,
}

/// The whole plain mail, as bytes ready for SMTP.
pub fn compose_plain(mail: &PlainMail) -> Result<Vec<u8>, ComposeError> {
    let (from, to) = mailboxes(&mail.from, &mail.to, &mail.to_name)?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .date(mail.date)
        .header(AutoSubmitted)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(message.formatted())
}
