//! Reading a TF `NodeDef`: input references, protobuf-JSON attributes, and the
//! constants that feed operands which must be known before running (axes, shapes).

use std::collections::HashMap;

use serde_json::Value as Json;
use tch::{Device, Tensor};

use super::image_ops::Padding;
use super::model::{NodeDef, Weight};
use super::TfjsError;

/// Splits a TF input reference `name:k` into the node name and output index.
pub(crate) fn parse_input(input: &str) -> (String, usize) {
    match input.rsplit_once(':') {
        Some((name, k)) => match k.parse() {
            Ok(k) => (name.to_string(), k),
            Err(_) => (input.to_string(), 0),
        },
        None => (input.to_string(), 0),
    }
}

/// A node being compiled, with the decoded constants its operands may name.
pub(crate) struct Ctx<'a> {
    pub node: &'a NodeDef,
    pub weights: &'a HashMap<String, Weight>,
    pub device: Device,
}

impl Ctx<'_> {
    pub(crate) fn err(&self, message: impl Into<String>) -> TfjsError {
        TfjsError::Node {
            node: self.node.name.clone(),
            op: self.node.op.clone(),
            message: message.into(),
        }
    }

    pub(crate) fn data_inputs(&self) -> Vec<&str> {
        self.node
            .input
            .iter()
            .map(String::as_str)
            .filter(|i| !i.starts_with('^'))
            .collect()
    }

    pub(crate) fn input(&self, k: usize) -> Result<(String, usize), TfjsError> {
        self.data_inputs()
            .get(k)
            .map(|i| parse_input(i))
            .ok_or_else(|| self.err(format!("missing input #{k}")))
    }

    /// The constant feeding input `k`, for operands TF passes as tensors but that must
    /// be known when compiling (axes, shapes, conv weights).
    pub(crate) fn const_input(&self, k: usize) -> Result<&Weight, TfjsError> {
        let (name, _) = self.input(k)?;
        self.weights
            .get(&name)
            .ok_or_else(|| self.err(format!("input #{k} `{name}` must be a constant")))
    }

    pub(crate) fn const_ints(&self, k: usize) -> Result<Vec<i64>, TfjsError> {
        let w = self.const_input(k)?;
        w.ints()
            .map(<[i64]>::to_vec)
            .ok_or_else(|| self.err(format!("input #{k} must be an integer constant")))
    }

    pub(crate) fn const_int(&self, k: usize) -> Result<i64, TfjsError> {
        match self.const_ints(k)?.as_slice() {
            [v] => Ok(*v),
            other => Err(self.err(format!("input #{k} must be a scalar, got {other:?}"))),
        }
    }

    pub(crate) fn tensor(&self, w: &Weight) -> Result<Tensor, TfjsError> {
        w.to_tensor()
            .and_then(|t| t.f_to_device(self.device))
            .map_err(|source| TfjsError::Torch {
                node: self.node.name.clone(),
                op: self.node.op.clone(),
                source,
            })
    }

    pub(crate) fn attr(&self, key: &str) -> Option<&Json> {
        self.node.attr.get(key)
    }

    pub(crate) fn attr_bool(&self, key: &str, default: bool) -> bool {
        self.attr(key)
            .and_then(|a| a.get("b"))
            .and_then(Json::as_bool)
            .unwrap_or(default)
    }

    pub(crate) fn attr_int(&self, key: &str, default: i64) -> i64 {
        self.attr(key)
            .and_then(|a| a.get("i"))
            .and_then(json_int)
            .unwrap_or(default)
    }

    pub(crate) fn attr_float(&self, key: &str, default: f64) -> f64 {
        self.attr(key)
            .and_then(|a| a.get("f"))
            .and_then(Json::as_f64)
            .unwrap_or(default)
    }

    /// String attributes are base64 in protobuf JSON.
    pub(crate) fn attr_str(&self, key: &str) -> Option<String> {
        self.attr(key)
            .and_then(|a| a.get("s"))
            .and_then(Json::as_str)
            .and_then(decode_b64)
    }

    pub(crate) fn attr_strs(&self, key: &str) -> Vec<String> {
        list(self.attr(key), "s")
            .iter()
            .filter_map(Json::as_str)
            .filter_map(decode_b64)
            .collect()
    }

    pub(crate) fn attr_ints(&self, key: &str) -> Vec<i64> {
        list(self.attr(key), "i")
            .iter()
            .filter_map(json_int)
            .collect()
    }

    pub(crate) fn attr_type(&self, key: &str) -> Option<&str> {
        self.attr(key)
            .and_then(|a| a.get("type"))
            .and_then(Json::as_str)
    }

    pub(crate) fn require_nhwc(&self) -> Result<(), TfjsError> {
        match self.attr_str("data_format").as_deref() {
            None | Some("NHWC") => Ok(()),
            Some(other) => Err(self.err(format!("data_format {other} is not supported"))),
        }
    }

    /// `[h, w]` of a 4-element NHWC attribute list such as `strides`.
    pub(crate) fn spatial(&self, key: &str) -> Result<[i64; 2], TfjsError> {
        match self.attr_ints(key).as_slice() {
            [] => Ok([1, 1]),
            [_, h, w, _] => Ok([*h, *w]),
            other => Err(self.err(format!("{key} must have 4 entries, got {other:?}"))),
        }
    }

    pub(crate) fn padding(&self) -> Result<Padding, TfjsError> {
        match self.attr_str("padding").as_deref() {
            Some("SAME") => Ok(Padding::Same),
            Some("VALID") => Ok(Padding::Valid),
            Some("EXPLICIT") => match self.attr_ints("explicit_paddings").as_slice() {
                [_, _, t, b, l, r, _, _] => Ok(Padding::Explicit([*t, *b, *l, *r])),
                other => Err(self.err(format!(
                    "explicit_paddings must have 8 entries, got {other:?}"
                ))),
            },
            other => Err(self.err(format!("padding {other:?} is not supported"))),
        }
    }
}

fn list<'a>(attr: Option<&'a Json>, key: &str) -> &'a [Json] {
    attr.and_then(|a| a.get("list"))
        .and_then(|l| l.get(key))
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Protobuf JSON writes int64 as a string, though some exporters write numbers.
pub(crate) fn json_int(v: &Json) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Standard base64 (with padding), enough for attribute strings; not worth a dependency.
fn decode_b64(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    String::from_utf8(out).ok()
}
