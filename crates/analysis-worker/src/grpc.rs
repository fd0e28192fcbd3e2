//! The gRPC API: re-analyse an event, preview the prompt a batch would get, health.

use crate::analyzer::{AnalysisError, Analyzer};
use crate::context::{gather, BatchInput, ContextError};
use chrono::Utc;
use hsi_proto::auth::TokenCheck;
use hsi_proto::v1::analysis_service_server::{AnalysisService, AnalysisServiceServer};
use hsi_proto::v1::{Judgement, PreviewPromptRequest, PromptPreview, ReanalyzeEventRequest};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

/// Serves [`AnalysisService`] with the worker's own analyzer.
#[derive(Debug, Clone)]
pub struct AnalysisApi {
    analyzer: Arc<Analyzer>,
}

impl AnalysisApi {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        Self { analyzer }
    }
}

fn status(err: AnalysisError) -> Status {
    match err {
        AnalysisError::NoEvent(id) => Status::not_found(format!("event {id} does not exist")),
        AnalysisError::Context(ContextError::NoCamera(camera)) => {
            Status::failed_precondition(format!("camera {camera} does not exist"))
        }
        AnalysisError::Context(ContextError::NoDetections(n)) => {
            Status::failed_precondition(format!("none of the {n} detections exist"))
        }
        other => Status::unavailable(other.to_string()),
    }
}

#[tonic::async_trait]
impl AnalysisService for AnalysisApi {
    async fn reanalyze_event(
        &self,
        request: Request<ReanalyzeEventRequest>,
    ) -> Result<Response<Judgement>, Status> {
        let event_id = request.into_inner().event_id;
        if event_id <= 0 {
            return Err(Status::invalid_argument(format!(
                "event_id {event_id} is not an event id"
            )));
        }
        let (event, verdict) = self.analyzer.reanalyze(event_id).await.map_err(status)?;
        Ok(Response::new(Judgement {
            event_id: i64::from(event.id),
            risk_score: verdict.score,
            risk_level: verdict.level.as_str().to_owned(),
            summary: verdict.summary,
            reasoning: verdict.reasoning,
            is_fallback: verdict.audit.is_fallback,
            fallback_reason: verdict.audit.fallback_reason.unwrap_or_default(),
            model: verdict.audit.model.unwrap_or_default(),
            prompt_version: verdict.audit.prompt_version.unwrap_or_default(),
            latency_ms: i64::from(verdict.audit.latency_ms.unwrap_or_default()),
        }))
    }

    async fn preview_prompt(
        &self,
        request: Request<PreviewPromptRequest>,
    ) -> Result<Response<PromptPreview>, Status> {
        let request = request.into_inner();
        if request.camera_id.is_empty() || request.detection_ids.is_empty() {
            return Err(Status::invalid_argument(
                "camera_id and detection_ids are required",
            ));
        }
        let detection_ids = request
            .detection_ids
            .iter()
            .map(|id| {
                i32::try_from(*id).map_err(|_| {
                    Status::invalid_argument(format!("detection id {id} is out of range"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let input = BatchInput {
            batch_id: "preview".to_owned(),
            camera_id: request.camera_id,
            detection_ids,
            is_fast_path: false,
            skip_judged: false,
        };
        let settings = &self.analyzer.settings;
        let context = gather(
            &self.analyzer.db,
            &input,
            Utc::now(),
            settings.cross_camera_window_secs,
        )
        .await
        .map_err(|err| status(err.into()))?;
        let prompt = self
            .analyzer
            .prompt(&context)
            .await
            .map_err(|err| status(err.into()))?;
        Ok(Response::new(PromptPreview {
            prompt_length: i32::try_from(prompt.length()).unwrap_or(i32::MAX),
            token_estimate: i32::try_from(prompt.token_estimate()).unwrap_or(i32::MAX),
            prompt_version: prompt.config.version,
            system_prompt: prompt.system,
            user_prompt: prompt.user,
        }))
    }
}

/// Serves the API until `shutdown`; calls other than health checks need `token` when
/// one is set.
pub async fn serve(
    addr: SocketAddr,
    api: AnalysisApi,
    token: String,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<AnalysisServiceServer<AnalysisApi>>()
        .await;
    tracing::info!(%addr, "serving gRPC");
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(InterceptedService::new(
            AnalysisServiceServer::new(api),
            TokenCheck::new(&token),
        ))
        .serve_with_shutdown(addr, async move {
            shutdown.cancelled().await;
            reporter
                .set_not_serving::<AnalysisServiceServer<AnalysisApi>>()
                .await;
        })
        .await
}
