//! CenterNet export: `[N, K, 6]` rows of `x1, y1, x2, y2, score, class` in input pixels.

use tch::Tensor;

use super::{candidate, dims_usize, finish, to_host_f32, DecodeError, DecodeParams, RawDetection};

const FORMAT: &str = "centernet";

/// Decodes a `[N, K, 6]` CenterNet output (rows `x1, y1, x2, y2, score, class`) per image.
///
/// The heatmap peaks are already unique per class, so there is no per-class NMS; only the
/// cross-class pass runs, for the same object reported under two labels.
pub fn decode_centernet(
    output: &Tensor,
    p: &DecodeParams,
) -> Result<Vec<Vec<RawDetection>>, DecodeError> {
    let shape = output.size();
    let &[n, k, 6] = dims_usize(&shape).as_slice() else {
        return Err(DecodeError::Shape {
            format: FORMAT,
            expected: "[N, K, 6] (x1, y1, x2, y2, score, class)".to_owned(),
            actual: shape,
        });
    };
    let data = to_host_f32(output)?;
    let per_image = k * 6;
    let images = (0..n)
        .map(|i| {
            let rows = data[i * per_image..(i + 1) * per_image].chunks_exact(6);
            let dets = rows.filter_map(|r| row_to_detection(r, p)).collect();
            finish(dets, None, p)
        })
        .collect();
    Ok(images)
}

fn row_to_detection(r: &[f32], p: &DecodeParams) -> Option<RawDetection> {
    let &[x1, y1, x2, y2, score, class] = r else {
        return None;
    };
    // The export writes the class as a float; padding rows may carry -1 or NaN.
    let class = class.round();
    if !class.is_finite() || class < 0.0 {
        return None;
    }
    // Exact: `class` is a non-negative integral float by now.
    let class_id = class as usize;
    candidate([x1, y1, x2, y2], score, class_id, p)
}

#[cfg(test)]
mod tests {
    use tch::Kind;

    use super::*;

    fn tensor(rows: &[[f32; 6]], n: i64) -> Tensor {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let k = rows.len() as i64 / n;
        Tensor::from_slice(&flat).reshape([n, k, 6])
    }

    fn boxes(dets: &[RawDetection]) -> Vec<([f32; 4], f32, usize)> {
        dets.iter()
            .map(|d| ([d.x1, d.y1, d.x2, d.y2], d.score, d.class_id))
            .collect()
    }

    const PAD: [f32; 6] = [0.0, 0.0, 0.0, 0.0, 0.0, -1.0];

    #[test]
    fn decodes_rows_per_image_and_drops_below_floor() {
        let t = tensor(
            &[
                [10.0, 20.0, 50.0, 80.0, 0.9, 0.0],
                [100.0, 100.0, 150.0, 140.0, 0.4, 2.0],
                [200.0, 200.0, 220.0, 230.0, 0.1, 2.0],
                // image 2
                [5.0, 5.0, 15.0, 25.0, 0.3, 16.0],
                [60.0, 60.0, 70.0, 70.0, 0.6, 1.0],
                PAD,
            ],
            2,
        );
        let out = decode_centernet(&t, &DecodeParams::default()).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            boxes(&out[0]),
            [
                ([10.0, 20.0, 50.0, 80.0], 0.9, 0),
                ([100.0, 100.0, 150.0, 140.0], 0.4, 2)
            ]
        );
        assert_eq!(
            boxes(&out[1]),
            [
                ([60.0, 60.0, 70.0, 70.0], 0.6, 1),
                ([5.0, 5.0, 15.0, 25.0], 0.3, 16)
            ]
        );
    }

    #[test]
    fn same_vehicle_under_two_labels_keeps_the_better_one() {
        // car 0.56 and truck 0.32 on boxes with IoU 0.9; two cars side by side with IoU 0.
        let t = tensor(
            &[
                [0.0, 0.0, 100.0, 100.0, 0.56, 2.0],
                [0.0, 0.0, 100.0, 90.0, 0.32, 7.0],
                [200.0, 0.0, 300.0, 100.0, 0.5, 2.0],
                [300.0, 0.0, 400.0, 100.0, 0.45, 2.0],
            ],
            1,
        );
        let p = DecodeParams {
            score_floor: 0.3,
            ..DecodeParams::default()
        };
        let out = decode_centernet(&t, &p).unwrap();
        assert_eq!(
            boxes(&out[0]),
            [
                ([0.0, 0.0, 100.0, 100.0], 0.56, 2),
                ([200.0, 0.0, 300.0, 100.0], 0.5, 2),
                ([300.0, 0.0, 400.0, 100.0], 0.45, 2)
            ]
        );
    }

    #[test]
    fn invalid_class_and_degenerate_rows_are_dropped() {
        let t = tensor(
            &[
                [0.0, 0.0, 10.0, 10.0, 0.9, f32::NAN],
                [20.0, 0.0, 30.0, 10.0, 0.9, -1.0],
                [40.0, 0.0, 40.0, 10.0, 0.9, 1.0],
                [60.0, 0.0, 70.0, f32::INFINITY, 0.9, 1.0],
                [80.0, 0.0, 90.0, 10.0, 0.8, 2.9],
            ],
            1,
        );
        let out = decode_centernet(&t, &DecodeParams::default()).unwrap();
        assert_eq!(boxes(&out[0]), [([80.0, 0.0, 90.0, 10.0], 0.8, 3)]);
    }

    #[test]
    fn half_input_and_max_detections() {
        let rows: Vec<[f32; 6]> = (0..5)
            .map(|i| {
                let x = i as f32 * 32.0;
                [x, 0.0, x + 16.0, 16.0, 0.5 + i as f32 * 0.1, 0.0]
            })
            .collect();
        let t = tensor(&rows, 1).to_kind(Kind::Half);
        let p = DecodeParams {
            max_detections: 3,
            ..DecodeParams::default()
        };
        let out = decode_centernet(&t, &p).unwrap();
        let xs: Vec<f32> = out[0].iter().map(|d| d.x1).collect();
        assert_eq!(xs, [128.0, 96.0, 64.0]);
        // 0.9 is not representable in f16; the score comes back rounded, not garbled.
        assert!((out[0][0].score - 0.9).abs() < 1e-3);
    }

    #[test]
    fn wrong_shape_is_reported() {
        let t = Tensor::zeros([1, 10, 5], (Kind::Float, tch::Device::Cpu));
        let err = decode_centernet(&t, &DecodeParams::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("centernet") && msg.contains("[1, 10, 5]") && msg.contains("[N, K, 6]")
        );
    }
}
