//! The default detector in half precision and in batches, on the CPU: its weights are
//! real parameters that follow the requested precision, fp16 and bf16 find what fp32
//! finds, a batch finds what single images find, and the shipped profile's thresholds
//! make a clear person take the fast path.

use hsi_detector::{
    decode_file, prepare, prepare_scaled, Detection, Detector, DetectorHandle, DetectorSettings,
    Precision,
};
use hsi_testkit::{centernet_model, photo};
use tch::{Device, Kind};

const PHOTOS: [&str; 4] = ["person.jpg", "dog.jpg", "horses.jpg", "kite.jpg"];

fn settings(precision: Precision) -> DetectorSettings {
    DetectorSettings {
        model_path: centernet_model(),
        device: "cpu".into(),
        precision,
        ..DetectorSettings::default()
    }
}

fn detect_one(detector: &Detector, name: &str) -> Vec<Detection> {
    let image = image::open(photo(name)).expect("photo decodes");
    detector
        .detect(&[prepare(&image)])
        .expect("detection")
        .detections
        .remove(0)
}

/// Every detection of `a` scoring at least `margin` above its threshold has a match in
/// `b`: the same class, each edge within `pixels`, the score within `score`. Detections
/// right at the threshold may fall either side of it in another precision.
fn assert_covered(a: &[Detection], b: &[Detection], pixels: i32, score: f32, what: &str) {
    for d in a.iter().filter(|d| d.confidence >= 0.4) {
        let found = b.iter().find(|e| {
            e.class_name == d.class_name
                && (e.x - d.x).abs() <= pixels
                && (e.y - d.y).abs() <= pixels
                && ((e.x + e.width) - (d.x + d.width)).abs() <= pixels
                && ((e.y + e.height) - (d.y + d.height)).abs() <= pixels
                && (e.confidence - d.confidence).abs() <= score
        });
        assert!(found.is_some(), "{what}: {d:?} has no match among {b:?}");
    }
}

#[test]
fn the_weights_are_parameters_that_take_the_requested_precision() {
    let model = centernet_model();
    assert_eq!(
        hsi_detector::jit::tensor_constants(&model).expect("module reads"),
        0,
        "no weight is left baked into the graph"
    );
    for (precision, kind) in [
        (Precision::Fp32, Kind::Float),
        (Precision::Fp16, Kind::Half),
        (Precision::Bf16, Kind::BFloat16),
    ] {
        let detector = Detector::load(&settings(precision)).expect("model loads");
        assert_eq!(detector.kind(), kind);
        let parameters = detector.parameters().expect("parameters");
        // The converted CenterNet's 172 float weights (its integer index tensors are
        // buffers, which keep their kind).
        assert!(parameters.len() >= 100, "{} parameters", parameters.len());
        for (name, tensor) in &parameters {
            assert_eq!(tensor.kind(), kind, "{name} in {precision:?}");
            assert_eq!(tensor.device(), Device::Cpu, "{name}");
        }
    }
}

#[test]
fn fp16_and_bf16_find_what_fp32_finds() {
    // Every class kept, so the horses and the kites are compared too.
    let every_class = |precision| DetectorSettings {
        kept_classes: hsi_detector::classes::COCO80
            .iter()
            .map(|c| (*c).to_owned())
            .collect(),
        ..settings(precision)
    };
    let fp32 = Detector::load(&every_class(Precision::Fp32)).expect("fp32 loads");
    // Tolerances: fp16 keeps 11 significant bits, bf16 8, so bf16 boxes (in 512-pixel
    // model coordinates, scaled to the photo) and scores may move further.
    for (precision, pixels, score) in [(Precision::Fp16, 4, 0.03), (Precision::Bf16, 10, 0.08)] {
        let reduced = Detector::load(&every_class(precision)).expect("model loads");
        for name in PHOTOS {
            let expected = detect_one(&fp32, name);
            let found = detect_one(&reduced, name);
            assert!(!expected.is_empty(), "{name}: fp32 finds something");
            assert_covered(
                &expected,
                &found,
                pixels,
                score,
                &format!("{precision:?} {name}"),
            );
            assert_covered(
                &found,
                &expected,
                pixels,
                score,
                &format!("fp32 vs {precision:?} {name}"),
            );
        }
    }
}

