//! Element-wise and shape ops. Shape ops see TF's batch-1 shapes per image: they run on
//! the batched layout, which keeps the real batch in an extra leading dim.

use tch::{Kind, Tensor};

use super::value::{align, invalid, to_kind, Layout, OpResult, Value};

/// Element-wise binary ops with TF broadcasting.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    RealDiv,
    FloorDiv,
    FloorMod,
    Equal,
    Maximum,
    Minimum,
}

pub(crate) fn binary(op: Binary, a: &Value, b: &Value) -> OpResult<Value> {
    let (x, y, layout) = align(a, b)?;
    let t = match op {
        Binary::Add => x.f_add(&y)?,
        Binary::Sub => x.f_sub(&y)?,
        Binary::Mul => x.f_mul(&y)?,
        Binary::RealDiv => x.f_div(&y)?,
        Binary::FloorDiv => x.f_div_tensor_mode(&y, "floor")?,
        // Python-style remainder takes the divisor's sign, like TF's FloorMod.
        Binary::FloorMod => x.f_remainder_tensor(&y)?,
        Binary::Equal => x.f_eq_tensor(&y)?,
        Binary::Maximum => x.f_maximum(&y)?,
        Binary::Minimum => x.f_minimum(&y)?,
    };
    Ok(Value::new(t, layout))
}

/// Element-wise unary ops; they keep the layout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unary {
    Identity,
    Relu,
    Relu6,
    Sigmoid,
    Tanh,
}

pub(crate) fn unary(op: Unary, x: &Value) -> OpResult<Value> {
    let t = match op {
        Unary::Identity => x.t.shallow_clone(),
        Unary::Relu => x.t.f_relu()?,
        Unary::Relu6 => x.t.f_clamp(0.0, 6.0)?,
        Unary::Sigmoid => x.t.f_sigmoid()?,
        Unary::Tanh => x.t.f_tanh()?,
    };
    Ok(x.with(t))
}

pub(crate) fn cast(x: &Value, kind: Kind) -> OpResult<Value> {
    Ok(x.with(to_kind(&x.t, kind)?))
}

/// A cast to `like`'s dtype, which a trace records as `type_as`: it follows whatever
/// precision the module runs in rather than freezing float32 in.
pub(crate) fn cast_like(x: &Value, like: &Tensor) -> OpResult<Value> {
    Ok(x.with(x.t.f_type_as(like)?))
}

/// Resolves a TF target shape (with at most one -1) against an element count.
fn resolve_shape(shape: &[i64], numel: i64) -> OpResult<Vec<i64>> {
    let known: i64 = shape.iter().filter(|&&d| d != -1).product();
    let unknown = shape.iter().filter(|&&d| d == -1).count();
    match unknown {
        0 if known == numel => Ok(shape.to_vec()),
        1 if known > 0 && numel % known == 0 => Ok(shape
            .iter()
            .map(|&d| if d == -1 { numel / known } else { d })
            .collect()),
        _ => invalid(format!(
            "cannot reshape {numel} elements per image to {shape:?}"
        )),
    }
}

/// TF `Reshape`. The target shape is the graph's batch-1 shape, so it applies per
/// image and the batch dim stays -1 (a traced module then accepts any batch size).
pub(crate) fn reshape(x: &Value, shape: &[i64]) -> OpResult<Value> {
    if x.layout == Layout::Const {
        return Ok(x.with(x.t.f_reshape(shape)?));
    }
    let x = x.batched()?;
    let per_image: i64 = x.tf_shape().iter().product();
    let mut target = vec![-1];
    target.extend(resolve_shape(shape, per_image)?);
    Ok(x.with(x.t.f_reshape(target.as_slice())?))
}

pub(crate) fn expand_dims(x: &Value, axis: i64) -> OpResult<Value> {
    let x = x.batched()?;
    let rank = x.tf_shape().len() as i64;
    let a = if axis < 0 { axis + rank + 1 } else { axis };
    if !(0..=rank).contains(&a) {
        return invalid(format!(
            "ExpandDims axis {axis} out of range for rank {rank}"
        ));
    }
    let offset = i64::from(x.layout == Layout::Batched);
    Ok(x.with(x.t.f_unsqueeze(a + offset)?))
}

pub(crate) fn concat(inputs: &[Value], axis: i64) -> OpResult<Value> {
    let Some(first) = inputs.first() else {
        return invalid("ConcatV2 without inputs");
    };
    let layouts: Vec<Layout> = inputs.iter().map(|v| v.layout).collect();
    let all = |l: Layout| layouts.iter().all(|&x| x == l);
    let values: Vec<Value> = if all(Layout::Nchw) || all(Layout::Const) {
        inputs.iter().map(Value::shallow_clone).collect()
    } else if layouts.contains(&Layout::Const) {
        // A constant would need copying per image, which this graph never asks for.
        return invalid("ConcatV2 of per-image tensors with constants is not supported");
    } else {
        inputs.iter().map(Value::batched).collect::<OpResult<_>>()?
    };
    let dim = values.first().map_or(Ok(0), |v| v.torch_axis(axis))?;
    let tensors: Vec<&Tensor> = values.iter().map(|v| &v.t).collect();
    let layout = values.first().map_or(first.layout, |v| v.layout);
    Ok(Value::new(Tensor::f_cat(&tensors, dim)?, layout))
}

