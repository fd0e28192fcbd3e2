//! End to end: TF.js CenterNet -> TorchScript file -> detections on real photos.

use std::path::PathBuf;
use std::sync::OnceLock;

use hsi_detector::tfjs::export_torchscript;
use image::imageops::FilterType;
use tch::{CModule, Kind, Tensor};

const INPUT: u32 = 512;
const PERSON: i64 = 0;
const BICYCLE: i64 = 1;
const CAR: i64 = 2;
const DOG: i64 = 16;

fn cache_dir() -> PathBuf {
    std::env::var_os("HSI_CACHE").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/hsi"),
        PathBuf::from,
    )
}

fn required(path: PathBuf) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: run scripts/bootstrap",
        path.display()
    );
    path
}

fn model_json() -> PathBuf {
    let dir = cache_dir().join("models/centernet-tfjs");
    required(dir.join("centernet.bin"));
    required(dir.join("centernet.json"))
}

struct Converted {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// Converts once per test binary; every test then loads the saved file afresh.
fn module() -> CModule {
    static CONVERTED: OnceLock<Converted> = OnceLock::new();
    let converted = CONVERTED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir for the TorchScript file");
        let path = dir.path().join("centernet.pt");
        let report =
            export_torchscript(&model_json(), &path).expect("conversion succeeds and verifies");
        eprintln!("converted: {report:?}");
        Converted { _dir: dir, path }
    });
    CModule::load(&converted.path).expect("saved TorchScript loads")
}

/// A photo resized (no letterbox) to the model input: `[1, 3, 512, 512]` float 0..255,
/// and the original size.
fn photo(name: &str) -> (Tensor, [f32; 2]) {
    let path = required(cache_dir().join("photos").join(name));
    let img = image::open(&path).expect("photo decodes");
    let size = [img.width() as f32, img.height() as f32];
    let rgb = img
        .resize_exact(INPUT, INPUT, FilterType::Triangle)
        .to_rgb8();
    let data: Vec<f32> = rgb.as_raw().iter().map(|&b| f32::from(b)).collect();
    let side = i64::from(INPUT);
    let t = Tensor::from_slice(&data)
        .view([1, side, side, 3])
        .permute([0, 3, 1, 2])
        .contiguous();
    (t, size)
}

#[derive(Debug, Clone, Copy)]
struct Detection {
    class: i64,
    score: f32,
    /// `[x1, y1, x2, y2]` in original photo pixels.
    bbox: [f32; 4],
}

fn detect(module: &CModule, images: &Tensor) -> Tensor {
    let _no_grad = tch::no_grad_guard();
    let out = module.forward_ts(&[images]).expect("module runs");
    assert_eq!(out.size(), [images.size()[0], 100, 6], "detections shape");
    out.to_kind(Kind::Float)
}

fn rows(out: &Tensor, size: [f32; 2]) -> Vec<Detection> {
    let flat = Vec::<f32>::try_from(out.flatten(0, -1)).expect("float detections");
    let (sx, sy) = (size[0] / INPUT as f32, size[1] / INPUT as f32);
    flat.chunks_exact(6)
        .map(|r| Detection {
            class: r[5].round() as i64,
            score: r[4],
            bbox: [r[0] * sx, r[1] * sy, r[2] * sx, r[3] * sy],
        })
        .collect()
}

fn run_photo(module: &CModule, name: &str) -> Vec<Detection> {
    let (t, size) = photo(name);
    let dets = rows(&detect(module, &t), size);
    for d in dets.iter().filter(|d| d.score >= 0.2) {
        eprintln!(
            "{name}: class {} score {:.3} box {:?}",
            d.class,
            d.score,
            d.bbox.map(|v| v.round())
        );
    }
    dets
}

fn best(dets: &[Detection], class: i64) -> Detection {
    *dets
        .iter()
        .filter(|d| d.class == class)
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .unwrap_or_else(|| panic!("no detection of class {class} in {dets:?}"))
}

/// Centre of a box as fractions of the photo's width and height.
fn rel_center(d: &Detection, size: [f32; 2]) -> [f32; 2] {
    [
        (d.bbox[0] + d.bbox[2]) / 2.0 / size[0],
        (d.bbox[1] + d.bbox[3]) / 2.0 / size[1],
    ]
}

fn contains(outer: [f32; 4], inner: [f32; 4]) -> bool {
    outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
}

