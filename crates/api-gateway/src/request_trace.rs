//! A span per API request, REST or gRPC, continuing the caller's trace when the request
//! carries a W3C `traceparent` header (gRPC metadata is HTTP/2 headers, so one reading
//! serves both). Exported when `telemetry.otlp_endpoint` is set.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tracing::field::Empty;
use tracing::Instrument;

/// Makes `span` a child of the caller's span, when the request names one.
fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(traceparent) = header("traceparent") {
        hsi_core::otel::set_remote_parent(
            span,
            traceparent,
            header("tracestate").unwrap_or_default(),
        );
    }
}

/// Axum middleware: the REST request's span, named by its route's pattern (so a span
/// name is one per route, not one per resource id).
pub async fn rest_span(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        "http request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    );
    continue_trace(&span, request.headers());
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
    response
}

/// Tower layer giving every gRPC call a span named by its full method
/// (`hsi.v1.api.EventService/ListEvents`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcSpanLayer;

impl<S> tower::Layer<S> for GrpcSpanLayer {
    type Service = GrpcSpan<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcSpan { inner }
    }
}

/// The service [`GrpcSpanLayer`] makes.
#[derive(Debug, Clone)]
pub struct GrpcSpan<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for GrpcSpan<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().trim_start_matches('/').to_owned();
        let (service, short) = method.split_once('/').unwrap_or((method.as_str(), ""));
        let span = tracing::info_span!(
            "grpc request",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %short,
            rpc.grpc.status_code = Empty,
            otel.status_code = Empty,
        );
        continue_trace(&span, request.headers());
        let called = span.in_scope(|| self.inner.call(request));
        let recorded = span.clone();
        Box::pin(
            async move {
                let response = called.await?;
                // A failed call answers with its status in the headers (trailers-only);
                // a successful one has it in the trailers, which are not waited for, so
                // a stream that fails after its first message still reads as OK here.
                let code = crate::request_metrics::grpc_status_number(&response);
                recorded.record("rpc.grpc.status_code", code);
                if code != 0 {
                    recorded.record("otel.status_code", "error");
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}
