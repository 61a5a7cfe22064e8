#![allow(clippy::unwrap_used)] // a test that cannot go on should stop right there

use std::time::{Duration, SystemTime};

use crate::address::{parse_server_url, Security};
use crate::compose::{compose, Outgoing};
use crate::intake::{read_mail, Limits, Sender, Unreadable};
use crate::{case_reference, fresh_part, subject_with_reference, MailboxUrl};

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> crate::InboundMail {
    read_mail(&corpus(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_nested_multipart_gives_its_text_safe_html_and_attachment() {
    let mail = read("nested_multipart.eml");
    assert_eq!(mail.from_address, "ann.smith@example.com");
    assert_eq!(mail.from_name.as_deref(), Some("Ann Smith"));
    assert_eq!(mail.subject, "Parcel never arrived");
    assert_eq!(mail.message_id.as_deref(), Some("nested-1@example.com"));
    assert!(mail.text.starts_with("My parcel never arrived"));
    let html = mail.html.unwrap();
    assert!(html.contains("<b>never</b>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onerror"),
        "{html}"
    );
    assert_eq!(mail.attachments.len(), 1);
    let png = &mail.attachments[0];
    assert_eq!(png.name.as_deref(), Some("receipt.png"));
    assert_eq!(png.content_type, "image/png");
    assert!(png.content.as_ref().unwrap().starts_with(b"\x89PNG"));
    assert_eq!(mail.sender, Sender::Person);
}

#[test]
fn transfer_encodings_and_charsets_are_decoded() {
    let cases = [
        (
            "base64_body.eml",
            "Commande perdue – très déçu",
            "jamais arrivée",
        ),
        ("quoted_printable.eml", "Charged twice", "€49.99 each time"),
        ("latin1.eml", "Factura errónea", "¡Qué desastre!"),
        (
            "windows1252.eml",
            "Smart quotes",
            "It’s the “third” time – I’m done.",
        ),
        ("shift_jis.eml", "荷物が届きません", "返金してください"),
    ];
    for (file, subject, words) in cases {
        let mail = read(file);
        assert_eq!(mail.subject, subject, "{file}");
        assert!(mail.text.contains(words), "{file}: {:?}", mail.text);
    }
    assert_eq!(read("latin1.eml").from_name.as_deref(), Some("José García"));
}

#[test]
fn missing_headers_get_defaults_and_a_digest_id() {
    let mail = read("missing_headers.eml");
    assert_eq!(mail.subject, "(no subject)");
    assert_eq!(mail.message_id, None);
    assert_eq!(mail.external_id(), format!("sha256:{}", mail.digest));
    assert!(mail.text.starts_with("Just a body"));
}

#[test]
fn a_broken_boundary_still_gives_the_text() {
    let mail = read("broken_boundary.eml");
    assert!(mail.text.contains("want a replacement"), "{:?}", mail.text);
}

#[test]
fn what_cannot_be_read_says_why() {
    let limits = Limits::default();
    assert_eq!(
        read_mail(&corpus("no_sender.eml"), &limits).unwrap_err(),
        Unreadable::NoSender
    );
    assert!(read_mail(&corpus("not_an_email.eml"), &limits).is_err());
    assert_eq!(
        read_mail(b"  \r\n", &limits).unwrap_err(),
        Unreadable::Empty
    );
}

#[test]
fn machines_are_told_apart_from_people() {
    assert!(matches!(
        read("auto_reply.eml").sender,
        Sender::AutoReply(_)
    ));
    assert!(matches!(read("bounce.eml").sender, Sender::Bounce(_)));
    assert!(matches!(read("list_mail.eml").sender, Sender::List(_)));
    let precedence = b"From: a@example.com\r\nPrecedence: auto_reply\r\n\r\nAway.\r\n";
    let mail = read_mail(precedence, &Limits::default()).unwrap();
    assert!(matches!(mail.sender, Sender::AutoReply(_)));
    let said_no = b"From: a@example.com\r\nAuto-Submitted: no\r\n\r\nI am a person.\r\n";
    let mail = read_mail(said_no, &Limits::default()).unwrap();
    assert_eq!(mail.sender, Sender::Person);
}

#[test]
fn a_reply_threads_and_its_quote_is_not_read_as_new_words() {
    let mail = read("reply_with_quote.eml");
    assert_eq!(mail.in_reply_to, vec!["case7.notice3.abc@shop.example"]);
    assert_eq!(
        mail.references,
        vec!["first@example.com", "case7.notice3.abc@shop.example"]
    );
    assert_eq!(mail.case_reference, Some(7));
    assert_eq!(mail.fresh_text, "Thank you, that is all correct.");
    assert!(mail.text.contains("FURIOUS"), "the whole text is kept");
}

#[test]
fn a_ten_megabyte_attachment_is_kept_and_a_larger_one_listed() {
    let big = vec![b'A'; 10 * 1024 * 1024];
    let mut encoded = String::new();
    let b64 = base64_lines(&big);
    encoded.push_str(&b64);
    let raw = format!(
        "From: Big <big@example.com>\r\nSubject: video of the damage\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\n\
         See the video.\r\n--x\r\nContent-Type: video/mp4; name=\"damage.mp4\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--x--\r\n"
    );
    let mail = read_mail(raw.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].size, big.len());
    assert_eq!(mail.attachments[0].content.as_deref(), Some(big.as_slice()));
    let tight = Limits {
        max_attachment_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let mail = read_mail(raw.as_bytes(), &tight).unwrap();
    assert_eq!(mail.attachments[0].content, None);
    assert!(mail.attachments[0]
        .omitted
        .as_deref()
        .unwrap()
        .contains("limit"));
    assert_eq!(
        mail.attachments[0].size,
        big.len(),
        "its size is still told"
    );
}

fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn long_text_is_cut_with_a_marker_within_the_limit() {
    let raw = format!(
        "From: a@example.com\r\nSubject: long\r\n\r\n{}\r\n",
        "word ".repeat(40_000)
    );
    let limits = Limits::default();
    let mail = read_mail(raw.as_bytes(), &limits).unwrap();
    assert!(mail.text.chars().count() <= limits.max_text_chars);
    assert!(mail.text.ends_with("too long to keep]"));
}

#[test]
fn quotes_attributions_and_signatures_are_stripped() {
    let cases = [
        (
            "Fine now.\n\nOn Mon, 2 Nov 2026, Care <c@x.com> wrote:\n> old",
            "Fine now.",
        ),
        (
            "Fine now.\nOn Mon, 2 Nov 2026 at 10:00, Customer care\n<c@x.com> wrote:\n> old",
            "Fine now.",
        ),
        ("Top.\n-----Original Message-----\nFrom: x", "Top."),
        (
            "Top.\n\nFrom: Care\nSent: Monday\nTo: me\nSubject: x\n\nold",
            "Top.",
        ),
        (
            "Inline answer\n> quoted question\nmore answer",
            "Inline answer\nmore answer",
        ),
        ("Thanks.\n-- \nAnn\n07700 900000", "Thanks."),
        ("Thanks.\n\nSent from my iPhone", "Thanks."),
        ("> only a quote", "> only a quote"),
    ];
    for (text, fresh) in cases {
        assert_eq!(fresh_part(text), fresh, "{text:?}");
    }
}

#[test]
fn case_references_are_found_only_in_their_exact_form() {
    assert_eq!(case_reference("Re: refund [Case #42]"), Some(42));
    assert_eq!(case_reference("[CASE #7] x"), Some(7));
    assert_eq!(case_reference("case #42"), None);
    assert_eq!(
        case_reference("[Case #] [Case #x] [Case #0] [Case #9]"),
        Some(9)
    );
    assert_eq!(case_reference("[Case #99999999999999999999]"), None);
    assert_eq!(subject_with_reference("Refund", 3), "Refund [Case #3]");
    assert_eq!(
        subject_with_reference("Re: Refund [Case #3]", 3),
        "Re: Refund [Case #3]"
    );
}

#[test]
fn server_urls_parse_with_tls_choices_and_refuse_nonsense() {
    let url = parse_server_url(
        "smtp://user%40x.com:p%3Ass@mail.example.com:587?tls=starttls",
        ["smtp", "smtps"],
    )
    .unwrap();
    assert_eq!(url.user.as_deref(), Some("user@x.com"));
    assert_eq!(url.password.as_deref(), Some("p:ss"));
    assert_eq!(
        (url.host.as_str(), url.port, url.security),
        ("mail.example.com", 587, Security::StartTls)
    );
    assert_eq!(url.redacted(), "smtp://user@x.com@mail.example.com:587");
    let plain = parse_server_url("smtp://127.0.0.1:2525?tls=none", ["smtp", "smtps"]).unwrap();
    assert_eq!(
        (plain.port, plain.security, plain.user),
        (2525, Security::None, None)
    );
    let tls = parse_server_url("smtps://h", ["smtp", "smtps"]).unwrap();
    assert_eq!((tls.port, tls.security), (465, Security::Tls));
    for bad in [
        "http://h",
        "smtp://",
        "smtp://h:port",
        "smtps://h?tls=none",
        "smtp://h?tls=maybe",
        "smtp://h?colour=blue",
        "mail.example.com",
    ] {
        assert!(parse_server_url(bad, ["smtp", "smtps"]).is_err(), "{bad}");
    }
    let mailbox = MailboxUrl::parse("imap://desk:secret@127.0.0.1:10143?tls=none").unwrap();
    assert_eq!(mailbox.0.path, "INBOX");
    assert_eq!(mailbox.describe(), "imap://desk@127.0.0.1:10143/INBOX");
    assert!(
        MailboxUrl::parse("imap://127.0.0.1/INBOX").is_err(),
        "a user is needed"
    );
    assert_eq!(
        MailboxUrl::parse("imaps://u:p@h/Support").unwrap().0.port,
        993
    );
}

fn outgoing() -> Outgoing {
    Outgoing {
        from: "Customer care <care@shop.example>".into(),
        to: "ann@example.com".into(),
        to_name: "Ann <Smith>".into(),
        case_id: 7,
        kind: "summary".into(),
        subject: "Summary of your case #7".into(),
        body: "You told us:\n1. The parcel never arrived.\n\nTell us here: https://desk.example/summary/abc?x=1&y=2".into(),
        signature: "Kind regards".into(),
        message_id: "case7.notice3.abc@shop.example".into(),
        in_reply_to: Some("first@example.com".into()),
        references: vec!["first@example.com".into(), "second@example.com".into()],
        date: SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000),
        automatic: true,
    }
}

#[test]
fn a_composed_mail_reads_back_with_its_thread_reference_and_both_parts() {
    let raw = compose(&outgoing()).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
    let back = read_mail(&raw, &Limits::default()).unwrap();
    assert_eq!(
        back.message_id.as_deref(),
        Some("case7.notice3.abc@shop.example")
    );
    assert_eq!(back.in_reply_to, vec!["first@example.com"]);
    assert_eq!(
        back.references,
        vec!["first@example.com", "second@example.com"]
    );
    assert_eq!(back.subject, "Summary of your case #7 [Case #7]");
    assert_eq!(back.case_reference, Some(7));
    assert!(back.text.contains("Dear Ann <Smith>,"), "{}", back.text);
    assert!(back.text.contains("1. The parcel never arrived."));
    let html = back.html.unwrap();
    assert!(
        html.contains("Ann &lt;Smith&gt;"),
        "the name is escaped: {html}"
    );
    assert!(
        html.contains("href=\"https://desk.example/summary/abc?x=1&amp;y=2\""),
        "{html}"
    );
    assert!(html.contains("What you told us"));
}

#[test]
fn the_template_greets_and_signs_only_when_the_body_does_not() {
    let mut mail = outgoing();
    let text = crate::compose::text_of(&mail);
    assert!(
        text.starts_with("Dear Ann <Smith>,\n\nYou told us:"),
        "{text}"
    );
    assert!(text.contains("\nKind regards\n"), "{text}");
    mail.body = "Dear Ann,\n\nIt is on its way.\n\nKind regards, the team".into();
    let text = crate::compose::text_of(&mail);
    assert_eq!(text.matches("Dear").count(), 1, "{text}");
    assert_eq!(text.matches("regards").count(), 1, "{text}");
    let html = crate::compose::html_of(&mail);
    assert_eq!(html.matches("Dear").count(), 1, "{html}");
    assert_eq!(html.matches("regards").count(), 1, "{html}");
}

#[test]
fn a_reply_by_an_agent_is_not_marked_automatic() {
    let mut mail = outgoing();
    mail.automatic = false;
    let raw = compose(&mail).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Auto-Submitted"));
    mail.to = "not an address".into();
    assert!(compose(&mail).is_err());
}
