//! Tracing a [`TfjsGraph`] into a TorchScript file and checking the file against the
//! interpreter.

use std::path::{Path, PathBuf};

use tch::{CModule, Device, Kind, Tensor};

use super::{TfjsError, TfjsGraph};

/// Largest difference allowed between the saved module and the interpreter, on any
/// value of a detection row (pixel coordinates, score, class).
pub const EXPORT_TOLERANCE: f64 = 1e-2;

/// Images in the verification batch; more than one so that a module traced at batch 1
/// is proven to handle other batch sizes.
const VERIFY_BATCH: i64 = 2;

/// What [`export_torchscript`] wrote and checked.
#[derive(Debug, Clone)]
pub struct ExportReport {
    /// The TorchScript file.
    pub out_path: PathBuf,
    /// Input `[height, width]` the module was traced with.
    pub input_hw: [i64; 2],
    /// Batch size of the verification run.
    pub verify_batch: i64,
    /// Largest difference seen between the reloaded module and the interpreter.
    pub max_abs_diff: f64,
    /// Weights lifted from graph constants into parameters and buffers.
    pub lifted_tensors: i64,
}

/// Converts a TF.js graph model to TorchScript: loads `model_json`, traces the forward
/// pass at batch 1 on the CPU, lifts the weights out of the traced graph into parameters
/// (so the module converts to another device and precision), saves it to `out_path`,
/// reloads the file and checks a batch of synthetic images against the interpreter run
/// image by image.
///
/// The module takes `[N, 3, H, W]` float images (values 0..255 for the CenterNet) and
/// returns the detections `[N, 100, 6]`.
pub fn export_torchscript(model_json: &Path, out_path: &Path) -> Result<ExportReport, TfjsError> {
    let graph = TfjsGraph::load(model_json)?;
    let [h, w] = graph.input_hw().unwrap_or([512, 512]);
    let module = trace(&graph, &synthetic_images(1, h, w, 1)?)?;
    let traced = out_path.with_extension("traced.partial");
    module.save(&traced).map_err(|source| TfjsError::Export {
        stage: "saving the module",
        source,
    })?;
    // The trace holds the weights as constants; as parameters they follow the module to
    // a device and a precision.
    let lifted = crate::jit::lift_tensor_constants(&traced, out_path);
    let _ = std::fs::remove_file(&traced);
    let lifted = lifted.map_err(|e| TfjsError::Verification(e.to_string()))?;
    if lifted.remaining != 0 || lifted.lifted == 0 {
        return Err(TfjsError::Verification(format!(
            "lifting the weights out of the graph left {} tensor constants (lifted {})",
            lifted.remaining, lifted.lifted
        )));
    }
    tracing::info!(path = %out_path.display(), lifted = lifted.lifted, "saved TorchScript; verifying the reloaded file");

    let mut reloaded =
        CModule::load_on_device(out_path, Device::Cpu).map_err(|source| TfjsError::Export {
            stage: "reloading the module",
            source,
        })?;
    reloaded.set_eval();
    let batch = synthetic_images(VERIFY_BATCH, h, w, 7)?;
    let expected = (0..VERIFY_BATCH)
        .map(|i| graph.forward(&batch.narrow(0, i, 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let expected = Tensor::f_cat(&expected, 0).map_err(|source| TfjsError::Export {
        stage: "collecting results",
        source,
    })?;
    let actual = {
        let _no_grad = tch::no_grad_guard();
        reloaded
            .forward_ts(&[&batch])
            .map_err(|source| TfjsError::Export {
                stage: "running the reloaded module",
                source,
            })?
    };
    if actual.size() != expected.size() {
        return Err(TfjsError::Verification(format!(
            "reloaded module returned shape {:?} for a batch of {VERIFY_BATCH}, the interpreter {:?}",
            actual.size(),
            expected.size()
        )));
    }
    let max_abs_diff = row_mismatch(&expected, &actual).map_err(|source| TfjsError::Export {
        stage: "comparing results",
        source,
    })?;
    if max_abs_diff.is_nan() || max_abs_diff > EXPORT_TOLERANCE {
        return Err(TfjsError::Verification(format!(
            "reloaded module differs from the interpreter by {max_abs_diff} (tolerance {EXPORT_TOLERANCE})"
        )));
    }
    Ok(ExportReport {
        out_path: out_path.to_path_buf(),
        input_hw: [h, w],
        verify_batch: VERIFY_BATCH,
        max_abs_diff,
        lifted_tensors: lifted.lifted,
    })
}

/// Traces `graph.forward` on `example` into a TorchScript module with a `forward`
/// method. Integers in the trace are frozen, so the graph keeps the batch dim as -1 in
/// every reshape; the module then accepts any batch size.
pub fn trace(graph: &TfjsGraph, example: &Tensor) -> Result<CModule, TfjsError> {
    let mut failure = None;
    let traced = CModule::create_by_tracing(
        "TfjsGraph",
        "forward",
        &[example.shallow_clone()],
        &mut |inputs| match inputs.first().map(|x| graph.forward(x)) {
            Some(Ok(out)) => vec![out],
            Some(Err(e)) => {
                failure = Some(e);
                Vec::new()
            }
            None => Vec::new(),
        },
    );
    if let Some(e) = failure {
        return Err(e);
    }
    traced.map_err(|source| TfjsError::Export {
        stage: "tracing",
        source,
    })
}

/// Largest difference between detection rows of two `[N, R, C]` tensors, matching each
/// row to its nearest row of the same image: near-tied scores may legitimately swap
/// places between runs with different batch sizes.
fn row_mismatch(a: &Tensor, b: &Tensor) -> Result<f64, tch::TchError> {
    let a = a.f_to_kind(Kind::Double)?;
    let b = b.f_to_kind(Kind::Double)?;
    // [N, R, 1, C] - [N, 1, R, C] -> distance of every row pair.
    let pair = a
        .f_unsqueeze(2)?
        .f_sub(&b.f_unsqueeze(1)?)?
        .f_abs()?
        .f_amax([-1], false)?;
    let a_to_b = pair.f_amin([2], false)?.f_max()?.f_double_value(&[])?;
    let b_to_a = pair.f_amin([1], false)?.f_max()?.f_double_value(&[])?;
    Ok(a_to_b.max(b_to_a))
}

/// Deterministic image-like inputs in 0..255: smooth gradients plus hashed noise, so
/// scores are spread out and no two locations tie.
fn synthetic_images(n: i64, h: i64, w: i64, seed: u64) -> Result<Tensor, TfjsError> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = Vec::with_capacity((n * 3 * h * w) as usize);
    for img in 0..n {
        for c in 0..3 {
            for y in 0..h {
                for x in 0..w {
                    // xorshift64*: cheap, reproducible noise without an RNG dependency.
                    state ^= state >> 12;
                    state ^= state << 25;
                    state ^= state >> 27;
                    let noise = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32
                        / (1u64 << 24) as f32;
                    let phase = (img * 3 + c) as f32;
                    let smooth =
                        ((x as f32 / 37.0 + phase).sin() * (y as f32 / 53.0 - phase).cos() + 1.0)
                            * 0.5;
                    data.push((0.7 * smooth + 0.3 * noise) * 255.0);
                }
            }
        }
    }
    Tensor::f_from_slice(&data)
        .and_then(|t| t.f_reshape([n, 3, h, w]))
        .map_err(|source| TfjsError::Export {
            stage: "building verification images",
            source,
        })
}
