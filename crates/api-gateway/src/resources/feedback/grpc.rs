//! gRPC: `hsi.v1.api.FeedbackService`.

use super::*;
use crate::grpc::caller;
use crate::pb::feedback_service_server::{FeedbackService, FeedbackServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, FeedbackServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl FeedbackService for Api {
    async fn submit_event_feedback(&self, request: Request<SubmitEventFeedbackRequest>) -> Result<Response<EventFeedback>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(submit(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_event_feedback(&self, request: Request<GetEventFeedbackRequest>) -> Result<Response<EventFeedback>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_feedback_stats(&self, request: Request<GetFeedbackStatsRequest>) -> Result<Response<FeedbackStats>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(stats(&self.0, &caller, request.into_inner()).await?))
    }
}
