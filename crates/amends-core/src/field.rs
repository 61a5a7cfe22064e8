//! Validation failures that name the field a person must correct.

/// A value that does not satisfy its rule, with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as the client sent it, such as `customer.email`.
    pub field: String,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
}

impl FieldError {
    /// A failure of `field` explained by `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Trims `raw` and checks it is non-empty, at most `max_chars` long and free of control
/// characters other than line breaks and tabs (`multiline`) or of any control character.
pub fn bounded_text(
    field: &str,
    raw: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !text.chars().all(allowed) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if !multiline && text.chars().any(reorders_text) {
        return Err(FieldError::new(
            field,
            "must not contain bidirectional embedding, override or isolate characters",
        ));
    }
    Ok(text.to_owned())
}

/// The bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069):
/// in a name or subject they make the text shown read otherwise than it is stored (Trojan
/// Source). The marks (U+200E, U+200F, U+061C) only steer their neighbours and stay allowed.
pub fn reorders_text(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
