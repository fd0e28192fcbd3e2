//! Object detection on libtorch (`tch`): TorchScript detectors on CPU or CUDA, the
//! decoders for their output layouts, and the converter that turns the TF.js CenterNet
//! published on npm into TorchScript.

pub mod tfjs;
