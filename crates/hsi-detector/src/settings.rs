//! The `detector` section of the detection worker's settings.

use crate::classes::COCO80;
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

/// The number format the model runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// fp16 on CUDA, fp32 on the CPU (where half precision is slower, not faster).
    Auto,
    Fp32,
    Fp16,
    Bf16,
}

impl Precision {
    /// The libtorch kind to run in on `device`.
    pub fn kind_on(self, device: tch::Device) -> tch::Kind {
        match self {
            Self::Auto if device.is_cuda() => tch::Kind::Half,
            Self::Auto | Self::Fp32 => tch::Kind::Float,
            Self::Fp16 => tch::Kind::Half,
            Self::Bf16 => tch::Kind::BFloat16,
        }
    }

    /// How settings and logs spell a kind the detector runs in.
    pub fn name_of(kind: tch::Kind) -> &'static str {
        match kind {
            tch::Kind::Half => "fp16",
            tch::Kind::BFloat16 => "bf16",
            _ => "fp32",
        }
    }
}

/// Which model runs where, and which of its findings are kept. The model's profile
/// (see [`crate::profile`]) supplies everything left unset here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorSettings {
    /// A TorchScript detector.
    pub model_path: PathBuf,
    /// `auto` (the `.profile.toml` next to the model, else the built-in profile named
    /// like the model file), a built-in profile's name, or a profile file.
    pub profile: String,
    /// `auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// `auto` (fp16 on CUDA, fp32 on the CPU), `fp32`, `fp16` or `bf16`.
    pub precision: Precision,
    /// libtorch's intra-op threads on the CPU; 0 sizes them with `decode_threads` so
    /// that together they fit the cores.
    pub cpu_threads: usize,
    /// Threads decoding images at once; 0: every core on CUDA, a quarter of them
    /// (at least one) on the CPU, where the model needs the rest.
    pub decode_threads: usize,
    /// Most images per forward pass. Images queued together share one pass.
    pub max_batch_size: usize,
    /// Longest a waiting image holds a CUDA batch open for more to join (the CPU never
    /// waits: it batches only what is already queued).
    pub batch_timeout_ms: u64,
    /// Overrides of the profile: the output layout (`centernet`, `yolo` or `detr`) ...
    pub output_format: Option<OutputFormat>,
    /// ... the model's input size in pixels ...
    pub input_width: Option<u32>,
    pub input_height: Option<u32>,
    /// ... the pixel range it expects ...
    pub pixel_range: Option<PixelRange>,
    /// ... its class names in model order ...
    #[serde(deserialize_with = "comma_list")]
    pub class_names: Vec<String>,
    /// ... the classes recorded (empty: the profile's) ...
    #[serde(deserialize_with = "comma_list")]
    pub kept_classes: Vec<String>,
    /// ... the confidence below which a detection is dropped, unless its class has its own ...
    pub min_confidence: Option<f32>,
    /// ... per-class thresholds (`class_thresholds.person = 0.4`), over the profile's ...
    pub class_thresholds: BTreeMap<String, f32>,
    /// ... the confidence at which one detection of a fast-path class is alerted on at
    /// once (sent with the detections; the aggregator's own setting wins if set) ...
    pub fast_path_min_confidence: Option<f32>,
    /// ... and, for DETR, softmax over classes plus "no object" (original DETR) rather
    /// than a sigmoid per class (RT-DETR).
    pub detr_softmax_background: Option<bool>,
    /// IoU for same-class non-maximum suppression (YOLO, DETR).
    pub iou_threshold: f32,
    /// IoU above which two labels on one box are the same object (the lower one is dropped).
    pub cross_class_iou: f32,
    pub max_detections: usize,
    /// A folder holding a CUDA `libtorch_cuda.so` (for example a PyTorch install's
    /// `torch/lib`); unset searches the library path.
    pub cuda_libtorch_dir: Option<PathBuf>,
}

impl Default for DetectorSettings {
    fn default() -> Self {
        Self {
            model_path: PathBuf::from("/var/lib/hsi/models/centernet-coco80.pt"),
            profile: "auto".to_owned(),
            device: "auto".to_owned(),
            precision: Precision::Auto,
            cpu_threads: 0,
            decode_threads: 0,
            max_batch_size: 16,
            batch_timeout_ms: 10,
            output_format: None,
            input_width: None,
            input_height: None,
            pixel_range: None,
            class_names: Vec::new(),
            kept_classes: Vec::new(),
            min_confidence: None,
            class_thresholds: BTreeMap::new(),
            fast_path_min_confidence: None,
            detr_softmax_background: None,
            iou_threshold: 0.45,
            cross_class_iou: 0.7,
            max_detections: 100,
            cuda_libtorch_dir: None,
        }
    }
}

