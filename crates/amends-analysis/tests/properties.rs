//! Any text at all gives an answer, never a panic, with spans on character boundaries.

use amends_analysis::{assess, coach, CoachContext, Model};
use proptest::prelude::*;

fn spans_are_sound(text: &str, spans: impl Iterator<Item = (usize, usize)>) {
    for (start, end) in spans {
        assert!(
            start <= end && end <= text.len(),
            "{start}..{end} in {} bytes",
            text.len()
        );
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
    }
}

fn check(text: &str) {
    let model = Model::english();
    let assessment = assess(text, model);
    assert!((0.0..=1.0).contains(&assessment.anger));
    spans_are_sound(text, assessment.evidence.iter().map(|e| (e.start, e.end)));
    let context = CoachContext {
        customer_name: Some("Zoë".to_owned()),
        customer_anger: Some(0.9),
        authority_limit: Some(10.0),
        public_post: false,
    };
    let coaching = coach(text, &context, model);
    assert!(coaching.score <= 100);
    spans_are_sound(text, coaching.findings.iter().map(|f| (f.start, f.end)));
    spans_are_sound(text, coaching.strengths.iter().map(|s| (s.start, s.end)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_unicode_text(text in "\\PC*") {
        check(&text);
    }

    #[test]
    fn words_emoji_controls_and_right_to_left(parts in proptest::collection::vec(prop_oneof![
        Just("you useless idiots".to_owned()), Just("I'm cancelling".to_owned()), Just("😡🔥".to_owned()),
        Just("مرحبا بكم".to_owned()), Just("\u{202e}\u{0}\u{7}\t\r\n".to_owned()), Just("$".to_owned()), Just("75.".to_owned()),
        Just("will never happen again".to_owned()), Just("'".to_owned()), Just("@brand".to_owned()), Just("http://x.y/z".to_owned()),
        Just("#NeverAgain".to_owned()), Just("switching to @rival".to_owned()), Just("I\u{2019}m done with you".to_owned()),
        Just("as informed earlier".to_owned()), Just("you are only allowed".to_owned()), Just("port my number".to_owned()),
        Just("last time I fly".to_owned()), Just("your staff are morons".to_owned()), Just("#".to_owned()), Just("|".to_owned()),
        "[a-zA-Z ]{0,12}",
    ], 0..40)) {
        check(&parts.concat());
    }
}

#[test]
fn a_megabyte_message_is_read_without_trouble() {
    let text = "I'm furious, where is my parcel? 😡 ".repeat(30_000);
    assert!(text.len() > 1_000_000);
    check(&text);
    let cut_in_a_character = format!("{}é", "a".repeat(64 * 1024 - 1));
    check(&cut_in_a_character);
}

/// What the tokenizer promises, whatever the text: tokens in order, apart, on character
/// boundaries, covering every character but whitespace; each token's normal form is its text
/// lowercased with curly apostrophes made straight (a link is `<url>`), its key is the hash of
/// that, and capitals are two letters or more and no lowercase one.
fn tokens_are_sound(text: &str) {
    use amends_analysis::text::{tokenize, word_key, TokenKind};
    let tokens = tokenize(text);
    let mut covered = 0;
    for token in &tokens {
        assert!(covered <= token.start && token.start < token.end && token.end <= text.len());
        assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
        assert!(text[covered..token.start].chars().all(char::is_whitespace));
        covered = token.end;
        let raw = &text[token.start..token.end];
        assert!(!raw.starts_with(char::is_whitespace), "{raw:?}");
        let norm = match token.kind {
            TokenKind::Url => "<url>".to_owned(),
            _ => raw.to_lowercase().replace('\u{2019}', "'"),
        };
        assert_eq!(token.norm, norm);
        assert_eq!(token.key, word_key(&norm));
        let capitals = raw.chars().filter(|c| c.is_alphabetic()).count() >= 2
            && !raw.chars().any(char::is_lowercase);
        assert_eq!(
            token.shouting,
            token.kind == TokenKind::Word && capitals,
            "{raw:?}"
        );
    }
    assert!(text[covered..].chars().all(char::is_whitespace));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn tokens_cover_any_text(text in "\\PC*") {
        tokens_are_sound(&text);
    }

    #[test]
    fn tokens_cover_words_links_and_apostrophes(parts in proptest::collection::vec(prop_oneof![
        "[a-zA-Z0-9_]{1,30}", Just("’".to_owned()), Just("'".to_owned()), Just(" ".to_owned()),
        Just("\u{a0}".to_owned()), Just("\u{b}".to_owned()), Just("HTTP://X.y".to_owned()),
        Just("www.".to_owned()), Just("#".to_owned()), Just("@".to_owned()), Just("ÉTÉ".to_owned()),
        Just("İ".to_owned()), Just("ß".to_owned()), Just("😡".to_owned()), Just("!?.".to_owned()),
    ], 0..30)) {
        tokens_are_sound(&parts.concat());
    }
}
