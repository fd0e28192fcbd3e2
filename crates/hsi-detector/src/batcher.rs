//! The model runs on threads of its own; callers send them images and await their
//! detections. Up to `max_batch_size` queued images share a forward pass.
//!
//! On the CPU one thread gathers what is queued (never waiting for more: a deep queue
//! gives large batches, an idle worker answers at once), resizes it and runs it. Nothing
//! runs beside the forward pass there: on a machine whose cores all serve libtorch's
//! threads, another busy thread stalls every parallel region of the pass.
//!
//! On CUDA an input thread gathers up to `max_batch_size` images or what arrived within
//! `batch_timeout_ms` of the first, uploads and resizes them on the device, and hands
//! the batch to the model thread; so the upload of batch n+1 overlaps the forward of
//! batch n.

use crate::detector::{BatchOutput, Detection, Detector, DetectorError, ModelDescription};
use crate::preprocess::{DeviceBatch, InputSpec, PreparedImage};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The detections of one image and what it cost.
#[derive(Debug)]
pub struct ImageResult {
    pub detections: Vec<Detection>,
    /// Time from the request to the start of its batch's upload.
    pub queued: Duration,
    /// Uploading and resizing the whole batch it was part of, on the device.
    pub upload: Duration,
    /// The forward pass of the whole batch it was part of.
    pub forward: Duration,
    /// Decoding the batch's output.
    pub decode: Duration,
    /// How many images shared the forward pass.
    pub batch_size: usize,
}

struct Job {
    image: PreparedImage,
    submitted: Instant,
    reply: oneshot::Sender<Result<ImageResult, DetectorError>>,
}

/// A handle to the detector thread; clone it freely.
#[derive(Debug, Clone)]
pub struct DetectorHandle {
    jobs: mpsc::Sender<Job>,
    description: ModelDescription,
    processed: Arc<AtomicU64>,
    /// One permit per image decoder allowed to run (`detector.decode_threads`).
    decoders: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("submitted", &self.submitted)
            .finish_non_exhaustive()
    }
}

impl DetectorHandle {
    /// Moves the detector onto its threads. They end when every handle is dropped.
    pub fn start(detector: Detector) -> std::io::Result<Self> {
        let description = detector.describe();
        let max_batch = description.max_batch_size.max(1);
        // The CPU never holds a batch open: waiting would only add latency there.
        let timeout = if detector.device().is_cuda() {
            Duration::from_millis(detector.settings().batch_timeout_ms)
        } else {
            Duration::ZERO
        };
        let spec = detector.input_spec();
        let decoders = detector.settings().decode_threads_on(detector.device());
        let model_threads = detector.settings().cpu_threads_on(detector.device());
        let (jobs, queue) = mpsc::channel::<Job>();
        let processed = Arc::new(AtomicU64::new(0));
        let counter = processed.clone();
        // libtorch's intra-op thread count is per thread (OpenMP): a new thread starts
        // with one per core, whatever the loading thread set.
        let threads = i32::try_from(model_threads).unwrap_or(i32::MAX);
        if spec.device.is_cuda() {
            // One uploaded batch waits while another runs; more would only hold memory.
            let (ready, batches) = mpsc::sync_channel::<Uploaded>(1);
            std::thread::Builder::new()
                .name("hsi-detector".to_owned())
                .spawn(move || {
                    tch::set_num_threads(threads);
                    run_model(detector, batches, &counter)
                })?;
            std::thread::Builder::new()
                .name("hsi-detector-input".to_owned())
                .spawn(move || {
                    tch::set_num_threads(1);
                    run_input(spec, queue, ready, max_batch, timeout)
                })?;
        } else {
            std::thread::Builder::new()
                .name("hsi-detector".to_owned())
                .spawn(move || {
                    tch::set_num_threads(threads);
                    run_serial(detector, queue, max_batch, &counter)
                })?;
        }
        Ok(Self {
            jobs,
            description,
            processed,
            decoders: Arc::new(tokio::sync::Semaphore::new(decoders.max(1))),
        })
    }

    pub fn description(&self) -> &ModelDescription {
        &self.description
    }

    /// Waits for a decoder's turn; hold the permit while decoding. The decoders and the
    /// model's threads are sized together so they do not fight over the cores.
    pub async fn decode_permit(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.decoders
            .clone()
            .acquire_owned()
            .await
            .expect("the decoder semaphore is never closed")
    }

