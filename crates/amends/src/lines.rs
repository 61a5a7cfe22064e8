//! JSON Lines from stdin to stdout, answered on every core and written in the order read.
//!
//! The reader cuts the input into chunks of lines, workers answer whole chunks, and the writer
//! puts the answers back in order. At most `IN_FLIGHT` chunks per worker are between being read
//! and being written, so memory stays flat whatever the input's length, and however slowly one
//! line is answered. On one core the same chunks are answered and written in turn, without
//! threads. A line is read whole up to `MAX_LINE` bytes; a longer one is skipped and answered
//! with an error. Only IO failure stops the stream.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Mutex};

use anyhow::Context;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

pub(crate) const MAX_LINE: usize = 16 * 1024 * 1024;

/// Lines answered together: enough that handing a chunk over costs nothing beside reading it,
/// few enough that a small input still spreads over every core. A chunk also ends after
/// `CHUNK_BYTES`.
const CHUNK_LINES: usize = 256;
const CHUNK_BYTES: usize = 1024 * 1024;

/// Chunks per worker between being read and being written, at most.
const IN_FLIGHT: usize = 4;

/// A line of input.
pub(crate) enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// How a command answers one request: it writes its answer to `out` when the line is a request
/// it reads, or says why not (the stream then answers with an error line that keeps the id).
pub(crate) trait Answer: Sync {
    fn answer(&self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String>;

    /// What is wrong with a JSON object whose "text" is a string but which `answer` refused.
    fn refusal(&self, error: String) -> String {
        error
    }
}

/// Reads the next line of at most `MAX_LINE` bytes; `Ok(None)` at the end, `Err` only on IO
/// failure. A longer line is consumed and returned as `TooLong`.
pub(crate) fn next_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<Line>> {
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
        let (chunk, done, ended) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
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

/// The next chunk of lines, or `None` at the end of the input.
fn next_chunk(input: &mut impl BufRead) -> std::io::Result<Option<Vec<Line>>> {
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut bytes = 0;
    let mut buffer = Vec::new();
    while chunk.len() < CHUNK_LINES && bytes < CHUNK_BYTES {
        match next_line(input, &mut buffer)? {
            None => break,
            Some(line) => {
                if let Line::Text(text) = &line {
                    bytes += text.len();
                }
                chunk.push(line);
            }
        }
    }
    Ok((!chunk.is_empty()).then_some(chunk))
}

/// The answers to a chunk, one line each (none for a blank line).
fn answer_chunk(chunk: &[Line], command: &impl Answer) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len() * 512);
    for line in chunk {
        answer_line(line, command, &mut out);
    }
    out
}

fn answer_line(line: &Line, command: &impl Answer, out: &mut Vec<u8>) {
    let bytes = match line {
        Line::TooLong => {
            let error = json!({"error": format!("line longer than {MAX_LINE} bytes")});
            return end_line(out, &error);
        }
        Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => return,
        Line::Text(bytes) => bytes,
    };
    let start = out.len();
    let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let refused = if is_object {
        match command.answer(bytes, out) {
            Ok(()) => {
                out.push(b'\n');
                return;
            }
            Err(error) => error,
        }
    } else {
        String::new()
    };
    out.truncate(start);
    end_line(out, &refusal(bytes, refused, command));
}

/// The error line for a line the command did not answer: the id kept when there is one.
fn refusal(bytes: &[u8], refused: String, command: &impl Answer) -> Value {
    let request = match serde_json::from_slice::<Value>(bytes) {
        Err(error) => return json!({"error": format!("not JSON: {error}")}),
        Ok(request) => request,
    };
    let error = if request.get("text").and_then(Value::as_str).is_none() {
        "each line needs a string \"text\"".to_owned()
    } else {
        command.refusal(refused)
    };
    match request.get("id") {
        Some(id) => json!({"id": id, "error": error}),
        None => json!({"error": error}),
    }
}

fn end_line(out: &mut Vec<u8>, value: &Value) {
    out.extend_from_slice(value.to_string().as_bytes());
    out.push(b'\n');
}

/// An answer with the request's id (verbatim) before the answer's own fields.
#[derive(Serialize)]
struct Reply<'a, T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
    #[serde(flatten)]
    body: T,
}

/// Writes `body` as the answer to the request with `id`.
pub(crate) fn reply(
    out: &mut Vec<u8>,
    id: Option<&RawValue>,
    body: impl Serialize,
) -> Result<(), String> {
    serde_json::to_writer(&mut *out, &Reply { id, body }).map_err(|e| e.to_string())
}

/// Answers every line of stdin on stdout, in order.
pub(crate) fn stream(command: &impl Answer) -> anyhow::Result<()> {
    let mut output = BufWriter::with_capacity(CHUNK_BYTES, std::io::stdout().lock());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if workers == 1 {
        let mut input = std::io::stdin().lock();
        while let Some(chunk) = next_chunk(&mut input).context("reading standard input")? {
            output
                .write_all(&answer_chunk(&chunk, command))
                .context("writing standard output")?;
        }
    } else {
        on_every_core(&mut output, command, workers)?;
    }
    output.flush().context("writing standard output")
}

/// A chunk's answers, or the panic that answering it raised.
type Answered = (usize, std::thread::Result<Vec<u8>>);

