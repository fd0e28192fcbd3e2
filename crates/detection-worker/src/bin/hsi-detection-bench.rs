//! Detection benchmark: the worker's own end-to-end throughput, from JPEG bytes to boxes
//! (decode at a reduced DCT scale, batching and the forward pass in `DetectorHandle`,
//! optionally the PostgreSQL write), per batch size and precision. Each measurement is
//! also printed as a `BENCH {json}` line that `scripts/bench` and `scripts/gpu-check`
//! set beside Python torch's forward-only figures.
//!
//! `--compare-cpu` instead runs the sample photos on the requested device in fp32 and
//! fp16 and on the CPU in fp32 and compares the detections; `--nvml-sample` adds one
//! NVML reading, taken mid-run, in the form the worker stores in `gpu_stats`.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use hsi_detection_worker::{gpu_stats, store};
use hsi_detector::{
    prepare_scaled, Detection, Detector, DetectorHandle, DetectorSettings, Precision,
};
use image::imageops::FilterType;
use image::DynamicImage;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, NotSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The worker's default `worker.max_image_pixels`.
const MAX_IMAGE_PIXELS: u64 = 100_000_000;

const USAGE: &str = "usage: hsi-detection-bench --model FILE --photos DIR [--images N] \
[--device auto|cpu|cuda:N] [--precision auto|fp32|fp16|bf16[,...]] [--batch-sizes 1,2,4] \
[--resolution mixed|1080p] [--database-url URL] [--cpu-threads N] [--decode-threads N] \
[--cuda-libtorch-dir DIR] [--nvml-sample] [--report FILE.md] | --compare-cpu ...";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    /// 480 to 1280 pixels wide, as cameras upload.
    Mixed,
    /// 1920x1080 stills.
    Hd1080,
}

impl Resolution {
    fn name(self) -> &'static str {
        match self {
            Self::Mixed => "mixed",
            Self::Hd1080 => "1080p",
        }
    }
}

#[derive(Debug)]
struct Options {
    model: PathBuf,
    photos: PathBuf,
    images: usize,
    device: String,
    precisions: Vec<Precision>,
    batch_sizes: Vec<usize>,
    resolution: Resolution,
    database_url: Option<String>,
    cpu_threads: usize,
    decode_threads: usize,
    cuda_libtorch_dir: Option<PathBuf>,
    compare_cpu: bool,
    nvml_sample: bool,
    report: Option<PathBuf>,
}

fn parse_precision(text: &str) -> Result<Precision, String> {
    match text.trim() {
        "auto" => Ok(Precision::Auto),
        "fp32" => Ok(Precision::Fp32),
        "fp16" => Ok(Precision::Fp16),
        "bf16" => Ok(Precision::Bf16),
        other => Err(format!(
            "--precision: {other:?} is not auto, fp32, fp16 or bf16"
        )),
    }
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{flag} needs a number, not {text:?}"))
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        model: PathBuf::new(),
        photos: PathBuf::new(),
        images: 300,
        device: "auto".into(),
        precisions: vec![Precision::Auto],
        batch_sizes: vec![1],
        resolution: Resolution::Mixed,
        database_url: None,
        cpu_threads: 0,
        decode_threads: 0,
        // The worker's own setting, so a machine configured for it needs no flag.
        cuda_libtorch_dir: std::env::var_os("HSI__DETECTOR__CUDA_LIBTORCH_DIR").map(PathBuf::from),
        compare_cpu: false,
        nvml_sample: false,
        report: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => options.model = value()?.into(),
            "--photos" => options.photos = value()?.into(),
            "--images" => options.images = number("--images", &value()?)?,
            "--device" => options.device = value()?,
            "--precision" => {
                options.precisions = value()?
                    .split(',')
                    .map(parse_precision)
                    .collect::<Result<_, _>>()?
            }
            "--batch-sizes" => {
                options.batch_sizes = value()?
                    .split(',')
                    .map(|b| number("--batch-sizes", b))
                    .collect::<Result<_, _>>()?
            }
            "--resolution" => {
                options.resolution = match value()?.as_str() {
                    "mixed" => Resolution::Mixed,
                    "1080p" => Resolution::Hd1080,
                    other => return Err(format!("--resolution: {other:?} is not mixed or 1080p")),
                }
            }
            "--database-url" => options.database_url = Some(value()?),
            "--cpu-threads" => options.cpu_threads = number("--cpu-threads", &value()?)?,
            "--decode-threads" => options.decode_threads = number("--decode-threads", &value()?)?,
            "--cuda-libtorch-dir" => options.cuda_libtorch_dir = Some(value()?.into()),
            "--compare-cpu" => options.compare_cpu = true,
            "--nvml-sample" => options.nvml_sample = true,
            "--report" => options.report = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if options.model.as_os_str().is_empty() || options.photos.as_os_str().is_empty() {
        return Err(USAGE.into());
    }
    if options.batch_sizes.contains(&0) || options.images == 0 {
        return Err("--batch-sizes and --images must be at least 1".into());
    }
    Ok(options)
}

