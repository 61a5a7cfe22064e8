//! The mail intake path on any bytes: reading a raw message (headers, MIME, charsets, transfer
//! encodings, attachments, HTML sanitising, quote stripping) answers a mail or a reason, never
//! panics, and keeps its bounds.

#![no_main]

use amends_mail::{read_mail, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    let limits = Limits {
        max_attachment_bytes: 4096,
        max_attachments_total: 8192,
        max_text_chars: 2000,
        max_subject_chars: 120,
    };
    if let Ok(mail) = read_mail(raw, &limits) {
        assert!(mail.subject.chars().count() <= limits.max_subject_chars);
        assert!(mail.text.chars().count() <= limits.max_text_chars);
        assert!(!mail.from_address.is_empty());
        let kept: usize = mail
            .attachments
            .iter()
            .filter_map(|a| a.content.as_ref().map(Vec::len))
            .sum();
        assert!(kept <= limits.max_attachments_total);
        if let Some(html) = &mail.html {
            assert!(!html.to_ascii_lowercase().contains("<script"));
        }
        for line in mail.fresh_text.lines() {
            assert!(mail.text.contains(line));
        }
    }
});
