//! Logistic-regression heads over hashed features: trained here, deterministically, and saved
//! in a small quantised file that the engine embeds.
//!
//! File layout (little-endian): `AMENDS-LINEAR-1`, bucket bits (u32), head count (u32); per head
//! its name (u8 length + bytes), bias (f32) and scale (f32); entry count (u32); per entry the
//! bucket (u32) and one i8 weight per head (the weight is `i8 * scale`). Buckets that no
//! training example used are left out, which keeps the file small.

use crate::features::BUCKET_BITS;

const MAGIC: &[u8] = b"AMENDS-LINEAR-1";

/// Quantised weights smaller than this (out of 127) are dropped when saving.
const PRUNE_BELOW: u8 = 16;

/// Several logistic-regression heads sharing one feature space.
#[derive(Debug, Clone)]
pub struct LinearModel {
    /// The heads' names, such as `negative` or `category:Late Flight`.
    pub heads: Vec<String>,
    bias: Vec<f32>,
    /// For each bucket, an index into `rows` plus one, or 0 when the bucket has no weights.
    index: Vec<u32>,
    /// Weights, `heads.len()` per row.
    rows: Vec<f32>,
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
}

impl Default for Training {
    fn default() -> Self {
        Training {
            epochs: 12,
            rate: 0.08,
            l2: 2e-6,
            seed: 2026,
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// A small deterministic generator (xorshift64*), so shuffles do not depend on a crate's
/// choice of algorithm across versions.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn order(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }
}

impl LinearModel {
    /// A model with the given heads and no weights: it answers 0.5 everywhere.
    pub fn empty(heads: Vec<String>) -> Self {
        LinearModel {
            bias: vec![0.0; heads.len()],
            heads,
            index: vec![0; 1 << BUCKET_BITS],
            rows: Vec::new(),
        }
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
                }
            }
        }
        let mut model = LinearModel::empty(heads);
        model.bias = bias;
        for (b, _) in used.iter().enumerate().filter(|(_, u)| **u) {
            model.rows.extend_from_slice(&weights[b * h..(b + 1) * h]);
            model.index[b] = (model.rows.len() / h) as u32;
        }
        model
    }

    /// The probability each head gives the features.
    pub fn predict(&self, features: &[u32], value: f32, out: &mut Vec<f32>) {
        let h = self.heads.len();
        out.clear();
        out.extend_from_slice(&self.bias);
        for &f in features {
            let row = self.index.get(f as usize).copied().unwrap_or(0) as usize;
            if row == 0 {
                continue;
            }
            let weights = &self.rows[(row - 1) * h..row * h];
            for (score, w) in out.iter_mut().zip(weights) {
                *score += w * value;
            }
        }
        for score in out.iter_mut() {
            *score = sigmoid(*score);
        }
    }

    /// The weight of one bucket for one head (0 when the bucket has none).
    pub fn weight(&self, bucket: u32, head: usize) -> f32 {
        let row = self.index.get(bucket as usize).copied().unwrap_or(0) as usize;
        if row == 0 {
            return 0.0;
        }
        self.rows
            .get((row - 1) * self.heads.len() + head)
            .copied()
            .unwrap_or(0.0)
    }

    /// The position of head `name`.
    pub fn head(&self, name: &str) -> Option<usize> {
        self.heads.iter().position(|h| h == name)
    }

    /// The model as bytes, weights quantised to one byte per head.
    pub fn to_bytes(&self) -> Vec<u8> {
        let h = self.heads.len();
        let scales: Vec<f32> = (0..h)
            .map(|head| {
                self.rows
                    .iter()
                    .skip(head)
                    .step_by(h.max(1))
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
        let quantised = |row: usize| -> Vec<i8> {
            (0..h)
                .map(|head| {
                    (self.rows[row * h + head] / scales[head])
                        .round()
                        .clamp(-127.0, 127.0) as i8
                })
                .collect()
        };
        // A bucket whose every weight is under PRUNE_BELOW steps of its head's largest weight
        // moves no decision; leaving it out keeps the file small.
        let entries: Vec<(u32, Vec<i8>)> = self
            .index
            .iter()
            .enumerate()
            .filter(|(_, r)| **r > 0)
            .map(|(b, r)| (b as u32, quantised(*r as usize - 1)))
            .filter(|(_, q)| q.iter().any(|w| w.unsigned_abs() >= PRUNE_BELOW))
            .collect();
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (bucket, weights) in entries {
            out.extend_from_slice(&bucket.to_le_bytes());
            out.extend(weights.iter().map(|w| *w as u8));
        }
        out
    }

    /// Reads a model written by [`LinearModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut reader = Reader { bytes, at: 0 };
        if reader.take(MAGIC.len())? != MAGIC {
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
        let entries = reader.u32()? as usize;
        model.rows.reserve(entries * h);
        for _ in 0..entries {
            let bucket = reader.u32()? as usize;
            let weights = reader.take(h)?;
            if bucket >= model.index.len() {
                return Err("a bucket is out of range".to_owned());
            }
            model.rows.extend(
                weights
                    .iter()
                    .zip(&scales)
                    .map(|(q, s)| f32::from(*q as i8) * s),
            );
            model.index[bucket] = (model.rows.len() / h.max(1)) as u32;
        }
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