fn settings_for(options: &Options, precision: Precision, batch: usize) -> DetectorSettings {
    DetectorSettings {
        model_path: options.model.clone(),
        device: options.device.clone(),
        precision,
        max_batch_size: batch,
        cpu_threads: options.cpu_threads,
        decode_threads: options.decode_threads,
        cuda_libtorch_dir: options.cuda_libtorch_dir.clone(),
        ..DetectorSettings::default()
    }
}

fn sample_photos(photos: &Path) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(photos).map_err(|e| format!("{}: {e}", photos.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "jpg") {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(format!("no .jpg photos in {}", photos.display()));
    }
    paths.sort();
    Ok(paths)
}

/// A small xorshift generator: the bench images are the same on every run and machine.
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Image `index` of the set: a crop (and maybe a mirror) of one sample photo, resized
/// to the resolution's size, so the decoder and the model never see the same bytes twice.
fn make_image(
    source: &DynamicImage,
    index: usize,
    resolution: Resolution,
) -> Result<Vec<u8>, String> {
    let mut next = xorshift(index as u64 + 1);
    let (w, h) = (source.width(), source.height());
    // Keep 60..100 % of each side: of the photo for the mixed set, which keeps its
    // aspect, and of its largest 16:9 box for 1080p.
    let keep = 60 + next() % 41;
    let (fw, fh) = match resolution {
        Resolution::Mixed => (w, h),
        Resolution::Hd1080 if u64::from(w) * 9 >= u64::from(h) * 16 => (h * 16 / 9, h),
        Resolution::Hd1080 => (w, w * 9 / 16),
    };
    let (cw, ch) = (
        (fw * keep as u32 / 100).max(1),
        (fh * keep as u32 / 100).max(1),
    );
    let (x, y) = (
        (next() % u64::from(w - cw + 1)) as u32,
        (next() % u64::from(h - ch + 1)) as u32,
    );
    let mut variant = source.crop_imm(x, y, cw, ch);
    if next().is_multiple_of(2) {
        variant = variant.fliph();
    }
    let (width, height, quality) = match resolution {
        Resolution::Mixed => {
            let width = 480 + (next() % 801) as u32;
            let height = (u64::from(width) * u64::from(ch) / u64::from(cw)).max(1) as u32;
            (width, height, 75)
        }
        Resolution::Hd1080 => (1920, 1080, 85),
    };
    let rgb = variant
        .resize_exact(width, height, FilterType::Triangle)
        .to_rgb8();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&rgb)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// `count` distinct JPEGs made from the sample photos, on every core.
