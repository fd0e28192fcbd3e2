//! One module per resource. Each has its service-layer functions (`mod.rs`: typed
//! request in, typed result or [`crate::error::ApiError`] out; the only place with SQL),
//! a REST adapter (`rest.rs`) and a gRPC adapter (`grpc.rs`) that only translate, and
//! its `POLICY`: the scope each operation needs.

use crate::app::App;
use crate::auth::Scope;
use utoipa_axum::router::OpenApiRouter;

macro_rules! resources {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every resource's access policy.
        pub fn policies() -> &'static [&'static [(&'static str, Scope)]] {
            &[$($module::POLICY),*]
        }

        /// Every resource's REST routes (under `/api/v1`).
        pub fn rest_routes() -> Vec<OpenApiRouter<App>> {
            vec![$($module::rest::routes()),*]
        }

        /// Every resource's gRPC service, each reported serving by the health service.
        pub async fn grpc_services(
            app: &App,
            routes: &mut tonic::service::RoutesBuilder,
            health: &tonic_health::server::HealthReporter,
        ) {
            $($module::grpc::register(app, routes, health).await;)*
        }
    };
}

resources!(
    alerts,
    audit,
    cameras,
    detections,
    events,
    feedback,
    keys,
    logs,
    notifications,
    prompts,
    rules,
    system,
    zones,
);

/// Routes outside `/api/v1` that are still part of the API (the WebSocket).
pub fn root_routes() -> Vec<OpenApiRouter<App>> {
    vec![events::rest::root_routes()]
}
