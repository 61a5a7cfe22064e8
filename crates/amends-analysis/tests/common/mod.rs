//! The real all-MiniLM-L6-v2 that `scripts/encoder/install` puts in target/encoder (or the
//! folder in AMENDS_ENCODER), for the encoder's tests and benchmark. Without it they say so;
//! under CI=true a missing encoder is a failure: a skipped suite is not a pass.

#![allow(clippy::expect_used)] // a test helper that cannot load the model should stop right there

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use amends_analysis::encoder::Encoder;

fn folder() -> Option<PathBuf> {
    let dir = std::env::var_os("AMENDS_ENCODER")
        .filter(|dir| !dir.is_empty() && dir != "installed")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(amends_analysis::encoder::INSTALLED)
        });
    if dir.join("model.safetensors").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the sentence encoder is not at {}: run scripts/encoder/install",
        dir.display()
    );
    eprintln!(
        "SKIPPED: no sentence encoder at {} (scripts/encoder/install)",
        dir.display()
    );
    None
}

/// The installed encoder, loaded once.
pub(crate) fn encoder() -> Option<Arc<Encoder>> {
    static ENCODER: OnceLock<Option<Arc<Encoder>>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let dir = folder()?;
            let read = |name: &str| std::fs::read(dir.join(name)).expect("reads the model");
            let text = |name: &str| String::from_utf8(read(name)).expect("UTF-8");
            let encoder = Encoder::from_parts(
                &text("config.json"),
                &text("vocab.txt"),
                &read("model.safetensors"),
            )
            .expect("loads all-MiniLM-L6-v2");
            Some(Arc::new(encoder))
        })
        .clone()
}
