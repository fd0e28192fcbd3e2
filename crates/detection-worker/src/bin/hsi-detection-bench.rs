//! Detection benchmark: images per second and milliseconds per stage (decode,
//! preprocess, forward, decode boxes, write) over a few hundred real photos, through
//! the same code the detection worker runs. `scripts/bench` is the way to run it.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use hsi_detection_worker::store;
use hsi_detector::{prepare, Detector, DetectorHandle, DetectorSettings};
use image::imageops::FilterType;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, NotSet};
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    model: PathBuf,
    photos: PathBuf,
    images: usize,
    device: String,
    batch_sizes: Vec<usize>,
    database_url: Option<String>,
    cpu_threads: usize,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        model: PathBuf::new(),
        photos: PathBuf::new(),
        images: 300,
        device: "auto".into(),
        batch_sizes: vec![1],
        database_url: None,
        cpu_threads: 0,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => options.model = value()?.into(),
            "--photos" => options.photos = value()?.into(),
            "--images" => {
                options.images = value()?.parse().map_err(|_| "--images needs a number")?
            }
            "--device" => options.device = value()?,
            "--batch-sizes" => {
                options.batch_sizes = value()?
                    .split(',')
                    .map(|b| b.trim().parse())
                    .collect::<Result<_, _>>()
                    .map_err(|_| "--batch-sizes needs numbers")?
            }
            "--database-url" => options.database_url = Some(value()?),
            "--cpu-threads" => {
                options.cpu_threads = value()?
                    .parse()
                    .map_err(|_| "--cpu-threads needs a number")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.model.as_os_str().is_empty() || options.photos.as_os_str().is_empty() {
        return Err("usage: hsi-detection-bench --model FILE --photos DIR [--images N] [--device auto|cpu|cuda:N] [--batch-sizes 1,2,4] [--database-url URL] [--cpu-threads N]".into());
    }
    Ok(options)
}

/// `count` distinct JPEGs made from the sample photos: crops, flips and rescales, so
/// the decoder and the model never see the same bytes twice.
fn make_images(photos: &std::path::Path, count: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(photos).map_err(|e| format!("{}: {e}", photos.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "jpg") {
            sources.push(image::open(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
    }
    if sources.is_empty() {
        return Err(format!("no .jpg photos in {}", photos.display()));
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut images = Vec::with_capacity(count);
    for i in 0..count {
        let source = &sources[i % sources.len()];
        let (w, h) = (source.width(), source.height());
        let keep = 60 + next() % 41; // keep 60..100 % of each side
        let (cw, ch) = (w * keep as u32 / 100, h * keep as u32 / 100);
        let (x, y) = (
            (next() % u64::from(w - cw + 1)) as u32,
            (next() % u64::from(h - ch + 1)) as u32,
        );
        let mut variant = source.crop_imm(x, y, cw, ch);
        if next() % 2 == 0 {
            variant = variant.fliph();
        }
        let width = 480 + (next() % 801) as u32; // 480..1280 wide, as cameras upload
        let height = (u64::from(width) * u64::from(ch) / u64::from(cw)).max(1) as u32;
        let variant = variant.resize_exact(width, height, FilterType::Triangle);
        let mut bytes = Vec::new();
        variant
            .to_rgb8()
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
            .map_err(|e| e.to_string())?;
        images.push(bytes);
    }
    Ok(images)
}

#[derive(Default)]
struct Stages {
    decode: Vec<Duration>,
    preprocess: Vec<Duration>,
    forward: Vec<Duration>,
    boxes: Vec<Duration>,
    write: Vec<Duration>,
    detections: usize,
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

async fn run_batch_size(
    detector: &DetectorHandle,
    images: &Arc<Vec<Vec<u8>>>,
    batch: usize,
    db: Option<&DatabaseConnection>,
) -> (f64, Stages) {
    let description = detector.description().clone();
    let concurrency = (2 * batch).max(2);
    let stages = Arc::new(std::sync::Mutex::new(Stages::default()));
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (detector, images, stages, next, db) = (
            detector.clone(),
            images.clone(),
            stages.clone(),
            next.clone(),
            db.cloned(),
        );
        let (w, h, range) = (
            description.input_width,
            description.input_height,
            description.pixel_range,
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(bytes) = images.get(i).cloned() else {
                    break;
                };
                let (prepared, decode, preprocess) = tokio::task::spawn_blocking(move || {
                    let t = Instant::now();
                    let image = image::load_from_memory(&bytes).expect("bench images decode");
                    let decode = t.elapsed();
                    let t = Instant::now();
                    let prepared = prepare(&image, w, h, range);
                    (prepared, decode, t.elapsed())
                })
                .await
                .expect("decode task");
                let result = detector.detect(prepared).await.expect("detection");
                let write = match &db {
                    Some(db) => Some(write_rows(db, i, &result.detections).await),
                    None => None,
                };
                let mut s = stages.lock().expect("stats");
                s.decode.push(decode);
                s.preprocess.push(preprocess);
                s.forward.push(result.forward / result.batch_size as u32);
                s.boxes.push(result.decode / result.batch_size as u32);
                s.write.extend(write);
                s.detections += result.detections.len();
            }
        }));
    }
    for worker in workers {
        worker.await.expect("bench worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stages = std::mem::take(&mut *stages.lock().expect("stats"));
    (images.len() as f64 / elapsed, stages)
}

async fn write_rows(
    db: &DatabaseConnection,
    image: usize,
    found: &[hsi_detector::Detection],
) -> Duration {
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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            return std::process::ExitCode::from(2);
        }
    };
    let images = match make_images(&options.photos, options.images) {
        Ok(images) => Arc::new(images),
        Err(err) => {
            eprintln!("cannot make the bench images: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let db = match &options.database_url {
        Some(url) => {
            let db = sea_orm::Database::connect(url.as_str())
                .await
                .expect("bench database");
            db.execute_unprepared("INSERT INTO cameras (id, name, folder_path) VALUES ('bench', 'Bench', '/bench') ON CONFLICT DO NOTHING")
                .await
                .expect("bench camera");
            Some(db)
        }
        None => None,
    };
    println!(
        "images: {} distinct JPEGs (480-1280 px wide) made from {}",
        images.len(),
        options.photos.display()
    );
    for &batch in &options.batch_sizes {
        let settings = DetectorSettings {
            model_path: options.model.clone(),
            device: options.device.clone(),
            max_batch_size: batch,
            cpu_threads: options.cpu_threads,
            ..DetectorSettings::default()
        };
        let detector = match Detector::load(&settings) {
            Ok(detector) => detector,
            Err(err) => {
                eprintln!("cannot load the detector: {err}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let device = hsi_detector::device::device_name(detector.device());
        let half = detector.is_half();
        let handle = DetectorHandle::start(detector).expect("detector thread");
        let effective = handle.description().max_batch_size;
        let (rate, stages) = run_batch_size(&handle, &images, batch, db.as_ref()).await;
        println!();
        println!(
            "device {device} (half precision: {half}), max batch {effective}, {} detections kept",
            stages.detections
        );
        println!("  throughput: {rate:.1} images/s");
        println!("  stage (ms per image)    mean      p50      p95");
        println!("  decode JPEG         {}", stat(&stages.decode));
        println!("  preprocess          {}", stat(&stages.preprocess));
        println!("  forward             {}", stat(&stages.forward));
        println!("  decode boxes        {}", stat(&stages.boxes));
        println!("  write (PostgreSQL)  {}", stat(&stages.write));
    }
    std::process::ExitCode::SUCCESS
}