fn make_images(
    photos: &Path,
    count: usize,
    resolution: Resolution,
) -> Result<Vec<Vec<u8>>, String> {
    let sources = sample_photos(photos)?
        .iter()
        .map(|path| image::open(path).map_err(|e| format!("{}: {e}", path.display())))
        .collect::<Result<Vec<_>, _>>()?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut images = vec![Vec::new(); count];
    std::thread::scope(|scope| {
        let chunk = count.div_ceil(threads);
        let workers: Vec<_> = images
            .chunks_mut(chunk)
            .enumerate()
            .map(|(n, slots)| {
                let sources = &sources;
                scope.spawn(move || {
                    for (offset, slot) in slots.iter_mut().enumerate() {
                        let index = n * chunk + offset;
                        *slot = make_image(&sources[index % sources.len()], index, resolution)?;
                    }
                    Ok::<_, String>(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "an image maker panicked".to_owned())?)
    })?;
    Ok(images)
}

/// Per-image figures of one timed run; batch-wide stages are divided by the batch size.
#[derive(Debug, Default)]
struct Stages {
    decode: Vec<Duration>,
    queued: Vec<Duration>,
    upload: Vec<Duration>,
    forward: Vec<Duration>,
    boxes: Vec<Duration>,
    write: Vec<Duration>,
    detections: usize,
    /// Sum over images of 1 / their batch's size: the number of forward passes.
    passes: f64,
}

fn mean_ms(samples: &[Duration]) -> Option<f64> {
    (!samples.is_empty()).then(|| {
        samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / samples.len() as f64
    })
}

fn stat(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "       -        -        -".into();
    }
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    format!("{mean:8.2} {:8.2} {:8.2}", pct(0.5), pct(0.95))
}

/// What one submitter needs; cloned into each.
#[derive(Clone)]
struct Feed {
    detector: DetectorHandle,
    images: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    count: usize,
    stages: Arc<Mutex<Stages>>,
    db: Option<DatabaseConnection>,
    gpu: Option<GpuProbe>,
}

/// One NVML reading, taken when image `at` is submitted.
#[derive(Clone)]
struct GpuProbe {
    at: usize,
    nvml: Arc<nvml_wrapper::Nvml>,
    index: u32,
    reading: Arc<Mutex<Option<gpu_stats::GpuSample>>>,
}

/// Feeds images `0..count` through the detector from `submitters` tasks, as the worker's
/// consumer does: a decode permit, the reduced decode, then a place in a batch.
async fn drive(feed: Feed, submitters: usize) -> Result<(Duration, Stages), String> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..submitters)
        .map(|_| tokio::spawn(submit(feed.clone())))
        .collect();
    for task in tasks {
        task.await
            .map_err(|e| format!("a submitter panicked: {e}"))??;
    }
    let elapsed = started.elapsed();
    let stages = std::mem::take(&mut *feed.stages.lock().map_err(|e| e.to_string())?);
    Ok((elapsed, stages))
}

async fn submit(feed: Feed) -> Result<(), String> {
    let description = feed.detector.description();
    let cover = (description.input_width, description.input_height);
    loop {
        let i = feed.next.fetch_add(1, Ordering::Relaxed);
        if i >= feed.count {
            return Ok(());
        }
        let permit = feed.detector.decode_permit().await;
        let images = feed.images.clone();
        let (prepared, decode) = tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let decoded = hsi_detector::decode(&images[i % images.len()], cover, MAX_IMAGE_PIXELS)
                .map_err(|e| format!("bench image {i}: {e}"))?;
            let prepared = prepare_scaled(
                &decoded.image,
                decoded.original_width,
                decoded.original_height,
            );
            Ok::<_, String>((prepared, t.elapsed()))
        })
        .await
        .map_err(|e| format!("decode task: {e}"))??;
        drop(permit);
        if let Some(probe) = feed.gpu.as_ref().filter(|probe| probe.at == i) {
            let device = probe
                .nvml
                .device_by_index(probe.index)
                .map_err(|e| format!("nvml device {}: {e}", probe.index))?;
            *probe.reading.lock().map_err(|e| e.to_string())? = Some(gpu_stats::sample(&device));
        }
        let result = feed
            .detector
            .detect(prepared)
            .await
            .map_err(|e| format!("detection of bench image {i}: {e}"))?;
        let write = match &feed.db {
            Some(db) => Some(write_rows(db, i, &result.detections).await),
            None => None,
        };
        let size = result.batch_size.max(1);
        let mut s = feed.stages.lock().map_err(|e| e.to_string())?;
        s.decode.push(decode);
        s.queued.push(result.queued);
        s.upload.push(result.upload / size as u32);
        s.forward.push(result.forward / size as u32);
        s.boxes.push(result.decode / size as u32);
        s.write.extend(write);
        s.detections += result.detections.len();
        s.passes += 1.0 / size as f64;
    }
}