/// Stdin read on one thread, answered on `workers` threads, written in order on this one.
fn on_every_core(
    output: &mut impl Write,
    command: &impl Answer,
    workers: usize,
) -> anyhow::Result<()> {
    // Past the first `in_flight` chunks, the reader sends one only for each chunk written, so
    // sending never waits: when the writer stops, the reader stops too.
    let in_flight = workers * IN_FLIGHT;
    let (work, chunks) = mpsc::sync_channel::<(usize, Vec<Line>)>(in_flight);
    let chunks = Mutex::new(chunks);
    let (done, answered) = mpsc::channel::<Answered>();
    let (written, permits) = mpsc::sync_channel::<()>(in_flight);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (chunks, done) = (&chunks, done.clone());
            scope.spawn(move || loop {
                let next = chunks.lock().map(|chunks| chunks.recv());
                let Ok(Ok((number, chunk))) = next else { break };
                let answers =
                    std::panic::catch_unwind(AssertUnwindSafe(|| answer_chunk(&chunk, command)));
                if done.send((number, answers)).is_err() {
                    break;
                }
            });
        }
        drop(done);
        let reader = scope.spawn(move || {
            let mut input = std::io::stdin().lock();
            let mut number = 0;
            loop {
                // Without a permit the writer has stopped, and its error says why.
                if number >= in_flight && permits.recv().is_err() {
                    break;
                }
                let Some(chunk) = next_chunk(&mut input)? else {
                    break;
                };
                if work.send((number, chunk)).is_err() {
                    break;
                }
                number += 1;
            }
            std::io::Result::Ok(())
        });
        let wrote = write_in_order(answered, output, written);
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read.context("reading standard input")?;
        wrote
    })
}

/// Writes each chunk's answers once every chunk before it is written, and gives back a permit
/// for each.
fn write_in_order(
    answered: mpsc::Receiver<Answered>,
    output: &mut impl Write,
    permit: mpsc::SyncSender<()>,
) -> anyhow::Result<()> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for (number, answers) in answered {
        let answers = answers.map_err(|_| anyhow::anyhow!("the engine failed on a line"))?;
        waiting.insert(number, answers);
        while let Some(answers) = waiting.remove(&next) {
            output
                .write_all(&answers)
                .context("writing standard output")?;
            next += 1;
            // The reader may have stopped; the permit is then not needed.
            let _ = permit.send(());
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test that cannot go on should stop right there
mod tests {
    use super::*;

    /// Answers `{"text"}` with its length; refuses a text that says "refuse".
    struct Length;

    impl Answer for Length {
        fn answer(&self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
            #[derive(serde::Deserialize)]
            struct Request<'a> {
                #[serde(borrow)]
                id: Option<&'a RawValue>,
                text: String,
            }
            let request: Request = serde_json::from_slice(line).map_err(|e| e.to_string())?;
            if request.text == "refuse" {
                out.extend_from_slice(b"half an answer");
                return Err("refused".to_owned());
            }
            reply(out, request.id, json!({"length": request.text.len()}))
        }

        fn refusal(&self, error: String) -> String {
            format!("length: {error}")
        }
    }

    fn answers(input: &str) -> String {
        let mut reader = input.as_bytes();
        let mut out = Vec::new();
        while let Some(chunk) = next_chunk(&mut reader).unwrap() {
            out.extend(answer_chunk(&chunk, &Length));
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_line_gets_its_answer_with_its_id_first_and_blank_lines_none() {
        let input =
            "{\"text\": \"abc\", \"id\": {\"ticket\": [1, 2]}}\n\n  \n{\"text\": \"\\u00e9\"}";
        assert_eq!(
            answers(input),
            "{\"id\":{\"ticket\": [1, 2]},\"length\":3}\n{\"length\":2}\n"
        );
    }

    #[test]
    fn a_line_the_command_refuses_is_an_error_that_keeps_the_id_and_drops_partial_output() {
        let input = concat!(
            "{\"id\": 1, \"text\": \"refuse\"}\n",
            "{\"id\": 2, \"text\": 5}\n",
            "[\"text\"]\n",
            "{\"id\": 3, \"text\": \"unterminated\n",
        );
        let lines: Vec<Value> = answers(input)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines[0], json!({"id": 1, "error": "length: refused"}));
        assert_eq!(
            lines[1],
            json!({"id": 2, "error": "each line needs a string \"text\""})
        );
        assert_eq!(
            lines[2],
            json!({"error": "each line needs a string \"text\""})
        );
        assert!(lines[3]["error"].as_str().unwrap().starts_with("not JSON"));
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn chunks_end_at_their_line_count_and_a_line_too_long_is_skipped_whole() {
        let many = "{\"text\": \"x\"}\n".repeat(CHUNK_LINES + 1);
        let mut reader = many.as_bytes();
        assert_eq!(next_chunk(&mut reader).unwrap().unwrap().len(), CHUNK_LINES);
        assert_eq!(next_chunk(&mut reader).unwrap().unwrap().len(), 1);
        assert!(next_chunk(&mut reader).unwrap().is_none());

        let mut long = vec![b'a'; MAX_LINE + 1];
        long.extend_from_slice(b"\n{\"text\": \"after\"}\n");
        let mut reader = std::io::BufReader::new(long.as_slice());
        let chunk = next_chunk(&mut reader).unwrap().unwrap();
        assert!(matches!(chunk[0], Line::TooLong));
        assert!(matches!(&chunk[1], Line::Text(t) if t == b"{\"text\": \"after\"}"));
    }
}
