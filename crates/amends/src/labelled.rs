//! The text engine on the public labelled sets (shared/eval): `amends train` fits its heads on
//! them; `amends eval` judges it, each text by a model that never saw it, and the coach on real
//! agent replies.

use std::path::Path;

use amends_analysis::judge::{judge_replies, LabelledReply, REPLY_LABELS};
use amends_analysis::linear::{LinearModel, Training};
use amends_analysis::train::{
    cross_validate, evaluate, train, train_encoder_heads, Confusion, LabelledText, Report,
};
use amends_analysis::Model;
use anyhow::{bail, Context};
use serde_json::Value;

use crate::analysis::{encode_complaints, load_encoder, EncoderArg};

/// Every JSON line of `dir/name`.
fn json_lines(dir: &Path, name: &str) -> anyhow::Result<Vec<Value>> {
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), n + 1))
        })
        .collect()
}

/// The agent replies of `agent_replies.jsonl`, with the customer message each answers.
pub(crate) fn load_replies(dir: &Path) -> anyhow::Result<Vec<LabelledReply>> {
    Ok(json_lines(dir, "agent_replies.jsonl")?
        .iter()
        .map(|v| LabelledReply {
            text: v["text"].as_str().unwrap_or_default().to_owned(),
            customer_text: v["customer_text"].as_str().unwrap_or_default().to_owned(),
            labels: REPLY_LABELS
                .iter()
                .filter_map(|(label, _)| Some(((*label).to_owned(), v["labels"][label].as_bool()?)))
                .collect(),
            customer_upset: v["customer_upset"].as_bool(),
        })
        .collect())
}

/// Reads the labelled sets in `dir` (see shared/eval/README.md).
pub(crate) fn load(dir: &Path) -> anyhow::Result<Vec<LabelledText>> {
    let mut items = Vec::new();
    let mut read = |name: &str, label: &dyn Fn(&Value, &mut LabelledText)| -> anyhow::Result<()> {
        for value in json_lines(dir, name)? {
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
    read("churn.jsonl", &|v, item| {
        item.churn = v["churn_threat"].as_bool()
    })?;
    read("abuse_at_staff.jsonl", &|v, item| {
        item.abuse_at_staff = v["labels"]["abuse_at_staff"].as_bool();
        item.threat = v["labels"]["threat"].as_bool();
    })?;
    Ok(items)
}

/// The targets of issue 3, on data the engine has not seen: `--check` with no floors given.
pub(crate) const TARGETS: &str = "negative=0.88,complaint=0.80,abusive=0.95";

/// The tasks on customer messages that `--check` can hold to a floor.
const TASKS: [&str; 5] = [
    "negative",
    "complaint",
    "abusive",
    "churn",
    "abuse_at_staff",
];

/// Parses `task=F1,…` floors.
pub(crate) fn parse_floors(raw: &str) -> Result<Vec<(String, f64)>, String> {
    raw.split(',')
        .map(|pair| {
            let (task, floor) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not task=F1"))?;
            let task = task.trim();
            let reply_label = REPLY_LABELS.iter().any(|(label, _)| *label == task);
            if !TASKS.contains(&task) && !reply_label && task != "customer_upset" {
                return Err(format!(
                    "{task:?} is not one of {}, a reply label ({}) or customer_upset",
                    TASKS.join(", "),
                    REPLY_LABELS.map(|(label, _)| label).join(", ")
                ));
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
    let replies = load_replies(dir)?;
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
    let coaching = judge_replies(&shipped, &replies);
    let shipped = evaluate(&shipped, &items);
    let mut table =
        format!(
        "{folds}-fold cross-validation on {}{} (each text judged by a model that never saw it):\n",
        dir.display(),
        if encoder.is_some() { ", the complaint head reading the sentence encoder too" } else { "" }
    );
    table.push_str(&rows(&cross));
    if cross.complaint_encoded > 0 {
        table.push_str(&format!(
            "(the sentence encoder was read for {} of {} complaint-labelled texts, where the n-grams were unsure)\n",
            cross.complaint_encoded,
            cross.complaint_scores.len()
        ));
    } else {
        let (threshold, best) = cross.best_complaint_threshold();
        table.push_str(&format!("(the complaint threshold with the best cross-validated F1 is {threshold:.2}, F1 {best:.3})\n"));
    }
    table.push_str(
        "\nThe shipped model on the same texts (it was trained on them, so this flatters it):\n",
    );
    table.push_str(&rows(&shipped));
    table.push_str(&format!(
        "\nThe coach on {} real agent replies (rules, nothing trained on them):\n",
        replies.len()
    ));
    table.push_str(&coaching_rows(&coaching));
    #[allow(clippy::print_stdout)] // the report is this command's output
    {
        print!("{table}");
    }
    match check {
        Some(floors) => held_to(&floors, &cross, &coaching),
        None => Ok(()),
    }
}

/// Fails naming every task whose cross-validated F1 (or the coach's, for a reply label) is under
/// its floor.
fn held_to(
    floors: &[(String, f64)],
    cross: &Report,
    coaching: &[(&str, Confusion)],
) -> anyhow::Result<()> {
    let f1 = |task: &str| match task {
        "negative" => cross.negative.f1(),
        "complaint" => cross.complaint.f1(),
        "abusive" => cross.abusive.f1(),
        "churn" => cross.churn.f1(),
        "abuse_at_staff" => cross.abuse_at_staff.f1(),
        label => coaching
            .iter()
            .find(|(name, _)| *name == label)
            .map_or(0.0, |(_, confusion)| confusion.f1()),
    };
    let short: Vec<String> = floors
        .iter()
        .filter(|(task, floor)| f1(task) < *floor)
        .map(|(task, floor)| format!("{task} F1 {:.3} < {floor}", f1(task)))
        .collect();
    if !short.is_empty() {
        bail!("cross-validated F1 below the floor: {}", short.join(", "));
    }
    Ok(())
}

fn row(task: &str, confusion: Confusion) -> String {
    format!(
        "| {task} | {} | {:.3} | {:.3} | {:.3} |\n",
        confusion.true_positive + confusion.false_negative,
        confusion.precision(),
        confusion.recall(),
        confusion.f1()
    )
}

const HEADER: &str = "| task | positives | precision | recall | F1 |\n|---|---|---|---|---|\n";

fn coaching_rows(coaching: &[(&str, Confusion)]) -> String {
    let mut out = String::from(HEADER);
    for (label, confusion) in coaching {
        out.push_str(&row(label, *confusion));
    }
    out
}

fn rows(report: &Report) -> String {
    let mut out = String::from(HEADER);
    for (task, confusion) in [
        ("negative", report.negative),
        ("complaint", report.complaint),
        ("abusive", report.abusive),
        ("churn", report.churn),
        ("abuse_at_staff", report.abuse_at_staff),
    ] {
        out.push_str(&row(task, confusion));
    }
    let threat = report.threat;
    if threat.true_positive + threat.false_negative == 0 {
        // A set of threat-like language with no real threat: only false alarms can be counted.
        out.push_str(&format!(
            "| threat (false alarms, no real threat in the set) | 0 | {} of {} | | |\n",
            threat.false_positive,
            threat.false_positive + threat.true_negative
        ));
    } else {
        out.push_str(&row("threat", threat));
    }
    out.push_str(&format!(
        "| category (airline reason accuracy) | {} | | | {:.3} |\n",
        report.reason_total,
        report.reason_accuracy()
    ));
    out
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
