//! The interpreter: a topologically ordered plan of compiled ops and its executor.

use std::collections::HashMap;
use std::path::Path;

use tch::{Device, Kind, Tensor};

use super::compile::{compile_node, Compiled, Op};
use super::model::{read_model_json, read_weights, ModelJson, NodeDef, Weight};
use super::node::{json_int, parse_input};
use super::value::{invalid, Layout, OpFail, OpResult, Value};
use super::{image_ops, tensor_ops, TfjsError};

struct Step {
    name: String,
    op_type: String,
    op: Op,
    /// `(step index, output index)` of each data input.
    inputs: Vec<(usize, usize)>,
}

/// A TF.js graph model compiled for libtorch: evaluates one output of the graph on a
/// batch of NCHW images. Weights are plain tensors (no grad), so a forward pass can be
/// traced into TorchScript.
pub struct TfjsGraph {
    steps: Vec<Step>,
    input: usize,
    output: usize,
    output_k: usize,
    output_name: String,
    /// How many later steps read each step's outputs, to free activations early.
    uses: Vec<usize>,
    input_hw: Option<[i64; 2]>,
    device: Device,
}

impl std::fmt::Debug for TfjsGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TfjsGraph")
            .field("steps", &self.steps.len())
            .field("output", &self.output_name)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl TfjsGraph {
    /// Loads `model.json` (weights from the shards its manifest names, next to it) on
    /// the CPU, for the graph's detections output.
    pub fn load(model_json: &Path) -> Result<Self, TfjsError> {
        Self::load_on(model_json, None, Device::Cpu)
    }

    /// Loads the graph for `output` (default: the signature output whose name ends in
    /// `detections`, or the only one) with weights on `device`.
    pub fn load_on(
        model_json: &Path,
        output: Option<&str>,
        device: Device,
    ) -> Result<Self, TfjsError> {
        let model = read_model_json(model_json)?;
        let weights = read_weights(&model, model_json)?;
        let output = match output {
            Some(o) => o.to_string(),
            None => default_output(&model)?,
        };
        let nodes: HashMap<&str, &NodeDef> = model
            .topology
            .node
            .iter()
            .map(|n| (n.name.as_str(), n))
            .collect();
        let (output_node, output_k) = parse_input(&output);
        let (steps, index) = plan(&nodes, &weights, &output_node, device)?;
        let output_idx = *index
            .get(&output_node)
            .ok_or_else(|| TfjsError::Graph(format!("output `{output}` was not compiled")))?;
        let inputs: Vec<usize> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.op, Op::Input { .. }))
            .map(|(i, _)| i)
            .collect();
        let input = match inputs.as_slice() {
            [i] => *i,
            other => {
                return Err(TfjsError::Graph(format!(
                    "expected one Placeholder input, found {}",
                    other.len()
                )))
            }
        };
        let mut uses = vec![0; steps.len()];
        for s in &steps {
            for &(i, _) in &s.inputs {
                uses[i] += 1;
            }
        }
        let input_hw = placeholder_hw(nodes.get(steps[input].name.as_str()).copied());
        Ok(Self {
            steps,
            input,
            output: output_idx,
            output_k,
            output_name: output,
            uses,
            input_hw,
            device,
        })
    }

    /// The `[height, width]` the graph's input placeholder declares, if it does.
    pub fn input_hw(&self) -> Option<[i64; 2]> {
        self.input_hw
    }

    /// The device holding the weights.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Runs the graph on `images_nchw` (`[N, C, H, W]` float, the value range the model
    /// was trained on) and returns the output; NHWC outputs come back NHWC, the
    /// post-processing outputs with the real batch first (detections: `[N, 100, 6]`).
    pub fn forward(&self, images_nchw: &Tensor) -> Result<Tensor, TfjsError> {
        let _no_grad = tch::no_grad_guard();
        let mut values: Vec<Option<Vec<Value>>> = std::iter::repeat_with(|| None)
            .take(self.steps.len())
            .collect();
        let mut remaining = self.uses.clone();
        for (i, step) in self.steps.iter().enumerate() {
            let mut args = Vec::with_capacity(step.inputs.len());
            for &(src, k) in &step.inputs {
                let v = values[src]
                    .as_ref()
                    .and_then(|outs| outs.get(k))
                    .ok_or_else(|| {
                        self.fail(
                            step,
                            OpFail::Invalid(format!(
                                "input #{k} of `{}` is missing",
                                self.steps[src].name
                            )),
                        )
                    })?;
                args.push(v.shallow_clone());
                remaining[src] -= 1;
                if remaining[src] == 0 && src != self.output {
                    values[src] = None;
                }
            }
            let out = if i == self.input {
                self.input_value(images_nchw)
            } else {
                eval(&step.op, &args, images_nchw)
            }
            .map_err(|e| self.fail(step, e))?;
            values[i] = Some(out);
        }
        let out = values[self.output]
            .take()
            .and_then(|outs| outs.into_iter().nth(self.output_k))
            .ok_or_else(|| {
                TfjsError::Graph(format!("output `{}` was not produced", self.output_name))
            })?;
        out.into_output()
            .map_err(|e| self.fail(&self.steps[self.output], e))
    }

    fn input_value(&self, images: &Tensor) -> OpResult<Vec<Value>> {
        let size = images.size();
        if size.len() != 4 || images.kind() != Kind::Float {
            return invalid(format!(
                "expected a float [N, C, H, W] tensor, got {:?} {size:?}",
                images.kind()
            ));
        }
        if let Some(Op::Input { channels: Some(c) }) = self.steps.get(self.input).map(|s| &s.op) {
            if size[1] != *c {
                return invalid(format!("expected {c} channels, got {}", size[1]));
            }
        }
        Ok(vec![Value::new(images.shallow_clone(), Layout::Nchw)])
    }

    fn fail(&self, step: &Step, e: OpFail) -> TfjsError {
        let (node, op) = (step.name.clone(), step.op_type.clone());
        match e {
            OpFail::Torch(source) => TfjsError::Torch { node, op, source },
            OpFail::Invalid(message) => TfjsError::Node { node, op, message },
        }
    }
}