async fn write_rows(db: &DatabaseConnection, image: usize, found: &[Detection]) -> Duration {
    let t = Instant::now();
    let message_id = format!("bench-{}-{image}", std::process::id());
    let rows =
        found
            .iter()
            .enumerate()
            .map(|(object, d)| hsi_db::entities::detections::ActiveModel {
                id: NotSet,
                camera_id: Set("bench".into()),
                file_path: Set(format!("/bench/{image}.jpg")),
                object_type: Set(Some(d.class_name.clone())),
                confidence: Set(Some(f64::from(d.confidence))),
                bbox_x: Set(Some(d.x)),
                bbox_y: Set(Some(d.y)),
                bbox_width: Set(Some(d.width)),
                bbox_height: Set(Some(d.height)),
                source_message_id: Set(Some(message_id.clone())),
                frame_index: Set(0),
                object_index: Set(object as i32),
                ..Default::default()
            });
    let source = store::Source {
        message_id: message_id.clone(),
        media_file_id: None,
    };
    store::record_detected(db, &source, 1, rows.collect())
        .await
        .expect("bench rows written");
    t.elapsed()
}

/// Shared by every measurement of one process.
struct Bench {
    options: Options,
    images: Arc<Vec<Vec<u8>>>,
    db: Option<DatabaseConnection>,
    nvml: Option<Arc<nvml_wrapper::Nvml>>,
    report: Vec<String>,
    /// Checks that failed without stopping the measurements.
    failures: Vec<String>,
}

