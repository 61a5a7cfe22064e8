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
