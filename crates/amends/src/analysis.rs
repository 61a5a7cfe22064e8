//! `amends analyze`, `amends coach`, `amends train` and `amends eval`: the text engine on files.
//!
//! `analyze` and `coach` stream JSON Lines from stdin to stdout in constant memory (a line is
//! read whole up to 16 MiB; a longer one is skipped and answered with an error), keep the order,
//! answer a malformed line with `{"id"?, "error"}` and go on, and fail only when IO fails.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use amends_analysis::encoder::Encoder;
use amends_analysis::linear::{LinearModel, Training};
use amends_analysis::train::{
    cross_validate, evaluate, train, train_encoder_heads, LabelledText, Report,
};
use amends_analysis::{assess, coach, CoachContext, Model};
use anyhow::{bail, Context};
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
fn encode_complaints(encoder: &Encoder, items: &mut [LabelledText]) {
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

/// Reads the labelled sets in `dir` (see shared/eval/README.md).
pub(crate) fn load(dir: &Path) -> anyhow::Result<Vec<LabelledText>> {
    let mut items = Vec::new();
    let mut read = |name: &str, label: &dyn Fn(&Value, &mut LabelledText)| -> anyhow::Result<()> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let value: Value = serde_json::from_str(line)
                .with_context(|| format!("{}:{}", path.display(), n + 1))?;
            let mut item = LabelledText {
                text: value["text"].as_str().unwrap_or_default().to_owned(),
                ..LabelledText::default()
            };
            label(&value, &mut item);
            items.push(item);
        }
        Ok(())
    };
    read("airline_sentiment.jsonl", &|v, item| {
        item.negative = v["sentiment"].as_str().map(|s| s == "negative");
        if item.negative == Some(true) {
            item.reason = v["reason"].as_str().map(str::to_owned);
        }
    })?;
    read("complaints.jsonl", &|v, item| {
        item.complaint = v["complaint"].as_bool()
    })?;
    read("offensive.jsonl", &|v, item| {
        item.abusive = v["class"].as_str().map(|c| c == "hate" || c == "offensive")
    })?;
    Ok(items)
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

/// `amends train DIR --out FILE [--encoder DIR --encoder-out FILE]`.
pub(crate) fn train_model(
    dir: &Path,
    out: &Path,
    encoder: &EncoderArg,
    encoder_out: &Path,
    training: Training,
) -> anyhow::Result<()> {
    let mut items = load(dir)?;
    let write = |path: &Path, bytes: Vec<u8>| -> anyhow::Result<()> {
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {} ({} KiB)", path.display(), bytes.len() / 1024);
        Ok(())
    };
    let linear = train(&items, training);
    write(out, linear.to_bytes())?;
    if let Some(dir) = &encoder.folder()? {
        encode_complaints(&*load_encoder(dir)?, &mut items);
        // The heads read the negativity of the model as it ships (quantised and pruned).
        let linear = LinearModel::from_bytes(&linear.to_bytes()).map_err(anyhow::Error::msg)?;
        let heads = train_encoder_heads(&items, &linear, training)
            .context("no complaint-labelled texts to train the encoder's heads on")?;
        write(encoder_out, heads.to_bytes())?;
    }
    eprintln!("trained on {} texts", items.len());
    Ok(())
}

/// The targets of issue 3, on data the engine has not seen: `--check` with no floors given.
pub(crate) const TARGETS: &str = "negative=0.88,complaint=0.80,abusive=0.95";

/// Parses `task=F1,…` floors.
pub(crate) fn parse_floors(raw: &str) -> Result<Vec<(String, f64)>, String> {
    raw.split(',')
        .map(|pair| {
            let (task, floor) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not task=F1"))?;
            let task = task.trim();
            if !matches!(task, "negative" | "complaint" | "abusive") {
                return Err(format!("{task:?} is not negative, complaint or abusive"));
            }
            let floor: f64 = floor
                .trim()
                .parse()
                .map_err(|_| format!("{floor:?} is not a number"))?;
            Ok((task.to_owned(), floor))
        })
        .collect()
}

/// `amends eval DIR`.
pub(crate) fn eval(
    dir: &Path,
    folds: usize,
    check: Option<String>,
    encoder: &EncoderArg,
    training: Training,
) -> anyhow::Result<()> {
    let check = check
        .as_deref()
        .map(parse_floors)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--check: {e}"))?;
    let mut items = load(dir)?;
    let encoder = encoder.folder()?.as_deref().map(load_encoder).transpose()?;
    let shipped = match &encoder {
        None => Model::english().clone(),
        Some(encoder) => {
            encode_complaints(encoder, &mut items);
            // Every text with a complaint label now has its vector; the others need none.
            Model::english()
                .with_encoder(encoder.clone())
                .map(|m| m.without_encoder())
                .unwrap_or_else(|e| {
                    eprintln!("the shipped model is judged without the encoder: {e}");
                    Model::english().clone()
                })
        }
    };
    let cross = cross_validate(&items, folds, training);
    let shipped = evaluate(&shipped, &items);
    let mut table =
        format!(
        "{folds}-fold cross-validation on {}{} (each text judged by a model that never saw it):\n",
        dir.display(),
        if encoder.is_some() { ", the complaint head reading the sentence encoder too" } else { "" }
    );
    table.push_str(&rows(&cross));
    let (threshold, best) = cross.best_complaint_threshold();
    table.push_str(&format!("(the complaint threshold with the best cross-validated F1 is {threshold:.2}, F1 {best:.3})\n"));
    table.push_str(
        "\nThe shipped model on the same texts (it was trained on them, so this flatters it):\n",
    );
    table.push_str(&rows(&shipped));
    #[allow(clippy::print_stdout)] // the report is this command's output
    {
        print!("{table}");
    }
    if let Some(floors) = check {
        let f1 = |task: &str| match task {
            "negative" => cross.negative.f1(),
            "complaint" => cross.complaint.f1(),
            _ => cross.abusive.f1(),
        };
        let short: Vec<String> = floors
            .iter()
            .filter(|(task, floor)| f1(task) < *floor)
            .map(|(task, floor)| format!("{task} F1 {:.3} < {floor}", f1(task)))
            .collect();
        if !short.is_empty() {
            bail!("cross-validated F1 below the floor: {}", short.join(", "));
        }
    }
    Ok(())
}

fn rows(report: &Report) -> String {
    let mut out = String::from("| task | precision | recall | F1 |\n|---|---|---|---|\n");
    for (task, confusion) in [
        ("negative", report.negative),
        ("complaint", report.complaint),
        ("abusive", report.abusive),
    ] {
        out.push_str(&format!(
            "| {task} | {:.3} | {:.3} | {:.3} |\n",
            confusion.precision(),
            confusion.recall(),
            confusion.f1()
        ));
    }
    out.push_str(&format!(
        "| category (airline reason accuracy, {} texts) | | | {:.3} |\n",
        report.reason_total,
        report.reason_accuracy()
    ));
    out
}
