//! Edits of saved TorchScript modules that tch has no call for, done by the C++ pass in
//! `cpp/lift_constants.cpp`.

use std::ffi::{c_char, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Prefix of the attributes that lifted constants become (`w0`, `w1`, ...).
const LIFTED_PREFIX: &str = "w";

/// Why a module could not be edited or inspected.
#[derive(Debug, thiserror::Error)]
#[error("TorchScript module {path}: {message}")]
pub struct JitError {
    pub path: String,
    pub message: String,
}

/// What [`lift_tensor_constants`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiftReport {
    /// Tensor constants turned into parameters (floats) or buffers (integers, booleans).
    pub lifted: i64,
    /// Tensor constants still in the module's methods afterwards (0 when it worked).
    pub remaining: i64,
}

extern "C" {
    fn hsi_lift_tensor_constants(
        in_path: *const c_char,
        out_path: *const c_char,
        prefix: *const c_char,
        lifted: *mut i64,
        remaining: *mut i64,
    ) -> *mut c_char;
    fn hsi_count_tensor_constants(path: *const c_char, count: *mut i64) -> *mut c_char;
    fn hsi_convert_floats(
        path: *const c_char,
        dtype: i32,
        bytes: *mut *mut c_char,
        size: *mut usize,
        converted: *mut i64,
    ) -> *mut c_char;
    fn hsi_free_message(message: *mut c_char);
}

fn c_path(path: &Path) -> Result<CString, JitError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| JitError {
        path: path.display().to_string(),
        message: "the path holds a NUL byte".to_owned(),
    })
}

/// Turns a non-null message from the C++ side into an error (and frees it).
#[allow(unsafe_code)]
fn check(message: *mut c_char, path: &Path) -> Result<(), JitError> {
    if message.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null return is a NUL-terminated string malloc'd by the C++ side,
    // read once and freed by the matching function.
    let text = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    unsafe { hsi_free_message(message) };
    Err(JitError {
        path: path.display().to_string(),
        message: text,
    })
}

/// Loads the module at `input`, makes every tensor constant of its `forward` an
/// attribute (float tensors parameters, the others buffers) and saves it to `output`.
/// A traced module bakes its weights in as constants, which `to(device, dtype)` neither
/// moves nor converts; as parameters they follow the module.
#[allow(unsafe_code)]
pub fn lift_tensor_constants(input: &Path, output: &Path) -> Result<LiftReport, JitError> {
    let (c_in, c_out) = (c_path(input)?, c_path(output)?);
    let prefix = CString::new(LIFTED_PREFIX).expect("no NUL in the prefix");
    let (mut lifted, mut remaining) = (0_i64, 0_i64);
    // SAFETY: the strings live across the call and the counters are valid pointers; the
    // C++ side catches every exception and reports it as a message.
    let message = unsafe {
        hsi_lift_tensor_constants(
            c_in.as_ptr(),
            c_out.as_ptr(),
            prefix.as_ptr(),
            &mut lifted,
            &mut remaining,
        )
    };
    check(message, input)?;
    Ok(LiftReport { lifted, remaining })
}

/// How many tensor constants the methods of the module at `path` hold.
#[allow(unsafe_code)]
pub fn tensor_constants(path: &Path) -> Result<i64, JitError> {
    let c_in = c_path(path)?;
    let mut count = 0_i64;
    // SAFETY: as in `lift_tensor_constants`.
    let message = unsafe { hsi_count_tensor_constants(c_in.as_ptr(), &mut count) };
    check(message, path)?;
    Ok(count)
}

/// The module at `path` with every floating-point parameter and buffer converted to
/// `kind` (integer ones untouched), serialised for [`tch::CModule::load_data_on_device`];
/// also how many tensors were converted. Refuses a module whose float weights are graph
/// constants, which no conversion reaches.
#[allow(unsafe_code)]
pub fn convert_floats(path: &Path, kind: tch::Kind) -> Result<(Vec<u8>, i64), JitError> {
    let dtype = match kind {
        tch::Kind::Half => 5,
        tch::Kind::Float => 6,
        tch::Kind::BFloat16 => 15,
        other => {
            return Err(JitError {
                path: path.display().to_string(),
                message: format!("{other:?} is not a precision a detector runs in"),
            })
        }
    };
    let c_in = c_path(path)?;
    let (mut bytes, mut size, mut converted) = (std::ptr::null_mut::<c_char>(), 0_usize, 0_i64);
    // SAFETY: as in `lift_tensor_constants`; on success `bytes` holds `size` bytes
    // malloc'd by the C++ side, copied here and then freed.
    let message =
        unsafe { hsi_convert_floats(c_in.as_ptr(), dtype, &mut bytes, &mut size, &mut converted) };
    check(message, path)?;
    let data = unsafe { std::slice::from_raw_parts(bytes.cast::<u8>(), size) }.to_vec();
    unsafe { hsi_free_message(bytes) };
    Ok((data, converted))
}