/// Compiles the nodes `output_node` depends on, in execution order; returns the steps
/// and each compiled node's step index.
fn plan(
    nodes: &HashMap<&str, &NodeDef>,
    weights: &HashMap<String, Weight>,
    output_node: &str,
    device: Device,
) -> Result<(Vec<Step>, HashMap<String, usize>), TfjsError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut pending: HashMap<String, Compiled> = HashMap::new();
    // Iterative post-order DFS from the output: only nodes the output needs are
    // compiled, and constants folded into ops (weights, axes) are never visited.
    let mut stack = vec![(output_node.to_string(), false)];
    while let Some((name, expanded)) = stack.pop() {
        if index.contains_key(&name) {
            continue;
        }
        if expanded {
            let (op, deps) = pending
                .remove(&name)
                .ok_or_else(|| TfjsError::Graph(format!("node `{name}` visited twice")))?;
            let inputs = deps
                .iter()
                .map(|(d, k)| index.get(d).map(|&i| (i, *k)))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| TfjsError::Graph(format!("inputs of `{name}` are not ready")))?;
            let op_type = nodes
                .get(name.as_str())
                .map_or_else(String::new, |n| n.op.clone());
            steps.push(Step {
                name: name.clone(),
                op_type,
                op,
                inputs,
            });
            index.insert(name, steps.len() - 1);
            continue;
        }
        if pending.contains_key(&name) {
            return Err(TfjsError::Graph(format!("cycle through node `{name}`")));
        }
        let node = nodes.get(name.as_str()).ok_or_else(|| {
            TfjsError::Graph(format!("node `{name}` is referenced but not defined"))
        })?;
        let compiled = compile_node(node, weights, device)?;
        let deps: Vec<String> = compiled.1.iter().map(|(d, _)| d.clone()).collect();
        pending.insert(name.clone(), compiled);
        stack.push((name, true));
        stack.extend(deps.into_iter().rev().map(|d| (d, false)));
    }
    Ok((steps, index))
}

/// `images` is the graph's input: a cast to float follows its dtype, so a module traced
/// in float32 keeps running in the precision it is later converted to.
fn eval(op: &Op, args: &[Value], images: &Tensor) -> OpResult<Vec<Value>> {
    let arg = |k: usize| match args.get(k) {
        Some(v) => Ok(v),
        None => Err(OpFail::Invalid(format!("missing input #{k}"))),
    };
    let one = |v: Value| Ok(vec![v]);
    match op {
        Op::Input { .. } => invalid("the input is fed by the executor"),
        Op::Const(t) => one(Value::new(t.shallow_clone(), Layout::Const)),
        Op::Unary(u) => one(tensor_ops::unary(*u, arg(0)?)?),
        Op::Binary(b) => one(tensor_ops::binary(*b, arg(0)?, arg(1)?)?),
        Op::Cast(Kind::Float) => one(tensor_ops::cast_like(arg(0)?, images)?),
        Op::Cast(kind) => one(tensor_ops::cast(arg(0)?, *kind)?),
        Op::Conv(spec) => one(image_ops::conv(arg(0)?, spec)?),
        Op::MaxPool {
            kernel,
            stride,
            padding,
        } => one(image_ops::max_pool(arg(0)?, *kernel, *stride, *padding)?),
        Op::ResizeBilinear { size, mode } => {
            one(image_ops::resize_bilinear(arg(0)?, *size, *mode)?)
        }
        Op::Mean { axes, keep_dims } => one(image_ops::mean(arg(0)?, axes, *keep_dims)?),
        Op::Concat { axis } => one(tensor_ops::concat(args, *axis)?),
        Op::Reshape { shape } => one(tensor_ops::reshape(arg(0)?, shape)?),
        Op::ExpandDims { axis } => one(tensor_ops::expand_dims(arg(0)?, *axis)?),
        Op::StridedSlice(spec) => one(tensor_ops::strided_slice(arg(0)?, spec)?),
        Op::TopK { k, sorted } => tensor_ops::top_k(arg(0)?, *k, *sorted),
        Op::Gather { axis } => one(tensor_ops::gather(arg(0)?, arg(1)?, *axis)?),
    }
}

fn default_output(model: &ModelJson) -> Result<String, TfjsError> {
    let outputs: Vec<&str> = model
        .signature
        .as_ref()
        .map(|s| s.outputs.values().map(|o| o.name.as_str()).collect())
        .unwrap_or_default();
    if let Some(o) = outputs.iter().find(|o| o.ends_with("detections")) {
        return Ok((*o).to_string());
    }
    match outputs.as_slice() {
        [only] => Ok((*only).to_string()),
        _ => Err(TfjsError::Graph(format!(
            "cannot pick a default output among {outputs:?}; name one explicitly"
        ))),
    }
}

fn placeholder_hw(node: Option<&NodeDef>) -> Option<[i64; 2]> {
    let dims = node?.attr.get("shape")?.pointer("/shape/dim")?.as_array()?;
    let size = |i: usize| {
        dims.get(i)?
            .get("size")
            .and_then(json_int)
            .filter(|&v| v > 0)
    };
    Some([size(1)?, size(2)?])
}
