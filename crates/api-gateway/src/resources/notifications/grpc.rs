//! gRPC: `hsi.v1.api.NotificationService`.

use super::*;
use crate::grpc::caller;
use crate::pb::notification_service_server::{NotificationService, NotificationServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, NotificationServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl NotificationService for Api {
    async fn get_notification_preferences(&self, request: Request<GetNotificationPreferencesRequest>) -> Result<Response<NotificationPreferences>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get_preferences(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_notification_preferences(&self, request: Request<UpdateNotificationPreferencesRequest>) -> Result<Response<NotificationPreferences>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update_preferences(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_camera_notification_settings(&self, request: Request<ListCameraNotificationSettingsRequest>) -> Result<Response<ListCameraNotificationSettingsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list_camera_settings(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_camera_notification_setting(&self, request: Request<UpdateCameraNotificationSettingRequest>) -> Result<Response<CameraNotificationSetting>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update_camera_setting(&self.0, &caller, request.into_inner()).await?))
    }

    async fn delete_camera_notification_setting(&self, request: Request<DeleteCameraNotificationSettingRequest>) -> Result<Response<DeleteCameraNotificationSettingResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(delete_camera_setting(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_quiet_hours(&self, request: Request<ListQuietHoursRequest>) -> Result<Response<ListQuietHoursResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list_quiet_hours(&self.0, &caller, request.into_inner()).await?))
    }

    async fn create_quiet_hours(&self, request: Request<CreateQuietHoursRequest>) -> Result<Response<QuietHoursPeriod>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(create_quiet_hours(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_quiet_hours(&self, request: Request<UpdateQuietHoursRequest>) -> Result<Response<QuietHoursPeriod>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update_quiet_hours(&self.0, &caller, request.into_inner()).await?))
    }

    async fn delete_quiet_hours(&self, request: Request<DeleteQuietHoursRequest>) -> Result<Response<DeleteQuietHoursResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(delete_quiet_hours(&self.0, &caller, request.into_inner()).await?))
    }
}
