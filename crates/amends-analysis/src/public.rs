//! Coaching a reply to a public post or comment, where anyone reads the complaint and the
//! answer: acknowledge in public, then take the conversation private (a direct message, an
//! email), and never write the customer's personal details where everyone can see them.

use crate::text::{Token, TokenKind};

/// Why personal details do not belong in a public reply.
pub(crate) const NO_DETAILS: &str = "this reply is public: keep email addresses, phone, account and card numbers out of it; ask for them in private";

/// Why a public reply should offer to continue privately.
pub(crate) const TAKE_PRIVATE: &str =
    "this is a public post: apologise here, then offer to continue in private (a direct message or email)";

/// What a public reply adds when it has no way to continue privately.
pub(crate) const INVITATION: &str =
    " Please send us a direct message and we'll sort this out with you there.";

/// Words and phrases that move a conversation out of public view.
const PRIVATE_WORDS: [&str; 5] = ["dm", "pm", "inbox", "privately", "email"];
const PRIVATE_PHRASES: [&str; 9] = [
    "direct message",
    "private message",
    "message us",
    "in private",
    "e-mail us",
    "email us",
    "send us",
    "contact us",
    "call us",
];

/// Whether a reply offers a way out of public view (a direct message, an email, a call).
pub(crate) fn invites_private(draft: &str, tokens: &[Token]) -> bool {
    let lower = draft.to_lowercase();
    tokens
        .iter()
        .any(|t| t.kind == TokenKind::Word && PRIVATE_WORDS.contains(&t.norm.as_str()))
        || PRIVATE_PHRASES.iter().any(|p| lower.contains(p))
}

/// Byte spans of email addresses and of numbers of seven digits or more (spaces, dashes, dots
/// and brackets between digits allowed, a leading `+` kept).
pub(crate) fn personal_details(draft: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for (start, word) in words(draft) {
        let trimmed = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        if let Some((user, domain)) = trimmed.split_once('@') {
            if !user.is_empty() && domain.contains('.') && !domain.ends_with('.') {
                spans.push((start, start + trimmed.len()));
            }
        }
    }
    let bytes = draft.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() && bytes[i] != b'+' {
            i += 1;
            continue;
        }
        let (mut end, mut digits, mut last_digit) = (i, 0, i);
        while end < bytes.len() && (bytes[end].is_ascii_digit() || b"+ -.()".contains(&bytes[end]))
        {
            if bytes[end].is_ascii_digit() {
                digits += 1;
                last_digit = end + 1;
            }
            end += 1;
        }
        let overlaps = spans.iter().any(|&(s, e)| i < e && last_digit > s);
        if digits >= 7 && !overlaps {
            spans.push((i, last_digit));
        }
        i = end.max(i + 1);
    }
    spans.sort_unstable();
    spans
}

/// Each whitespace-separated word with its byte offset.
fn words(draft: &str) -> impl Iterator<Item = (usize, &str)> {
    draft
        .split_whitespace()
        .map(move |word| (word.as_ptr() as usize - draft.as_ptr() as usize, word))
}
