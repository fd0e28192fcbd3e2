//! Spatial ops on NCHW activations: convolutions, pooling, resizing.

use tch::{Kind, Tensor};

use super::value::{invalid, to_kind, Layout, OpResult, Value};

/// TF padding modes, resolved against the input size at run time.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Padding {
    Same,
    Valid,
    /// `[top, bottom, left, right]`.
    Explicit([i64; 4]),
}

/// Activation fused into a TF convolution (`fused_ops` after `BiasAdd`).
#[derive(Debug)]
pub(crate) enum Activation {
    None,
    Relu,
    Relu6,
    Elu,
    Sigmoid,
    LeakyRelu(f64),
    Prelu(Tensor),
}

/// A convolution with its weights already in libtorch layout (`OIHW`, depthwise as
/// grouped conv with `C*M` outputs).
#[derive(Debug)]
pub(crate) struct ConvSpec {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    pub stride: [i64; 2],
    pub dilation: [i64; 2],
    pub padding: Padding,
    /// `None` for a depthwise conv, whose groups equal the input channels.
    pub groups: Option<i64>,
    pub activation: Activation,
}

pub(crate) fn expect_nchw<'a>(v: &'a Value, what: &str) -> OpResult<&'a Tensor> {
    match v.layout {
        Layout::Nchw => Ok(&v.t),
        Layout::Batched | Layout::Const => invalid(format!(
            "{what} expects a 4-D image activation, got TF shape {:?}",
            v.tf_shape()
        )),
    }
}

/// TF's `[before, after]` padding for one spatial axis. SAME puts the odd pixel after,
/// which libtorch's symmetric conv padding cannot express.
fn axis_pad(
    padding: Padding,
    axis: usize,
    size: i64,
    kernel: i64,
    stride: i64,
    dilation: i64,
) -> [i64; 2] {
    match padding {
        Padding::Valid => [0, 0],
        Padding::Explicit(p) => [p[2 * axis], p[2 * axis + 1]],
        Padding::Same => {
            let out = (size + stride - 1) / stride;
            let effective = (kernel - 1) * dilation + 1;
            let total = ((out - 1) * stride + effective - size).max(0);
            [total / 2, total - total / 2]
        }
    }
}

/// Pads `x` for a window op; returns the padded input and the symmetric padding left
/// for the op itself to apply.
fn pad_input(
    x: &Tensor,
    padding: Padding,
    kernel: [i64; 2],
    stride: [i64; 2],
    dilation: [i64; 2],
    fill: f64,
) -> OpResult<(Tensor, [i64; 2])> {
    let size = x.size();
    let h = axis_pad(padding, 0, size[2], kernel[0], stride[0], dilation[0]);
    let w = axis_pad(padding, 1, size[3], kernel[1], stride[1], dilation[1]);
    // Zero padding of a conv is cheaper inside the conv when it is symmetric.
    if fill == 0.0 && h[0] == h[1] && w[0] == w[1] {
        return Ok((x.shallow_clone(), [h[0], w[0]]));
    }
    if h == [0, 0] && w == [0, 0] {
        return Ok((x.shallow_clone(), [0, 0]));
    }
    Ok((x.f_pad([w[0], w[1], h[0], h[1]], "constant", fill)?, [0, 0]))
}

pub(crate) fn conv(input: &Value, spec: &ConvSpec) -> OpResult<Value> {
    let x = expect_nchw(input, "convolution")?;
    let wsize = spec.weight.size();
    let groups = match spec.groups {
        Some(g) => g,
        None => x.size()[1],
    };
    let (x, pad) = pad_input(
        x,
        spec.padding,
        [wsize[2], wsize[3]],
        spec.stride,
        spec.dilation,
        0.0,
    )?;
    let y = x.f_conv2d(
        &spec.weight,
        spec.bias.as_ref(),
        spec.stride,
        pad,
        spec.dilation,
        groups,
    )?;
    let y = match &spec.activation {
        Activation::None => y,
        Activation::Relu => y.f_relu()?,
        Activation::Relu6 => y.f_clamp(0.0, 6.0)?,
        Activation::Elu => y.f_elu()?,
        Activation::Sigmoid => y.f_sigmoid()?,
        Activation::LeakyRelu(alpha) => y.f_maximum(&y.f_mul_scalar(*alpha)?)?,
        Activation::Prelu(alpha) => {
            let alpha = alpha.f_reshape([1, -1, 1, 1])?;
            y.f_relu()?.f_sub(&y.f_neg()?.f_relu()?.f_mul(&alpha)?)?
        }
    };
    Ok(Value::new(y, Layout::Nchw))
}

