//! The `detector` section of the detection worker's settings.

use crate::classes::{COCO80, DEFAULT_KEPT};
use crate::decode::OutputFormat;
use hsi_core::settings::{comma_list, SettingsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How pixel values are scaled before they reach the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelRange {
    /// 0..255, as the converted CenterNet expects.
    Unit255,
    /// 0..1, as Ultralytics and most PyTorch exports expect.
    Unit1,
}

/// Which model runs where, and which of its findings are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorSettings {
    /// A TorchScript detector.
    pub model_path: PathBuf,
    /// Its output layout: `centernet`, `yolo` or `detr`.
    pub output_format: OutputFormat,
    /// `auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Half precision on CUDA (ignored on the CPU, where it is slower).
    pub half_precision: bool,
    /// Intra-op threads on the CPU; 0 keeps libtorch's default (one per core).
    pub cpu_threads: usize,
    /// Most images per forward pass on CUDA (the CPU always runs one at a time).
    pub max_batch_size: usize,
    /// Longest a waiting image holds a CUDA batch open for more to join.
    pub batch_timeout_ms: u64,
    /// Model input size in pixels.
    pub input_width: u32,
    pub input_height: u32,
    pub pixel_range: PixelRange,
    /// Class names in model order.
    #[serde(deserialize_with = "comma_list")]
    pub class_names: Vec<String>,
    /// Only these classes are recorded.
    #[serde(deserialize_with = "comma_list")]
    pub kept_classes: Vec<String>,
    /// Confidence below which a detection is dropped, unless its class has its own.
    pub min_confidence: f32,
    /// Per-class confidence thresholds (`class_thresholds.person = 0.4`).
    pub class_thresholds: BTreeMap<String, f32>,
    /// IoU for same-class non-maximum suppression (YOLO, DETR).
    pub iou_threshold: f32,
    /// IoU above which two labels on one box are the same object (the lower one is dropped).
    pub cross_class_iou: f32,
    pub max_detections: usize,
    /// DETR only: softmax over classes plus a "no object" column (original DETR) rather
    /// than a sigmoid per class (RT-DETR).
    pub detr_softmax_background: bool,
    /// A folder holding a CUDA `libtorch_cuda.so` (for example a PyTorch install's
    /// `torch/lib`); unset searches the library path.
    pub cuda_libtorch_dir: Option<PathBuf>,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        Self {
            model_path: PathBuf::from("/var/lib/hsi/models/centernet-coco80.pt"),
            output_format: OutputFormat::Centernet,
            device: "auto".to_owned(),
            half_precision: true,
            cpu_threads: 0,
            max_batch_size: 16,
            batch_timeout_ms: 10,
            input_width: 512,
            input_height: 512,
            pixel_range: PixelRange::Unit255,
            class_names: COCO80.iter().map(|s| (*s).to_owned()).collect(),
            kept_classes: DEFAULT_KEPT.iter().map(|s| (*s).to_owned()).collect(),
            min_confidence: 0.3,
            class_thresholds: BTreeMap::new(),
            iou_threshold: 0.45,
            cross_class_iou: 0.7,
            max_detections: 100,
            detr_softmax_background: false,
            cuda_libtorch_dir: None,
        }
    }
}

impl DetectorSettings {
    /// The confidence a detection of `class` needs to be kept.
    pub fn threshold_for(&self, class: &str) -> f32 {
        self.class_thresholds
            .get(class)
            .copied()
            .unwrap_or(self.min_confidence)
    }

    /// Checks every key under `section`.
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let key = |name: &str| format!("{section}.{name}");
        crate::device::DeviceChoice::parse(&self.device)
            .map_err(|err| SettingsError::invalid(key("device"), err))?;
        let unit = |value: f32| (0.0..=1.0).contains(&value);
        if !unit(self.min_confidence) {
            return Err(SettingsError::invalid(
                key("min_confidence"),
                format!("{} is outside 0..=1", self.min_confidence),
            ));
        }
        for (class, threshold) in &self.class_thresholds {
            if !unit(*threshold) {
                return Err(SettingsError::invalid(
                    key(&format!("class_thresholds.{class}")),
                    format!("{threshold} is outside 0..=1"),
                ));
            }
            if !self.class_names.contains(class) {
                return Err(SettingsError::invalid(
                    key(&format!("class_thresholds.{class}")),
                    format!("{class:?} is not one of the model's classes"),
                ));
            }
        }
        if let Some(unknown) = self
            .kept_classes
            .iter()
            .find(|c| !self.class_names.contains(c))
        {
            return Err(SettingsError::invalid(
                key("kept_classes"),
                format!("{unknown:?} is not one of the model's classes"),
            ));
        }
        if self.class_names.is_empty() {
            return Err(SettingsError::invalid(
                key("class_names"),
                "must name at least one class",
            ));
        }
        for (name, value) in [
            ("iou_threshold", self.iou_threshold),
            ("cross_class_iou", self.cross_class_iou),
        ] {
            if !unit(value) {
                return Err(SettingsError::invalid(
                    key(name),
                    format!("{value} is outside 0..=1"),
                ));
            }
        }
        for (name, value) in [
            ("max_batch_size", self.max_batch_size),
            ("max_detections", self.max_detections),
            ("input_width", self.input_width as usize),
            ("input_height", self.input_height as usize),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key(name), "must be at least 1"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_keep_the_documented_classes() {
        let settings = DetectorSettings::default();
        settings.validate("detector").expect("defaults validate");
        assert_eq!(settings.kept_classes.len(), 9);
        assert_eq!(settings.threshold_for("person"), 0.3);
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut settings = DetectorSettings::default();
        settings.kept_classes.push("unicorn".into());
        let err = settings.validate("detector").expect_err("unknown class");
        assert!(
            err.to_string()
                .starts_with("bad setting detector.kept_classes:"),
            "{err}"
        );

        let mut settings = DetectorSettings::default();
        settings.class_thresholds.insert("person".into(), 1.5);
        let err = settings
            .validate("detector")
            .expect_err("threshold above 1");
        assert!(
            err.to_string().contains("detector.class_thresholds.person"),
            "{err}"
        );

        let settings = DetectorSettings {
            device: "gpu".into(),
            ..Default::default()
        };
        let err = settings.validate("detector").expect_err("bad device");
        assert!(err.to_string().contains("detector.device"), "{err}");
    }
}
