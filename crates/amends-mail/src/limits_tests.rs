//! What reading a mail does with input built to hurt: NUL bytes, bidirectional controls,
//! deeply nested HTML, more attachments than it keeps, addresses nobody can mail.

#![allow(clippy::unwrap_used)] // a test that cannot go on should stop right there

use std::time::{Duration, Instant};

use crate::intake::{nesting_depth, read_mail, Limits};

fn mail_with_html(html: &str) -> Vec<u8> {
    format!(
        "From: Ann <ann@example.com>\r\nSubject: Deep\r\nMessage-ID: <deep@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nThe plain words.\r\n\
         --b\r\nContent-Type: text/html\r\n\r\n{html}\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn nul_bytes_become_a_replacement_character_everywhere() {
    let raw = b"From: \"Ann\0Smith\" <ann@example.com>\r\nSubject: Bro\0ken\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/html\r\n\r\n<p>It\0 leaks</p>\r\n\
        --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"a\0.txt\"\r\n\r\nx\r\n\
        --b--\r\n";
    let mail = read_mail(raw, &Limits::default()).unwrap();
    let strings = [
        mail.subject.as_str(),
        mail.text.as_str(),
        mail.fresh_text.as_str(),
        mail.html.as_deref().unwrap(),
        mail.from_name.as_deref().unwrap(),
        mail.attachments[0].name.as_deref().unwrap(),
    ];
    for text in strings {
        assert!(!text.contains('\0'), "{text:?}");
    }
    assert_eq!(mail.subject, "Bro ken");
    assert!(mail.text.contains("It\u{FFFD} leaks"), "{}", mail.text);
}

#[test]
fn bidirectional_controls_are_taken_out_of_subjects_and_names() {
    let raw = "From: \"Ann \u{202E}gnp.exe\" <ann@example.com>\r\nSubject: Refund \u{2066}now\u{2069}\r\n\r\nHello\r\n";
    let mail = read_mail(raw.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(mail.subject, "Refund now");
    assert_eq!(mail.from_name.as_deref(), Some("Ann gnp.exe"));
}

#[test]
fn nesting_depth_counts_what_holds_other_elements() {
    let cases = [
        ("plain text", 0),
        ("<div><b>x</b></div>", 2),
        ("<p>one<p>two<p>three<br><img src=x><hr/>", 0),
        ("<ul><li>a<li>b</ul><table><tr><td>x</table>", 1),
        ("<!DOCTYPE html><html><body><div></div></body></html>", 3),
        ("<div><div><div>", 3),
        ("</div></div><div>", 1),
        ("<", 0),
        ("<div", 1),
    ];
    for (html, depth) in cases {
        assert_eq!(nesting_depth(html), depth, "{html}");
    }
    assert_eq!(nesting_depth(&"<b>".repeat(100_000)), 65_535);
}

/// Deep nesting made the sanitiser take seconds (quadratic in the depth): a mail past the
/// budget shows its text part, says what was left out, and is read at once.
#[test]
fn deeply_nested_html_is_not_sanitised_and_says_so() {
    for tag in ["div", "b", "font", "table"] {
        let html = format!("<{tag}>").repeat(110_000);
        let started = Instant::now();
        let mail = read_mail(&mail_with_html(&html), &Limits::default()).unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "<{tag}> took {:?}",
            started.elapsed()
        );
        assert_eq!(mail.html, None);
        assert_eq!(mail.text, "The plain words.");
        assert!(
            mail.left_out[0].contains("nested deeper"),
            "{:?}",
            mail.left_out
        );
    }
    let wide = "<div><b>fine</b></div>".repeat(20_000);
    let mail = read_mail(&mail_with_html(&wide), &Limits::default()).unwrap();
    assert!(mail.html.is_some_and(|h| h.contains("<b>fine</b>")));
    assert!(mail.left_out.is_empty());
}

#[test]
fn html_larger_than_the_budget_shows_the_text_part() {
    let limits = Limits {
        max_html_bytes: 1000,
        ..Limits::default()
    };
    let mail = read_mail(&mail_with_html(&"<i>x</i>".repeat(200)), &limits).unwrap();
    assert_eq!(mail.html, None);
    assert!(mail.left_out[0].contains("larger than 1000 bytes"));
}

fn mail_with_attachments(count: usize) -> Vec<u8> {
    let mut raw = String::from(
        "From: Ann <ann@example.com>\r\nSubject: Photos\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         Here they are.\r\n",
    );
    for i in 0..count {
        raw.push_str(&format!(
            "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; \
             filename=\"p{i}.png\"\r\n\r\npng{i}\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    raw.into_bytes()
}

#[test]
fn attachments_past_the_hundredth_are_listed_not_dropped() {
    let mail = read_mail(&mail_with_attachments(150), &Limits::default()).unwrap();
    assert_eq!(mail.attachments.len(), 150);
    assert!(mail.attachments[..100].iter().all(|a| a.content.is_some()));
    let last = &mail.attachments[149];
    assert_eq!(last.name.as_deref(), Some("p149.png"));
    assert_eq!(last.content, None);
    assert!(last.omitted.as_deref().unwrap().contains("100 attachments"));
    assert_eq!(mail.left_out, ["50 of 150 attachments were not kept"]);

    let limits = Limits {
        max_attachments_listed: 120,
        ..Limits::default()
    };
    let mail = read_mail(&mail_with_attachments(150), &limits).unwrap();
    assert_eq!(mail.attachments.len(), 121);
    let summary = mail.attachments[120].omitted.as_deref().unwrap();
    assert!(summary.starts_with("30 more attachments"), "{summary}");
    assert_eq!(mail.left_out.len(), 2);

    let mail = read_mail(&mail_with_attachments(3), &Limits::default()).unwrap();
    assert!(mail.left_out.is_empty());
}

#[test]
fn only_addresses_the_sender_can_use_are_mailable() {
    for good in [
        "ann@example.com",
        "a.b+tag@sub.example.co.uk",
        "x@[127.0.0.1]",
    ] {
        assert!(crate::can_be_mailed(good), "{good}");
    }
    for bad in [
        "a>,evil@evil.test",
        "a b@example.com",
        "@example.com",
        "ann@",
        "ann",
        "a\0@x.com",
    ] {
        assert!(!crate::can_be_mailed(bad), "{bad}");
    }
}