/// Loads the detector for one (precision, batch size), warms the whole path up, then
/// times every bench image through it.
async fn measure(
    bench: &mut Bench,
    precision: Precision,
    batch: usize,
    last: bool,
) -> Result<(), String> {
    let settings = settings_for(&bench.options, precision, batch);
    let detector =
        Detector::load(&settings).map_err(|e| format!("cannot load the detector: {e}"))?;
    let (device, kind) = (detector.device(), detector.kind());
    let decoders = settings.decode_threads_on(device);
    let handle = DetectorHandle::start(detector).map_err(|e| format!("detector threads: {e}"))?;
    let description = handle.description().clone();
    // Enough waiting images that a full batch can form while the previous one runs.
    let submitters = 2 * batch + decoders;
    let feed = |count: usize, gpu| Feed {
        detector: handle.clone(),
        images: bench.images.clone(),
        next: Arc::new(AtomicUsize::new(0)),
        count,
        stages: Arc::new(Mutex::new(Stages::default())),
        db: bench.db.clone(),
        gpu,
    };
    // Warm-up: TorchScript's profiling runs, allocator growth, the first full batches.
    let warm = (2 * submitters).min(bench.images.len()).max(batch);
    drive(feed(warm, None), submitters).await?;

    let count = bench.images.len();
    let reading = Arc::new(Mutex::new(None));
    let probe = match (&bench.nvml, device) {
        (Some(nvml), tch::Device::Cuda(index)) if last => Some(GpuProbe {
            at: count / 2,
            nvml: nvml.clone(),
            index: u32::try_from(index).unwrap_or(0),
            reading: reading.clone(),
        }),
        _ => None,
    };
    let (elapsed, stages) = drive(feed(count, probe), submitters).await?;
    let rate = count as f64 / elapsed.as_secs_f64();
    let mean_batch = count as f64 / stages.passes.max(1e-9);
    let threads = tch::get_num_threads();
    let device_name = description.device.clone();
    let precision_name = Precision::name_of(kind);

    println!();
    println!(
        "device {device_name}, precision {precision_name}, max batch {batch}: {rate:.1} images/s, \
         mean batch {mean_batch:.2}, {} detections kept",
        stages.detections
    );
    println!(
        "  {submitters} submitters, {decoders} decoders, libtorch intra-op threads {threads}, \
         model input {}x{}",
        description.input_width, description.input_height
    );
    println!("  stage (ms per image)    mean      p50      p95");
    println!("  decode JPEG         {}", stat(&stages.decode));
    println!("  queued              {}", stat(&stages.queued));
    println!("  upload + resize     {}", stat(&stages.upload));
    println!("  forward             {}", stat(&stages.forward));
    println!("  decode boxes        {}", stat(&stages.boxes));
    println!("  write (PostgreSQL)  {}", stat(&stages.write));
    let line = serde_json::json!({
        "side": "worker",
        "device": device_name,
        "precision": precision_name,
        "batch": batch,
        "images": count,
        "resolution": bench.options.resolution.name(),
        "images_per_s": rate,
        "mean_batch": mean_batch,
        "threads": threads,
        "decoders": decoders,
        "submitters": submitters,
        "input": [description.input_width, description.input_height],
        "detections": stages.detections,
        "ms": {
            "decode": mean_ms(&stages.decode),
            "queued": mean_ms(&stages.queued),
            "upload": mean_ms(&stages.upload),
            "forward": mean_ms(&stages.forward),
            "boxes": mean_ms(&stages.boxes),
            "write": mean_ms(&stages.write),
        },
    });
    println!("BENCH {line}");

    if let Some(sample) = reading.lock().map_err(|e| e.to_string())?.take() {
        println!();
        println!(
            "gpu_stats row from NVML, read mid-run (inference_fps: this run's {rate:.1} images/s):"
        );
        println!("{sample:#?}");
        bench.report.push(format!(
            "## gpu_stats sample\n\nRead from NVML halfway through the {device_name} {precision_name} \
             batch-{batch} run with `gpu_stats::sample`, the function the worker's sampler \
             stores; `inference_fps` would be {rate:.1}.\n\n```text\n{sample:#?}\n```\n"
        ));
    } else if last && bench.nvml.is_some() {
        let failure =
            format!("--nvml-sample: no reading was taken ({device_name} is not a CUDA device)");
        eprintln!("error: {failure}");
        bench.failures.push(failure);
    }
    Ok(())
}

/// Every measurement; the report sections and the checks that failed along the way.
async fn run_bench(options: Options) -> Result<(Vec<String>, Vec<String>), String> {
    let started = Instant::now();
    let images = make_images(&options.photos, options.images, options.resolution)
        .map_err(|e| format!("cannot make the bench images: {e}"))?;
    let megabytes = images.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "images: {} distinct JPEGs ({}: {}), {megabytes:.1} MB, made from {} in {:.1} s",
        images.len(),
        options.resolution.name(),
        match options.resolution {
            Resolution::Mixed => "480-1280 px wide, quality 75",
            Resolution::Hd1080 => "1920x1080, quality 85",
        },
        options.photos.display(),
        started.elapsed().as_secs_f64()
    );
    let db = match &options.database_url {
        Some(url) => {
            let db = sea_orm::Database::connect(url.as_str())
                .await
                .map_err(|e| format!("bench database: {e}"))?;
            db.execute_unprepared("INSERT INTO cameras (id, name, folder_path) VALUES ('bench', 'Bench', '/bench') ON CONFLICT DO NOTHING")
                .await
                .map_err(|e| format!("bench camera: {e}"))?;
            Some(db)
        }
        None => None,
    };
    // A missing NVML fails the run at the end, not before the measurements.
    let mut failures = Vec::new();
    let nvml = if options.nvml_sample {
        match nvml_wrapper::Nvml::init() {
            Ok(nvml) => Some(Arc::new(nvml)),
            Err(err) => {
                eprintln!("error: --nvml-sample: nvml cannot be loaded: {err}");
                failures.push(format!("--nvml-sample: nvml cannot be loaded: {err}"));
                None
            }
        }
    } else {
        None
    };
    let runs: Vec<(Precision, usize)> = options
        .precisions
        .iter()
        .flat_map(|&p| options.batch_sizes.iter().map(move |&b| (p, b)))
        .collect();
    let mut bench = Bench {
        options,
        images: Arc::new(images),
        db,
        nvml,
        report: Vec::new(),
        failures,
    };
    for (n, &(precision, batch)) in runs.iter().enumerate() {
        measure(&mut bench, precision, batch, n + 1 == runs.len()).await?;
    }
    Ok((bench.report, bench.failures))
}

