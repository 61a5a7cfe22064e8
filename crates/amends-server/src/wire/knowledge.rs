//! The knowledge base's answers.

use serde::Serialize;
use utoipa::ToSchema;

/// An article a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHit {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// The start of its text, without Markdown.
    pub summary: String,
    /// `public` or `internal`.
    pub audience: &'static str,
    /// Its address in the help centre, for a link in a reply (public articles only).
    pub public_url: Option<String>,
    /// How well it matched (higher is better; comparable within one search only).
    pub score: f64,
}
