//! Runtime values of the interpreter and the layout bookkeeping that lets a batch-1 TF
//! graph run on a batch of N images.

use tch::Tensor;

/// Why an op failed; the executor adds the node name and op type.
#[derive(Debug)]
pub(crate) enum OpFail {
    Torch(tch::TchError),
    Invalid(String),
}

impl From<tch::TchError> for OpFail {
    fn from(e: tch::TchError) -> Self {
        Self::Torch(e)
    }
}

pub(crate) type OpResult<T> = Result<T, OpFail>;

pub(crate) fn invalid<T>(message: impl Into<String>) -> OpResult<T> {
    Err(OpFail::Invalid(message.into()))
}

/// Converts `t` to `kind`. `to_kind` goes through `toType`, which a trace records with
/// the current device frozen in; the dtype-only `to` keeps the module device-agnostic.
pub(crate) fn to_kind(t: &Tensor, kind: tch::Kind) -> OpResult<Tensor> {
    Ok(t.f_to_dtype(kind, false, false)?)
}

/// How a TF tensor is stored in libtorch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// A rank-4 NHWC activation kept as NCHW `[N, C, H, W]`, so convolutions run in
    /// libtorch's native layout; N is the real batch.
    Nchw,
    /// A per-image TF tensor (whose own leading dim is the graph's hardcoded batch of 1)
    /// with the real batch prepended: `[N, ...tf_shape]`. The post-processing tail runs
    /// like this, vmap style, so its batch-1 reshapes and gathers stay per image.
    Batched,
    /// A constant shared by all images, stored exactly as TF shapes it.
    Const,
}

/// A tensor with its layout.
#[derive(Debug)]
pub(crate) struct Value {
    pub t: Tensor,
    pub layout: Layout,
}

impl Value {
    pub fn new(t: Tensor, layout: Layout) -> Self {
        Self { t, layout }
    }

    pub fn shallow_clone(&self) -> Self {
        Self::new(self.t.shallow_clone(), self.layout)
    }

    /// The same value with its tensor replaced, keeping the layout.
    pub fn with(&self, t: Tensor) -> Self {
        Self::new(t, self.layout)
    }

    /// Converts an NCHW activation to the batched NHWC form; other layouts pass through.
    pub fn batched(&self) -> OpResult<Value> {
        match self.layout {
            Layout::Nchw => Ok(Value::new(
                self.t.f_permute([0, 2, 3, 1])?.f_unsqueeze(1)?,
                Layout::Batched,
            )),
            Layout::Batched | Layout::Const => Ok(self.shallow_clone()),
        }
    }

    /// The TF shape of one image's tensor (the batch-1 shape the graph was built for).
    pub fn tf_shape(&self) -> Vec<i64> {
        let size = self.t.size();
        match self.layout {
            Layout::Nchw => vec![1, size[2], size[3], size[1]],
            Layout::Batched => size[1..].to_vec(),
            Layout::Const => size,
        }
    }

    /// Index of libtorch's dim for TF axis `axis` (negative counts from the end).
    pub fn torch_axis(&self, axis: i64) -> OpResult<i64> {
        let rank = self.tf_shape().len() as i64;
        let a = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&a) {
            return invalid(format!("axis {axis} out of range for rank {rank}"));
        }
        Ok(match self.layout {
            Layout::Nchw => [0, 2, 3, 1][a as usize],
            Layout::Batched => a + 1,
            Layout::Const => a,
        })
    }

    /// The graph output as the caller sees it: NHWC activations, batched values with
    /// the per-image batch of 1 folded into the real batch.
    pub fn into_output(self) -> OpResult<Tensor> {
        Ok(match self.layout {
            Layout::Nchw => self.t.f_permute([0, 2, 3, 1])?,
            Layout::Batched => self.t.f_flatten(0, 1)?,
            Layout::Const => self.t,
        })
    }
}

/// Puts a constant into NCHW so it broadcasts against an NCHW activation the way TF
/// broadcasts it against the NHWC one.
fn const_as_nchw(c: &Tensor) -> OpResult<Tensor> {
    let size = c.size();
    if size.is_empty() {
        return Ok(c.shallow_clone());
    }
    if size.len() > 4 {
        return invalid(format!(
            "cannot broadcast a rank-{} constant against an image",
            size.len()
        ));
    }
    let mut padded = vec![1; 4 - size.len()];
    padded.extend_from_slice(&size);
    Ok(c.f_reshape(padded.as_slice())?.f_permute([0, 3, 1, 2])?)
}

/// Prepends size-1 dims to a batched tensor's per-image part until it has `rank` dims,
/// the right-aligned broadcasting TF would do without the extra batch dim in the way.
fn pad_batched(t: &Tensor, rank: usize) -> OpResult<Tensor> {
    let mut t = t.shallow_clone();
    while t.dim() < rank + 1 {
        t = t.f_unsqueeze(1)?;
    }
    Ok(t)
}

/// Brings two operands of an element-wise op into layouts whose libtorch broadcasting
/// matches TF's; returns the tensors and the result's layout.
pub(crate) fn align(a: &Value, b: &Value) -> OpResult<(Tensor, Tensor, Layout)> {
    use Layout::{Batched, Const, Nchw};
    match (a.layout, b.layout) {
        (Nchw, Nchw) | (Const, Const) => Ok((a.t.shallow_clone(), b.t.shallow_clone(), a.layout)),
        (Nchw, Const) => Ok((a.t.shallow_clone(), const_as_nchw(&b.t)?, Nchw)),
        (Const, Nchw) => Ok((const_as_nchw(&a.t)?, b.t.shallow_clone(), Nchw)),
        _ => {
            let (a, b) = (a.batched()?, b.batched()?);
            let rank = a.tf_shape().len().max(b.tf_shape().len());
            let pad = |v: &Value| match v.layout {
                Batched => pad_batched(&v.t, rank),
                _ => Ok(v.t.shallow_clone()),
            };
            Ok((pad(&a)?, pad(&b)?, Batched))
        }
    }
}