/// Detections of one detector over every sample photo.
struct CompareRun {
    label: String,
    found: Vec<Vec<Detection>>,
}

fn detect_photos(settings: &DetectorSettings, photos: &[PathBuf]) -> Result<CompareRun, String> {
    let detector = Detector::load(settings).map_err(|e| {
        format!(
            "cannot load the detector on {} in {}: {e}",
            settings.device,
            format!("{:?}", settings.precision).to_lowercase()
        )
    })?;
    let description = detector.describe();
    let parameters = detector
        .parameters()
        .map_err(|e| format!("parameters: {e}"))?;
    let misplaced: Vec<_> = parameters
        .iter()
        .filter(|(_, t)| t.device() != detector.device() || t.kind() != detector.kind())
        .map(|(name, t)| format!("{name} ({:?}, {:?})", t.device(), t.kind()))
        .collect();
    println!(
        "{} {}: {} weights, {} of them elsewhere or in another precision{}",
        description.device,
        description.precision,
        parameters.len(),
        misplaced.len(),
        if misplaced.is_empty() {
            String::new()
        } else {
            format!(": {}", misplaced.join(", "))
        }
    );
    if !misplaced.is_empty() {
        return Err(format!(
            "{} {}: weights are not where the detector runs",
            description.device, description.precision
        ));
    }
    let cover = (description.input_width, description.input_height);
    let mut found = Vec::new();
    for path in photos {
        let decoded = hsi_detector::decode_file(path, cover, MAX_IMAGE_PIXELS)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let prepared = prepare_scaled(
            &decoded.image,
            decoded.original_width,
            decoded.original_height,
        );
        let mut output = detector
            .detect(&[prepared])
            .map_err(|e| format!("{} on {}: {e}", path.display(), description.device))?;
        found.push(output.detections.remove(0));
    }
    Ok(CompareRun {
        label: format!("{} {}", description.device, description.precision),
        found,
    })
}

/// Detections confident enough that another device or precision must find them too.
const SURE: f32 = 0.4;

/// For each sure detection of `a`, the closest same-class box in `b`: the largest edge
/// distance in pixels and score difference over them, and how many had no match within
/// `(pixels, score)`.
fn differences(a: &[Detection], b: &[Detection], tolerance: (i32, f32)) -> (i32, f32, usize) {
    let (mut worst_px, mut worst_score, mut missing) = (0, 0.0_f32, 0);
    for d in a.iter().filter(|d| d.confidence >= SURE) {
        let best = b
            .iter()
            .filter(|e| e.class_name == d.class_name)
            .map(|e| {
                let px = [
                    (e.x - d.x).abs(),
                    (e.y - d.y).abs(),
                    (e.x + e.width - d.x - d.width).abs(),
                    (e.y + e.height - d.y - d.height).abs(),
                ]
                .into_iter()
                .max()
                .unwrap_or(0);
                (px, (e.confidence - d.confidence).abs())
            })
            .min_by_key(|&(px, _)| px);
        match best {
            Some((px, score)) if px <= tolerance.0 && score <= tolerance.1 => {
                worst_px = worst_px.max(px);
                worst_score = worst_score.max(score);
            }
            _ => missing += 1,
        }
    }
    (worst_px, worst_score, missing)
}

