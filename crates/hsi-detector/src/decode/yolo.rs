//! Ultralytics v8/v11 export: `[N, 4+C, A]` with rows `cx, cy, w, h` then `C` class scores.

use tch::Tensor;

use super::{
    candidate, cxcywh_to_xyxy, dims_usize, finish, to_host_f32, DecodeError, DecodeParams,
    RawDetection,
};

const FORMAT: &str = "yolo";

/// Where each value of one image lives in the flat buffer.
#[derive(Debug, Clone, Copy)]
struct Layout {
    batch: usize,
    /// 4 box values plus the class count.
    channels: usize,
    anchors: usize,
    /// True for the native `[N, 4+C, A]`, false for the transposed `[N, A, 4+C]`.
    channels_first: bool,
}

impl Layout {
    /// The two layouts differ only by a transpose, so the larger trailing dim is taken to be
    /// the anchors: real models have thousands of anchors and at most a few hundred classes.
    fn from_shape(shape: &[i64]) -> Option<Self> {
        let &[batch, d1, d2] = dims_usize(shape).as_slice() else {
            return None;
        };
        let (channels, anchors, channels_first) = if d1 <= d2 {
            (d1, d2, true)
        } else {
            (d2, d1, false)
        };
        (channels > 4).then_some(Layout {
            batch,
            channels,
            anchors,
            channels_first,
        })
    }

    fn index(&self, image: usize, anchor: usize, channel: usize) -> usize {
        let base = image * self.channels * self.anchors;
        if self.channels_first {
            base + channel * self.anchors + anchor
        } else {
            base + anchor * self.channels + channel
        }
    }
}

