//! Choosing where the model runs, and making CUDA available to a CPU-linked build.
//!
//! The binary links libtorch's CPU libraries only, so one build runs everywhere. Where a
//! CUDA libtorch of the same version is installed (a PyTorch wheel's `torch/lib`), its
//! `libtorch_cuda.so` is loaded at start with global symbols: its static initialisers
//! register libtorch's CUDA hooks, after which `tch::Cuda` sees the GPUs. This must
//! happen before any other libtorch call, which caches the (absent) CUDA hooks.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tch::Device;

/// What the settings ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA device 0 when one is usable, else the CPU.
    Auto,
    Cpu,
    Cuda(usize),
}

impl DeviceChoice {
    /// Parses `auto`, `cpu`, `cuda` or `cuda:N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| format!("{text:?} is not auto, cpu, cuda or cuda:N")),
        }
    }
}

/// Why the requested device cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{requested} was requested but CUDA is unavailable ({reason})")]
    CudaUnavailable { requested: String, reason: String },
    #[error("cuda:{index} was requested but only {count} CUDA device(s) exist")]
    NoSuchDevice { index: usize, count: i64 },
}

/// The outcome of trying to load a CUDA libtorch, remembered for the process.
static CUDA_LOAD: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// Loads `libtorch_cuda.so` once (from `dir`, or the library path), returning where it
/// came from or why it could not be loaded.
pub fn load_cuda_libtorch(dir: Option<&Path>) -> Result<PathBuf, String> {
    CUDA_LOAD
        .get_or_init(|| {
            let candidates: Vec<PathBuf> = match dir {
                Some(dir) => vec![dir.join("libtorch_cuda.so")],
                None => vec![PathBuf::from("libtorch_cuda.so")],
            };
            let mut reasons = Vec::new();
            for candidate in candidates {
                match open_global(&candidate) {
                    Ok(()) => return Ok(candidate),
                    Err(err) => reasons.push(format!("{}: {err}", candidate.display())),
                }
            }
            Err(reasons.join("; "))
        })
        .clone()
}

#[allow(unsafe_code)]
fn open_global(path: &Path) -> Result<(), libloading::Error> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: libtorch_cuda's initialisers only register CUDA hooks with the libtorch
    // already loaded in this process (same version, checked by the caller's build); no
    // symbol is called through the handle, and the library stays loaded for good.
    let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }?;
    std::mem::forget(library);
    Ok(())
}

/// Resolves the device to run on, loading CUDA support first when CUDA may be used.
pub fn select_device(
    choice: DeviceChoice,
    cuda_libtorch_dir: Option<&Path>,
) -> Result<Device, DeviceError> {
    if choice == DeviceChoice::Cpu {
        return Ok(Device::Cpu);
    }
    let loaded = load_cuda_libtorch(cuda_libtorch_dir);
    let count = if tch::Cuda::is_available() {
        tch::Cuda::device_count()
    } else {
        0
    };
    match (choice, loaded) {
        (DeviceChoice::Auto, _) if count > 0 => Ok(Device::Cuda(0)),
        (DeviceChoice::Auto, loaded) => {
            let reason = loaded
                .err()
                .unwrap_or_else(|| "no CUDA device found".to_owned());
            tracing::info!(%reason, "no usable CUDA, running on the CPU");
            Ok(Device::Cpu)
        }
        (DeviceChoice::Cuda(index), _) if (index as i64) < count => Ok(Device::Cuda(index)),
        (DeviceChoice::Cuda(index), Ok(_)) if count > 0 => {
            Err(DeviceError::NoSuchDevice { index, count })
        }
        (DeviceChoice::Cuda(index), loaded) => Err(DeviceError::CudaUnavailable {
            requested: format!("cuda:{index}"),
            reason: loaded
                .err()
                .unwrap_or_else(|| "no CUDA device found".to_owned()),
        }),
        (DeviceChoice::Cpu, _) => Ok(Device::Cpu),
    }
}

/// A device as settings and logs spell it.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_owned(),
        Device::Cuda(index) => format!("cuda:{index}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse() {
        assert_eq!(DeviceChoice::parse("auto"), Ok(DeviceChoice::Auto));
        assert_eq!(DeviceChoice::parse(" CPU "), Ok(DeviceChoice::Cpu));
        assert_eq!(DeviceChoice::parse("cuda"), Ok(DeviceChoice::Cuda(0)));
        assert_eq!(DeviceChoice::parse("cuda:3"), Ok(DeviceChoice::Cuda(3)));
        assert!(DeviceChoice::parse("cuda:x").is_err());
        assert!(DeviceChoice::parse("gpu").is_err());
    }

    #[test]
    fn cpu_is_always_available_and_auto_falls_back_to_it_without_cuda() {
        assert_eq!(
            select_device(DeviceChoice::Cpu, None).expect("cpu"),
            Device::Cpu
        );
        // This machine's libtorch has no CUDA library next to it; auto must not fail.
        let missing = std::env::temp_dir().join("no-such-libtorch");
        let device = select_device(DeviceChoice::Auto, Some(&missing)).expect("auto");
        if !tch::Cuda::is_available() {
            assert_eq!(device, Device::Cpu);
            let err =
                select_device(DeviceChoice::Cuda(0), Some(&missing)).expect_err("no cuda here");
            assert!(
                err.to_string()
                    .starts_with("cuda:0 was requested but CUDA is unavailable"),
                "{err}"
            );
        }
    }
}
