//! Logistic-regression heads over hashed features: trained here, deterministically, and saved
//! in a small quantised file that the engine embeds.
//!
//! Heads may also read a dense vector beside the buckets (a sentence encoder's output), with one
//! float weight per dimension and head.
//!
//! File layout (little-endian): `AMENDS-LINEAR-2`, bucket bits (u32), head count (u32); per head
//! its name (u8 length + bytes), bias (f32) and scale (f32); dense dimensions (u32) and that
//! many times head count f32 weights (dimension by dimension); entry count (u32); per entry the
//! bucket (u32) and one i8 weight per head (the weight is `i8 * scale`). Buckets that no
//! training example used are left out, which keeps the file small. `AMENDS-LINEAR-1` files are
//! the same without the dense part.

use crate::features::BUCKET_BITS;
use crate::optimise::{lbfgs, Shuffle};

const MAGIC: &[u8] = b"AMENDS-LINEAR-2";
const MAGIC_SPARSE_ONLY: &[u8] = b"AMENDS-LINEAR-1";

/// Quantised weights smaller than this (out of 127) are dropped when saving.
const PRUNE_BELOW: u8 = 16;

/// Several logistic-regression heads sharing one feature space.
#[derive(Debug, Clone)]
pub struct LinearModel {
    /// The heads' names, such as `negative` or `category:Late Flight`.
    pub heads: Vec<String>,
    bias: Vec<f32>,
    /// Which buckets have a row of weights.
    index: RowIndex,
    /// The rows, in bucket order.
    rows: Rows,
    /// Weights of the dense vector, `heads.len()` per dimension; empty when the heads read none.
    dense: Vec<f32>,
}

/// Which buckets have weights, one bit each, in blocks of 64 that also count the rows before
/// them: a bucket's row is a popcount away, and the whole index is 64 KB (a table of row numbers
/// would be 1 MB, and reading it missed the cache for nearly every feature).
#[derive(Debug, Clone)]
struct RowIndex(Vec<Block>);

#[derive(Debug, Clone, Copy, Default)]
struct Block {
    bits: u64,
    before: u32,
}

impl RowIndex {
    fn empty() -> Self {
        RowIndex(vec![Block::default(); 1 << (BUCKET_BITS - 6)])
    }

    /// The index of buckets `with_rows`, which must be in increasing order, each below
    /// `1 << BUCKET_BITS`.
    fn of(with_rows: impl IntoIterator<Item = u32>) -> Self {
        let mut index = RowIndex::empty();
        let mut rows = 0u32;
        let mut next_block = 0;
        for bucket in with_rows {
            let block = (bucket >> 6) as usize;
            while next_block <= block {
                index.0[next_block].before = rows;
                next_block += 1;
            }
            index.0[block].bits |= 1 << (bucket & 63);
            rows += 1;
        }
        for block in &mut index.0[next_block..] {
            block.before = rows;
        }
        index
    }

    /// The row of `bucket`, if it has one.
    fn row(&self, bucket: u32) -> Option<usize> {
        let block = self.0.get((bucket >> 6) as usize)?;
        let bit = bucket & 63;
        if block.bits >> bit & 1 == 0 {
            return None;
        }
        let below = block.bits & ((1u64 << bit) - 1);
        Some(block.before as usize + below.count_ones() as usize)
    }

    /// Every bucket with a row, in order (so with its row number counting from 0).
    fn buckets(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(b, block)| {
            (0..64)
                .filter(move |bit| block.bits >> bit & 1 == 1)
                .map(move |bit| (u32::try_from(b).unwrap_or(u32::MAX) << 6) | bit)
        })
    }
}

/// How many heads a row of bytes holds; a model with more keeps its weights as floats.
const LANES: usize = 16;

/// The weights of the buckets that have any, one row per bucket.
#[derive(Debug, Clone)]
enum Rows {
    /// As trained: one float per head.
    Exact(Vec<f32>),
    /// As saved in the model file: one byte per head (the weight is the byte times the head's
    /// scale), padded to [`LANES`] bytes, so a row is one load and four rows share a cache line.
    /// A quarter of the floats' size: the shipped model's rows fit in the cache.
    Bytes {
        rows: Vec<[i8; LANES]>,
        scales: [f32; LANES],
    },
}

