//! Converter for TF.js graph models (the npm-published MobileNetV3 CenterNet): parses
//! `model.json` and its weight shards, interprets the TF graph with libtorch ops, and
//! traces it into TorchScript, so no Python or TensorFlow is needed at any point.
//!
//! Activations stay NCHW internally (libtorch's native conv layout) with the TF
//! semantics (NHWC axes, SAME padding, legacy bilinear resize) reproduced exactly. The
//! post-processing tail, written by TF for a batch of 1, runs per image with the real
//! batch as an extra leading dim, so one traced module serves any batch size.

mod compile;
mod export;
mod graph;
mod image_ops;
mod model;
mod node;
mod tensor_ops;
mod value;

use std::path::PathBuf;

pub use export::{export_torchscript, trace, ExportReport, EXPORT_TOLERANCE};
pub use graph::TfjsGraph;

/// Errors from loading, interpreting or exporting a TF.js graph model; node-level errors
/// name the node and its op type.
#[derive(Debug, thiserror::Error)]
pub enum TfjsError {
    /// A model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// `model.json` is not valid graph-model JSON.
    #[error("cannot parse TF.js model JSON {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The weights manifest and the shards disagree, or use an unsupported encoding.
    #[error("weights: {0}")]
    Weights(String),
    /// The graph uses an op this interpreter does not implement.
    #[error("node `{node}`: unsupported op `{op}`")]
    UnsupportedOp {
        /// Node name.
        node: String,
        /// TF op type.
        op: String,
    },
    /// A node has attributes or inputs the interpreter cannot handle.
    #[error("node `{node}` ({op}): {message}")]
    Node {
        /// Node name.
        node: String,
        /// TF op type.
        op: String,
        /// What is wrong.
        message: String,
    },
    /// libtorch rejected the computation of a node.
    #[error("node `{node}` ({op}): libtorch error: {source}")]
    Torch {
        /// Node name.
        node: String,
        /// TF op type.
        op: String,
        /// The libtorch error.
        #[source]
        source: tch::TchError,
    },
    /// The graph's structure is broken (missing nodes, cycles, no single input).
    #[error("graph: {0}")]
    Graph(String),
    /// Tracing, saving or reloading the TorchScript module failed.
    #[error("TorchScript export failed while {stage}: {source}")]
    Export {
        /// What the exporter was doing.
        stage: &'static str,
        /// The libtorch error.
        #[source]
        source: tch::TchError,
    },
    /// The saved module does not reproduce the interpreter.
    #[error("TorchScript verification failed: {0}")]
    Verification(String),
}
