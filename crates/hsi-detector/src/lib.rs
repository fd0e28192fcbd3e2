//! Object detection on libtorch (`tch`): TorchScript detectors on CPU or CUDA, the
//! decoders for their output layouts, and the converter that turns the TF.js CenterNet
//! published on npm into TorchScript.

pub mod batcher;
pub mod classes;
pub mod decode;
pub mod detector;
pub mod device;
pub mod preprocess;
pub mod settings;
pub mod tfjs;

pub use batcher::{DetectorHandle, ImageResult};
pub use detector::{BatchOutput, Detection, Detector, DetectorError, ModelDescription};
pub use preprocess::{prepare, PreparedImage};
pub use settings::{DetectorSettings, PixelRange};
