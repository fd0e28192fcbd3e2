//! Turns TF `NodeDef`s into typed ops: attributes parsed, constant operands (axes,
//! shapes, conv weights) folded in, weights moved to libtorch layout.

use std::collections::HashMap;

use serde_json::Value as Json;
use tch::{Device, Kind, Tensor};

use super::node::{json_int, Ctx};

use super::image_ops::{Activation, ConvSpec, Padding, ResizeMode};
use super::model::{NodeDef, Weight};
use super::tensor_ops::{Binary, SliceSpec, Unary};
use super::TfjsError;

/// One executable op. Data inputs are listed by the step that holds it.
#[derive(Debug)]
pub(crate) enum Op {
    Input {
        channels: Option<i64>,
    },
    Const(Tensor),
    Unary(Unary),
    Binary(Binary),
    Cast(Kind),
    Conv(Box<ConvSpec>),
    MaxPool {
        kernel: [i64; 2],
        stride: [i64; 2],
        padding: Padding,
    },
    ResizeBilinear {
        size: [i64; 2],
        mode: ResizeMode,
    },
    Mean {
        axes: Vec<i64>,
        keep_dims: bool,
    },
    Concat {
        axis: i64,
    },
    Reshape {
        shape: Vec<i64>,
    },
    ExpandDims {
        axis: i64,
    },
    StridedSlice(SliceSpec),
    TopK {
        k: i64,
        sorted: bool,
    },
    Gather {
        axis: i64,
    },
}

/// A compiled node: its op and the `(node name, output index)` of each data input.
pub(crate) type Compiled = (Op, Vec<(String, usize)>);

fn kind_of(dtype: Option<&str>) -> Option<Kind> {
    match dtype? {
        "DT_FLOAT" => Some(Kind::Float),
        "DT_INT32" | "DT_INT64" => Some(Kind::Int64),
        "DT_BOOL" => Some(Kind::Bool),
        _ => None,
    }
}

/// Compiles one node.
pub(crate) fn compile_node(
    node: &NodeDef,
    weights: &HashMap<String, Weight>,
    device: Device,
) -> Result<Compiled, TfjsError> {
    let cx = Ctx {
        node,
        weights,
        device,
    };
    let first = || cx.input(0).map(|i| vec![i]);
    let pair = || Ok::<_, TfjsError>(vec![cx.input(0)?, cx.input(1)?]);
    let binary = |op| Ok((Op::Binary(op), pair()?));
    let unary = |op| Ok((Op::Unary(op), first()?));
    match node.op.as_str() {
        "Placeholder" => {
            let dims = cx
                .attr("shape")
                .and_then(|a| a.pointer("/shape/dim"))
                .and_then(Json::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(|x| x.get("size").and_then(json_int))
                        .collect::<Vec<_>>()
                });
            let channels = dims.and_then(|d| d.get(3).copied()).filter(|&c| c > 0);
            Ok((Op::Input { channels }, vec![]))
        }
        "Const" => {
            let w = weights
                .get(&node.name)
                .ok_or_else(|| cx.err("constant has no entry in the weights manifest"))?;
            Ok((Op::Const(cx.tensor(w)?), vec![]))
        }
        "Identity" | "StopGradient" | "Snapshot" => unary(Unary::Identity),
        "Relu" => unary(Unary::Relu),
        "Relu6" => unary(Unary::Relu6),
        "Sigmoid" => unary(Unary::Sigmoid),
        "Tanh" => unary(Unary::Tanh),
        "Add" | "AddV2" => binary(Binary::Add),
        "Sub" => binary(Binary::Sub),
        "Mul" => binary(Binary::Mul),
        "RealDiv" | "Div" => binary(Binary::RealDiv),
        "FloorDiv" => binary(Binary::FloorDiv),
        "FloorMod" => binary(Binary::FloorMod),
        "Equal" => binary(Binary::Equal),
        "Maximum" => binary(Binary::Maximum),
        "Minimum" => binary(Binary::Minimum),
        "Cast" => {
            let dst = cx.attr_type("DstT");
            let kind =
                kind_of(dst).ok_or_else(|| cx.err(format!("cast to {dst:?} is not supported")))?;
            Ok((Op::Cast(kind), first()?))
        }
        "Conv2D" | "_FusedConv2D" | "DepthwiseConv2dNative" | "FusedDepthwiseConv2dNative" => {
            Ok((Op::Conv(Box::new(conv_spec(&cx)?)), first()?))
        }
        "MaxPool" => {
            cx.require_nhwc()?;
            let (kernel, stride, padding) =
                (cx.spatial("ksize")?, cx.spatial("strides")?, cx.padding()?);
            Ok((
                Op::MaxPool {
                    kernel,
                    stride,
                    padding,
                },
                first()?,
            ))
        }
        "ResizeBilinear" => {
            let size = match cx.const_ints(1)?.as_slice() {
                [h, w] => [*h, *w],
                other => return Err(cx.err(format!("size must be [h, w], got {other:?}"))),
            };
            let mode = match (
                cx.attr_bool("align_corners", false),
                cx.attr_bool("half_pixel_centers", false),
            ) {
                (true, false) => ResizeMode::AlignCorners,
                (false, true) => ResizeMode::HalfPixel,
                (false, false) => ResizeMode::Legacy,
                (true, true) => {
                    return Err(cx.err("align_corners and half_pixel_centers are exclusive"))
                }
            };
            Ok((Op::ResizeBilinear { size, mode }, first()?))
        }
        "Mean" => {
            let (axes, keep_dims) = (cx.const_ints(1)?, cx.attr_bool("keep_dims", false));
            Ok((Op::Mean { axes, keep_dims }, first()?))
        }
        "ConcatV2" => {
            let n = cx.data_inputs().len();
            let axis = cx.const_int(n.saturating_sub(1))?;
            let inputs = (0..n.saturating_sub(1))
                .map(|k| cx.input(k))
                .collect::<Result<_, _>>()?;
            Ok((Op::Concat { axis }, inputs))
        }
        "Reshape" => Ok((
            Op::Reshape {
                shape: cx.const_ints(1)?,
            },
            first()?,
        )),
        "ExpandDims" => Ok((
            Op::ExpandDims {
                axis: cx.const_int(1)?,
            },
            first()?,
        )),
        "StridedSlice" => {
            if cx.attr_int("ellipsis_mask", 0) != 0 || cx.attr_int("new_axis_mask", 0) != 0 {
                return Err(cx.err("ellipsis_mask and new_axis_mask are not supported"));
            }
            let spec = SliceSpec {
                begin: cx.const_ints(1)?,
                end: cx.const_ints(2)?,
                strides: cx.const_ints(3)?,
                begin_mask: cx.attr_int("begin_mask", 0),
                end_mask: cx.attr_int("end_mask", 0),
                shrink_axis_mask: cx.attr_int("shrink_axis_mask", 0),
            };
            if spec.end.len() != spec.begin.len() || spec.strides.len() != spec.begin.len() {
                return Err(cx.err("begin, end and strides differ in length"));
            }
            if spec.strides.iter().any(|&s| s <= 0) {
                return Err(cx.err(format!(
                    "only positive strides are supported, got {:?}",
                    spec.strides
                )));
            }
            Ok((Op::StridedSlice(spec), first()?))
        }
        "TopKV2" => {
            let (k, sorted) = (cx.const_int(1)?, cx.attr_bool("sorted", true));
            Ok((Op::TopK { k, sorted }, first()?))
        }
        "GatherV2" => {
            if cx.attr_int("batch_dims", 0) != 0 {
                return Err(cx.err("batch_dims other than 0 is not supported"));
            }
            Ok((
                Op::Gather {
                    axis: cx.const_int(2)?,
                },
                pair()?,
            ))
        }
        other => Err(TfjsError::UnsupportedOp {
            node: node.name.clone(),
            op: other.to_string(),
        }),
    }
}

