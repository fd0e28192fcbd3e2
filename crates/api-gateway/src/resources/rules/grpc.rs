//! gRPC: `hsi.v1.api.AlertRuleService`.

use super::*;
use crate::grpc::caller;
use crate::pb::alert_rule_service_server::{AlertRuleService, AlertRuleServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, AlertRuleServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl AlertRuleService for Api {
    async fn create_alert_rule(&self, request: Request<AlertRuleDraft>) -> Result<Response<AlertRule>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(create(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_alert_rules(&self, request: Request<ListAlertRulesRequest>) -> Result<Response<ListAlertRulesResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_alert_rule(&self, request: Request<GetAlertRuleRequest>) -> Result<Response<AlertRule>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_alert_rule(&self, request: Request<UpdateAlertRuleRequest>) -> Result<Response<AlertRule>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update(&self.0, &caller, request.into_inner()).await?))
    }

    async fn delete_alert_rule(&self, request: Request<DeleteAlertRuleRequest>) -> Result<Response<DeleteAlertRuleResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(delete(&self.0, &caller, request.into_inner()).await?))
    }

    async fn set_alert_rule_enabled(&self, request: Request<SetAlertRuleEnabledRequest>) -> Result<Response<AlertRule>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(set_enabled(&self.0, &caller, request.into_inner()).await?))
    }

    async fn test_alert_rule(&self, request: Request<TestAlertRuleRequest>) -> Result<Response<TestAlertRuleResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(test(&self.0, &caller, request.into_inner()).await?))
    }
}