pub(crate) fn max_pool(
    input: &Value,
    kernel: [i64; 2],
    stride: [i64; 2],
    padding: Padding,
) -> OpResult<Value> {
    let x = expect_nchw(input, "MaxPool")?;
    // TF never lets padding win a max, hence -inf rather than zeros.
    let (x, _) = pad_input(x, padding, kernel, stride, [1, 1], f64::NEG_INFINITY)?;
    let y = x.f_max_pool2d(kernel, stride, [0, 0], [1, 1], false)?;
    Ok(Value::new(y, Layout::Nchw))
}

/// How TF maps output pixels back to input coordinates in ResizeBilinear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResizeMode {
    AlignCorners,
    HalfPixel,
    /// Neither flag: TF1's `src = dst * in / out`, which no libtorch mode reproduces.
    Legacy,
}

pub(crate) fn resize_bilinear(input: &Value, size: [i64; 2], mode: ResizeMode) -> OpResult<Value> {
    let x = expect_nchw(input, "ResizeBilinear")?;
    let y = match mode {
        ResizeMode::AlignCorners => x.f_upsample_bilinear2d(size, true, None, None)?,
        ResizeMode::HalfPixel => x.f_upsample_bilinear2d(size, false, None, None)?,
        ResizeMode::Legacy => {
            let in_size = x.size();
            // Interpolate along W then H, as TF does.
            let y = lerp_axis(x, 3, in_size[3], size[1])?;
            lerp_axis(&y, 2, in_size[2], size[0])?
        }
    };
    Ok(Value::new(y, Layout::Nchw))
}

/// Legacy TF bilinear interpolation along one axis of `x`. The sample positions come
/// from ops on `x` itself rather than from Rust data or `arange`: under tracing, a
/// tensor made from a slice is recorded as `zeros` (its contents are copied in behind
/// the tracer) and a device argument is frozen, while ops on `x` follow it to whatever
/// device the module later runs on.
fn lerp_axis(x: &Tensor, dim: i64, in_len: i64, out_len: i64) -> OpResult<Tensor> {
    if in_len <= 0 || out_len <= 0 {
        return invalid(format!(
            "cannot resize an axis of {in_len} pixels to {out_len}"
        ));
    }
    let ones = x.f_flatten(0, -1)?.f_narrow(0, 0, 1)?.f_ones_like()?;
    let positions = ones
        .f_expand([out_len], false)?
        .f_cumsum(0, Kind::Float)?
        .f_sub_scalar(1.0)?;
    // TF computes the scale and positions in float32.
    let scale = f64::from(in_len as f32 / out_len as f32);
    let src = positions.f_mul_scalar(scale)?;
    let floor = src.f_floor()?;
    let lo = to_kind(&floor.f_clamp(0, in_len - 1)?, Kind::Int64)?;
    let hi = to_kind(&src.f_ceil()?.f_clamp(0, in_len - 1)?, Kind::Int64)?;
    let mut shape = vec![1i64; 4];
    shape[dim as usize] = out_len;
    // `type_as`, not a cast to x's kind now: the trace must follow x's precision later.
    let frac = src
        .f_sub(&floor)?
        .f_type_as(x)?
        .f_reshape(shape.as_slice())?;
    let a = x.f_index_select(dim, &lo)?;
    let b = x.f_index_select(dim, &hi)?;
    Ok(a.f_add(&b.f_sub(&a)?.f_mul(&frac)?)?)
}

/// TF `Mean`; NCHW activations reduce in place when the rank is kept.
pub(crate) fn mean(input: &Value, axes: &[i64], keep_dims: bool) -> OpResult<Value> {
    let v = if input.layout == Layout::Nchw && !keep_dims {
        input.batched()?
    } else {
        input.shallow_clone()
    };
    let dims = axes
        .iter()
        .map(|&a| v.torch_axis(a))
        .collect::<OpResult<Vec<_>>>()?;
    let t = v.t.f_mean_dim(dims.as_slice(), keep_dims, None::<Kind>)?;
    Ok(v.with(t))
}
