//! Customers: one record per person or business, however many channels they use.

use crate::field::{bounded_text, FieldError};
use crate::Timestamp;

/// A customer's email address, trimmed and lowercased so the same person is found again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain` with a dotted domain, at most 254 characters, no spaces.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim().to_lowercase();
        let invalid = || FieldError::new(field, "must be an email address like name@example.com");
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = text.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(EmailAddress(text))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number reduced to its digits, with a leading `+` when it had one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts digits with spaces, dots, dashes and brackets; 6 to 15 digits.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let mut normal = String::new();
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => normal.push(c),
                '+' if i == 0 => normal.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(FieldError::new(field, "must be a phone number")),
            }
        }
        let digits = normal.trim_start_matches('+').len();
        if !(6..=15).contains(&digits) {
            return Err(FieldError::new(field, "must have between 6 and 15 digits"));
        }
        Ok(PhoneNumber(normal))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated customer name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName(String);

impl CustomerName {
    /// Non-empty, at most 200 characters, no control characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded_text(field, raw, 200, false).map(CustomerName)
    }

    /// The name as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where to reach a customer, one kind of address at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contacts {
    /// Email addresses, normalised.
    pub emails: Vec<String>,
    /// Phone numbers, normalised.
    pub phones: Vec<String>,
    /// Social or messaging handles such as `twitter:@ann`.
    pub social_handles: Vec<String>,
}

/// A customer as the desk knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The customer's id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// How to reach them.
    pub contacts: Contacts,
    /// What they have paid to date, in minor units (cents) of `currency`.
    pub revenue_to_date_minor: i64,
    /// ISO 4217 currency of the revenue figure.
    pub currency: String,
    /// Their plan or value band, such as `pro` or `enterprise`.
    pub plan: Option<String>,
    /// Day of the month they are billed on, when billed monthly.
    pub billing_day: Option<u8>,
    /// Dates of their invoices, when billed by invoice.
    pub invoice_dates: Vec<Timestamp>,
    /// Free notes from the team.
    pub notes: String,
    /// When the record was made.
    pub created_at: Timestamp,
    /// When the record last changed.
    pub updated_at: Timestamp,
}

/// A validated new customer, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    /// Their name.
    pub name: CustomerName,
    /// Email addresses.
    pub emails: Vec<EmailAddress>,
    /// Phone numbers.
    pub phones: Vec<PhoneNumber>,
    /// Social handles, `network:handle`.
    pub social_handles: Vec<String>,
    /// Revenue to date in minor units; never negative.
    pub revenue_to_date_minor: i64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
    /// Plan or value band.
    pub plan: Option<String>,
    /// Billing day of month, 1 to 31.
    pub billing_day: Option<u8>,
    /// Invoice dates.
    pub invoice_dates: Vec<Timestamp>,
    /// Notes.
    pub notes: String,
}

impl NewCustomer {
    /// A customer known only by name, with no revenue recorded yet.
    pub fn named(name: CustomerName) -> Self {
        NewCustomer {
            name,
            emails: Vec::new(),
            phones: Vec::new(),
            social_handles: Vec::new(),
            revenue_to_date_minor: 0,
            currency: "USD".to_owned(),
            plan: None,
            billing_day: None,
            invoice_dates: Vec::new(),
            notes: String::new(),
        }
    }
}

/// Checks an ISO 4217-shaped currency code.
pub fn parse_currency(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "must be a three-letter currency code like USD",
        ))
    }
}

/// Checks a billing day of the month.
pub fn parse_billing_day(field: &str, day: i64) -> Result<u8, FieldError> {
    u8::try_from(day)
        .ok()
        .filter(|d| (1..=31).contains(d))
        .ok_or_else(|| FieldError::new(field, "must be a day of the month from 1 to 31"))
}

/// Checks a social handle written `network:handle`, such as `twitter:@ann`.
pub fn parse_social_handle(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = bounded_text(field, raw, 120, false)?;
    match text.split_once(':') {
        Some((network, handle)) if !network.is_empty() && !handle.is_empty() => {
            Ok(format!("{}:{}", network.to_lowercase(), handle))
        }
        _ => Err(FieldError::new(
            field,
            "must be written network:handle, like twitter:@ann",
        )),
    }
}
