//! gRPC: `hsi.v1.api.CameraService`.

use super::*;
use crate::grpc::caller;
use crate::pb::camera_service_server::{CameraService, CameraServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, CameraServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl CameraService for Api {
    async fn list_cameras(&self, request: Request<ListCamerasRequest>) -> Result<Response<ListCamerasResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_camera(&self, request: Request<GetCameraRequest>) -> Result<Response<Camera>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_camera(&self, request: Request<UpdateCameraRequest>) -> Result<Response<Camera>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update(&self.0, &caller, request.into_inner()).await?))
    }

    async fn delete_camera(&self, request: Request<DeleteCameraRequest>) -> Result<Response<Camera>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(delete(&self.0, &caller, request.into_inner()).await?))
    }

    async fn restore_camera(&self, request: Request<RestoreCameraRequest>) -> Result<Response<Camera>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(restore(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_camera_latest_image(&self, request: Request<GetCameraLatestImageRequest>) -> Result<Response<ImageBytes>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(latest_image(&self.0, &caller, request.into_inner()).await?))
    }
}
