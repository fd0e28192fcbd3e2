//! The on-disk TF.js graph model: `model.json` (topology plus weights manifest) and the
//! binary weight shards it names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use super::TfjsError;

/// `model.json` of a TF.js graph model; only the fields the interpreter needs.
#[derive(Debug, Deserialize)]
pub(crate) struct ModelJson {
    #[serde(rename = "modelTopology")]
    pub topology: Topology,
    #[serde(rename = "weightsManifest", default)]
    pub weights_manifest: Vec<ManifestGroup>,
    #[serde(default)]
    pub signature: Option<Signature>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Topology {
    pub node: Vec<NodeDef>,
}

/// One TensorFlow `NodeDef` in its protobuf-JSON form.
#[derive(Debug, Deserialize)]
pub(crate) struct NodeDef {
    pub name: String,
    pub op: String,
    #[serde(default)]
    pub input: Vec<String>,
    #[serde(default)]
    pub attr: HashMap<String, Json>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Signature {
    #[serde(default)]
    pub outputs: HashMap<String, SignatureTensor>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignatureTensor {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ManifestGroup {
    pub paths: Vec<String>,
    pub weights: Vec<WeightEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WeightEntry {
    pub name: String,
    pub shape: Vec<i64>,
    pub dtype: String,
    #[serde(default)]
    pub quantization: Option<Quantization>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Quantization {
    pub dtype: String,
    #[serde(default)]
    pub scale: Option<f32>,
    #[serde(default)]
    pub min: Option<f32>,
}

/// Decoded weight values. Integers are widened to i64 because libtorch indexes with
/// Int64, so keeping every integer in one kind avoids promotion surprises.
#[derive(Debug, Clone)]
pub(crate) enum WeightData {
    F32(Vec<f32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

/// A decoded constant: its TF shape and values.
#[derive(Debug, Clone)]
pub(crate) struct Weight {
    pub shape: Vec<i64>,
    pub data: WeightData,
}

impl Weight {
    /// The integer values, or `None` for float/bool constants.
    pub fn ints(&self) -> Option<&[i64]> {
        match &self.data {
            WeightData::I64(v) => Some(v),
            WeightData::F32(_) | WeightData::Bool(_) => None,
        }
    }

    /// A libtorch tensor holding a copy of the values, on the CPU and without grad.
    pub fn to_tensor(&self) -> Result<tch::Tensor, tch::TchError> {
        let flat = match &self.data {
            WeightData::F32(v) => tch::Tensor::f_from_slice(v)?,
            WeightData::I64(v) => tch::Tensor::f_from_slice(v)?,
            WeightData::Bool(v) => tch::Tensor::f_from_slice(v)?,
        };
        flat.f_reshape(self.shape.as_slice())
    }
}

/// Reads and parses `model.json`.
pub(crate) fn read_model_json(path: &Path) -> Result<ModelJson, TfjsError> {
    let text = std::fs::read_to_string(path).map_err(|source| TfjsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| TfjsError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads every shard of the manifest (paths are relative to the JSON's folder) and
/// decodes the weights; each group's shards form one buffer laid out in manifest order.
pub(crate) fn read_weights(
    model: &ModelJson,
    json_path: &Path,
) -> Result<HashMap<String, Weight>, TfjsError> {
    let dir = json_path.parent().unwrap_or_else(|| Path::new("."));
    let mut weights = HashMap::new();
    for group in &model.weights_manifest {
        let mut buffer = Vec::new();
        for rel in &group.paths {
            let path: PathBuf = dir.join(rel);
            let bytes = std::fs::read(&path).map_err(|source| TfjsError::Io {
                path: path.clone(),
                source,
            })?;
            buffer.extend_from_slice(&bytes);
        }
        let mut offset = 0usize;
        for entry in &group.weights {
            let (weight, used) = decode_weight(entry, &buffer[offset.min(buffer.len())..])?;
            offset += used;
            weights.insert(entry.name.clone(), weight);
        }
        if offset != buffer.len() {
            return Err(TfjsError::Weights(format!(
                "shards {:?} hold {} bytes but the manifest describes {offset}",
                group.paths,
                buffer.len()
            )));
        }
    }
    Ok(weights)
}

/// Decodes one manifest entry from the start of `bytes`; returns it and the bytes used.
fn decode_weight(entry: &WeightEntry, bytes: &[u8]) -> Result<(Weight, usize), TfjsError> {
    let count = entry
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| usize::try_from(d).ok().map(|d| acc * d))
        .ok_or_else(|| TfjsError::Weights(format!("`{}` has a negative dimension", entry.name)))?;
    let storage = entry
        .quantization
        .as_ref()
        .map_or(entry.dtype.as_str(), |q| q.dtype.as_str());
    let width = match storage {
        "float32" | "int32" => 4,
        "float16" | "uint16" => 2,
        "uint8" | "bool" => 1,
        other => {
            return Err(TfjsError::Weights(format!(
                "`{}` is stored as unsupported dtype `{other}`",
                entry.name
            )))
        }
    };
    let used = count * width;
    let raw = bytes.get(..used).ok_or_else(|| {
        TfjsError::Weights(format!(
            "`{}` needs {used} bytes but only {} remain in its shard",
            entry.name,
            bytes.len()
        ))
    })?;
    let data = match (storage, entry.quantization.as_ref()) {
        ("float32", _) => WeightData::F32(chunks(raw, f32::from_le_bytes)),
        ("int32", _) => WeightData::I64(chunks(raw, |b| i64::from(i32::from_le_bytes(b)))),
        ("bool", _) => WeightData::Bool(raw.iter().map(|&b| b != 0).collect()),
        ("float16", _) => WeightData::F32(chunks(raw, |b| {
            half::f16::from_bits(u16::from_le_bytes(b)).to_f32()
        })),
        ("uint8" | "uint16", Some(q)) => {
            // Affine quantization: value = q * scale + min.
            let (scale, min) = (q.scale.unwrap_or(1.0), q.min.unwrap_or(0.0));
            let codes: Vec<f32> = if width == 1 {
                raw.iter().map(|&b| f32::from(b)).collect()
            } else {
                chunks(raw, |b| f32::from(u16::from_le_bytes(b)))
            };
            WeightData::F32(codes.into_iter().map(|c| c * scale + min).collect())
        }
        (other, _) => {
            return Err(TfjsError::Weights(format!(
                "`{}`: storage dtype `{other}` without quantization parameters",
                entry.name
            )))
        }
    };
    let data = match (entry.dtype.as_str(), data) {
        // Integer tensors quantized to floats come back as integers.
        ("int32", WeightData::F32(v)) => {
            WeightData::I64(v.iter().map(|&x| x.round() as i64).collect())
        }
        (_, data) => data,
    };
    Ok((
        Weight {
            shape: entry.shape.clone(),
            data,
        },
        used,
    ))
}

fn chunks<const N: usize, T>(raw: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    raw.chunks_exact(N)
        .map(|c| {
            let mut b = [0u8; N];
            b.copy_from_slice(c);
            f(b)
        })
        .collect()
}
