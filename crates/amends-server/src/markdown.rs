//! Articles' Markdown as HTML a reader's browser can be trusted with: raw HTML in the source
//! is shown as text, never passed through; links go only to http, https, mailto and the desk's
//! own pages; and the result is cleaned by ammonia besides, so a slip in either step is caught
//! by the other.

use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// The HTML of `markdown`: headings, paragraphs, lists, emphasis, code, quotes, tables and
/// links; no script, no style, no raw HTML, no images from elsewhere.
pub(crate) fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is the author's text, shown as typed.
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        // An image is shown as its description: the help centre loads nothing from elsewhere.
        Event::Start(Tag::Image { .. }) => Event::Text(CowStr::Borrowed("")),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::Text(CowStr::Borrowed("")),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    clean(&html)
}

/// A link's address if it is one a reader may follow, else `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#');
    if allowed {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

fn clean(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

/// The first `chars` characters of an article's text without its Markdown marks: what a list
/// of results shows under each title.
pub(crate) fn summary(markdown: &str, chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) if !text.ends_with(' ') => {
                text.push(' ');
            }
            _ => {}
        }
        if text.chars().count() > chars {
            break;
        }
    }
    let trimmed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() <= chars {
        return trimmed;
    }
    let cut: String = trimmed.chars().take(chars).collect();
    format!("{}\u{2026}", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_safe_html() {
        let html = render("# Refunds\n\nTake **five** days. See [our terms](/help/articles/2).");
        assert!(html.contains("<h1>Refunds</h1>"), "{html}");
        assert!(html.contains("<strong>five</strong>"), "{html}");
        assert!(html.contains("href=\"/help/articles/2\""), "{html}");
    }

    #[test]
    fn nothing_an_author_types_runs() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click]( JAVASCRIPT:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            "[click](//evil.example/)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "![x](https://tracker.example/pixel.png)",
            "<style>body{display:none}</style>",
            "<iframe src=https://evil.example></iframe>",
        ] {
            let html = render(attack).to_ascii_lowercase();
            for tag in ["<script", "<img", "<iframe", "<style"] {
                assert!(!html.contains(tag), "{attack} gave {html}");
            }
            assert!(!html.contains("tracker.example"), "{attack} gave {html}");
            for href in ["<a href=\"javascript", "<a href=\"data", "<a href=\"//"] {
                assert!(!html.contains(href), "{attack} gave {html}");
            }
        }
    }

    #[test]
    fn a_summary_is_the_text_cut_short() {
        assert_eq!(
            summary("# Title\n\nSome *words* here.", 100),
            "Title Some words here."
        );
        assert_eq!(summary("one two three four", 7), "one two\u{2026}");
    }
}