#[test]
fn person_photo_finds_the_person() {
    let module = module();
    let (_, size) = photo("person.jpg");
    let dets = run_photo(&module, "person.jpg");
    let person = best(&dets, PERSON);
    assert!(person.score >= 0.5, "person score {} < 0.5", person.score);
    // The woman stands left of centre in the 640x424 photo, head near the top and feet
    // near the bottom: the box must cover her torso-to-knees core and stay near her.
    assert!(
        contains(person.bbox, [205.0, 140.0, 260.0, 340.0]),
        "person box {:?} misses her",
        person.bbox
    );
    assert!(
        contains([140.0, 50.0, 330.0, size[1]], person.bbox),
        "person box {:?} too large",
        person.bbox
    );
    let dog = best(&dets, DOG);
    assert!(dog.score >= 0.3, "dog score {}", dog.score);
    let [x, y] = rel_center(&dog, size);
    assert!(
        x < 0.35 && y > 0.55,
        "the dog sits lower left, got centre ({x:.2}, {y:.2})"
    );
}

/// Whether a box centre (fractions of width and height) is where an object should be.
type Placement = fn([f32; 2]) -> bool;

#[test]
fn dog_photo_finds_dog_bicycle_and_car() {
    let module = module();
    let (_, size) = photo("dog.jpg");
    let dets = run_photo(&module, "dog.jpg");
    let expectations: [(i64, &str, Placement); 3] = [
        (DOG, "dog in the lower left", |[x, y]| x < 0.45 && y > 0.5),
        (BICYCLE, "bicycle in the centre", |[x, y]| {
            (0.3..0.6).contains(&x) && (0.35..0.65).contains(&y)
        }),
        (CAR, "car in the upper right", |[x, y]| x > 0.6 && y < 0.35),
    ];
    for (class, what, place) in expectations {
        let d = best(&dets, class);
        assert!(d.score >= 0.3, "{what}: score {} < 0.3", d.score);
        let c = rel_center(&d, size);
        assert!(
            place(c),
            "{what}: box {:?} has centre ({:.2}, {:.2})",
            d.bbox,
            c[0],
            c[1]
        );
    }
}

/// The module was traced at batch 1; a batch of 3 must give each image's own rows.
#[test]
fn batch_gives_the_same_rows_as_single_images() {
    let module = module();
    let names = ["person.jpg", "dog.jpg", "horses.jpg"];
    let images: Vec<Tensor> = names.iter().map(|n| photo(n).0).collect();
    let batch = detect(&module, &Tensor::cat(&images, 0));
    for (i, (name, image)) in names.iter().zip(&images).enumerate() {
        let alone = detect(&module, image);
        let side = INPUT as f32;
        let unit = [side, side];
        let (a, b) = (
            rows(&alone, unit),
            rows(&batch.narrow(0, i as i64, 1), unit),
        );
        // Rows of near-equal score may swap between batch sizes, so match each row to
        // any row with the same class; boxes compare in units of the input size.
        let close = |p: &Detection, q: &Detection| {
            p.class == q.class
                && (p.score - q.score).abs() <= 1e-3
                && p.bbox
                    .iter()
                    .zip(q.bbox)
                    .all(|(u, v)| (u - v).abs() / side <= 1e-3)
        };
        for (from, to, dir) in [(&a, &b, "alone->batch"), (&b, &a, "batch->alone")] {
            for row in from {
                assert!(
                    to.iter().any(|r| close(row, r)),
                    "{name} {dir}: no match for {row:?}"
                );
            }
        }
        let (sa, sb) = (a[0].score, b[0].score);
        assert!(
            (sa - sb).abs() <= 1e-3 && a[0].class == b[0].class,
            "{name}: top rows {:?} vs {:?}",
            a[0],
            b[0]
        );
    }
}

/// A graph with an op the interpreter lacks fails to load with an error naming the node
/// and the op, instead of panicking mid-conversion.
#[test]
fn unknown_op_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = serde_json::json!({
        "format": "graph-model",
        "modelTopology": { "node": [
            { "name": "images", "op": "Placeholder", "attr": {} },
            { "name": "probs", "op": "Softmax", "input": ["images"], "attr": {} }
        ]},
        "signature": { "outputs": { "probs": { "name": "probs" } } },
        "weightsManifest": []
    });
    let path = dir.path().join("model.json");
    std::fs::write(&path, json.to_string()).expect("write model.json");
    let err = hsi_detector::tfjs::TfjsGraph::load(&path).expect_err("Softmax is not implemented");
    let message = err.to_string();
    assert!(
        message.contains("probs") && message.contains("Softmax"),
        "unhelpful error: {message}"
    );
}
