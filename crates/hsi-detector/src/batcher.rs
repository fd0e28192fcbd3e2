//! Two threads run the model; callers send them images and await their detections.
//!
//! The input thread forms batches and puts them on the device: up to `max_batch_size`
//! images, on CUDA what arrived within `batch_timeout_ms` of the first, on the CPU what
//! is already queued plus whatever arrives while the model is still busy (so a deep
//! queue gives large batches and an idle worker answers at once). The model thread runs
//! the forward passes. A batch waits, uploaded, while the one before it runs, so on CUDA
//! the copy and resize of batch n+1 overlap the forward of batch n.

use crate::detector::{Detection, Detector, DetectorError, ModelDescription};
use crate::preprocess::{DeviceBatch, InputSpec, PreparedImage};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
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
        // One uploaded batch waits while another runs; more would only hold memory.
        let (ready, batches) = mpsc::sync_channel::<Uploaded>(1);
        let busy = Arc::new(AtomicBool::new(false));
        let processed = Arc::new(AtomicU64::new(0));
        let (counter, model_busy) = (processed.clone(), busy.clone());
        std::thread::Builder::new()
            .name("hsi-detector".to_owned())
            .spawn(move || {
                // libtorch's intra-op thread count is per thread (OpenMP): a new thread
                // starts with one per core whatever the loading thread set.
                tch::set_num_threads(i32::try_from(model_threads).unwrap_or(i32::MAX));
                run_model(detector, batches, &model_busy, &counter)
            })?;
        std::thread::Builder::new()
            .name("hsi-detector-input".to_owned())
            .spawn(move || {
                // The resize of a batch is small next to the forward pass; one thread
                // keeps it from taking cores the model is using.
                tch::set_num_threads(1);
                run_input(spec, queue, ready, max_batch, timeout, &busy)
            })?;
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

/// A batch on the device and the callers waiting for it.
struct Uploaded {
    /// `None` on the CPU, where the model thread uploads it.
    batch: Option<Result<DeviceBatch, tch::TchError>>,
    images: Vec<PreparedImage>,
    waiting: Vec<(Instant, oneshot::Sender<Result<ImageResult, DetectorError>>)>,
    started: Instant,
    upload: Duration,
}

fn run_input(
    spec: InputSpec,
    queue: mpsc::Receiver<Job>,
    ready: mpsc::SyncSender<Uploaded>,
    max_batch: usize,
    timeout: Duration,
    model_busy: &AtomicBool,
) {
    while let Ok(first) = queue.recv() {
        let deadline = Instant::now() + timeout;
        let mut batch = vec![first];
        while batch.len() < max_batch {
            let wait = deadline.saturating_duration_since(Instant::now());
            let next = if wait.is_zero() {
                if model_busy.load(Ordering::Acquire) {
                    // The model cannot take this batch yet: let it grow meanwhile.
                    queue.recv_timeout(Duration::from_millis(1))
                } else {
                    queue.try_recv().map_err(|_| RecvTimeoutError::Timeout)
                }
            } else {
                queue.recv_timeout(wait)
            };
            match next {
                Ok(job) => batch.push(job),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout)
                    if wait.is_zero() && model_busy.load(Ordering::Acquire) => {}
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        let started = Instant::now();
        let (images, waiting): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|job| (job.image, (job.submitted, job.reply)))
            .unzip();
        // On CUDA the upload of this batch overlaps the forward pass of the one before.
        // On the CPU the model thread resizes it instead, right before its forward pass:
        // running alongside, it would take a core from the model's threads, and every
        // parallel region of the forward pass would wait for the one descheduled.
        let uploaded = spec.device.is_cuda().then(|| spec.upload(&images));
        let upload = started.elapsed();
        let sent = ready.send(Uploaded {
            batch: uploaded,
            images,
            waiting,
            started,
            upload,
        });
        if sent.is_err() {
            break;
        }
    }
    tracing::debug!("detector input thread stopped");
}

fn run_model(
    detector: Detector,
    batches: mpsc::Receiver<Uploaded>,
    busy: &AtomicBool,
    processed: &AtomicU64,
) {
    while let Ok(uploaded) = batches.recv() {
        busy.store(true, Ordering::Release);
        let Uploaded {
            batch,
            images,
            waiting,
            started,
            upload,
        } = uploaded;
        let size = images.len();
        metrics::histogram!("hsi_detector_batch_size").record(size as f64);
        let (result, upload) = match batch {
            Some(batch) => (
                batch
                    .map_err(DetectorError::Upload)
                    .and_then(|batch| detector.detect_uploaded(&batch, &images)),
                upload,
            ),
            None => {
                let result = detector.detect(&images);
                let upload = result
                    .as_ref()
                    .map_or(Duration::ZERO, |output| output.upload);
                (result, upload)
            }
        };
        busy.store(false, Ordering::Release);
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
    tracing::debug!("detector thread stopped");
}
