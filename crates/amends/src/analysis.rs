//! `amends analyze`, `amends coach`, `amends train` and `amends eval`: the text engine on files.
//!
//! `analyze` and `coach` stream JSON Lines from stdin to stdout in constant memory (a line is
//! read whole up to 16 MiB; a longer one is skipped and answered with an error), keep the order,
//! answer a malformed line with `{"id"?, "error"}` and go on, and fail only when IO fails.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_analysis::encoder::Encoder;
use amends_analysis::linear::Training;
use amends_analysis::train::LabelledText;
use amends_analysis::{assess, coach, CoachContext, Model};
use anyhow::Context;
use serde::Deserialize;
use serde_json::{json, Value};

const MAX_LINE: usize = 16 * 1024 * 1024;

/// Reads lines of at most `MAX_LINE` bytes; `Ok(None)` at the end, `Err` only on IO failure.
/// A longer line is consumed and returned as `Too long`.
enum Line {
    Text(Vec<u8>),
    TooLong,
}

fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(if line.is_empty() && !too_long {
                None
            } else if too_long {
                Some(Line::TooLong)
            } else {
                Some(Line::Text(std::mem::take(line)))
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], i + 1),
            None => (available, available.len()),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let ended = done <= available.len() && available.get(done - 1) == Some(&b'\n');
        input.consume(done);
        if ended {
            return Ok(Some(if too_long {
                Line::TooLong
            } else {
                Line::Text(std::mem::take(line))
            }));
        }
    }
}

/// Lines read before their answers are written: enough to keep every core busy, few enough that
/// memory stays bounded (a batch also ends after `BATCH_BYTES`).
const BATCH_LINES: usize = 64;
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Runs `answer` on each JSON line of stdin and writes its answer as a line on stdout, in the
/// order of the input. Lines are answered a batch at a time on every core (the sentence encoder
/// makes a line cost milliseconds).
fn stream(answer: impl Fn(&Value) -> Result<Value, String> + Sync) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = BufWriter::new(std::io::stdout().lock());
    let mut buffer = Vec::new();
    let mut batch = Vec::with_capacity(BATCH_LINES);
    let mut ended = false;
    while !ended {
        batch.clear();
        let mut bytes = 0;
        while batch.len() < BATCH_LINES && bytes < BATCH_BYTES {
            match next_line(&mut input, &mut buffer).context("reading standard input")? {
                None => {
                    ended = true;
                    break;
                }
                Some(line) => {
                    bytes += match &line {
                        Line::Text(text) => text.len(),
                        Line::TooLong => 0,
                    };
                    batch.push(line);
                }
            }
        }
        let replies = on_every_core(&batch, |line| reply(line, &answer));
        for reply in replies.into_iter().flatten() {
            serde_json::to_writer(&mut output, &reply).context("writing standard output")?;
            output.write_all(b"\n").context("writing standard output")?;
        }
    }
    output.flush().context("writing standard output")
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

/// The answer to one line of input; `None` for a blank line, which gets none.
fn reply(line: &Line, answer: &impl Fn(&Value) -> Result<Value, String>) -> Option<Value> {
    Some(match line {
        Line::TooLong => json!({"error": format!("line longer than {MAX_LINE} bytes")}),
        Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => return None,
        Line::Text(bytes) => match serde_json::from_slice::<Value>(bytes) {
            Err(error) => json!({"error": format!("not JSON: {error}")}),
            Ok(request) => {
                let id = request.get("id").cloned();
                match answer(&request) {
                    Ok(mut reply) => {
                        if let (Some(id), Some(object)) = (id, reply.as_object_mut()) {
                            object.insert("id".to_owned(), id);
                        }
                        reply
                    }
                    Err(error) => match id {
                        Some(id) => json!({"id": id, "error": error}),
                        None => json!({"error": error}),
                    },
                }
            }
        },
    })
}

fn text_of(request: &Value) -> Result<&str, String> {
    request
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| "each line needs a string \"text\"".to_owned())
}

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

/// `amends analyze`.
pub(crate) fn analyze(encoder: &EncoderArg) -> anyhow::Result<()> {
    let model = &english(encoder)?;
    stream(|request| {
        let assessment = assess(text_of(request)?, model);
        serde_json::to_value(assessment).map_err(|e| e.to_string())
    })
}

#[derive(Deserialize)]
struct CoachRequest {
    customer_name: Option<String>,
    customer_anger: Option<f32>,
    authority_limit: Option<f64>,
}

/// `amends coach`.
pub(crate) fn coach_drafts() -> anyhow::Result<()> {
    let model = Model::english();
    stream(|request| {
        let text = text_of(request)?;
        let context: CoachRequest =
            serde_json::from_value(request.clone()).map_err(|e| format!("bad context: {e}"))?;
        let context = CoachContext {
            customer_name: context.customer_name,
            customer_anger: context.customer_anger,
            authority_limit: context.authority_limit,
        };
        serde_json::to_value(coach(text, &context, model)).map_err(|e| e.to_string())
    })
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
