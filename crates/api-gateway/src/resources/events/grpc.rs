//! gRPC: `hsi.v1.api.EventService`.

use super::*;
use crate::grpc::caller;
use crate::pb::event_service_server::{EventService, EventServiceServer};
use crate::pb::{SearchEventsRequest, SearchEventsResponse, WatchEventsRequest, WatchEventsResponse};
use futures::{Stream, StreamExt as _};
use std::pin::Pin;
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, EventServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl EventService for Api {
    async fn list_events(&self, request: Request<ListEventsRequest>) -> Result<Response<ListEventsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn search_events(&self, request: Request<SearchEventsRequest>) -> Result<Response<SearchEventsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(search(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_event(&self, request: Request<GetEventRequest>) -> Result<Response<EventDetail>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn review_event(&self, request: Request<ReviewEventRequest>) -> Result<Response<Event>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(review(&self.0, &caller, request.into_inner()).await?))
    }

    async fn delete_event(&self, request: Request<DeleteEventRequest>) -> Result<Response<Event>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(delete(&self.0, &caller, request.into_inner()).await?))
    }

    async fn restore_event(&self, request: Request<RestoreEventRequest>) -> Result<Response<Event>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(restore(&self.0, &caller, request.into_inner()).await?))
    }

    type WatchEventsStream = Pin<Box<dyn Stream<Item = Result<WatchEventsResponse, Status>> + Send>>;

    async fn watch_events(&self, request: Request<WatchEventsRequest>) -> Result<Response<Self::WatchEventsStream>, Status> {
        let caller = caller(&request)?;
        let stream = watch(&self.0, &caller, request.into_inner()).await?;
        Ok(Response::new(Box::pin(stream.map(|item| item.map_err(Status::from)))))
    }
}
