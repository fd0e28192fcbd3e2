//! Decoders that turn a detector's raw output tensors into boxes, one list per image.
//!
//! Each export layout has its own module; they share the candidate filter and the
//! suppress/sort/truncate tail defined here, so every format obeys `DecodeParams` the same way.

mod centernet;
mod detr;
pub mod nms;
mod yolo;

use std::fmt;
use std::str::FromStr;

use tch::{Device, Kind, Tensor};

pub use centernet::decode_centernet;
pub use detr::decode_detr;
pub use yolo::decode_yolo;

/// A detected box in model-input pixel coordinates (before scaling back to the image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawDetection {
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge (always greater than `x1` for decoded boxes).
    pub x2: f32,
    /// Bottom edge (always greater than `y1` for decoded boxes).
    pub y2: f32,
    /// Confidence in 0..1.
    pub score: f32,
    /// Index into the model's class list (COCO-80 for the stock models).
    pub class_id: usize,
}

impl RawDetection {
    /// Box area; degenerate (inverted) boxes count as empty rather than negative.
    pub fn area(&self) -> f32 {
        (self.x2 - self.x1).max(0.0) * (self.y2 - self.y1).max(0.0)
    }

    /// Intersection over union with `other`; 0 when the union is empty.
    pub fn iou(&self, other: &RawDetection) -> f32 {
        let w = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let h = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// Which layout a TorchScript detector's output has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// One `[N, K, 6]` tensor of `x1, y1, x2, y2, score, class` rows (our CenterNet export).
    Centernet,
    /// One Ultralytics v8/v11 `[N, 4+C, A]` tensor (or its transpose).
    Yolo,
    /// Two tensors: class logits `[N, Q, C(+1)]` and normalised `cx, cy, w, h` boxes `[N, Q, 4]`.
    Detr,
}

impl OutputFormat {
    fn name(self) -> &'static str {
        match self {
            OutputFormat::Centernet => "centernet",
            OutputFormat::Yolo => "yolo",
            OutputFormat::Detr => "detr",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Lenient on case and whitespace because the value usually comes from a hand-written config.
        match s.trim().to_ascii_lowercase().as_str() {
            "centernet" => Ok(OutputFormat::Centernet),
            "yolo" => Ok(OutputFormat::Yolo),
            "detr" => Ok(OutputFormat::Detr),
            _ => Err(format!(
                "unknown detector output format {s:?}; expected centernet, yolo or detr"
            )),
        }
    }
}

/// Thresholds and sizes shared by all decoders.
#[derive(Debug, Clone)]
pub struct DecodeParams {
    /// Drop candidates below this score before NMS (the lowest per-class threshold is a good value).
    pub score_floor: f32,
    /// IoU above which a lower-scored box of the same class is suppressed (YOLO, DETR).
    pub iou_threshold: f32,
    /// IoU above which a lower-scored box of ANY class is dropped as the same object seen twice
    /// (CenterNet's car 0.56 / truck 0.32 on one vehicle); 1.0 disables it.
    pub cross_class_iou: f32,
    /// Keep at most this many detections per image (highest scores first).
    pub max_detections: usize,
    /// Model input size [width, height] in pixels (DETR boxes are normalised 0..1 and are scaled by it).
    pub input_size: [f32; 2],
    /// For DETR: true for the original DETR (softmax over C+1 logits, last = "no object"),
    /// false for RT-DETR style (sigmoid per class, no background column).
    pub detr_softmax_background: bool,
}

impl Default for DecodeParams {
    fn default() -> Self {
        Self {
            score_floor: 0.25,
            iou_threshold: 0.45,
            cross_class_iou: 0.7,
            max_detections: 100,
            input_size: [512.0, 512.0],
            detr_softmax_background: false,
        }
    }
}

/// Why a model's outputs could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// A tensor's shape does not fit the layout of the configured format.
    #[error("{format} output has shape {actual:?}, expected {expected}")]
    Shape {
        /// The format being decoded.
        format: &'static str,
        /// The layout the format needs, in words.
        expected: String,
        /// The shape the model returned.
        actual: Vec<i64>,
    },
    /// The model returned fewer tensors than the format needs.
    #[error("{format} needs {expected} output tensor(s), the model returned {actual}")]
    MissingOutput {
        /// The format being decoded.
        format: &'static str,
        /// How many tensors the format reads.
        expected: usize,
        /// How many the model returned.
        actual: usize,
    },
    /// libtorch failed while moving or converting an output.
    #[error("reading detector output: {0}")]
    Torch(#[from] tch::TchError),
}

/// Decodes a model's outputs (the tensors it returned, in order) into detections per image.
/// `outputs` may be on any device and of kind Float or Half; they are copied to CPU f32 here.
pub fn decode(
    format: OutputFormat,
    outputs: &[Tensor],
    params: &DecodeParams,
) -> Result<Vec<Vec<RawDetection>>, DecodeError> {
    match (format, outputs) {
        (OutputFormat::Centernet, [out, ..]) => decode_centernet(out, params),
        (OutputFormat::Yolo, [out, ..]) => decode_yolo(out, params),
        (OutputFormat::Detr, [logits, boxes, ..]) => decode_detr(logits, boxes, params),
        _ => Err(DecodeError::MissingOutput {
            format: format.name(),
            expected: if format == OutputFormat::Detr { 2 } else { 1 },
            actual: outputs.len(),
        }),
    }
}

/// Copies `t` to a flat, contiguous CPU f32 buffer (row-major over `t.size()`).
fn to_host_f32(t: &Tensor) -> Result<Vec<f32>, DecodeError> {
    // detach: a traced model run outside no_grad may hand back tensors that require grad.
    let flat = t
        .f_detach()?
        .f_to_device(Device::Cpu)?
        .f_to_kind(Kind::Float)?
        .f_contiguous()?
        .f_reshape([-1])?;
    Ok(Vec::<f32>::try_from(&flat)?)
}

/// Converts tensor dims to usize; the shapes come from libtorch so they are never negative.
fn dims_usize(shape: &[i64]) -> Vec<usize> {
    shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}

/// Builds a detection if it is a usable candidate: finite, non-empty, and at or above the floor.
fn candidate(
    [x1, y1, x2, y2]: [f32; 4],
    score: f32,
    class_id: usize,
    p: &DecodeParams,
) -> Option<RawDetection> {
    let finite = [x1, y1, x2, y2, score].iter().all(|v| v.is_finite());
    if !finite || x2 <= x1 || y2 <= y1 || score < p.score_floor {
        return None;
    }
    Some(RawDetection {
        x1,
        y1,
        x2,
        y2,
        score,
        class_id,
    })
}

/// Converts a centre/size box to corners.
fn cxcywh_to_xyxy(cx: f32, cy: f32, w: f32, h: f32) -> [f32; 4] {
    [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
}

/// The common tail: optional class-aware NMS, cross-class suppression, order, and cap.
fn finish(
    dets: Vec<RawDetection>,
    per_class_iou: Option<f32>,
    p: &DecodeParams,
) -> Vec<RawDetection> {
    let dets = match per_class_iou {
        Some(iou) => nms::nms_per_class(dets, iou),
        None => dets,
    };
    // suppress_cross_class returns its input sorted by score, so only the cap is left.
    let mut dets = nms::suppress_cross_class(dets, p.cross_class_iou);
    dets.truncate(p.max_detections);
    dets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_format_round_trips_through_strings_and_serde() {
        for f in [
            OutputFormat::Centernet,
            OutputFormat::Yolo,
            OutputFormat::Detr,
        ] {
            assert_eq!(f.to_string().parse::<OutputFormat>().unwrap(), f);
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{f}\""));
            assert_eq!(serde_json::from_str::<OutputFormat>(&json).unwrap(), f);
        }
        assert_eq!(
            " YOLO ".parse::<OutputFormat>().unwrap(),
            OutputFormat::Yolo
        );
        let err = "ssd".parse::<OutputFormat>().unwrap_err();
        assert!(err.contains("ssd") && err.contains("centernet"), "{err}");
    }

    #[test]
    fn decode_reports_missing_outputs() {
        let p = DecodeParams::default();
        let err = decode(OutputFormat::Yolo, &[], &p).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::MissingOutput {
                format: "yolo",
                expected: 1,
                actual: 0
            }
        ));
    }

    #[test]
    fn candidate_rejects_degenerate_and_non_finite_boxes() {
        let p = DecodeParams::default();
        assert!(candidate([0.0, 0.0, 1.0, 1.0], 0.5, 0, &p).is_some());
        assert!(candidate([0.0, 0.0, 1.0, 1.0], 0.2, 0, &p).is_none());
        assert!(candidate([0.0, 0.0, 1.0, 1.0], f32::NAN, 0, &p).is_none());
        assert!(candidate([1.0, 0.0, 1.0, 1.0], 0.5, 0, &p).is_none());
        assert!(candidate([0.0, 2.0, 1.0, 1.0], 0.5, 0, &p).is_none());
        assert!(candidate([0.0, 0.0, f32::INFINITY, 1.0], 0.5, 0, &p).is_none());
    }
}
