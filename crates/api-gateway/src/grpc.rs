//! The gRPC adapter's server: every service of package `hsi.v1.api`, standard health
//! and reflection, behind the same authentication, scopes and rate limits as REST.

use crate::app::App;
use crate::error::ApiError;
use crate::policy;
use crate::rest::{authorize, client_address};
use http::{HeaderMap, Request, Response};
use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpConnectInfo;

/// The descriptor set of the public API, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/gateway_descriptor.bin"));

/// Calls anyone may make without a key.
const OPEN_PREFIXES: &[&str] = &["/grpc.health.v1.Health/"];
/// Reflection describes the API; it needs a key but any scope will do.
const REFLECTION_PREFIXES: &[&str] = &[
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];
/// The package the API's services are in.
pub const API_PACKAGE_PREFIX: &str = "/hsi.v1.api.";

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    let mut routes = tonic::service::RoutesBuilder::default();
    crate::resources::grpc_services(&app, &mut routes, &health_reporter).await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|err| {
            tracing::error!(error = %err, "cannot build reflection");
            err
        });
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha();
    if let Ok(reflection) = reflection {
        routes.add_service(reflection);
    }
    if let Ok(reflection) = reflection_alpha {
        routes.add_service(reflection);
    }
    routes.add_service(health);
    let incoming = tokio_stream_tcp(listener);
    tonic::transport::Server::builder()
        .layer(crate::request_trace::GrpcSpanLayer)
        .layer(crate::request_metrics::GrpcMetricsLayer)
        .layer(AuthLayer { app: app.clone() })
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}

fn tokio_stream_tcp(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// Adds `service` to the server and reports it serving.
pub async fn add<S>(
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
    service: S,
) where
    S: tower::Service<
            Request<tonic::body::Body>,
            Response = Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    health
        .set_service_status(S::NAME, tonic_health::ServingStatus::Serving)
        .await;
    routes.add_service(service);
}

/// Every method of the API's services, as the gRPC paths that call them.
static API_METHODS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let set = <prost_types::FileDescriptorSet as prost::Message>::decode(FILE_DESCRIPTOR_SET)
        .expect("the build's own descriptor set decodes");
    set.file
        .iter()
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service.method.iter().map(move |method| {
                    format!("/{}.{}/{}", file.package(), service.name(), method.name())
                })
            })
        })
        .collect()
});

/// Whether `path` is a method of the API's own services.
pub fn is_api_method(path: &str) -> bool {
    API_METHODS.contains(path)
}

/// The operation a gRPC path names (`/hsi.v1.api.CameraService/ListCameras` →
/// `ListCameras`), for the API's own services only.
pub fn operation_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(API_PACKAGE_PREFIX)?;
    let (_, method) = rest.split_once('/')?;
    (!method.is_empty()).then_some(method)
}

/// Tower layer putting authentication in front of every gRPC service.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    app: App,
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            app: self.app.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    app: App,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<Request<B>> for Auth<S>
where
    S: tower::Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was made ready serves this call; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let app = self.app.clone();
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            if OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
                return inner.call(request).await;
            }
            let peer = request
                .extensions()
                .get::<TcpConnectInfo>()
                .and_then(|info| info.remote_addr())
                .map(|addr: SocketAddr| addr.ip());
            match admit(&app, &path, peer, request.headers()).await {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(err) => Ok(tonic::Status::from(err).into_http()),
            }
        })
    }
}

async fn admit(
    app: &App,
    path: &str,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> Result<crate::auth::Caller, ApiError> {
    let trusted = app.settings.http.trusted_networks();
    let address = client_address(peer, headers, &trusted);
    if let Some(address) = address {
        app.limiter.check_address(&address.to_string()).await?;
    }
    let (operation, needed) = if REFLECTION_PREFIXES.iter().any(|p| path.starts_with(p)) {
        ("ServerReflectionInfo", crate::auth::Scope::Read)
    } else {
        // A method that does not exist is UNIMPLEMENTED, as the server would answer,
        // before any key is asked for (REST answers an unknown route 404 the same way).
        if !API_METHODS.contains(path) {
            return Err(ApiError::new(
                crate::error::Code::MethodNotAllowed,
                format!("{path} is not a method this server has"),
            ));
        }
        let operation = operation_of(path).unwrap_or(path);
        let needed = policy::required_scope(operation).ok_or_else(|| {
            ApiError::permission_denied(format!("operation {operation} has no access policy"))
        })?;
        (operation, needed)
    };
    let user_agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let caller = authorize(
        app,
        operation,
        needed,
        crate::rest::presented_key(headers),
        address,
        user_agent,
        is_mutation(operation),
    )
    .await?;
    if let Some(key_id) = caller.key_id {
        app.limiter.check_key(key_id).await?;
    }
    Ok(caller)
}

/// gRPC has no methods: an operation that only reads is named so.
fn is_mutation(operation: &str) -> bool {
    const READS: &[&str] = &[
        "List", "Get", "Search", "Watch", "Verify", "WhoAmI", "Test", "Diff",
    ];
    !READS.iter().any(|prefix| operation.starts_with(prefix))
}

/// The caller the authentication layer admitted, in a tonic request.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<crate::auth::Caller, tonic::Status> {
    request
        .extensions()
        .get::<crate::auth::Caller>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("this call is not behind authentication"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_method() {
        assert_eq!(
            operation_of("/hsi.v1.api.CameraService/ListCameras"),
            Some("ListCameras")
        );
        assert_eq!(operation_of("/grpc.health.v1.Health/Check"), None);
        assert_eq!(operation_of("/hsi.v1.api.CameraService/"), None);
    }
}
