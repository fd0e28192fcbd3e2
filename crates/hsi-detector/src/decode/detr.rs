//! DETR family: class logits `[N, Q, C(+1)]` and normalised `cx, cy, w, h` boxes `[N, Q, 4]`.

use tch::Tensor;

use super::{
    candidate, cxcywh_to_xyxy, dims_usize, finish, to_host_f32, DecodeError, DecodeParams,
    RawDetection,
};

const FORMAT: &str = "detr";

/// Index and value of the first maximum; NaN never wins, so an all-NaN row scores -inf.
fn argmax(row: &[f32]) -> (usize, f32) {
    row.iter()
        .copied()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (k, v)| {
            if v > best.1 {
                (k, v)
            } else {
                best
            }
        })
}

/// Class and score of one query, or `None` when it is "no object".
fn classify(row: &[f32], softmax_background: bool) -> Option<(usize, f32)> {
    let (class, max) = argmax(row);
    if !softmax_background {
        // Sigmoid is monotonic, so the argmax of the logits is the argmax of the scores.
        return Some((class, 1.0 / (1.0 + (-max).exp())));
    }
    if class + 1 == row.len() {
        return None;
    }
    // Shifted by the max so exp cannot overflow.
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    Some((class, 1.0 / sum))
}

fn shape_error(expected: String, actual: Vec<i64>) -> DecodeError {
    DecodeError::Shape {
        format: FORMAT,
        expected,
        actual,
    }
}