fn conv_spec(cx: &Ctx<'_>) -> Result<ConvSpec, TfjsError> {
    cx.require_nhwc()?;
    let w = cx.const_input(1)?;
    let [kh, kw, cin, cout] = match w.shape.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        other => return Err(cx.err(format!("filter must be rank 4, got {other:?}"))),
    };
    let depthwise = cx.node.op.contains("Depthwise");
    let torch_err = |source| TfjsError::Torch {
        node: cx.node.name.clone(),
        op: cx.node.op.clone(),
        source,
    };
    let hwio = cx.tensor(w)?;
    let weight = if depthwise {
        // [H, W, C, M] -> [C*M, 1, H, W]; output channel c*M + m, as in TF.
        hwio.f_reshape([kh, kw, cin * cout])
            .and_then(|t| t.f_permute([2, 0, 1]))
            .and_then(|t| t.f_unsqueeze(1))
    } else {
        hwio.f_permute([3, 2, 0, 1])
    }
    .and_then(|t| t.f_contiguous())
    .map_err(torch_err)?;
    let fused = cx.attr_strs("fused_ops");
    let mut ops = fused.iter().map(String::as_str);
    let mut bias = None;
    let mut next_arg = 2;
    let mut activation = Activation::None;
    let mut current = ops.next();
    if current == Some("BiasAdd") {
        bias = Some(cx.tensor(cx.const_input(next_arg)?)?);
        next_arg += 1;
        current = ops.next();
    }
    if let Some(act) = current {
        activation = match act {
            "Relu" => Activation::Relu,
            "Relu6" => Activation::Relu6,
            "Elu" => Activation::Elu,
            "Sigmoid" => Activation::Sigmoid,
            "LeakyRelu" => Activation::LeakyRelu(cx.attr_float("leakyrelu_alpha", 0.2)),
            "Prelu" => Activation::Prelu(cx.tensor(cx.const_input(next_arg)?)?),
            other => return Err(cx.err(format!("fused op {other} is not supported"))),
        };
    }
    if let Some(extra) = ops.next() {
        return Err(cx.err(format!(
            "fused op {extra} after the activation is not supported"
        )));
    }
    Ok(ConvSpec {
        weight,
        bias,
        stride: cx.spatial("strides")?,
        dilation: cx.spatial("dilations")?,
        padding: cx.padding()?,
        groups: if depthwise { None } else { Some(1) },
        activation,
    })
}
