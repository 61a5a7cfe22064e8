//! Whatever arrives, reading it gives a mail or a reason, never a panic; and the fresh part of
//! a text is always a part of it.

use amends_mail::{fresh_part, read_mail, Limits};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_are_read_or_refused(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read_mail(&raw, &Limits::default());
    }

    #[test]
    fn damaged_real_mail_is_read_or_refused(
        pick in 0usize..64,
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        truncate in any::<prop::sample::Index>(),
    ) {
        let corpus = corpus();
        prop_assume!(!corpus.is_empty());
        let mut raw = corpus[pick % corpus.len()].clone();
        for (at, byte) in cuts {
            let i = at.index(raw.len().max(1));
            if i < raw.len() {
                raw[i] = byte;
            }
        }
        raw.truncate(truncate.index(raw.len() + 1));
        if let Ok(mail) = read_mail(&raw, &Limits::default()) {
            prop_assert!(!mail.from_address.is_empty());
            prop_assert!(mail.subject.chars().count() <= 300);
        }
    }

    #[test]
    fn the_fresh_part_never_invents_text(text in "(\\PC{0,40}\n){0,12}") {
        let fresh = fresh_part(&text);
        for line in fresh.lines() {
            prop_assert!(text.contains(line), "{line:?} is not in {text:?}");
        }
    }
}
