//! Class names of the COCO-trained detectors, in the order their class ids use.

/// The 80 COCO class names in model order (0 = person ... 79 = toothbrush).
///
/// Spelled as Ultralytics spells them ("motorcycle", "airplane", "couch", "tv"), which is what
/// most exported models and their users expect.
pub const COCO80: [&str; 80] = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
];

/// The classes kept by default: person, car, truck, bus, motorcycle, bicycle, dog, cat, bird.
pub const DEFAULT_KEPT: [&str; 9] = [
    "person",
    "car",
    "truck",
    "bus",
    "motorcycle",
    "bicycle",
    "dog",
    "cat",
    "bird",
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn coco80_ids_match_the_standard_order() {
        let expected = [
            (0, "person"),
            (2, "car"),
            (3, "motorcycle"),
            (7, "truck"),
            (9, "traffic light"),
            (14, "bird"),
            (16, "dog"),
            (60, "dining table"),
            (62, "tv"),
            (67, "cell phone"),
            (79, "toothbrush"),
        ];
        for (id, name) in expected {
            assert_eq!(COCO80[id], name);
        }
        let unique: HashSet<_> = COCO80.iter().collect();
        assert_eq!(unique.len(), COCO80.len());
    }

    #[test]
    fn default_kept_are_coco_classes() {
        for name in DEFAULT_KEPT {
            assert!(COCO80.contains(&name), "{name}");
        }
    }
}
