//! Any bytes that are UTF-8 must be assessed and coached without a panic, with every span on a
//! character boundary inside the text. Run: `cargo fuzz run assess_and_coach` (see README).
#![no_main]

use amends_analysis::{assess, coach, CoachContext, Model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let model = Model::english();
    let assessment = assess(text, model);
    for e in &assessment.evidence {
        assert!(e.start <= e.end && e.end <= text.len());
        assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
    }
    let context = CoachContext { customer_name: Some("Ann".to_owned()), customer_anger: Some(0.8), authority_limit: Some(25.0) };
    let coaching = coach(text, &context, model);
    for f in &coaching.findings {
        assert!(f.start <= f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
    }
});