/// Parsed `StridedSlice` operands; only positive strides and no ellipsis/new-axis masks.
#[derive(Debug, Clone)]
pub(crate) struct SliceSpec {
    pub begin: Vec<i64>,
    pub end: Vec<i64>,
    pub strides: Vec<i64>,
    pub begin_mask: i64,
    pub end_mask: i64,
    pub shrink_axis_mask: i64,
}

pub(crate) fn strided_slice(x: &Value, spec: &SliceSpec) -> OpResult<Value> {
    let x = x.batched()?;
    let shape = x.tf_shape();
    let offset = i64::from(x.layout == Layout::Batched);
    if spec.begin.len() > shape.len() {
        return invalid(format!(
            "slice spec of rank {} for TF shape {shape:?}",
            spec.begin.len()
        ));
    }
    let clampi = |v: i64, dim: i64| (if v < 0 { v + dim } else { v }).clamp(0, dim);
    let mut t = x.t.shallow_clone();
    let mut shrunk = Vec::new();
    for (i, &dim) in shape.iter().enumerate().take(spec.begin.len()) {
        let bit = 1i64 << i;
        let stride = spec.strides[i];
        let begin = if spec.begin_mask & bit != 0 {
            0
        } else {
            clampi(spec.begin[i], dim)
        };
        let torch_dim = i as i64 + offset;
        if spec.shrink_axis_mask & bit != 0 {
            if begin >= dim {
                return invalid(format!(
                    "shrink index {} out of range for dim {dim}",
                    spec.begin[i]
                ));
            }
            t = t.f_slice(torch_dim, begin, begin + 1, 1)?;
            shrunk.push(torch_dim);
            continue;
        }
        let end = if spec.end_mask & bit != 0 {
            dim
        } else {
            clampi(spec.end[i], dim)
        };
        t = t.f_slice(torch_dim, begin, end.max(begin), stride)?;
    }
    for &d in shrunk.iter().rev() {
        t = t.f_squeeze_dim(d)?;
    }
    Ok(x.with(t))
}

/// TF `TopKV2` along the last axis: values and Int64 indices.
pub(crate) fn top_k(x: &Value, k: i64, sorted: bool) -> OpResult<Vec<Value>> {
    let x = x.batched()?;
    let (values, indices) = x.t.f_topk(k, -1, true, sorted)?;
    Ok(vec![x.with(values), x.with(indices)])
}

/// TF `GatherV2` with `batch_dims = 0`, applied per image.
pub(crate) fn gather(params: &Value, indices: &Value, axis: i64) -> OpResult<Value> {
    let params = params.batched()?;
    let indices = indices.batched()?;
    let pshape = params.tf_shape();
    let ishape = indices.tf_shape();
    let rank = pshape.len() as i64;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return invalid(format!("GatherV2 axis {axis} out of range for rank {rank}"));
    }
    let a = a as usize;
    let mut out_shape: Vec<i64> = pshape[..a].to_vec();
    out_shape.extend_from_slice(&ishape);
    out_shape.extend_from_slice(&pshape[a + 1..]);
    let flat_idx = to_kind(&indices.t, Kind::Int64)?;
    match (params.layout, indices.layout) {
        (Layout::Const, Layout::Const) => {
            let t = params
                .t
                .f_index_select(a as i64, &flat_idx.f_flatten(0, -1)?)?;
            Ok(params.with(t.f_reshape(out_shape.as_slice())?))
        }
        (Layout::Batched, Layout::Const) => {
            let t = params
                .t
                .f_index_select(a as i64 + 1, &flat_idx.f_flatten(0, -1)?)?;
            let mut target = vec![-1];
            target.extend(out_shape);
            Ok(params.with(t.f_reshape(target.as_slice())?))
        }
        (Layout::Batched, Layout::Batched) if a == 0 => {
            // Per-image rows: params [N, P, R], indices [N, I] -> [N, I, R].
            let rows = params
                .t
                .f_reshape([-1, pshape[0], pshape[1..].iter().product::<i64>()])?;
            let r = rows.size()[2];
            let idx = flat_idx
                .f_reshape([-1, ishape.iter().product::<i64>(), 1])?
                .f_expand([-1, -1, r], false)?;
            let t = rows.f_gather(1, &idx, false)?;
            let mut target = vec![-1];
            target.extend(out_shape);
            Ok(params.with(t.f_reshape(target.as_slice())?))
        }
        (Layout::Const, Layout::Batched) if a == 0 => {
            let t = params.t.f_index_select(0, &flat_idx.f_flatten(0, -1)?)?;
            let mut target = vec![-1];
            target.extend(out_shape);
            Ok(indices.with(t.f_reshape(target.as_slice())?))
        }
        _ => invalid(format!(
            "GatherV2 on axis {axis} with per-image indices is not supported"
        )),
    }
}
