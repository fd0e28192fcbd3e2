//! A TorchScript detector on the CPU or a CUDA device.

use crate::decode::{decode, DecodeError, DecodeParams, OutputFormat, RawDetection};
use crate::device::{device_name, select_device, DeviceChoice, DeviceError};
use crate::preprocess::{DeviceBatch, InputSpec, PreparedImage};
use crate::profile::ModelConfig;
use crate::settings::{DetectorSettings, Precision};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tch::{CModule, Device, IValue, Kind, Tensor};

/// Why detection failed.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error("bad setting detector.device: {0}")]
    BadDevice(String),
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("cannot load the detector model {path}: {source}")]
    Load {
        path: PathBuf,
        #[source]
        source: tch::TchError,
    },
    #[error("cannot run the detector model in {precision}: {source}")]
    Precision {
        precision: &'static str,
        #[source]
        source: crate::jit::JitError,
    },
    #[error("preparing the batch on the device failed: {0}")]
    Upload(#[source] tch::TchError),
    #[error("the model's forward pass failed: {0}")]
    Forward(#[source] tch::TchError),
    #[error("the model's output does not decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("the model returned {0}, not tensors")]
    Output(String),
    #[error("the detector thread has stopped")]
    Stopped,
}

/// One object found in an image, in the original image's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub class_id: usize,
    pub class_name: String,
    pub confidence: f32,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// What a batch produced and how long its stages took.
#[derive(Debug)]
pub struct BatchOutput {
    pub detections: Vec<Vec<Detection>>,
    /// Uploading the batch and resizing it on the device.
    pub upload: Duration,
    /// The forward pass.
    pub forward: Duration,
    /// Turning the output into boxes.
    pub decode: Duration,
}

/// The loaded model and how to read its output.
#[derive(Debug)]
pub struct Detector {
    module: CModule,
    device: Device,
    /// The number format the weights and the input are in.
    kind: Kind,
    settings: DetectorSettings,
    /// The model's profile with the settings' overrides.
    config: ModelConfig,
    params: DecodeParams,
}

impl Detector {
    /// Picks the device, loads the model onto it in the requested precision and warms
    /// it up.
    pub fn load(settings: &DetectorSettings) -> Result<Self, DetectorError> {
        let choice = DeviceChoice::parse(&settings.device).map_err(DetectorError::BadDevice)?;
        let device = select_device(choice, settings.cuda_libtorch_dir.as_deref())?;
        if device == Device::Cpu {
            tch::set_num_threads(
                i32::try_from(settings.cpu_threads_on(device)).unwrap_or(i32::MAX),
            );
        }
        let kind = settings.precision.kind_on(device);
        let load_error = |source| DetectorError::Load {
            path: settings.model_path.clone(),
            source,
        };
        let mut module = if kind == Kind::Float {
            CModule::load_on_device(&settings.model_path, device).map_err(load_error)?
        } else {
            // Only floating-point weights change precision (index tensors must not), which
            // tch's `to(device, kind)` cannot express; the conversion happens before the
            // module reaches the device.
            let (bytes, _) =
                crate::jit::convert_floats(&settings.model_path, kind).map_err(|source| {
                    DetectorError::Precision {
                        precision: Precision::name_of(kind),
                        source,
                    }
                })?;
            CModule::load_data_on_device(&mut std::io::Cursor::new(bytes), device)
                .map_err(load_error)?
        };
        module.set_eval();
        // After the load, so that a missing model file is reported as that.
        let config = crate::profile::resolve(settings)?;
        let kept_floor = config
            .kept_classes
            .iter()
            .map(|class| config.threshold_for(class))
            .fold(1.0_f32, f32::min);
        let params = DecodeParams {
            score_floor: kept_floor,
            iou_threshold: settings.iou_threshold,
            cross_class_iou: settings.cross_class_iou,
            max_detections: settings.max_detections,
            input_size: [config.input_width as f32, config.input_height as f32],
            detr_softmax_background: config.detr_softmax_background,
        };
        let detector = Self {
            module,
            device,
            kind,
            settings: settings.clone(),
            config,
            params,
        };
        detector.warm_up()?;
        tracing::info!(
            model = %settings.model_path.display(),
            profile = %detector.config.profile,
            device = %device_name(device),
            precision = Precision::name_of(kind),
            cpu_threads = tch::get_num_threads(),
            "detector loaded"
        );
        Ok(detector)
    }

    /// TorchScript optimises on the first runs; pay for that before real images wait on it.
    fn warm_up(&self) -> Result<(), DetectorError> {
        let blank = PreparedImage {
            pixels: Tensor::zeros(
                [
                    i64::from(self.config.input_height),
                    i64::from(self.config.input_width),
                    3,
                ],
                (Kind::Uint8, Device::Cpu),
            ),
            original_width: self.config.input_width,
            original_height: self.config.input_height,
        };
        // The forward pass only: a wrong output format is reported on the first real
        // image, naming the format, not as a failed start.
        for _ in 0..2 {
            let batch = self
                .input_spec()
                .upload(std::slice::from_ref(&blank))
                .map_err(DetectorError::Upload)?;
            self.forward(&batch.input)?;
        }
        Ok(())
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// The number format the model runs in.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// How a batch is turned into this model's input; `Send`, so another thread can
    /// prepare the next batch while this one runs.
    pub fn input_spec(&self) -> InputSpec {
        InputSpec {
            device: self.device,
            kind: self.kind,
            width: self.config.input_width,
            height: self.config.input_height,
            range: self.config.pixel_range,
        }
    }

    /// The module's parameters (for the converted CenterNet: every floating-point weight).
    pub fn parameters(&self) -> Result<Vec<(String, Tensor)>, DetectorError> {
        self.module
            .named_parameters()
            .map_err(DetectorError::Forward)
    }

    pub fn settings(&self) -> &DetectorSettings {
        &self.settings
    }

    /// The model's profile with the settings' overrides applied.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn forward(&self, input: &Tensor) -> Result<Vec<Tensor>, DetectorError> {
        let _no_grad = tch::no_grad_guard();
        let output = self
            .module
            .forward_is(&[IValue::Tensor(input.shallow_clone())])
            .map_err(DetectorError::Forward)?;
        // The decoders read float32 on the CPU; moving there also waits for CUDA, so
        // the forward time is honest.
        output_tensors(output)?
            .into_iter()
            .map(|t| {
                t.f_to_device(Device::Cpu)
                    .and_then(|t| t.f_to_kind(Kind::Float))
                    .map_err(DetectorError::Forward)
            })
            .collect()
    }

    /// Runs one forward pass over `images` and returns the kept detections per image.
    pub fn detect(&self, images: &[PreparedImage]) -> Result<BatchOutput, DetectorError> {
        let started = Instant::now();
        let batch = self
            .input_spec()
            .upload(images)
            .map_err(DetectorError::Upload)?;
        let upload = started.elapsed();
        let mut output = self.detect_uploaded(&batch, images)?;
        output.upload = upload;
        Ok(output)
    }

    /// Runs the forward pass over a batch already on the device (`images` are what it
    /// was made from, for their original sizes).
    pub fn detect_uploaded(
        &self,
        batch: &DeviceBatch,
        images: &[PreparedImage],
    ) -> Result<BatchOutput, DetectorError> {
        if images.is_empty() {
            return Ok(BatchOutput {
                detections: Vec::new(),
                upload: Duration::ZERO,
                forward: Duration::ZERO,
                decode: Duration::ZERO,
            });
        }
        let started = Instant::now();
        let outputs = self.forward(&batch.input)?;
        let forward = started.elapsed();
        let started = Instant::now();
        let raw = decode(self.config.output_format, &outputs, &self.params)?;
        let detections = raw
            .into_iter()
            .zip(images)
            .map(|(found, image)| self.keep_and_scale(found, image))
            .collect();
        Ok(BatchOutput {
            detections,
            upload: Duration::ZERO,
            forward,
            decode: started.elapsed(),
        })
    }

    fn keep_and_scale(&self, found: Vec<RawDetection>, image: &PreparedImage) -> Vec<Detection> {
        let sx = image.original_width as f32 / self.config.input_width as f32;
        let sy = image.original_height as f32 / self.config.input_height as f32;
        let (w, h) = (image.original_width as f32, image.original_height as f32);
        found
            .into_iter()
            .filter_map(|raw| {
                let class_name = self.config.class_names.get(raw.class_id)?;
                let kept = self.config.kept_classes.iter().any(|k| k == class_name);
                if !kept || raw.score < self.config.threshold_for(class_name) {
                    return None;
                }
                // Models put boxes slightly outside the frame (x1 = -2); clamp to it.
                let x1 = (raw.x1 * sx).clamp(0.0, w).round() as i32;
                let y1 = (raw.y1 * sy).clamp(0.0, h).round() as i32;
                let x2 = (raw.x2 * sx).clamp(0.0, w).round() as i32;
                let y2 = (raw.y2 * sy).clamp(0.0, h).round() as i32;
                (x2 > x1 && y2 > y1).then(|| Detection {
                    class_id: raw.class_id,
                    class_name: class_name.clone(),
                    confidence: raw.score.clamp(0.0, 1.0),
                    x: x1,
                    y: y1,
                    width: x2 - x1,
                    height: y2 - y1,
                })
            })
            .collect()
    }

    /// A description for logs and the gRPC model-information call.
    pub fn describe(&self) -> ModelDescription {
        ModelDescription {
            model_path: self.settings.model_path.clone(),
            profile: self.config.profile.clone(),
            output_format: self.config.output_format,
            device: device_name(self.device),
            precision: Precision::name_of(self.kind),
            input_width: self.config.input_width,
            input_height: self.config.input_height,
            classes: self.config.class_names.clone(),
            kept_classes: self.config.kept_classes.clone(),
            max_batch_size: self.settings.max_batch_size,
            pixel_range: self.config.pixel_range,
            fast_path_min_confidence: self.config.fast_path_min_confidence,
        }
    }
}

/// What is loaded, on which device.
#[derive(Debug, Clone)]
pub struct ModelDescription {
    pub model_path: PathBuf,
    /// Where the model's profile came from.
    pub profile: String,
    pub output_format: OutputFormat,
    pub device: String,
    /// `fp32`, `fp16` or `bf16`.
    pub precision: &'static str,
    pub input_width: u32,
    pub input_height: u32,
    pub classes: Vec<String>,
    pub kept_classes: Vec<String>,
    pub max_batch_size: usize,
    pub pixel_range: crate::settings::PixelRange,
    /// The confidence at which one detection takes the fast path, for this model.
    pub fast_path_min_confidence: f32,
}

/// The tensors a model returned, in order: a tensor, a tuple or list of tensors, or a
/// dict (DETR exports return `{"pred_logits", "pred_boxes"}`, logits first).
fn output_tensors(output: IValue) -> Result<Vec<Tensor>, DetectorError> {
    match output {
        IValue::Tensor(tensor) => Ok(vec![tensor]),
        IValue::TensorList(tensors) => Ok(tensors),
        IValue::Tuple(values) | IValue::GenericList(values) => values
            .into_iter()
            .map(|value| match value {
                IValue::Tensor(tensor) => Ok(tensor),
                other => Err(DetectorError::Output(format!(
                    "a sequence holding {other:?}"
                ))),
            })
            .collect(),
        IValue::GenericDict(entries) => {
            let mut named: Vec<(String, Tensor)> = Vec::new();
            for (key, value) in entries {
                match (key, value) {
                    (IValue::String(key), IValue::Tensor(tensor)) => named.push((key, tensor)),
                    (key, _) => {
                        return Err(DetectorError::Output(format!("a dict with key {key:?}")))
                    }
                }
            }
            let rank = |name: &str| {
                if name.contains("logit") {
                    0
                } else if name.contains("box") {
                    1
                } else {
                    2
                }
            };
            named.sort_by_key(|(name, _)| rank(name));
            Ok(named.into_iter().map(|(_, tensor)| tensor).collect())
        }
        other => Err(DetectorError::Output(format!("{other:?}"))),
    }
}