/// Decodes an Ultralytics v8/v11 `[N, 4+C, A]` output (class scores already sigmoid) per image;
/// the transposed `[N, A, 4+C]` is accepted when it is unambiguous (A > 4+C).
///
/// Each anchor's class is the argmax of its scores, and its score that maximum. Class-aware
/// NMS runs first, then the cross-class pass.
pub fn decode_yolo(
    output: &Tensor,
    p: &DecodeParams,
) -> Result<Vec<Vec<RawDetection>>, DecodeError> {
    let shape = output.size();
    let Some(layout) = Layout::from_shape(&shape) else {
        return Err(DecodeError::Shape {
            format: FORMAT,
            expected: "[N, 4+C, A] with C >= 1 (or the transposed [N, A, 4+C] when A > 4+C)"
                .to_owned(),
            actual: shape,
        });
    };
    let data = to_host_f32(output)?;
    let images = (0..layout.batch)
        .map(|i| {
            let at = |a: usize, c: usize| data[layout.index(i, a, c)];
            let dets = (0..layout.anchors)
                .filter_map(|a| {
                    let (class_id, score) = (4..layout.channels)
                        .map(|c| at(a, c))
                        .enumerate()
                        .fold((0, f32::NEG_INFINITY), |best, (k, s)| {
                            // Strict `>`: the first of equal scores wins and NaN never does.
                            if s > best.1 {
                                (k, s)
                            } else {
                                best
                            }
                        });
                    // Cheap early out: most anchors are background.
                    if score < p.score_floor {
                        return None;
                    }
                    let xyxy = cxcywh_to_xyxy(at(a, 0), at(a, 1), at(a, 2), at(a, 3));
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
    use tch::{Device, Kind};

    use super::*;

    const C: usize = 3;

    /// One anchor: `cx, cy, w, h` and `C` class scores.
    type Anchor = [f32; 4 + C];

    /// Builds the native `[1, 4+C, A]` layout from per-anchor rows.
    fn channels_first(anchors: &[Anchor]) -> Tensor {
        let a = anchors.len() as i64;
        let flat: Vec<f32> = anchors.iter().flatten().copied().collect();
        Tensor::from_slice(&flat)
            .reshape([1, a, (4 + C) as i64])
            .transpose(1, 2)
            .contiguous()
    }

    fn bg(cx: f32) -> Anchor {
        [cx, 300.0, 10.0, 10.0, 0.1, 0.05, 0.0]
    }

    /// C = 3, A = 8: class-1 pair at IoU 0.78, a class-2 box at IoU 0.51 with the best class-1
    /// box, a lone class-0 box, a degenerate high scorer and background.
    fn scene() -> Vec<Anchor> {
        vec![
            [50.0, 50.0, 40.0, 40.0, 0.1, 0.9, 0.2],
            [55.0, 50.0, 40.0, 40.0, 0.0, 0.8, 0.0],
            [63.0, 50.0, 40.0, 40.0, 0.0, 0.3, 0.7],
            [210.0, 220.0, 20.0, 40.0, 0.6, 0.0, 0.0],
            [100.0, 100.0, -5.0, 10.0, 0.95, 0.0, 0.0],
            bg(0.0),
            bg(20.0),
            bg(40.0),
        ]
    }

    fn summary(dets: &[RawDetection]) -> Vec<([f32; 4], f32, usize)> {
        dets.iter()
            .map(|d| ([d.x1, d.y1, d.x2, d.y2], d.score, d.class_id))
            .collect()
    }

    fn params(cross_class_iou: f32) -> DecodeParams {
        DecodeParams {
            cross_class_iou,
            ..DecodeParams::default()
        }
    }

    #[test]
    fn class_aware_nms_keeps_overlapping_boxes_of_other_classes() {
        let out = decode_yolo(&channels_first(&scene()), &params(1.0)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(
            summary(&out[0]),
            [
                ([30.0, 30.0, 70.0, 70.0], 0.9, 1),
                ([43.0, 30.0, 83.0, 70.0], 0.7, 2),
                ([200.0, 200.0, 220.0, 240.0], 0.6, 0),
            ]
        );
    }

    #[test]
    fn cross_class_pass_merges_the_overlapping_label() {
        let out = decode_yolo(&channels_first(&scene()), &params(0.4)).unwrap();
        assert_eq!(
            summary(&out[0]),
            [
                ([30.0, 30.0, 70.0, 70.0], 0.9, 1),
                ([200.0, 200.0, 220.0, 240.0], 0.6, 0),
            ]
        );
    }

    #[test]
    fn transposed_layout_and_batches_decode_the_same() {
        let native = channels_first(&scene());
        let transposed = native.transpose(1, 2);
        assert_eq!(transposed.size(), [1, 8, 7]);
        let p = params(1.0);
        let expected = decode_yolo(&native, &p).unwrap();
        assert_eq!(decode_yolo(&transposed, &p).unwrap(), expected);

        let second: Vec<Anchor> = vec![[16.0, 16.0, 8.0, 8.0, 0.0, 0.0, 0.5]; 8];
        let batch = Tensor::cat(&[native, channels_first(&second)], 0);
        let out = decode_yolo(&batch, &p).unwrap();
        assert_eq!(out[0], expected[0]);
        assert_eq!(summary(&out[1]), [([12.0, 12.0, 20.0, 20.0], 0.5, 2)]);
        let out = decode_yolo(&batch.transpose(1, 2), &p).unwrap();
        assert_eq!(summary(&out[1]), [([12.0, 12.0, 20.0, 20.0], 0.5, 2)]);
    }

    #[test]
    fn wrong_shapes_name_the_format_and_shapes() {
        for shape in [
            vec![84_i64, 8400],
            vec![1, 4, 100],
            vec![1, 100, 3],
            vec![1, 2, 3, 4],
        ] {
            let t = Tensor::zeros(shape.as_slice(), (Kind::Float, Device::Cpu));
            let err = decode_yolo(&t, &DecodeParams::default()).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, DecodeError::Shape { format: "yolo", .. }));
            assert!(msg.contains("yolo"), "{msg}");
            assert!(msg.contains(&format!("{shape:?}")), "{msg}");
            assert!(msg.contains("[N, 4+C, A]"), "{msg}");
        }
    }
}