/// One training example: its hashed features, their common value, and a label per head
/// (`None` when the example says nothing about that head).
#[derive(Debug, Clone)]
pub struct Example {
    /// Bucket ids, sorted and distinct.
    pub features: Vec<u32>,
    /// The value of each feature.
    pub value: f32,
    /// A label per head.
    pub labels: Vec<Option<bool>>,
    /// A dense vector read beside the buckets (the same length in every example), or empty.
    pub dense: Vec<f32>,
}

/// How to train.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Passes over the data.
    pub epochs: usize,
    /// Adagrad's base learning rate.
    pub rate: f32,
    /// L2 penalty per update.
    pub l2: f32,
    /// Seed of the shuffling, so training is reproducible.
    pub seed: u64,
    /// L2 penalty of the heads trained to convergence ([`LinearModel::train_exact`]).
    pub exact_l2: f64,
    /// L-BFGS steps of those heads.
    pub exact_iterations: usize,
}

impl Default for Training {
    fn default() -> Self {
        Training {
            epochs: 12,
            rate: 0.08,
            l2: 2e-6,
            seed: 2026,
            exact_l2: 1e-4,
            exact_iterations: 300,
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl LinearModel {
    /// A model with the given heads and no weights: it answers 0.5 everywhere.
    pub fn empty(heads: Vec<String>) -> Self {
        LinearModel {
            bias: vec![0.0; heads.len()],
            heads,
            index: RowIndex::empty(),
            rows: Rows::Exact(Vec::new()),
            dense: Vec::new(),
        }
    }

    /// The length of the dense vector the heads read (0 when they read none).
    pub fn dense_dimensions(&self) -> usize {
        self.dense.len() / self.heads.len().max(1)
    }

    /// Trains every head on the examples that carry its label. Same inputs, same model.
    pub fn train(heads: Vec<String>, examples: &[Example], training: Training) -> Self {
        let h = heads.len();
        let buckets = 1usize << BUCKET_BITS;
        let mut weights = vec![0f32; buckets * h];
        let mut squares = vec![1e-6f32; buckets * h];
        let mut bias = vec![0f32; h];
        let mut bias_squares = vec![1e-6f32; h];
        let mut used = vec![false; buckets];
        let dims = examples.first().map_or(0, |e| e.dense.len());
        let mut dense = vec![0f32; dims * h];
        let mut dense_squares = vec![1e-6f32; dims * h];
        let mut shuffle = Shuffle(training.seed | 1);
        for _ in 0..training.epochs {
            for &i in &shuffle.order(examples.len()) {
                let example = &examples[i];
                for (head, label) in example.labels.iter().enumerate() {
                    let Some(label) = label else { continue };
                    let mut score = bias[head];
                    for &f in &example.features {
                        score += weights[f as usize * h + head] * example.value;
                    }
                    for (d, x) in example.dense.iter().take(dims).enumerate() {
                        score += dense[d * h + head] * x;
                    }
                    let gradient = sigmoid(score) - if *label { 1.0 } else { 0.0 };
                    bias_squares[head] += gradient * gradient;
                    bias[head] -= training.rate * gradient / bias_squares[head].sqrt();
                    for &f in &example.features {
                        let at = f as usize * h + head;
                        let g = gradient * example.value + training.l2 * weights[at];
                        squares[at] += g * g;
                        weights[at] -= training.rate * g / squares[at].sqrt();
                        used[f as usize] = true;
                    }
                    for (d, x) in example.dense.iter().take(dims).enumerate() {
                        let at = d * h + head;
                        let g = gradient * x + training.l2 * dense[at];
                        dense_squares[at] += g * g;
                        dense[at] -= training.rate * g / dense_squares[at].sqrt();
                    }
                }
            }
        }
        LinearModel::trained(heads, bias, dense, &weights, &used)
    }

    /// Trains every head to the minimum of its regularised log loss (mean log loss over the
    /// examples that carry its label, plus `l2 / 2` times the squared weights, the bias
    /// excepted), by L-BFGS, the features and the dense vector together. Slower than
    /// [`LinearModel::train`] on big sets, but it converges where one pass of Adagrad stops
    /// short; used for the heads that read a sentence encoder's vector. Same inputs, same model.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the optimiser works in f64; the model keeps f32"
    )]
    pub fn train_exact(
        heads: Vec<String>,
        examples: &[Example],
        l2: f64,
        iterations: usize,
    ) -> Self {
        let h = heads.len();
        let buckets = 1usize << BUCKET_BITS;
        let dims = examples.first().map_or(0, |e| e.dense.len());
        let mut used = vec![false; buckets];
        for example in examples {
            for &f in &example.features {
                used[f as usize] = true;
            }
        }
        let mut bias = vec![0f32; h];
        let mut dense = vec![0f32; dims * h];
        let mut weights = vec![0f32; buckets * h];
        for (head, bias) in bias.iter_mut().enumerate() {
            let labelled: Vec<(&Example, f64)> = examples
                .iter()
                .filter_map(|e| {
                    Some((
                        e,
                        if e.labels.get(head).copied()?? {
                            1.0
                        } else {
                            0.0
                        },
                    ))
                })
                .collect();
            if labelled.is_empty() {
                continue;
            }
            let n = labelled.len() as f64;
            // The parameters: one weight per bucket, then the dense weights, then the bias.
            let loss = |x: &[f64], gradient: &mut [f64]| -> f64 {
                gradient.iter_mut().for_each(|g| *g = 0.0);
                let mut total = 0.0;
                for (example, label) in &labelled {
                    let value = f64::from(example.value);
                    let mut score = x[buckets + dims];
                    for &f in &example.features {
                        score += x[f as usize] * value;
                    }
                    for (d, v) in example.dense.iter().take(dims).enumerate() {
                        score += x[buckets + d] * f64::from(*v);
                    }
                    // log(1 + e^s) - y s, computed without overflow.
                    total += score.max(0.0) + (-score.abs()).exp().ln_1p() - label * score;
                    let g = (1.0 / (1.0 + (-score).exp()) - label) / n;
                    for &f in &example.features {
                        gradient[f as usize] += g * value;
                    }
                    for (d, v) in example.dense.iter().take(dims).enumerate() {
                        gradient[buckets + d] += g * f64::from(*v);
                    }
                    gradient[buckets + dims] += g;
                }
                let mut penalty = 0.0;
                for (g, w) in gradient.iter_mut().zip(x).take(buckets + dims) {
                    penalty += w * w;
                    *g += l2 * w;
                }
                total / n + l2 / 2.0 * penalty
            };
            let x = lbfgs(vec![0.0; buckets + dims + 1], loss, iterations);
            *bias = x[buckets + dims] as f32;
            for d in 0..dims {
                dense[d * h + head] = x[buckets + d] as f32;
            }
            for b in 0..buckets {
                weights[b * h + head] = x[b] as f32;
            }
        }
        LinearModel::trained(heads, bias, dense, &weights, &used)
    }

    /// The model holding trained weights (`heads.len()` per bucket), keeping only the buckets
    /// some example `used`.
    fn trained(
        heads: Vec<String>,
        bias: Vec<f32>,
        dense: Vec<f32>,
        weights: &[f32],
        used: &[bool],
    ) -> Self {
        let h = heads.len();
        let with_rows = || (0u32..).zip(used).filter(|(_, u)| **u).map(|(b, _)| b);
        let mut rows = Vec::new();
        for b in with_rows() {
            let b = b as usize;
            rows.extend_from_slice(&weights[b * h..(b + 1) * h]);
        }
        LinearModel {
            heads,
            bias,
            index: RowIndex::of(with_rows()),
            rows: Rows::Exact(rows),
            dense,
        }
    }

    /// The probability each head gives the features.
    pub fn predict(&self, features: &[u32], value: f32, out: &mut Vec<f32>) {
        self.predict_with(features, value, &[], out);
    }

    /// The probability each head gives the features and the dense vector (ignored when the
    /// heads read none; it must have [`LinearModel::dense_dimensions`] numbers when they do).
    pub fn predict_with(&self, features: &[u32], value: f32, dense: &[f32], out: &mut Vec<f32>) {
        let h = self.heads.len();
        out.clear();
        out.extend_from_slice(&self.bias);
        if !self.dense.is_empty() {
            for (weights, x) in self.dense.chunks_exact(h).zip(dense) {
                for (score, w) in out.iter_mut().zip(weights) {
                    *score += w * x;
                }
            }
        }
        let rows = features.iter().filter_map(|&f| self.index.row(f));
        match &self.rows {
            Rows::Exact(weights) => {
                for row in rows {
                    let weights = &weights[row * h..(row + 1) * h];
                    for (score, w) in out.iter_mut().zip(weights) {
                        *score += w * value;
                    }
                }
            }
            Rows::Bytes {
                rows: bytes,
                scales,
            } => {
                // Sixteen lanes, whatever the number of heads: the compiler makes it a few
                // vector instructions. Lanes past the heads have scale 0 and add nothing.
                let mut scores = [0f32; LANES];
                scores[..h].copy_from_slice(out);
                for row in rows {
                    let Some(bytes) = bytes.get(row) else {
                        continue;
                    };
                    for ((score, q), s) in scores.iter_mut().zip(bytes).zip(scales) {
                        // The weight as a float first, as the file's floats were: the same sums.
                        let w = f32::from(*q) * s;
                        *score += w * value;
                    }
                }
                out.copy_from_slice(&scores[..h]);
            }
        }
        for score in out.iter_mut() {
            *score = sigmoid(*score);
        }
    }

    /// The weight of one bucket for one head (0 when the bucket has none).
    pub fn weight(&self, bucket: u32, head: usize) -> f32 {
        let Some(row) = self.index.row(bucket) else {
            return 0.0;
        };
        self.row_weight(row, head)
    }

    /// The weights of one bucket for several heads (0 when the bucket has none, and for a head
    /// past the last), finding its row once.
    pub fn weights<const N: usize>(&self, bucket: u32, heads: [usize; N]) -> [f32; N] {
        match self.index.row(bucket) {
            Some(row) => heads.map(|head| self.row_weight(row, head)),
            None => [0.0; N],
        }
    }

    /// The weight of row `row` for `head` (0 past the end).
    fn row_weight(&self, row: usize, head: usize) -> f32 {
        match &self.rows {
            Rows::Exact(weights) if head < self.heads.len() => weights
                .get(row * self.heads.len() + head)
                .copied()
                .unwrap_or(0.0),
            Rows::Exact(_) => 0.0,
            Rows::Bytes { rows, scales } => match (rows.get(row), scales.get(head)) {
                (Some(bytes), Some(scale)) => f32::from(bytes[head]) * scale,
                _ => 0.0,
            },
        }
    }

    /// The position of head `name`.
    pub fn head(&self, name: &str) -> Option<usize> {
        self.heads.iter().position(|h| h == name)
    }

    /// The model as bytes, weights quantised to one byte per head.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "heads, name lengths and rows are counted in u32 and u8 by the format; weights are \
                  quantised to i8 after clamping to ±127"
    )]
    pub fn to_bytes(&self) -> Vec<u8> {
        let h = self.heads.len();
        let rows = self.index.buckets().count();
        let scales: Vec<f32> = (0..h)
            .map(|head| {
                (0..rows)
                    .map(|row| self.row_weight(row, head))
                    .fold(0f32, |m, w| m.max(w.abs()))
                    / 127.0
            })
            .map(|s| if s > 0.0 { s } else { 1.0 })
            .collect();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&BUCKET_BITS.to_le_bytes());
        out.extend_from_slice(&(h as u32).to_le_bytes());
        for (head, name) in self.heads.iter().enumerate() {
            out.push(name.len().min(255) as u8);
            out.extend_from_slice(&name.as_bytes()[..name.len().min(255)]);
            out.extend_from_slice(&self.bias[head].to_le_bytes());
            out.extend_from_slice(&scales[head].to_le_bytes());
        }
        out.extend_from_slice(&(self.dense_dimensions() as u32).to_le_bytes());
        for w in &self.dense {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let quantised = |row: usize| -> Vec<i8> {
            (0..h)
                .map(|head| {
                    (self.row_weight(row, head) / scales[head])
                        .round()
                        .clamp(-127.0, 127.0) as i8
                })
                .collect()
        };
        // A bucket whose every weight is under PRUNE_BELOW steps of its head's largest weight
        // moves no decision; leaving it out keeps the file small.
        let entries: Vec<(u32, Vec<i8>)> = self
            .index
            .buckets()
            .enumerate()
            .map(|(row, b)| (b, quantised(row)))
            .filter(|(_, q)| q.iter().any(|w| w.unsigned_abs() >= PRUNE_BELOW))
            .collect();
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (bucket, weights) in entries {
            out.extend_from_slice(&bucket.to_le_bytes());
            out.extend(weights.iter().map(|w| w.to_le_bytes()[0]));
        }
        out
    }

    /// Reads a model written by [`LinearModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = Reader { bytes, at: 0 };
        let magic = reader.take(MAGIC.len())?;
        if magic != MAGIC && magic != MAGIC_SPARSE_ONLY {
            return Err("not an amends linear model".to_owned());
        }
        if reader.u32()? != BUCKET_BITS {
            return Err("the model was trained with another feature space".to_owned());
        }
        let h = reader.u32()? as usize;
        let mut model = LinearModel::empty(Vec::new());
        let mut scales = Vec::with_capacity(h);
        model.bias.clear();
        for _ in 0..h {
            let len = reader.take(1)?[0] as usize;
            let name = String::from_utf8(reader.take(len)?.to_vec())
                .map_err(|_| "a head name is not UTF-8")?;
            model.heads.push(name);
            model.bias.push(reader.f32()?);
            scales.push(reader.f32()?);
        }
        if magic == MAGIC {
            let dims = reader.u32()? as usize;
            let count = dims.checked_mul(h).ok_or("too many dense weights")?;
            if count > reader.bytes.len() / 4 {
                return Err("the model file is truncated".to_owned());
            }
            for _ in 0..count {
                model.dense.push(reader.f32()?);
            }
        }
        let entries = reader.u32()? as usize;
        if entries > reader.bytes.len() / (4 + h).max(1) {
            return Err("the model file is truncated".to_owned());
        }
        let mut read = Vec::with_capacity(entries);
        for _ in 0..entries {
            let bucket = reader.u32()?;
            if bucket >= 1 << BUCKET_BITS {
                return Err("a bucket is out of range".to_owned());
            }
            read.push((bucket, reader.take(h)?));
        }
        read.sort_by_key(|(bucket, _)| *bucket);
        if read.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err("a bucket has two rows".to_owned());
        }
        model.index = RowIndex::of(read.iter().map(|(bucket, _)| *bucket));
        model.rows = if h <= LANES {
            let mut lanes = [0f32; LANES];
            lanes[..h].copy_from_slice(&scales);
            Rows::Bytes {
                rows: read
                    .iter()
                    .map(|(_, weights)| {
                        let mut row = [0i8; LANES];
                        for (to, from) in row.iter_mut().zip(weights.iter()) {
                            *to = i8::from_le_bytes([*from]);
                        }
                        row
                    })
                    .collect(),
                scales: lanes,
            }
        } else {
            Rows::Exact(
                read.iter()
                    .flat_map(|(_, weights)| weights.iter().zip(&scales))
                    .map(|(q, s)| f32::from(i8::from_le_bytes([*q])) * s)
                    .collect(),
            )
        };
        Ok(model)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or("the model file is truncated")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
}

#[cfg(test)]
#[path = "linear_tests.rs"]
mod tests;
