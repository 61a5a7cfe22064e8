//! The encoder's weights, read from a safetensors file.

use std::collections::HashMap;

use ndarray::{Array1, Array2, Axis};

use super::{error, Config, Dense, EncoderError, Layer, Norm};

/// The tensors of a safetensors file: a little-endian u64 header length, a JSON header naming
/// each tensor's type, shape and byte range, then the data.
pub(super) struct Tensors<'a> {
    header: HashMap<String, serde_json::Value>,
    data: &'a [u8],
}

impl<'a> Tensors<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Tensors<'a>, EncoderError> {
        let truncated = || error("model.safetensors is truncated");
        let length: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(truncated)?;
        let length = usize::try_from(u64::from_le_bytes(length)).map_err(|_| truncated())?;
        let end = length.checked_add(8).ok_or_else(truncated)?;
        let header = bytes.get(8..end).ok_or_else(truncated)?;
        let header: HashMap<String, serde_json::Value> = serde_json::from_slice(header)
            .map_err(|e| error(format!("model.safetensors header: {e}")))?;
        Ok(Tensors {
            header,
            data: &bytes[end..],
        })
    }

    /// A 32-bit float tensor's shape and values; a `bert.` prefix on its name is allowed.
    pub(super) fn floats(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), EncoderError> {
        let entry = self
            .header
            .get(name)
            .or_else(|| self.header.get(&format!("bert.{name}")))
            .ok_or_else(|| error(format!("model.safetensors has no {name}")))?;
        if entry.get("dtype").and_then(|d| d.as_str()) != Some("F32") {
            return Err(error(format!("{name} is not 32-bit floats")));
        }
        let numbers = |key: &str| -> Option<Vec<usize>> {
            entry
                .get(key)?
                .as_array()?
                .iter()
                .map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
                .collect()
        };
        let shape = numbers("shape").ok_or_else(|| error(format!("{name} has no shape")))?;
        let range = numbers("data_offsets")
            .filter(|r| r.len() == 2 && r[0] <= r[1])
            .ok_or_else(|| error(format!("{name} has no data offsets")))?;
        let bytes = self
            .data
            .get(range[0]..range[1])
            .ok_or_else(|| error(format!("{name} lies outside the file")))?;
        let count = shape.iter().try_fold(1usize, |a, b| a.checked_mul(*b));
        if count.and_then(|c| c.checked_mul(4)) != Some(bytes.len()) {
            return Err(error(format!("{name}'s size does not match its shape")));
        }
        let values = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok((shape, values))
    }

    pub(super) fn vector(&self, name: &str, length: usize) -> Result<Array1<f32>, EncoderError> {
        let (shape, values) = self.floats(name)?;
        if shape != [length] {
            return Err(error(format!(
                "{name} has shape {shape:?}, expected [{length}]"
            )));
        }
        Ok(Array1::from(values))
    }

    pub(super) fn norm(&self, name: &str, config: &Config) -> Result<Norm, EncoderError> {
        Ok(Norm {
            gain: self.vector(&format!("{name}.weight"), config.hidden_size)?,
            bias: self.vector(&format!("{name}.bias"), config.hidden_size)?,
            eps: config.layer_norm_eps,
        })
    }

    pub(super) fn dense(
        &self,
        name: &str,
        inputs: usize,
        outputs: usize,
    ) -> Result<Dense, EncoderError> {
        Ok(Dense {
            // Stored output × input, as PyTorch keeps it; used input × output.
            weight: self
                .matrix(&format!("{name}.weight"), outputs, inputs)?
                .reversed_axes()
                .as_standard_layout()
                .to_owned(),
            bias: self.vector(&format!("{name}.bias"), outputs)?,
        })
    }

    /// Transformer layer `n`, with its query, key and value in one product.
    pub(super) fn layer(&self, n: usize, config: &Config) -> Result<Layer, EncoderError> {
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let at = |part: &str| format!("encoder.layer.{n}.{part}");
        let (q, k, v) = (
            self.dense(&at("attention.self.query"), hidden, hidden)?,
            self.dense(&at("attention.self.key"), hidden, hidden)?,
            self.dense(&at("attention.self.value"), hidden, hidden)?,
        );
        let qkv = Dense {
            weight: ndarray::concatenate(
                Axis(1),
                &[q.weight.view(), k.weight.view(), v.weight.view()],
            )
            .map_err(|e| error(e.to_string()))?,
            bias: ndarray::concatenate(Axis(0), &[q.bias.view(), k.bias.view(), v.bias.view()])
                .map_err(|e| error(e.to_string()))?,
        };
        Ok(Layer {
            qkv,
            out: self.dense(&at("attention.output.dense"), hidden, hidden)?,
            attention_norm: self.norm(&at("attention.output.LayerNorm"), config)?,
            up: self.dense(&at("intermediate.dense"), hidden, inner)?,
            down: self.dense(&at("output.dense"), inner, hidden)?,
            output_norm: self.norm(&at("output.LayerNorm"), config)?,
        })
    }

    /// A matrix of `rows` × `columns`; `rows` 0 takes any number of rows.
    pub(super) fn matrix(
        &self,
        name: &str,
        rows: usize,
        columns: usize,
    ) -> Result<Array2<f32>, EncoderError> {
        let (shape, values) = self.floats(name)?;
        if shape.len() != 2 || shape[1] != columns || (rows != 0 && shape[0] != rows) {
            return Err(error(format!(
                "{name} has shape {shape:?}, expected [{rows}, {columns}]"
            )));
        }
        Array2::from_shape_vec((shape[0], shape[1]), values).map_err(|e| error(e.to_string()))
    }
}
