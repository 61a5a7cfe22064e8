//! Tags: short free labels an agent puts on cases and customers (`refund`, `vip`,
//! `courier-late`) to find and count them later.

use crate::audit::{AuditEvent, Change, RecordKind};
use crate::field::FieldError;

/// The most tags one case or customer may carry.
pub const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// A tag: lowercase letters, digits and `-`, `_`, `.`, `/`; spaces typed inside become `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

impl Tag {
    /// Reads a typed tag, refusing an empty one, one too long or one with other characters.
    pub fn parse(field: &str, raw: &str) -> Result<Tag, FieldError> {
        let text: String = raw
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        if text.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if text.chars().count() > MAX_TAG_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_TAG_CHARS} characters"),
            ));
        }
        if !text
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./".contains(c))
        {
            return Err(FieldError::new(
                field,
                "may hold only letters, digits, spaces and - _ . /",
            ));
        }
        Ok(Tag(text))
    }

    /// The tag as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A tag read back from storage, trusted as written by [`Tag::parse`].
    pub fn stored(text: String) -> Tag {
        Tag(text)
    }
}

/// Reads a list of typed tags (`field[i]` names a bad one), without duplicates, in order.
pub fn parse_tags(field: &str, raw: &[String]) -> Result<Vec<Tag>, FieldError> {
    if raw.len() > MAX_TAGS {
        return Err(FieldError::new(
            field,
            format!("must have at most {MAX_TAGS} tags"),
        ));
    }
    let mut tags: Vec<Tag> = Vec::new();
    for (i, text) in raw.iter().enumerate() {
        let tag = Tag::parse(&format!("{field}[{i}]"), text)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags.sort();
    Ok(tags)
}

/// The audit event of a record's tags going from `before` to `after`, or none when they are
/// the same.
pub fn retagged(kind: RecordKind, id: i64, before: &[Tag], after: &[Tag]) -> Option<AuditEvent> {
    let mut before: Vec<&str> = before.iter().map(Tag::as_str).collect();
    before.sort_unstable();
    let after_text: Vec<&str> = after.iter().map(Tag::as_str).collect();
    if before == after_text {
        return None;
    }
    let action = match kind {
        RecordKind::Customer => "customer.tagged",
        _ => "case.tagged",
    };
    Some(
        AuditEvent::new(action, kind, id).with_changes(vec![Change::new(
            "tags",
            before.join(" "),
            after_text.join(" "),
        )]),
    )
}

/// A case's tags with `add` put on too, and the audit event when that changed them.
pub fn tags_added(id: i64, before: &[Tag], add: &[Tag]) -> (Vec<Tag>, Option<AuditEvent>) {
    let mut after = before.to_vec();
    after.extend(add.iter().filter(|t| !before.contains(t)).cloned());
    after.sort();
    let event = retagged(RecordKind::Case, id, before, &after);
    (after, event)
}