impl DetectorSettings {
    /// Image decoders that may run at once on `device`.
    pub fn decode_threads_on(&self, device: tch::Device) -> usize {
        if self.decode_threads > 0 {
            return self.decode_threads;
        }
        let cores = available_cores();
        if device.is_cuda() {
            cores
        } else {
            (cores / 4).max(1)
        }
    }

    /// libtorch's intra-op threads on the CPU: what the decoders leave, except on a
    /// machine so small that one core less would halve the model's speed (decoding is a
    /// few percent of a forward pass there).
    pub fn cpu_threads_on(&self, device: tch::Device) -> usize {
        if self.cpu_threads > 0 {
            return self.cpu_threads;
        }
        let cores = available_cores();
        if cores <= 2 {
            cores
        } else {
            cores.saturating_sub(self.decode_threads_on(device)).max(1)
        }
    }

    /// Checks every key under `section` that can be checked without the model's
    /// profile; the rest is checked when the profile is applied, at load.
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let key = |name: &str| format!("{section}.{name}");
        crate::device::DeviceChoice::parse(&self.device)
            .map_err(|err| SettingsError::invalid(key("device"), err))?;
        let unit = |value: f32| (0.0..=1.0).contains(&value);
        let mut fractions = vec![
            ("iou_threshold".to_owned(), self.iou_threshold),
            ("cross_class_iou".to_owned(), self.cross_class_iou),
        ];
        fractions.extend(
            self.min_confidence
                .map(|v| ("min_confidence".to_owned(), v)),
        );
        fractions.extend(
            self.fast_path_min_confidence
                .map(|v| ("fast_path_min_confidence".to_owned(), v)),
        );
        fractions.extend(
            self.class_thresholds
                .iter()
                .map(|(class, v)| (format!("class_thresholds.{class}"), *v)),
        );
        for (name, value) in fractions {
            if !unit(value) {
                return Err(SettingsError::invalid(
                    key(&name),
                    format!("{value} is outside 0..=1"),
                ));
            }
        }
        let names = if self.class_names.is_empty() {
            None
        } else {
            Some(&self.class_names)
        };
        if let Some(names) = names {
            if let Some(unknown) = self.kept_classes.iter().find(|c| !names.contains(c)) {
                return Err(SettingsError::invalid(
                    key("kept_classes"),
                    format!("{unknown:?} is not one of the model's classes"),
                ));
            }
        } else if let Some(unknown) = self
            .kept_classes
            .iter()
            .chain(self.class_thresholds.keys())
            .find(|c| !COCO80.contains(&c.as_str()))
        {
            // Without a class list of its own the model is a COCO-80 one for every
            // shipped profile; a typo is caught here rather than at load.
            return Err(SettingsError::invalid(
                key(if self.kept_classes.contains(unknown) {
                    "kept_classes".to_owned()
                } else {
                    format!("class_thresholds.{unknown}")
                }
                .as_str()),
                format!("{unknown:?} is not one of the model's classes"),
            ));
        }
        for (name, value) in [
            ("max_batch_size", self.max_batch_size),
            ("max_detections", self.max_detections),
            ("input_width", self.input_width.map_or(1, |v| v as usize)),
            ("input_height", self.input_height.map_or(1, |v| v as usize)),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key(name), "must be at least 1"));
            }
        }
        if self.profile.trim().is_empty() {
            return Err(SettingsError::invalid(
                key("profile"),
                "must be auto, a built-in profile or a .toml file",
            ));
        }
        Ok(())
    }
}

/// Cores this process may use (its CPU affinity or cgroup quota, as std reads them).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_leave_the_model_to_its_profile() {
        let settings = DetectorSettings::default();
        settings.validate("detector").expect("defaults validate");
        assert!(settings.kept_classes.is_empty() && settings.min_confidence.is_none());
        assert_eq!(settings.profile, "auto");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut settings = DetectorSettings::default();
        settings.kept_classes.push("person".into());
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
