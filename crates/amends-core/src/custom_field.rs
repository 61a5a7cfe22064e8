//! Custom fields: what a business records on its cases and customers beyond what every desk
//! has (an order number, a warranty end, a store, a plan tier), defined by an admin, validated
//! on every write, searchable and exported.

use crate::field::{bounded_text, FieldError};
use crate::Timestamp;

/// The most options a one-of field may offer.
pub const MAX_OPTIONS: usize = 100;
/// The longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// What a custom field is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldOwner {
    /// Cases.
    Case,
    /// Customers.
    Customer,
}

impl FieldOwner {
    /// Parses `case` or `customer`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "case" => Some(FieldOwner::Case),
            "customer" => Some(FieldOwner::Customer),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldOwner::Case => "case",
            FieldOwner::Customer => "customer",
        }
    }
}

/// What a custom field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, up to 1,000 characters.
    Text,
    /// A number, whole or decimal.
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the listed options.
    OneOf(Vec<String>),
    /// Yes or no.
    YesNo,
}

impl FieldKind {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::OneOf(_) => "one_of",
            FieldKind::YesNo => "yes_no",
        }
    }

    /// Reads a kind and, for `one_of`, its options (1 to 100, each 1 to 100 characters, no
    /// duplicates).
    pub fn parse(raw: &str, options: &[String]) -> Result<FieldKind, FieldError> {
        let kind = match raw {
            "text" => FieldKind::Text,
            "number" => FieldKind::Number,
            "date" => FieldKind::Date,
            "yes_no" => FieldKind::YesNo,
            "one_of" => {
                if options.is_empty() || options.len() > MAX_OPTIONS {
                    return Err(FieldError::new(
                        "options",
                        format!("a one_of field needs 1 to {MAX_OPTIONS} options"),
                    ));
                }
                let mut kept: Vec<String> = Vec::new();
                for (i, option) in options.iter().enumerate() {
                    let option = bounded_text(&format!("options[{i}]"), option, 100, false)?;
                    if kept.contains(&option) {
                        return Err(FieldError::new(format!("options[{i}]"), "is listed twice"));
                    }
                    kept.push(option);
                }
                return Ok(FieldKind::OneOf(kept));
            }
            _ => {
                return Err(FieldError::new(
                    "kind",
                    "must be text, number, date, one_of or yes_no",
                ))
            }
        };
        if !options.is_empty() {
            return Err(FieldError::new("options", "are only for a one_of field"));
        }
        Ok(kind)
    }
}

/// A custom field as defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefinition {
    /// Its id.
    pub id: i64,
    /// Its key, as the API and search spell it: `order_number`.
    pub key: String,
    /// Its label, as people read it: "Order number".
    pub label: String,
    /// What it is on.
    pub owner: FieldOwner,
    /// What it holds.
    pub kind: FieldKind,
    /// When it was defined.
    pub created_at: Timestamp,
}

/// Checks a key: 1 to 40 lowercase letters, digits and `_`, starting with a letter, and not
/// the name of one of search's own filters.
pub fn parse_key(raw: &str) -> Result<String, FieldError> {
    let key = raw.trim();
    let shaped = key.len() <= 40
        && key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !shaped {
        return Err(FieldError::new(
            "key",
            "must be 1 to 40 lowercase letters, digits and _, starting with a letter",
        ));
    }
    if crate::search::FILTER_KEYS.contains(&key) {
        return Err(FieldError::new("key", "is the name of a search filter"));
    }
    Ok(key.to_owned())
}

/// A value given for a field, before it is checked against the field's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum GivenValue<'a> {
    /// Text.
    Text(&'a str),
    /// A number.
    Number(f64),
    /// Yes or no.
    Bool(bool),
    /// Nothing: clears the field.
    Null,
}

/// A value typed as text (in a search or a filter) as given to `kind`: `yes`/`true` and
/// `no`/`false` are a yes/no field's answers; everything else is text.
pub fn typed<'a>(kind: &FieldKind, text: &'a str) -> GivenValue<'a> {
    match (kind, text.to_lowercase().as_str()) {
        (FieldKind::YesNo, "true" | "yes") => GivenValue::Bool(true),
        (FieldKind::YesNo, "false" | "no") => GivenValue::Bool(false),
        _ => GivenValue::Text(text),
    }
}

/// The value `given` for `field`, in its stored form (text, a canonical number, a
/// `YYYY-MM-DD` date, the option, `true`/`false`), or `None` to clear it. The error names the
/// field as `fields.KEY`.
pub fn parse_value(
    field: &FieldDefinition,
    given: &GivenValue<'_>,
) -> Result<Option<String>, FieldError> {
    let name = format!("fields.{}", field.key);
    let wrong = |what: &str| Err(FieldError::new(name.clone(), format!("must be {what}")));
    let text = match (&field.kind, given) {
        (_, GivenValue::Null) => return Ok(None),
        (FieldKind::Text, GivenValue::Text(t)) => bounded_text(&name, t, MAX_TEXT_CHARS, true)?,
        (FieldKind::Text, _) => return wrong("text"),
        (FieldKind::Number, GivenValue::Number(n)) if n.is_finite() => number(*n),
        (FieldKind::Number, GivenValue::Text(t)) => match t.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => number(n),
            _ => return wrong("a number"),
        },
        (FieldKind::Number, _) => return wrong("a number"),
        (FieldKind::Date, GivenValue::Text(t)) => {
            let t = t.trim();
            if t.len() != 10 || Timestamp::parse_rfc3339(&format!("{t}T00:00:00Z")).is_none() {
                return wrong("a date like 2026-11-01");
            }
            t.to_owned()
        }
        (FieldKind::Date, _) => return wrong("a date like 2026-11-01"),
        (FieldKind::OneOf(options), GivenValue::Text(t)) => {
            match options.iter().find(|o| o.as_str() == t.trim()) {
                Some(option) => option.clone(),
                None => return wrong(&format!("one of: {}", options.join(", "))),
            }
        }
        (FieldKind::OneOf(options), _) => return wrong(&format!("one of: {}", options.join(", "))),
        (FieldKind::YesNo, GivenValue::Bool(b)) => b.to_string(),
        (FieldKind::YesNo, _) => return wrong("true or false"),
    };
    Ok(Some(text))
}

/// A number written the shortest way that reads back the same: `3`, `2.5`, `-0.125`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// The audit event of a record's custom fields changing: each `(key, before, after)` with an
/// empty text for no value; none when nothing changed.
pub fn fields_changed(
    owner: FieldOwner,
    id: i64,
    changes: &[(String, Option<String>, Option<String>)],
) -> Option<crate::AuditEvent> {
    use crate::audit::{AuditEvent, Change, RecordKind};
    let changes: Vec<Change> = changes
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(key, before, after)| {
            Change::new(
                &format!("fields.{key}"),
                before.clone().unwrap_or_default(),
                after.clone().unwrap_or_default(),
            )
        })
        .collect();
    if changes.is_empty() {
        return None;
    }
    let (action, kind) = match owner {
        FieldOwner::Case => ("case.fields_changed", RecordKind::Case),
        FieldOwner::Customer => ("customer.fields_changed", RecordKind::Customer),
    };
    Some(AuditEvent::new(action, kind, id).with_changes(changes))
}

/// The audit event of a custom field defined.
pub fn field_defined(id: i64, key: &str) -> crate::AuditEvent {
    use crate::audit::{AuditEvent, Change, RecordKind};
    AuditEvent::new("custom_field.defined", RecordKind::CustomField, id)
        .with_changes(vec![Change::new("key", "", key)])
}
