//! gRPC: `hsi.v1.api.ApiKeyService`.

use super::*;
use crate::grpc::caller;
use crate::pb::api_key_service_server::{ApiKeyService, ApiKeyServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, ApiKeyServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl ApiKeyService for Api {
    async fn create_api_key(&self, request: Request<CreateApiKeyRequest>) -> Result<Response<CreatedApiKey>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(create(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_api_keys(&self, request: Request<ListApiKeysRequest>) -> Result<Response<ListApiKeysResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn revoke_api_key(&self, request: Request<RevokeApiKeyRequest>) -> Result<Response<ApiKey>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(revoke(&self.0, &caller, request.into_inner()).await?))
    }

    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<ApiKey>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(who_am_i(&self.0, &caller, request.into_inner()).await?))
    }
}