    /// Images through the model since start.
    pub fn images_processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// Detects objects in one prepared image.
    pub async fn detect(&self, image: PreparedImage) -> Result<ImageResult, DetectorError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                image,
                submitted: Instant::now(),
                reply,
            })
            .map_err(|_| DetectorError::Stopped)?;
        answer.await.map_err(|_| DetectorError::Stopped)?
    }
}

type Waiting = Vec<(Instant, oneshot::Sender<Result<ImageResult, DetectorError>>)>;

/// A batch on the device and the callers waiting for it.
struct Uploaded {
    batch: Result<DeviceBatch, tch::TchError>,
    images: Vec<PreparedImage>,
    waiting: Waiting,
    started: Instant,
    upload: Duration,
}

/// Blocks for a first job, then takes more up to `max_batch`: those already queued, and
/// those arriving within `timeout` of the first. `None` once every handle is gone.
fn gather(
    queue: &mpsc::Receiver<Job>,
    max_batch: usize,
    timeout: Duration,
) -> Option<(Vec<PreparedImage>, Waiting)> {
    let first = queue.recv().ok()?;
    let deadline = Instant::now() + timeout;
    let mut batch = vec![first];
    while batch.len() < max_batch {
        let wait = deadline.saturating_duration_since(Instant::now());
        let next = if wait.is_zero() {
            queue.try_recv().ok()
        } else {
            queue.recv_timeout(wait).ok()
        };
        match next {
            Some(job) => batch.push(job),
            None => break,
        }
    }
    Some(
        batch
            .into_iter()
            .map(|job| (job.image, (job.submitted, job.reply)))
            .unzip(),
    )
}

fn run_serial(
    detector: Detector,
    queue: mpsc::Receiver<Job>,
    max_batch: usize,
    processed: &AtomicU64,
) {
    while let Some((images, waiting)) = gather(&queue, max_batch, Duration::ZERO) {
        let started = Instant::now();
        let result = detector.detect(&images);
        let upload = result
            .as_ref()
            .map_or(Duration::ZERO, |output| output.upload);
        answer(result, waiting, started, upload, processed);
    }
    tracing::debug!("detector thread stopped");
}

fn run_input(
    spec: InputSpec,
    queue: mpsc::Receiver<Job>,
    ready: mpsc::SyncSender<Uploaded>,
    max_batch: usize,
    timeout: Duration,
) {
    while let Some((images, waiting)) = gather(&queue, max_batch, timeout) {
        let started = Instant::now();
        let batch = spec.upload(&images);
        let upload = started.elapsed();
        let uploaded = Uploaded {
            batch,
            images,
            waiting,
            started,
            upload,
        };
        if ready.send(uploaded).is_err() {
            break;
        }
    }
    tracing::debug!("detector input thread stopped");
}

fn run_model(detector: Detector, batches: mpsc::Receiver<Uploaded>, processed: &AtomicU64) {
    while let Ok(uploaded) = batches.recv() {
        let result = uploaded
            .batch
            .map_err(DetectorError::Upload)
            .and_then(|batch| detector.detect_uploaded(&batch, &uploaded.images));
        answer(
            result,
            uploaded.waiting,
            uploaded.started,
            uploaded.upload,
            processed,
        );
    }
    tracing::debug!("detector thread stopped");
}

/// Sends each caller its image's detections, or the batch's error.
fn answer(
    result: Result<BatchOutput, DetectorError>,
    waiting: Waiting,
    started: Instant,
    upload: Duration,
    processed: &AtomicU64,
) {
    let size = waiting.len();
    metrics::histogram!("hsi_detector_batch_size").record(size as f64);
    match result {
        Ok(output) => {
            processed.fetch_add(size as u64, Ordering::Relaxed);
            metrics::histogram!("hsi_detector_forward_seconds")
                .record(output.forward.as_secs_f64());
            for (detections, (submitted, reply)) in output.detections.into_iter().zip(waiting) {
                let _ = reply.send(Ok(ImageResult {
                    detections,
                    queued: started.saturating_duration_since(submitted),
                    upload,
                    forward: output.forward,
                    decode: output.decode,
                    batch_size: size,
                }));
            }
        }
        Err(err) => {
            tracing::error!(error = %err, batch = size, "detection failed");
            let message = err.to_string();
            for (_, reply) in waiting {
                let _ = reply.send(Err(DetectorError::Forward(tch::TchError::Torch(
                    message.clone(),
                ))));
            }
        }
    }
}
