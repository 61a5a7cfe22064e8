//! `amends analyze`, `amends coach`, `amends train` and `amends eval`: the text engine on files.
//!
//! `analyze` and `coach` stream JSON Lines from stdin to stdout in constant memory on every
//! core (`lines`), keep the order, answer a malformed line with `{"id"?, "error"}` and go on, and
//! fail only when IO fails.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_analysis::encoder::Encoder;
use amends_analysis::linear::Training;
use amends_analysis::train::LabelledText;
use amends_analysis::{assess, coach, CoachContext, Model};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::lines::{self, Answer};

/// The optional sentence encoder. Without `--encoder`, the one `scripts/encoder/install` put in
/// the checkout this binary was built from is read when it is there.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct EncoderArg {
    /// A sentence-transformers model folder (config.json, vocab.txt, model.safetensors) whose
    /// reading the complaint head adds to its own. By default the installed one
    /// (scripts/encoder/install), if any; without one the engine reads n-grams only.
    #[arg(long, env = "AMENDS_ENCODER")]
    pub encoder: Option<PathBuf>,
    /// Reads n-grams only, even when a sentence encoder is installed or given.
    #[arg(long)]
    pub no_encoder: bool,
}

impl EncoderArg {
    /// The encoder's folder to read, if any (`--encoder installed` names the installed one).
    pub(crate) fn folder(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.no_encoder {
            return Ok(None);
        }
        if let Some(dir) = &self.encoder {
            return crate::config::encoder_folder(&dir.to_string_lossy());
        }
        let installed = amends_server::installed_encoder();
        if installed.is_none() {
            eprintln!(
                "no sentence encoder installed (bash scripts/encoder/install): \
                 the complaint head reads n-grams only"
            );
        }
        Ok(installed)
    }
}

/// Loads the encoder in `dir`.
pub(crate) fn load_encoder(dir: &Path) -> anyhow::Result<Arc<Encoder>> {
    amends_server::load_encoder(dir).map_err(|e| anyhow::anyhow!(e))
}

/// The English model, reading through the encoder when one is given.
pub(crate) fn english(encoder: &EncoderArg) -> anyhow::Result<Model> {
    match &encoder.folder()? {
        None => Ok(Model::english().clone()),
        Some(dir) => amends_server::english_with_encoder(dir).map_err(|e| anyhow::anyhow!(e)),
    }
}

/// `f` of every item, in order, the items shared out over every core.
fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = items.len().div_ceil(threads).max(1);
    if share >= items.len() {
        return items.iter().map(f).collect();
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(share)
            .map(|chunk| {
                let f = &f;
                scope.spawn(move || chunk.iter().map(f).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    })
}

/// Computes the encoder's reading of every item with a complaint label (the only head that reads
/// it), on every core.
pub(crate) fn encode_complaints(encoder: &Encoder, items: &mut [LabelledText]) {
    let wanted: Vec<usize> = (0..items.len())
        .filter(|i| items[*i].complaint.is_some())
        .collect();
    let readings = on_every_core(&wanted, |i| encoder.reading(&items[*i].text));
    for (i, reading) in wanted.into_iter().zip(readings) {
        items[i].vector = Some(reading);
    }
}

/// A line `amends analyze` reads.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

struct Analyze<'m>(&'m Model);

impl Answer for Analyze<'_> {
    fn answer(&self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let message: Message = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        lines::reply(out, message.id, assess(&message.text, self.0))
    }
}

/// `amends analyze`.
pub(crate) fn analyze(encoder: &EncoderArg) -> anyhow::Result<()> {
    lines::stream(&Analyze(&english(encoder)?))
}

/// A line `amends coach` reads: a draft and what is known of the case.
#[derive(Deserialize)]
struct Draft<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    text: Cow<'a, str>,
    customer_name: Option<String>,
    customer_anger: Option<f32>,
    authority_limit: Option<f64>,
}

struct Coach<'m>(&'m Model);

impl Answer for Coach<'_> {
    fn answer(&self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let draft: Draft = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        let context = CoachContext {
            customer_name: draft.customer_name,
            customer_anger: draft.customer_anger,
            authority_limit: draft.authority_limit,
            public_post: false,
        };
        lines::reply(out, draft.id, coach(&draft.text, &context, self.0))
    }

    fn refusal(&self, error: String) -> String {
        format!("bad context: {error}")
    }
}

/// `amends coach`.
pub(crate) fn coach_drafts() -> anyhow::Result<()> {
    lines::stream(&Coach(Model::english()))
}

/// Training settings; the defaults are the ones the shipped model was trained with.
#[derive(clap::Args, Clone, Copy)]
pub struct TrainingArgs {
    /// Passes over the data.
    #[arg(long, default_value_t = Training::default().epochs)]
    epochs: usize,
    /// Adagrad's base learning rate.
    #[arg(long, default_value_t = Training::default().rate)]
    rate: f32,
    /// L2 penalty.
    #[arg(long, default_value_t = Training::default().l2)]
    l2: f32,
    /// L2 penalty of the complaint head that reads the sentence encoder (trained to convergence).
    #[arg(long, default_value_t = Training::default().exact_l2)]
    encoder_l2: f64,
    /// L-BFGS steps of that head.
    #[arg(long, default_value_t = Training::default().exact_iterations)]
    encoder_iterations: usize,
}

impl From<TrainingArgs> for Training {
    fn from(args: TrainingArgs) -> Training {
        Training {
            epochs: args.epochs,
            rate: args.rate,
            l2: args.l2,
            exact_l2: args.encoder_l2,
            exact_iterations: args.encoder_iterations,
            ..Training::default()
        }
    }
}
