//! What a search answers.

use amends_core::search::Snippet;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CaseView, CustomerView};

/// One page of what a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultsView {
    /// Cases, best first: where the words were found (subject, then the customer's messages,
    /// then replies and notes), then how many texts of the case hold them, then the latest.
    pub cases: Vec<CaseHit>,
    /// Customers whose name or an address holds the words, or whose phone number ends in the
    /// digits typed; on the first page of a search without filters.
    pub customers: Vec<CustomerView>,
    /// The next page's number, when there is one.
    pub next_page: Option<u32>,
    /// How many cases were ranked in all (a word found in more than 500 texts ranks the
    /// latest 500).
    pub total: usize,
}

/// A case a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseHit {
    /// The case.
    pub case: CaseView,
    /// Its customer's name.
    pub customer_name: String,
    /// Where the words were found: subject, customer_message, reply or note.
    #[schema(example = "customer_message")]
    pub found_in: &'static str,
    /// The id of the message they were found in; absent for the subject.
    pub message_id: Option<i64>,
    /// The piece of that text around the words, with the words marked.
    pub snippet: SnippetView,
}

/// A piece of text in parts, the words found marked, so any client can highlight them
/// without counting bytes or characters.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetView {
    /// The parts in order; joined they give the piece.
    pub parts: Vec<SnippetPart>,
}

/// A part of a snippet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetPart {
    /// Its text.
    pub text: String,
    /// Whether it is a word the search looked for.
    pub marked: bool,
}

impl From<Snippet> for SnippetView {
    fn from(snippet: Snippet) -> Self {
        let mut parts = Vec::new();
        let mut at = 0;
        for (start, end) in snippet.marks {
            if start < at {
                continue;
            }
            if start > at {
                parts.push(SnippetPart {
                    text: snippet.text[at..start].to_owned(),
                    marked: false,
                });
            }
            parts.push(SnippetPart {
                text: snippet.text[start..end].to_owned(),
                marked: true,
            });
            at = end;
        }
        if at < snippet.text.len() {
            parts.push(SnippetPart {
                text: snippet.text[at..].to_owned(),
                marked: false,
            });
        }
        SnippetView { parts }
    }
}

/// A custom field's value as the API writes it: text (also a date, `YYYY-MM-DD`, or an option),
/// a number, or yes/no as a boolean.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum FieldValue {
    /// Text, a date or an option.
    Text(String),
    /// A number.
    Number(f64),
    /// Yes or no.
    YesNo(bool),
}
