//! The gRPC API: Detect on uploaded bytes, model information, and the standard health
//! service.

use crate::settings::GrpcSettings;
use hsi_detector::{prepare_scaled, DetectorHandle};
use hsi_proto::auth::TokenCheck;
use hsi_proto::v1::detector_service_server::{DetectorService, DetectorServiceServer};
use hsi_proto::v1::{
    BoundingBox, DetectRequest, DetectResponse, DetectedObject, GetModelInfoRequest, ModelInfo,
};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

/// Answers detection requests with the worker's own detector.
#[derive(Debug, Clone)]
pub struct DetectorApi {
    detector: DetectorHandle,
    max_image_bytes: usize,
    max_image_pixels: u64,
}

impl DetectorApi {
    pub fn new(detector: DetectorHandle, limits: &GrpcSettings) -> Self {
        Self {
            detector,
            max_image_bytes: limits.max_image_bytes,
            max_image_pixels: limits.max_image_pixels,
        }
    }
}

/// Decodes an uploaded image, refusing one whose header promises more than `max_pixels`
/// before any pixel is decoded (a decompression bomb).
fn decode_bounded(
    bytes: &[u8],
    cover: (u32, u32),
    max_pixels: u64,
) -> Result<hsi_detector::DecodedImage, Status> {
    hsi_detector::decode(bytes, cover, max_pixels).map_err(|err| match err {
        hsi_detector::InputError::TooLarge { width, height, max } => {
            Status::invalid_argument(format!(
                "image is {width}x{height} ({} pixels), the limit is {max}",
                u64::from(width) * u64::from(height)
            ))
        }
        other => Status::invalid_argument(format!("image does not decode: {other}")),
    })
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
        let max_pixels = self.max_image_pixels;
        let (prepared, width, height) = tokio::task::spawn_blocking(move || {
            let cover = (description.input_width, description.input_height);
            let decoded = decode_bounded(&bytes, cover, max_pixels)?;
            let (width, height) = (decoded.original_width, decoded.original_height);
            Ok::<_, Status>((prepare_scaled(&decoded.image, width, height), width, height))
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
            half_precision: d.precision != "fp32",
            precision: d.precision.to_owned(),
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
/// Calls other than health checks need `grpc.token` when one is set.
pub async fn serve(
    addr: SocketAddr,
    api: DetectorApi,
    settings: &GrpcSettings,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<DetectorServiceServer<DetectorApi>>()
        .await;
    let service = InterceptedService::new(
        DetectorServiceServer::new(api)
            .max_decoding_message_size(settings.max_image_bytes + 64 * 1024),
        TokenCheck::new(settings.token.expose()),
    );
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
