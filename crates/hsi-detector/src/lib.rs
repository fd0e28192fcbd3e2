//! Object detection on libtorch (`tch`): TorchScript detectors on CPU or CUDA, the
//! decoders for their output layouts, and the converter that turns the TF.js CenterNet
//! published on npm into TorchScript.

pub mod batcher;
pub mod classes;
pub mod decode;
pub mod detector;
pub mod device;
pub mod input;
pub mod jit;
pub mod preprocess;
pub mod profile;
pub mod settings;
pub mod tfjs;

pub use batcher::{DetectorHandle, ImageResult};
pub use detector::{BatchOutput, Detection, Detector, DetectorError, ModelDescription};
pub use input::{decode, decode_file, DecodedImage, InputError};
pub use preprocess::{prepare, prepare_scaled, DeviceBatch, InputSpec, PreparedImage};
pub use profile::{ModelConfig, ModelProfile};
pub use settings::{DetectorSettings, PixelRange, Precision};
