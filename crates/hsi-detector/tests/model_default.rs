//! The default detector (CenterNet COCO-80, converted from npm by our converter) through
//! the runtime the detection worker uses, on real photos with known contents.

use hsi_detector::{prepare, Detection, Detector, DetectorHandle, DetectorSettings};
use hsi_testkit::{centernet_model, photo};

fn settings() -> DetectorSettings {
    DetectorSettings {
        model_path: centernet_model(),
        device: "cpu".into(),
        ..DetectorSettings::default()
    }
}

fn detect(detector: &Detector, name: &str) -> Vec<Detection> {
    let image = image::open(photo(name)).expect("photo decodes");
    let prepared = prepare(&image);
    detector
        .detect(&[prepared])
        .expect("detection")
        .detections
        .remove(0)
}

/// The best detection of `class`, which must exist.
fn best<'a>(found: &'a [Detection], class: &str) -> &'a Detection {
    found
        .iter()
        .filter(|d| d.class_name == class)
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .unwrap_or_else(|| panic!("no {class} among {found:?}"))
}

fn centre(d: &Detection) -> (i32, i32) {
    (d.x + d.width / 2, d.y + d.height / 2)
}

#[test]
fn person_jpg_yields_a_person_where_the_person_stands() {
    let detector = Detector::load(&settings()).expect("model loads");
    let found = detect(&detector, "person.jpg"); // 640x424: a woman, a dog and a horse
    let person = best(&found, "person");
    assert!(person.confidence >= 0.5, "{person:?}");
    let (cx, cy) = centre(person);
    assert!(
        (190..290).contains(&cx) && (180..300).contains(&cy),
        "person centre {cx},{cy}"
    );
    assert!(person.height > 200, "a standing person is tall: {person:?}");
    // The horse is not a kept class by default, so it is not reported.
    assert!(found.iter().all(|d| d.class_name != "horse"), "{found:?}");
    for d in &found {
        assert!(
            d.x >= 0 && d.y >= 0 && d.x + d.width <= 640 && d.y + d.height <= 424,
            "inside the image: {d:?}"
        );
    }
}

#[test]
fn dog_jpg_yields_a_dog_a_bicycle_and_a_car_in_their_places() {
    let detector = Detector::load(&settings()).expect("model loads");
    let found = detect(&detector, "dog.jpg"); // 768x576: dog lower left, bicycle centre, car upper right
    let dog = best(&found, "dog");
    let (dx, dy) = centre(dog);
    assert!(
        dx < 384 && dy > 288,
        "dog in the lower left, centre {dx},{dy}"
    );
    let bicycle = best(&found, "bicycle");
    let (bx, by) = centre(bicycle);
    assert!(
        (200..560).contains(&bx) && (180..400).contains(&by),
        "bicycle in the middle, centre {bx},{by}"
    );
    let car = best(&found, "car");
    let (cx, cy) = centre(car);
    assert!(
        cx > 450 && cy < 200,
        "car in the upper right, centre {cx},{cy}"
    );
    // The same vehicle is not reported again as a truck (cross-class duplicate removed).
    assert!(
        found
            .iter()
            .filter(|d| d.class_name == "truck")
            .all(|t| centre(t).0 < 450),
        "{found:?}"
    );
}

#[test]
fn per_class_thresholds_and_kept_classes_apply() {
    let mut strict = settings();
    strict.class_thresholds.insert("dog".into(), 0.9);
    strict.kept_classes = vec!["dog".into(), "car".into()];
    let detector = Detector::load(&strict).expect("model loads");
    let found = detect(&detector, "dog.jpg");
    assert!(
        found.iter().all(|d| d.class_name == "car"),
        "dog below its own threshold, bicycle not kept: {found:?}"
    );
    assert!(!found.is_empty());
}

#[tokio::test]
async fn the_detector_thread_answers_concurrent_requests() {
    let detector = Detector::load(&settings()).expect("model loads");
    let handle = DetectorHandle::start(detector).expect("thread starts");
    let mut pending = Vec::new();
    for name in ["person.jpg", "dog.jpg", "person.jpg"] {
        let handle = handle.clone();
        let image = image::open(photo(name)).expect("photo decodes");
        pending.push(tokio::spawn(async move {
            let prepared = prepare(&image);
            handle.detect(prepared).await
        }));
    }
    let mut results = Vec::new();
    for task in pending {
        results.push(task.await.expect("task").expect("detected"));
    }
    assert!(results[0]
        .detections
        .iter()
        .any(|d| d.class_name == "person"));
    assert!(results[1]
        .detections
        .iter()
        .any(|d| d.class_name == "bicycle"));
    // Same image, same answer, up to the rounding of the batch each shared.
    assert_eq!(results[0].detections.len(), results[2].detections.len());
    for (a, b) in results[0].detections.iter().zip(&results[2].detections) {
        assert_eq!(
            (&a.class_name, a.x, a.y, a.width, a.height),
            (&b.class_name, b.x, b.y, b.width, b.height)
        );
        assert!((a.confidence - b.confidence).abs() < 1e-3, "{a:?} {b:?}");
    }
}

#[test]
fn a_missing_model_file_is_a_clear_error() {
    let settings = DetectorSettings {
        model_path: "/nonexistent/model.pt".into(),
        device: "cpu".into(),
        ..Default::default()
    };
    let err = Detector::load(&settings).expect_err("no such file");
    assert!(
        err.to_string()
            .starts_with("cannot load the detector model /nonexistent/model.pt"),
        "{err}"
    );
}

#[test]
fn the_wrong_output_format_is_a_clear_error() {
    let mut detr = settings();
    detr.output_format = Some(hsi_detector::decode::OutputFormat::Detr);
    // The warm-up only runs the forward pass; decoding fails on the first real image.
    let detector = Detector::load(&detr).expect("model loads");
    let image = image::open(photo("person.jpg")).expect("photo decodes");
    let err = detector
        .detect(&[prepare(&image)])
        .expect_err("a one-tensor output is not DETR's logits and boxes");
    let message = err.to_string();
    assert!(
        message.starts_with("the model's output does not decode"),
        "{message}"
    );
    assert!(message.contains("detr"), "{message}");
}
