//! `hsi_api_request_duration_seconds{api, route, method, status}`: how long the API took
//! to answer, for REST (by route template) and gRPC (by full method). Labels stay
//! bounded: a path no route serves is `unmatched`, never the raw path a caller sent.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The histogram's name.
pub const REQUEST_DURATION: &str = "hsi_api_request_duration_seconds";

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// gRPC methods outside the API package that the server answers.
const STANDARD_GRPC_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// The method label: the standard methods by name, anything else as `other` (a client
/// may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn record(api: &'static str, route: String, method: &'static str, status: String, since: Instant) {
    metrics::histogram!(
        REQUEST_DURATION,
        "api" => api,
        "route" => route,
        "method" => method,
        "status" => status
    )
    .record(since.elapsed().as_secs_f64());
}

/// REST middleware (a `Router::layer`, so it runs after routing and sees the matched
/// route); the status is the HTTP status code.
pub async fn measure_rest(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    record(
        "rest",
        route,
        method,
        response.status().as_u16().to_string(),
        started,
    );
    response
}

/// The route label of a gRPC path: the full method when the server serves it.
fn grpc_route(path: &str) -> String {
    if crate::grpc::is_api_method(path) || STANDARD_GRPC_METHODS.contains(&path) {
        path.to_owned()
    } else {
        UNMATCHED.to_owned()
    }
}

/// The gRPC status a response starts with: a failed call answers with `grpc-status` in
/// its headers (trailers-only); a call that got as far as its messages is `Ok` here.
/// Time is to the response headers, so a server stream counts until it starts.
fn grpc_status<B>(response: &http::Response<B>) -> String {
    format!("{:?}", tonic::Code::from_i32(grpc_status_number(response)))
}

/// The `grpc-status` number in a response's headers; 0 (OK) where there is none. Shared
/// by the metrics and the spans, which read the status the same way.
pub(crate) fn grpc_status_number<B>(response: &http::Response<B>) -> i32 {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<i32>().ok())
        .unwrap_or(0)
}

/// Tower layer timing every gRPC call (outermost, so refused calls count too).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcMetricsLayer;

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let route = grpc_route(request.uri().path());
        let method = method_label(request.method());
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await;
            let status = match &response {
                Ok(response) => grpc_status(response),
                // The transport failed the call; tonic answers the client `Unknown`.
                Err(_) => format!("{:?}", tonic::Code::Unknown),
            };
            record("grpc", route, method, status, started);
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded_whatever_the_caller_sends() {
        assert_eq!(
            grpc_route("/grpc.health.v1.Health/Check"),
            "/grpc.health.v1.Health/Check"
        );
        assert_eq!(grpc_route("/made.up.Service/Anything123"), UNMATCHED);
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }

    #[test]
    fn a_trailers_only_answer_carries_its_status() {
        let refused = http::Response::builder()
            .header("grpc-status", "16")
            .body(())
            .unwrap();
        assert_eq!(grpc_status(&refused), "Unauthenticated");
        assert_eq!(grpc_status(&http::Response::new(())), "Ok");
    }
}