#[tokio::test]
async fn a_batch_finds_what_single_images_find() {
    let single = Detector::load(&settings(Precision::Fp32)).expect("model loads");
    let expected: Vec<_> = PHOTOS
        .iter()
        .map(|name| detect_one(&single, name))
        .collect();

    let batched = Detector::load(&DetectorSettings {
        max_batch_size: PHOTOS.len(),
        ..settings(Precision::Fp32)
    })
    .expect("model loads");
    let images: Vec<_> = PHOTOS
        .iter()
        .map(|name| prepare(&image::open(photo(name)).expect("photo decodes")))
        .collect();
    let output = batched.detect(&images).expect("one batch");
    assert_eq!(output.detections.len(), PHOTOS.len());
    for ((name, one), together) in PHOTOS.iter().zip(&expected).zip(&output.detections) {
        assert_covered(one, together, 1, 0.002, &format!("batched {name}"));
        assert_covered(together, one, 1, 0.002, &format!("single {name}"));
    }

    // Through the detector's threads: queued together, they share forward passes.
    let handle = DetectorHandle::start(batched).expect("threads start");
    let pending: Vec<_> = PHOTOS
        .iter()
        .map(|name| {
            let handle = handle.clone();
            let image = image::open(photo(name)).expect("photo decodes");
            tokio::spawn(async move { handle.detect(prepare(&image)).await })
        })
        .collect();
    let mut largest = 0;
    for ((name, one), task) in PHOTOS.iter().zip(&expected).zip(pending) {
        let result = task.await.expect("task").expect("detected");
        largest = largest.max(result.batch_size);
        assert_covered(one, &result.detections, 1, 0.002, &format!("queued {name}"));
    }
    assert!(
        largest > 1,
        "images queued while the model was busy shared a pass"
    );
}

#[test]
fn a_jpeg_decoded_at_a_reduced_scale_finds_the_same_objects() {
    // A 1600-pixel-wide copy of the kite photo decodes at 1/2 for a 512x512 model.
    let dir = tempfile::tempdir().expect("tempdir");
    let large = dir.path().join("kite-large.jpg");
    image::open(photo("kite.jpg"))
        .expect("photo decodes")
        .resize_exact(1600, 1064, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .save(&large)
        .expect("written");
    let detector = Detector::load(&settings(Precision::Fp32)).expect("model loads");
    let whole = detector
        .detect(&[prepare(&image::open(&large).expect("decodes"))])
        .expect("detects")
        .detections
        .remove(0);
    let decoded = decode_file(&large, (512, 512), 1 << 30).expect("decodes");
    assert_eq!(decoded.image.width(), 800, "decoded at half scale");
    let reduced = detector
        .detect(&[prepare_scaled(
            &decoded.image,
            decoded.original_width,
            decoded.original_height,
        )])
        .expect("detects")
        .detections
        .remove(0);
    let people = |found: &[Detection]| found.iter().filter(|d| d.class_name == "person").count();
    assert!(people(&whole) >= 5, "{whole:?}");
    // Boxes are in the original's pixels either way; the decoders differ slightly.
    assert_covered(&whole, &reduced, 12, 0.08, "reduced decode");
}

#[test]
fn the_default_profile_sends_a_clear_person_down_the_fast_path() {
    let detector = Detector::load(&DetectorSettings {
        model_path: centernet_model(),
        device: "cpu".into(),
        ..DetectorSettings::default()
    })
    .expect("model loads");
    let description = detector.describe();
    assert_eq!(description.profile, "built-in centernet-coco80");
    let found = detect_one(&detector, "person.jpg");
    let person = found
        .iter()
        .filter(|d| d.class_name == "person")
        .map(|d| d.confidence)
        .fold(0.0_f32, f32::max);
    assert!(
        person >= description.fast_path_min_confidence,
        "the woman in person.jpg scores {person}, the profile's fast path needs {}",
        description.fast_path_min_confidence
    );
    // Nothing else in the sample photos is a person that sure of itself.
    for name in ["dog.jpg", "horses.jpg"] {
        let best = detect_one(&detector, name)
            .iter()
            .filter(|d| d.class_name == "person")
            .map(|d| d.confidence)
            .fold(0.0_f32, f32::max);
        assert!(
            best < description.fast_path_min_confidence,
            "{name}: a person at {best}"
        );
    }
}

#[test]
fn a_model_with_weights_baked_into_its_graph_is_refused_in_half_precision() {
    // What the converter wrote before it lifted the weights: a traced module whose
    // float weights are graph constants.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("baked.pt");
    let weight = tch::Tensor::ones([3, 1, 1], (Kind::Float, Device::Cpu));
    let module = tch::CModule::create_by_tracing(
        "Baked",
        "forward",
        &[tch::Tensor::zeros([1, 3, 8, 8], (Kind::Float, Device::Cpu))],
        &mut |inputs| vec![&inputs[0] * &weight],
    )
    .expect("traced");
    module.save(&path).expect("saved");
    assert!(hsi_detector::jit::tensor_constants(&path).expect("reads") >= 1);
    let err = Detector::load(&DetectorSettings {
        model_path: path.clone(),
        profile: "centernet-coco80".into(),
        ..settings(Precision::Fp16)
    })
    .expect_err("cannot run in fp16");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot run the detector model in fp16"),
        "{message}"
    );
    assert!(
        message.contains("baked into the graph as constants"),
        "{message}"
    );
}
