//! The gRPC API: Detect on uploaded bytes, model information, and the standard health
//! service.

use hsi_detector::{prepare, DetectorHandle};
use hsi_proto::v1::detector_service_server::{DetectorService, DetectorServiceServer};
use hsi_proto::v1::{
    BoundingBox, DetectRequest, DetectResponse, DetectedObject, GetModelInfoRequest, ModelInfo,
};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Answers detection requests with the worker's own detector.
#[derive(Debug, Clone)]
pub struct DetectorApi {
    detector: DetectorHandle,
    max_image_bytes: usize,
}

impl DetectorApi {
    pub fn new(detector: DetectorHandle, max_image_bytes: usize) -> Self {
        Self {
            detector,
            max_image_bytes,
        }
    }
}

#[tonic::async_trait]
impl DetectorService for DetectorApi {
    async fn detect(
        &self,
        request: Request<DetectRequest>,
    ) -> Result<Response<DetectResponse>, Status> {
        let request = request.into_inner();
        if request.image.is_empty() {
            return Err(Status::invalid_argument("image is empty"));
        }
        if request.image.len() > self.max_image_bytes {
            return Err(Status::invalid_argument(format!(
                "image is {} bytes, the limit is {}",
                request.image.len(),
                self.max_image_bytes
            )));
        }
        if !(0.0..=1.0).contains(&request.min_confidence) {
            return Err(Status::invalid_argument(format!(
                "min_confidence {} is outside 0..=1",
                request.min_confidence
            )));
        }
        let description = self.detector.description().clone();
        let bytes = request.image;
        let (prepared, width, height) = tokio::task::spawn_blocking(move || {
            let image = image::load_from_memory(&bytes)
                .map_err(|err| Status::invalid_argument(format!("image does not decode: {err}")))?;
            let (width, height) = (image.width(), image.height());
            Ok::<_, Status>((
                prepare(
                    &image,
                    description.input_width,
                    description.input_height,
                    description.pixel_range,
                ),
                width,
                height,
            ))
        })
        .await
        .map_err(|err| Status::internal(format!("decoding task failed: {err}")))??;
        let result = self
            .detector
            .detect(prepared)
            .await
            .map_err(|err| Status::unavailable(err.to_string()))?;
        let objects = result
            .detections
            .into_iter()
            .filter(|d| d.confidence >= request.min_confidence)
            .map(|d| DetectedObject {
                object_type: d.class_name,
                confidence: d.confidence,
                bbox: Some(BoundingBox {
                    x: d.x,
                    y: d.y,
                    width: d.width,
                    height: d.height,
                }),
            })
            .collect();
        Ok(Response::new(DetectResponse {
            objects,
            image_width: width as i32,
            image_height: height as i32,
            inference_ms: (result.forward + result.decode).as_secs_f64() * 1000.0,
        }))
    }

    async fn get_model_info(
        &self,
        _request: Request<GetModelInfoRequest>,
    ) -> Result<Response<ModelInfo>, Status> {
        let d = self.detector.description();
        Ok(Response::new(ModelInfo {
            model_path: d.model_path.display().to_string(),
            output_format: d.output_format.to_string(),
            device: d.device.clone(),
            half_precision: d.half_precision,
            input_width: d.input_width as i32,
            input_height: d.input_height as i32,
            classes: d.classes.clone(),
            kept_classes: d.kept_classes.clone(),
            max_batch_size: d.max_batch_size as i32,
            libtorch_version: "2.11.0".to_owned(),
        }))
    }
}

/// Serves the API until `shutdown`; reports SERVING on the health service while up.
pub async fn serve(
    addr: SocketAddr,
    api: DetectorApi,
    max_image_bytes: usize,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<DetectorServiceServer<DetectorApi>>()
        .await;
    let service =
        DetectorServiceServer::new(api).max_decoding_message_size(max_image_bytes + 64 * 1024);
    tracing::info!(%addr, "serving gRPC");
    let stop = shutdown.clone();
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(service)
        .serve_with_shutdown(addr, async move {
            stop.cancelled().await;
            reporter
                .set_not_serving::<DetectorServiceServer<DetectorApi>>()
                .await;
        })
        .await
}