/// Decodes DETR-style outputs per image: `logits` `[N, Q, C]` (sigmoid, RT-DETR) or
/// `[N, Q, C+1]` (softmax with a trailing "no object" column, original DETR, chosen by
/// `p.detr_softmax_background`), and `boxes` `[N, Q, 4]` normalised `cx, cy, w, h`, which are
/// scaled by `p.input_size`.
///
/// Each query yields at most one detection, its best class. Set prediction rarely produces
/// duplicates, but it can, so class-aware NMS and the cross-class pass still run.
pub fn decode_detr(
    logits: &Tensor,
    boxes: &Tensor,
    p: &DecodeParams,
) -> Result<Vec<Vec<RawDetection>>, DecodeError> {
    let (logits_expected, min_columns) = if p.detr_softmax_background {
        (
            "[N, Q, C+1] class logits, last column \"no object\", C >= 1",
            2,
        )
    } else {
        ("[N, Q, C] class logits, C >= 1", 1)
    };
    let logits_shape = logits.size();
    let (n, q, columns) = match dims_usize(&logits_shape).as_slice() {
        &[n, q, c] if c >= min_columns => (n, q, c),
        _ => return Err(shape_error(logits_expected.to_owned(), logits_shape)),
    };
    let boxes_shape = boxes.size();
    if dims_usize(&boxes_shape) != [n, q, 4] {
        return Err(shape_error(
            format!("boxes [{n}, {q}, 4] (normalised cx, cy, w, h) to match the logits"),
            boxes_shape,
        ));
    }
    let logits = to_host_f32(logits)?;
    let boxes = to_host_f32(boxes)?;
    let [width, height] = p.input_size;

    let images = (0..n)
        .map(|i| {
            let rows = logits[i * q * columns..(i + 1) * q * columns].chunks_exact(columns);
            let cells = boxes[i * q * 4..(i + 1) * q * 4].chunks_exact(4);
            let dets = rows
                .zip(cells)
                .filter_map(|(row, b)| {
                    let (class_id, score) = classify(row, p.detr_softmax_background)?;
                    let &[cx, cy, w, h] = b else {
                        return None;
                    };
                    let xyxy = cxcywh_to_xyxy(cx * width, cy * height, w * width, h * height);
                    candidate(xyxy, score, class_id, p)
                })
                .collect();
            finish(dets, Some(p.iou_threshold), p)
        })
        .collect();
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::super::{decode, OutputFormat};
    use super::*;

    fn tensor(rows: &[&[f32]]) -> Tensor {
        let width = rows[0].len() as i64;
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Tensor::from_slice(&flat).reshape([1, rows.len() as i64, width])
    }

    fn sigmoid(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    fn params(softmax: bool) -> DecodeParams {
        DecodeParams {
            input_size: [640.0, 480.0],
            detr_softmax_background: softmax,
            ..DecodeParams::default()
        }
    }

    fn assert_det(d: &RawDetection, xyxy: [f32; 4], score: f32, class_id: usize) {
        assert_eq!([d.x1, d.y1, d.x2, d.y2], xyxy, "{d:?}");
        assert!((d.score - score).abs() < 1e-5, "{d:?} vs score {score}");
        assert_eq!(d.class_id, class_id, "{d:?}");
    }

    #[test]
    fn sigmoid_variant_scales_boxes_and_dedups() {
        let logits = tensor(&[
            &[-5.0, 2.0, -5.0],
            &[-3.0, -3.0, -3.0],
            &[0.0, -5.0, -5.0],
            // A near-copy of query 0, as set prediction occasionally emits.
            &[-5.0, 1.0, -5.0],
        ]);
        let boxes = tensor(&[
            &[0.5, 0.5, 0.25, 0.5],
            &[0.25, 0.25, 0.1, 0.1],
            &[0.125, 0.25, 0.125, 0.25],
            &[0.5078125, 0.5, 0.25, 0.5],
        ]);
        let out = decode_detr(&logits, &boxes, &params(false)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 2, "{:?}", out[0]);
        assert_det(&out[0][0], [240.0, 120.0, 400.0, 360.0], sigmoid(2.0), 1);
        assert_det(&out[0][1], [40.0, 60.0, 120.0, 180.0], 0.5, 0);
    }

    #[test]
    fn softmax_variant_drops_background_queries() {
        let logits = tensor(&[&[3.0, 0.0, 0.0], &[2.0, -10.0, 2.5], &[0.0, 1.0, -1.0]]);
        let boxes = tensor(&[
            &[0.25, 0.25, 0.125, 0.125],
            &[0.5, 0.5, 0.25, 0.25],
            &[0.75, 0.75, 0.125, 0.125],
        ]);
        let out = decode_detr(&logits, &boxes, &params(true)).unwrap();
        let e = 1_f32.exp();
        assert_eq!(out[0].len(), 2, "{:?}", out[0]);
        let p0 = 3_f32.exp() / (3_f32.exp() + 2.0);
        assert_det(&out[0][0], [120.0, 90.0, 200.0, 150.0], p0, 0);
        assert_det(
            &out[0][1],
            [440.0, 330.0, 520.0, 390.0],
            e / (1.0 + e + 1.0 / e),
            1,
        );

        // Query 1 would pass the floor on its foreground share (0.38); only the background
        // argmax drops it. Read as sigmoid, the same column is an ordinary class.
        let out = decode_detr(&logits, &boxes, &params(false)).unwrap();
        assert!(out[0]
            .iter()
            .any(|d| d.class_id == 2 && (d.score - sigmoid(2.5)).abs() < 1e-5));
    }

    #[test]
    fn decode_needs_both_tensors() {
        let logits = tensor(&[&[1.0, 0.0]]);
        let err = decode(OutputFormat::Detr, &[logits], &params(false)).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::MissingOutput {
                format: "detr",
                expected: 2,
                actual: 1
            }
        ));
        assert!(err.to_string().contains("detr"), "{err}");
    }

    #[test]
    fn decode_dispatches_to_detr() {
        let logits = tensor(&[&[4.0, -4.0]]);
        let boxes = tensor(&[&[0.5, 0.5, 0.5, 0.5]]);
        let out = decode(OutputFormat::Detr, &[logits, boxes], &params(false)).unwrap();
        assert_det(&out[0][0], [160.0, 120.0, 480.0, 360.0], sigmoid(4.0), 0);
    }

    #[test]
    fn mismatched_shapes_are_reported() {
        let logits = tensor(&[&[1.0, 0.0], &[0.0, 1.0]]);
        let boxes = tensor(&[&[0.5, 0.5, 0.5, 0.5]]);
        let msg = decode_detr(&logits, &boxes, &params(false))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("detr") && msg.contains("[1, 1, 4]") && msg.contains("[1, 2, 4]"),
            "{msg}"
        );

        let one_column = tensor(&[&[1.0]]);
        let boxes = tensor(&[&[0.5, 0.5, 0.5, 0.5]]);
        let msg = decode_detr(&one_column, &boxes, &params(true))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("no object") && msg.contains("[1, 1, 1]"),
            "{msg}"
        );
        assert!(decode_detr(&one_column, &boxes, &params(false)).is_ok());
    }
}
