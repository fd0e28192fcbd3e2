//! gRPC: `hsi.v1.api.DetectionService`.

use super::*;
use crate::grpc::caller;
use crate::pb::detection_service_server::{DetectionService, DetectionServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    let server = DetectionServiceServer::new(Api(app.clone()))
        .max_decoding_message_size(app.settings.grpc.max_message_bytes)
        .max_encoding_message_size(app.settings.grpc.max_message_bytes);
    crate::grpc::add(routes, health, server).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl DetectionService for Api {
    async fn list_detections(&self, request: Request<ListDetectionsRequest>) -> Result<Response<ListDetectionsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_detection(&self, request: Request<GetDetectionRequest>) -> Result<Response<Detection>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_detection_image(&self, request: Request<GetDetectionImageRequest>) -> Result<Response<ImageBytes>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(image(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_detection_thumbnail(&self, request: Request<GetDetectionThumbnailRequest>) -> Result<Response<ImageBytes>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(thumbnail(&self.0, &caller, request.into_inner()).await?))
    }

    async fn detect_now(&self, request: Request<DetectNowRequest>) -> Result<Response<DetectNowResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(detect_now(&self.0, &caller, request.into_inner()).await?))
    }
}
