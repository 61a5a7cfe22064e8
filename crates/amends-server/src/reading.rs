//! Reading a customer's words with the text engine, for the case's rules and the console.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_analysis::encoder::Encoder;
use amends_analysis::{assess, Model};
use amends_core::message::Reading;
use serde_json::Value;

use crate::AppState;

/// What the built-in engine (n-grams and phrase lists) reads in `text`.
pub fn read(text: &str) -> Reading {
    read_with(Model::english(), text)
}

/// What the desk's engine reads in `text`: the model in its settings, when it has one (a
/// sentence encoder costs milliseconds a message, so that reading runs off the async threads),
/// else the built-in one.
pub(crate) async fn read_for(state: &AppState, text: &str) -> Reading {
    let Some(model) = state.settings.reader.clone() else {
        return read(text);
    };
    let owned = text.to_owned();
    tokio::task::spawn_blocking(move || read_with(&model, &owned))
        .await
        .unwrap_or_else(|error| {
            tracing::error!(%error, "reading through the sentence encoder failed; n-grams alone");
            read(text)
        })
}

/// The folder `scripts/encoder/install` fills in the checkout this program was built from, when
/// it holds a model.
pub fn installed_encoder() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(amends_analysis::encoder::INSTALLED);
    dir.join("model.safetensors").is_file().then_some(dir)
}

/// Loads the sentence encoder in `dir`, a sentence-transformers model folder (`config.json`,
/// `vocab.txt`, `model.safetensors`; mean pooling only).
pub fn load_encoder(dir: &Path) -> Result<Arc<Encoder>, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("reading the encoder's {}: {e}", path.display()))
    };
    let text = |name: &str| {
        String::from_utf8(read(name)?)
            .map_err(|_| format!("{}: {name} is not UTF-8", dir.display()))
    };
    if dir.join("1_Pooling/config.json").exists() {
        let pooling: Value = serde_json::from_str(&text("1_Pooling/config.json")?)
            .map_err(|e| format!("{}: 1_Pooling/config.json: {e}", dir.display()))?;
        if pooling["pooling_mode_mean_tokens"] != Value::Bool(true) {
            return Err(format!("{}: only mean pooling is supported", dir.display()));
        }
    }
    let encoder = Encoder::from_parts(
        &text("config.json")?,
        &text("vocab.txt")?,
        &read("model.safetensors")?,
    )
    .map_err(|e| format!("loading the encoder in {}: {e}", dir.display()))?;
    Ok(Arc::new(encoder))
}

/// The built-in English model reading through the sentence encoder in `dir` too.
pub fn english_with_encoder(dir: &Path) -> Result<Model, String> {
    Model::english()
        .with_encoder(load_encoder(dir)?)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

fn read_with(model: &Model, text: &str) -> Reading {
    let assessment = assess(text, model);
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a whole number of 0..=1000"
    )]
    let anger_permille = (f64::from(assessment.anger.clamp(0.0, 1.0)) * 1000.0).round() as i64;
    Reading {
        anger_permille,
        abusive: assessment.abusive,
        churn_threat: assessment.churn_threat,
        assessment_json: serde_json::to_string(&assessment).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// The tone the engine read (its assessment's complaint and label). An assessment that cannot
/// be read is taken as an upset complaint: a person answers.
pub(crate) fn tone(reading: &Reading) -> amends_core::knowledge::Tone {
    let assessment: Value = serde_json::from_str(&reading.assessment_json).unwrap_or_default();
    amends_core::knowledge::Tone {
        complaint: assessment["complaint"].as_bool().unwrap_or(true),
        calm: assessment["label"].as_str() == Some("calm"),
    }
}
