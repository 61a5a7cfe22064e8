//! The sentence encoder on the real all-MiniLM-L6-v2 that `scripts/encoder/install` puts in
//! target/encoder (or the folder in AMENDS_ENCODER). Without it these tests say so and pass,
//! except under CI=true, where a missing encoder fails them: a skipped suite is not a pass.

mod common;

use amends_analysis::encoder::MAX_TOKENS;
use amends_analysis::{assess, Model};
use common::encoder;

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn vectors_match_a_reference_implementation_and_have_length_one() {
    let Some(encoder) = encoder() else { return };
    assert_eq!(encoder.dimensions(), 384);
    assert_eq!(encoder.middle_layer(), 4);
    assert_eq!(encoder.reading_dimensions(), 768);
    // The first numbers of the sentence vector and of the middle layer's mean as an independent
    // NumPy implementation of the same model gives them, fed by Hugging Face's own tokenizer
    // (tokenizers 0.x, tokenizer.json of the package).
    for (text, expected, middle) in [
        (
            "This is an offline sentence embedding",
            [0.000_251_1, 0.013_470_37, 0.089_797_22, 0.053_610_28, 0.079_403_99],
            [-0.038_066_81, -0.019_820_64, 0.074_293, 0.004_821_01, 0.018_648_91],
        ),
        (
            "@united my flight was delayed 5 hours and nobody at the gate would tell us anything. Worst airline ever, I want a refund now!!",
            [0.032_675_18, -0.011_297_53, 0.023_949_36, 0.065_838_19, 0.031_293_54],
            [-0.015_454_31, -0.037_360_97, -0.013_734_79, -0.018_933_03, 0.058_527_34],
        ),
    ] {
        let vector = encoder.encode(text);
        let reading = encoder.reading(text);
        assert_eq!(reading.len(), 768);
        assert_eq!(reading[..384], vector[..]);
        for part in [&vector[..], &reading[384..]] {
            let length = cosine(part, part).sqrt();
            assert!((length - 1.0).abs() < 1e-4, "{length}");
        }
        for (got, want) in vector.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{text}: {:?}", &vector[..5]);
        }
        for (got, want) in reading[384..].iter().zip(middle) {
            assert!((got - want).abs() < 1e-5, "{text}: {:?}", &reading[384..389]);
        }
    }
    // The same tokenizer: these are the ids Hugging Face's gives.
    assert_eq!(
        encoder.token_ids("@united my flight was delayed 5 hours"),
        [101, 1030, 2142, 2026, 3462, 2001, 8394, 1019, 2847, 102]
    );
}

#[test]
fn similar_complaints_lie_closer_than_unrelated_text() {
    let Some(encoder) = encoder() else { return };
    let lost = encoder.encode("My suitcase never arrived and nobody will tell me where it is.");
    let missing = encoder.encode("You lost my luggage and I still have no answer.");
    let thanks = encoder.encode("Thank you so much, the new phone works perfectly!");
    assert!(cosine(&lost, &missing) > cosine(&lost, &thanks) + 0.2);
}

#[test]
fn any_text_gives_a_vector_and_long_text_is_cut() {
    let Some(encoder) = encoder() else { return };
    let long = "where is my parcel ".repeat(2000);
    for text in [
        "",
        "😡😡😡",
        "\u{0}\u{7}\u{202e}שלום",
        "中文 and ünïcödé",
        long.as_str(),
    ] {
        let reading = encoder.reading(text);
        assert_eq!(reading.len(), 768);
        assert!(reading.iter().all(|v| v.is_finite()), "{text:?}");
    }
    assert_eq!(encoder.token_ids(&long).len(), MAX_TOKENS);
}

#[test]
fn the_complaint_head_reads_the_encoder_where_the_n_grams_are_unsure() {
    let Some(encoder) = encoder() else { return };
    let model = Model::english()
        .with_encoder(encoder)
        .expect("the embedded heads were trained on this encoder");
    assert!(model.has_encoder());
    // The n-grams are sure of this one: the encoder is not read, the score is theirs.
    let complaint = "@AcmeSupport three weeks and my refund still hasn't arrived. Nobody answers.";
    let (with, without) = (
        assess(complaint, &model),
        assess(complaint, Model::english()),
    );
    assert!(with.complaint, "{}", with.complaint_score);
    assert_eq!(with.complaint_score, without.complaint_score);
    // Unsure of these (a score between 0.22 and 0.60), they hand them to the encoder's head,
    // which reads a price question as the complaint it is and an address change as none.
    for (text, is_complaint) in [
        ("@AcmeSupport why is the price different in store?", true),
        ("@AcmeSupport can I change my delivery address?", false),
    ] {
        let (with, without) = (assess(text, &model), assess(text, Model::english()));
        assert!((0.22..0.60).contains(&without.complaint_score), "{text}");
        assert!(
            (with.complaint_score - without.complaint_score).abs() > 0.2,
            "{text}"
        );
        assert_eq!(
            with.complaint, is_complaint,
            "{text}: {}",
            with.complaint_score
        );
    }
    let thanks = "@AcmeSupport thanks for sorting my order so quickly, great service";
    assert!(!assess(thanks, &model).complaint);
    // Everything else is the n-gram engine's, with or without the encoder.
    assert_eq!(with.negative, without.negative);
    assert_eq!(with.anger, without.anger);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// The encoder's tokenizer takes any text: start and end markers around at most
    /// `MAX_TOKENS` - 2 pieces, every id in the vocabulary (30,522 words in this model's).
    #[test]
    fn any_text_becomes_ids_of_the_vocabulary(text in "\\PC{0,400}|[a-zA-Z'’ ]{0,600}") {
        let Some(encoder) = encoder() else { return Ok(()) };
        let ids = encoder.token_ids(&text);
        proptest::prop_assert!(ids.len() >= 2 && ids.len() <= MAX_TOKENS);
        proptest::prop_assert_eq!(ids.first(), Some(&101));
        proptest::prop_assert_eq!(ids.last(), Some(&102));
        proptest::prop_assert!(ids.iter().all(|id| *id < 30_522), "{:?}", ids);
    }
}
