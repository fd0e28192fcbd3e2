//! Greedy non-maximum suppression, within a class and across classes.

use super::RawDetection;

/// Sorts by score, highest first; stable, so equal scores keep their input order and the
/// result does not depend on the sort algorithm.
fn sort_by_score_desc(dets: &mut [RawDetection]) {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
}

/// Greedy keep-best pass: a box survives unless it overlaps an already-kept box for which
/// `competes` holds by more than `iou`.
fn greedy(
    mut dets: Vec<RawDetection>,
    iou: f32,
    competes: impl Fn(&RawDetection, &RawDetection) -> bool,
) -> Vec<RawDetection> {
    sort_by_score_desc(&mut dets);
    let mut kept: Vec<RawDetection> = Vec::with_capacity(dets.len());
    for d in dets {
        if !kept.iter().any(|k| competes(k, &d) && k.iou(&d) > iou) {
            kept.push(d);
        }
    }
    kept
}

/// Greedy NMS, class-aware (only same class suppresses) — sort by score desc, keep, drop overlaps > iou.
pub fn nms_per_class(dets: Vec<RawDetection>, iou: f32) -> Vec<RawDetection> {
    greedy(dets, iou, |a, b| a.class_id == b.class_id)
}

/// Drops a box that overlaps a higher-scored box of any class by more than `iou` (same object, two labels).
/// `iou >= 1.0` disables it; the result is sorted by score, highest first, either way.
pub fn suppress_cross_class(mut dets: Vec<RawDetection>, iou: f32) -> Vec<RawDetection> {
    if iou >= 1.0 {
        // Identical boxes have IoU exactly 1, and "disabled" must keep them too.
        sort_by_score_desc(&mut dets);
        return dets;
    }
    greedy(dets, iou, |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(b: [f32; 4], score: f32, class_id: usize) -> RawDetection {
        RawDetection {
            x1: b[0],
            y1: b[1],
            x2: b[2],
            y2: b[3],
            score,
            class_id,
        }
    }

    #[test]
    fn iou_matches_hand_computation() {
        let a = det([0.0, 0.0, 10.0, 10.0], 1.0, 0);
        let b = det([5.0, 5.0, 15.0, 15.0], 1.0, 0);
        assert_eq!(a.area(), 100.0);
        assert!((a.iou(&b) - 25.0 / 175.0).abs() < 1e-6);
        assert!((b.iou(&a) - 25.0 / 175.0).abs() < 1e-6);
        assert_eq!(a.iou(&a), 1.0);
        let far = det([20.0, 20.0, 30.0, 30.0], 1.0, 0);
        assert_eq!(a.iou(&far), 0.0);
        let touching = det([10.0, 0.0, 20.0, 10.0], 1.0, 0);
        assert_eq!(a.iou(&touching), 0.0);
        let empty = det([3.0, 3.0, 3.0, 3.0], 1.0, 0);
        assert_eq!(empty.iou(&empty), 0.0);
    }

    #[test]
    fn nms_suppresses_only_within_a_class() {
        let dets = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.6, 1),
            det([1.0, 0.0, 11.0, 10.0], 0.9, 1),
            det([0.0, 0.0, 10.0, 10.0], 0.7, 2),
        ];
        let kept = nms_per_class(dets, 0.45);
        assert_eq!(kept.len(), 2);
        assert_eq!((kept[0].class_id, kept[0].score), (1, 0.9));
        assert_eq!((kept[1].class_id, kept[1].score), (2, 0.7));
    }

    #[test]
    fn nms_keeps_overlap_at_or_below_threshold() {
        // IoU 25/175 ≈ 0.143.
        let dets = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.9, 0),
            det([5.0, 5.0, 15.0, 15.0], 0.8, 0),
        ];
        assert_eq!(nms_per_class(dets.clone(), 0.15).len(), 2);
        assert_eq!(nms_per_class(dets, 0.1).len(), 1);
    }

    #[test]
    fn results_are_ordered_by_score() {
        let dets = vec![
            det([0.0, 0.0, 1.0, 1.0], 0.3, 0),
            det([10.0, 0.0, 11.0, 1.0], 0.9, 1),
            det([20.0, 0.0, 21.0, 1.0], 0.6, 0),
        ];
        let scores: Vec<f32> = nms_per_class(dets.clone(), 0.5)
            .iter()
            .map(|d| d.score)
            .collect();
        assert_eq!(scores, [0.9, 0.6, 0.3]);
        let scores: Vec<f32> = suppress_cross_class(dets, 0.5)
            .iter()
            .map(|d| d.score)
            .collect();
        assert_eq!(scores, [0.9, 0.6, 0.3]);
    }

    #[test]
    fn equal_scores_keep_input_order() {
        // Same score, same box, same class: the first one given wins, every time.
        let first = det([0.0, 0.0, 10.0, 10.0], 0.5, 3);
        let second = det([0.0, 0.0, 10.0, 10.0], 0.5, 3);
        let second = RawDetection { x2: 10.5, ..second };
        let kept = nms_per_class(vec![first, second], 0.45);
        assert_eq!(kept, vec![first]);
        let kept = nms_per_class(vec![second, first], 0.45);
        assert_eq!(kept, vec![second]);

        let spread: Vec<RawDetection> = (0..5)
            .map(|i| det([i as f32 * 20.0, 0.0, i as f32 * 20.0 + 5.0, 5.0], 0.5, 0))
            .collect();
        assert_eq!(nms_per_class(spread.clone(), 0.45), spread);
    }

    #[test]
    fn cross_class_suppression_merges_labels_of_one_object() {
        let car = det([0.0, 0.0, 10.0, 10.0], 0.56, 2);
        let truck = det([0.0, 0.0, 10.0, 9.0], 0.32, 7);
        let other_car = det([20.0, 0.0, 30.0, 10.0], 0.5, 2);
        let kept = suppress_cross_class(vec![truck, car, other_car], 0.7);
        assert_eq!(kept, vec![car, other_car]);
        // 1.0 disables it, even for identical boxes.
        let same_box_truck = RawDetection { y2: 10.0, ..truck };
        let kept = suppress_cross_class(vec![same_box_truck, car], 1.0);
        assert_eq!(kept, vec![car, same_box_truck]);
    }
}
