//! A TorchScript detector on the CPU or a CUDA device.

use crate::decode::{decode, DecodeError, DecodeParams, OutputFormat, RawDetection};
use crate::device::{device_name, select_device, DeviceChoice, DeviceError};
use crate::preprocess::PreparedImage;
use crate::settings::DetectorSettings;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tch::{CModule, Device, IValue, Kind, Tensor};

/// Why detection failed.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error("bad setting detector.device: {0}")]
    BadDevice(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("cannot load the detector model {path}: {source}")]
    Load {
        path: PathBuf,
        #[source]
        source: tch::TchError,
    },
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
    /// Moving the batch to the device and the forward pass.
    pub forward: Duration,
    /// Turning the output into boxes.
    pub decode: Duration,
}

/// The loaded model and how to read its output.
#[derive(Debug)]
pub struct Detector {
    module: CModule,
    device: Device,
    half: bool,
    settings: DetectorSettings,
    params: DecodeParams,
}

impl Detector {
    /// Picks the device, loads the model onto it and warms it up.
    pub fn load(settings: &DetectorSettings) -> Result<Self, DetectorError> {
        let choice = DeviceChoice::parse(&settings.device).map_err(DetectorError::BadDevice)?;
        let device = select_device(choice, settings.cuda_libtorch_dir.as_deref())?;
        if device == Device::Cpu && settings.cpu_threads > 0 {
            tch::set_num_threads(i32::try_from(settings.cpu_threads).unwrap_or(i32::MAX));
        }
        let half = settings.half_precision && device.is_cuda();
        let mut module =
            CModule::load_on_device(&settings.model_path, device).map_err(|source| {
                DetectorError::Load {
                    path: settings.model_path.clone(),
                    source,
                }
            })?;
        module.set_eval();
        if half {
            module.to(device, Kind::Half, false);
        }
        let kept_floor = settings
            .kept_classes
            .iter()
            .map(|class| settings.threshold_for(class))
            .fold(1.0_f32, f32::min);
        let params = DecodeParams {
            score_floor: kept_floor,
            iou_threshold: settings.iou_threshold,
            cross_class_iou: settings.cross_class_iou,
            max_detections: settings.max_detections,
            input_size: [settings.input_width as f32, settings.input_height as f32],
            detr_softmax_background: settings.detr_softmax_background,
        };
        let detector = Self {
            module,
            device,
            half,
            settings: settings.clone(),
            params,
        };
        detector.warm_up()?;
        tracing::info!(model = %settings.model_path.display(), device = %device_name(device), half, "detector loaded");
        Ok(detector)
    }

    /// TorchScript optimises on the first runs; pay for that before real images wait on it.
    fn warm_up(&self) -> Result<(), DetectorError> {
        let blank = Tensor::zeros(
            [
                1,
                3,
                i64::from(self.settings.input_height),
                i64::from(self.settings.input_width),
            ],
            (Kind::Float, Device::Cpu),
        );
        for _ in 0..2 {
            self.forward(&blank)?;
        }
        Ok(())
    }

    pub fn device(&self) -> Device {
        self.device
    }

    pub fn is_half(&self) -> bool {
        self.half
    }

    pub fn settings(&self) -> &DetectorSettings {
        &self.settings
    }

    fn forward(&self, batch: &Tensor) -> Result<Vec<Tensor>, DetectorError> {
        let _no_grad = tch::no_grad_guard();
        let kind = if self.half { Kind::Half } else { Kind::Float };
        let input = batch.to_device(self.device).to_kind(kind);
        let output = self
            .module
            .forward_is(&[IValue::Tensor(input)])
            .map_err(DetectorError::Forward)?;
        let tensors = output_tensors(output)?;
        if let Device::Cuda(index) = self.device {
            // Make the timing honest: CUDA runs asynchronously until something waits.
            tch::Cuda::synchronize(index as i64);
        }
        Ok(tensors)
    }

    /// Runs one forward pass over `images` and returns the kept detections per image.
    pub fn detect(&self, images: &[PreparedImage]) -> Result<BatchOutput, DetectorError> {
        if images.is_empty() {
            return Ok(BatchOutput {
                detections: Vec::new(),
                forward: Duration::ZERO,
                decode: Duration::ZERO,
            });
        }
        let started = Instant::now();
        let batch = Tensor::stack(&images.iter().map(|i| &i.pixels).collect::<Vec<_>>(), 0);
        let outputs = self.forward(&batch)?;
        let forward = started.elapsed();
        let started = Instant::now();
        let raw = decode(self.settings.output_format, &outputs, &self.params)?;
        let detections = raw
            .into_iter()
            .zip(images)
            .map(|(found, image)| self.keep_and_scale(found, image))
            .collect();
        Ok(BatchOutput {
            detections,
            forward,
            decode: started.elapsed(),
        })
    }

    fn keep_and_scale(&self, found: Vec<RawDetection>, image: &PreparedImage) -> Vec<Detection> {
        let sx = image.original_width as f32 / self.settings.input_width as f32;
        let sy = image.original_height as f32 / self.settings.input_height as f32;
        let (w, h) = (image.original_width as f32, image.original_height as f32);
        found
            .into_iter()
            .filter_map(|raw| {
                let class_name = self.settings.class_names.get(raw.class_id)?;
                let kept = self.settings.kept_classes.iter().any(|k| k == class_name);
                if !kept || raw.score < self.settings.threshold_for(class_name) {
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
            output_format: self.settings.output_format,
            device: device_name(self.device),
            half_precision: self.half,
            input_width: self.settings.input_width,
            input_height: self.settings.input_height,
            classes: self.settings.class_names.clone(),
            kept_classes: self.settings.kept_classes.clone(),
            max_batch_size: if self.device.is_cuda() {
                self.settings.max_batch_size
            } else {
                1
            },
            pixel_range: self.settings.pixel_range,
        }
    }
}

/// What is loaded, on which device.
#[derive(Debug, Clone)]
pub struct ModelDescription {
    pub model_path: PathBuf,
    pub output_format: OutputFormat,
    pub device: String,
    pub half_precision: bool,
    pub input_width: u32,
    pub input_height: u32,
    pub classes: Vec<String>,
    pub kept_classes: Vec<String>,
    pub max_batch_size: usize,
    pub pixel_range: crate::settings::PixelRange,
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