/// The sample photos on the requested device in fp32 and fp16 against the CPU in fp32.
fn compare_cpu(options: &Options) -> Result<(bool, String), String> {
    let photos = sample_photos(&options.photos)?;
    let on = |device: &str, precision| DetectorSettings {
        device: device.to_owned(),
        ..settings_for(options, precision, 1)
    };
    // The requested device first: CUDA support must be loaded before libtorch's first use.
    let runs = [
        detect_photos(&on(&options.device, Precision::Fp32), &photos)?,
        detect_photos(&on(&options.device, Precision::Fp16), &photos)?,
        detect_photos(&on("cpu", Precision::Fp32), &photos)?,
    ];
    // TF32 convolutions and the device's own resize move CUDA fp32 a little; fp16 more.
    let tolerances = [(4, 0.03_f32), (6, 0.05_f32)];
    let reference = &runs[2];
    let mut table = format!(
        "## {} vs CPU, sample photos\n\nDetections kept per photo; for each of the other runs the \
         largest box-edge (px) and score difference over detections scoring at least {SURE} \
         (either way round), and how many of those have no match within {} px / {} ({}) and \
         {} px / {} ({}).\n\n| photo | {a} | {b} | {cpu} | {a} vs cpu: px / score / unmatched | {b} vs cpu: px / score / unmatched | verdict |\n|---|---:|---:|---:|---|---|---|\n",
        options.device,
        tolerances[0].0,
        tolerances[0].1,
        runs[0].label,
        tolerances[1].0,
        tolerances[1].1,
        runs[1].label,
        a = runs[0].label,
        b = runs[1].label,
        cpu = reference.label,
    );
    let mut all_ok = true;
    for (i, path) in photos.iter().enumerate() {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut cells = Vec::new();
        let mut ok = true;
        for (run, &tolerance) in runs[..2].iter().zip(&tolerances) {
            let there = differences(&reference.found[i], &run.found[i], tolerance);
            let back = differences(&run.found[i], &reference.found[i], tolerance);
            let missing = there.2 + back.2;
            ok &= missing == 0;
            cells.push(format!(
                "{} / {:.4} / {missing}",
                there.0.max(back.0),
                there.1.max(back.1)
            ));
        }
        all_ok &= ok;
        table.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            runs[0].found[i].len(),
            runs[1].found[i].len(),
            reference.found[i].len(),
            cells[0],
            cells[1],
            if ok { "ok" } else { "MISMATCH" }
        ));
    }
    Ok((all_ok, table))
}

fn write_report(path: &Path, sections: &[String]) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for section in sections {
        writeln!(file, "{section}").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            return std::process::ExitCode::from(2);
        }
    };
    if options.device.trim() != "cpu" {
        // Before any other libtorch call, which would cache the absent CUDA hooks.
        match hsi_detector::device::load_cuda_libtorch(options.cuda_libtorch_dir.as_deref()) {
            Ok(path) => println!("cuda libtorch: loaded {}", path.display()),
            Err(reason) => println!("cuda libtorch: not loaded ({reason})"),
        }
        println!(
            "cuda: available {}, {} device(s), cudnn {}",
            tch::Cuda::is_available(),
            tch::Cuda::device_count(),
            tch::Cuda::cudnn_is_available()
        );
    }
    let report = options.report.clone();
    let (failures, sections) = if options.compare_cpu {
        match compare_cpu(&options) {
            Ok((ok, table)) => {
                println!();
                println!("{table}");
                let failures = if ok {
                    Vec::new()
                } else {
                    vec!["detections differ beyond the tolerances (see the table)".to_owned()]
                };
                (failures, vec![table])
            }
            Err(err) => {
                eprintln!("error: {err}");
                return std::process::ExitCode::FAILURE;
            }
        }
    } else {
        match run_bench(options).await {
            Ok((sections, failures)) => (failures, sections),
            Err(err) => {
                eprintln!("error: {err}");
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    if let Some(path) = report {
        if let Err(err) = write_report(&path, &sections) {
            eprintln!("error: {err}");
            return std::process::ExitCode::FAILURE;
        }
    }
    if failures.is_empty() {
        return std::process::ExitCode::SUCCESS;
    }
    for failure in failures {
        eprintln!("error: {failure}");
    }
    std::process::ExitCode::FAILURE
}
