//! The REST and WebSocket adapter: axum routes under `/api/v1/` that turn HTTP into
//! service-layer calls, the extractors that turn bad input into `invalid_argument`
//! naming the field, authentication, rate limits, and the OpenAPI document generated
//! from the same handlers the router serves.

use crate::app::App;
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ErrorBody};
use crate::policy;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use ipnet::IpNet;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document as served (set once, when the router is built).
static DOCUMENT: std::sync::OnceLock<OpenApiDoc> = std::sync::OnceLock::new();

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "GetOpenApiDocument", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 document of this API",
        content_type = "application/json"), (status = "default", body = ErrorBody)))]
async fn get_openapi_document() -> Response {
    match DOCUMENT.get() {
        Some(doc) => axum::Json(doc).into_response(),
        None => ApiError::internal("the document is not ready").into_response(),
    }
}

/// Where the API lives.
pub const API_PREFIX: &str = "/api/v1";
/// The WebSocket subprotocol a browser offers next to `hsi-key.<key>`.
pub const WS_PROTOCOL: &str = "hsi.v1";
/// Prefix of the subprotocol that carries the key (browsers cannot set headers).
pub const WS_KEY_PROTOCOL_PREFIX: &str = "hsi-key.";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HSI API",
        description = "Home-security intelligence: cameras, events, detections, alerts and \
                       their configuration. The same operations are served over gRPC \
                       (package hsi.v1.api). Every call needs an API key \
                       (`Authorization: Bearer <key>` or `X-API-Key`) with the scope each \
                       operation names."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The API's routes and their OpenAPI document, before state and layers.
pub fn api_routes() -> OpenApiRouter<App> {
    let mut router =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(get_openapi_document));
    for resource in crate::resources::rest_routes() {
        router = router.merge(resource);
    }
    let mut root = OpenApiRouter::new().nest(API_PREFIX, router);
    for resource in crate::resources::root_routes() {
        root = root.merge(resource);
    }
    root
}

/// The OpenAPI document as served, each operation naming the scope it needs.
pub fn openapi() -> OpenApiDoc {
    let (_, mut doc) = api_routes().split_for_parts();
    document_scopes(&mut doc);
    doc
}

fn document_scopes(doc: &mut OpenApiDoc) {
    use utoipa::openapi::security::SecurityRequirement;
    for item in doc.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            let scope = policy::required_scope(&id).map_or("none (refused)", Scope::as_str);
            let note = format!("Needs an API key with scope `{scope}` or above.");
            operation.description = Some(match operation.description.take() {
                Some(text) if !text.is_empty() => format!("{text}\n\n{note}"),
                _ => note,
            });
            operation.security = Some(vec![
                SecurityRequirement::new("bearer", [scope]),
                SecurityRequirement::new("api_key", [scope]),
            ]);
        }
    }
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Every (method, path) the API serves and the operation it is, from the document.
pub fn operation_table(doc: &OpenApiDoc) -> HashMap<(Method, String), String> {
    let mut table = HashMap::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ];
        for (method, operation) in methods {
            if let Some(id) = operation.as_ref().and_then(|op| op.operation_id.clone()) {
                table.insert((method, path.clone()), id);
            }
        }
    }
    table
}

/// The whole HTTP service: the API behind authentication, the document, health.
pub fn router(app: App) -> Router {
    let (api, mut doc) = api_routes().split_for_parts();
    document_scopes(&mut doc);
    let gate = Arc::new(Gate {
        operations: operation_table(&doc),
        trusted: app.settings.http.trusted_networks(),
        app: app.clone(),
    });
    let _ = DOCUMENT.set(doc);
    let api = api
        .route_layer(axum::middleware::from_fn_with_state(
            gate.clone(),
            authenticate,
        ))
        .with_state(app.clone());
    Router::new()
        .merge(api)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(app.clone()))
        .fallback({
            let console = app
                .settings
                .console
                .dir
                .as_deref()
                .map(crate::console::Console::new);
            move |request| fallback(console.clone(), request)
        })
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_millis(app.settings.http.request_timeout_ms),
            deadline,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            app.settings
                .http
                .max_body_bytes
                .max(app.settings.http.max_upload_bytes),
        ))
        .layer(axum::middleware::from_fn(
            crate::request_metrics::measure_rest,
        ))
        // Outermost, so the request's span covers every other layer.
        .layer(axum::middleware::from_fn(crate::request_trace::rest_span))
}

/// A path no route serves: the console's (its pages and assets) when one is configured,
/// else a JSON 404. API paths always get the JSON 404, so a client's typo is never
/// answered with the console's HTML.
async fn fallback(console: Option<crate::console::Console>, request: Request) -> Response {
    let path = request.uri().path();
    let api = path == API_PREFIX
        || path.starts_with(&format!("{API_PREFIX}/"))
        || path.starts_with("/ws/");
    let readable = matches!(*request.method(), Method::GET | Method::HEAD);
    match console {
        Some(console) if readable && !api => console.serve(request).await,
        _ => ApiError::new(crate::error::Code::NotFound, "no such route").into_response(),
    }
}

/// Ready when PostgreSQL and Redis answer.
async fn readyz(State(app): State<App>) -> Response {
    let db = app.db.ping().await;
    let redis: Result<(), String> = async {
        let mut conn = app.redis.get().await.map_err(|err| err.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|err| err.to_string())
    }
    .await;
    match (db, redis) {
        (Ok(()), Ok(())) => (StatusCode::OK, "ready").into_response(),
        (db, redis) => {
            let why = format!(
                "not ready: postgres {}, redis {}",
                db.map_or_else(|err| err.to_string(), |()| "ok".to_owned()),
                redis.map_or_else(|err| err, |()| "ok".to_owned())
            );
            (StatusCode::SERVICE_UNAVAILABLE, why).into_response()
        }
    }
}

/// Answers 504 for a request that runs past `http.request_timeout_ms` (a WebSocket
/// is past its upgrade by then, so watching is not cut short).
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            crate::error::Code::DeadlineExceeded,
            "the request took too long",
        )
        .into_response(),
    }
}

/// What authentication needs besides the request.
#[derive(Debug)]
pub struct Gate {
    operations: HashMap<(Method, String), String>,
    trusted: Vec<IpNet>,
    app: App,
}

/// The client's address: the peer, or for a trusted proxy the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(peer),
    )
}

/// The key a request presents: `Authorization: Bearer`, `X-API-Key`, or for a
/// WebSocket the `hsi-key.<key>` subprotocol.
pub fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(key) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        {
            return Some(key.trim().to_owned());
        }
    }
    if let Some(value) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(value.trim().to_owned());
    }
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|protocol| protocol.trim().strip_prefix(WS_KEY_PROTOCOL_PREFIX))
        .map(str::to_owned)
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Authenticates, authorises and rate-limits every API route.
async fn authenticate(
    State(gate): State<Arc<Gate>>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let headers = request.headers();
    let address = client_address(peer, headers, &gate.trusted);
    let operation = matched
        .as_ref()
        .and_then(|path| {
            gate.operations
                .get(&(request.method().clone(), path.as_str().to_owned()))
        })
        .cloned();
    let caller = match admit(
        &gate,
        operation.as_deref(),
        address,
        headers,
        request.method(),
    )
    .await
    {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

async fn admit(
    gate: &Gate,
    operation: Option<&str>,
    address: Option<IpAddr>,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Caller, ApiError> {
    if let Some(address) = address {
        gate.app.limiter.check_address(&address.to_string()).await?;
    }
    let Some(operation) = operation else {
        // The path exists but not with this method: what the router would answer
        // without authentication in front of it.
        return Err(ApiError::new(
            crate::error::Code::MethodNotAllowed,
            format!("{method} is not served on this path"),
        ));
    };
    let needed = policy::required_scope(operation).ok_or_else(|| {
        ApiError::permission_denied(format!("operation {operation} has no access policy"))
    })?;
    let caller = authorize(
        &gate.app,
        operation,
        needed,
        presented_key(headers),
        address,
        user_agent(headers),
        method != Method::GET,
    )
    .await?;
    if let Some(key_id) = caller.key_id {
        gate.app.limiter.check_key(key_id).await?;
    }
    Ok(caller)
}

/// Checks a presented key against the scope an operation needs; shared by REST and
/// gRPC. A refused mutation is written to the audit trail.
pub async fn authorize(
    app: &App,
    operation: &str,
    needed: Scope,
    key: Option<String>,
    address: Option<IpAddr>,
    user_agent: Option<String>,
    is_mutation: bool,
) -> Result<Caller, ApiError> {
    if !app.settings.auth.enabled {
        return Ok(Caller {
            address,
            user_agent,
            ..Caller::local("auth-disabled")
        });
    }
    let verified = match key {
        None => Err(ApiError::unauthenticated(
            "an API key is required (Authorization: Bearer <key> or X-API-Key)",
        )),
        Some(key) => app.keys.verify(&key).await,
    };
    let (caller, outcome) = match verified {
        Ok((id, name, scope)) => {
            let caller = Caller {
                key_id: Some(id),
                name,
                scope,
                address,
                user_agent,
            };
            let outcome = caller.require(needed);
            (caller, outcome)
        }
        Err(err) => (
            Caller {
                key_id: None,
                name: "anonymous".to_owned(),
                scope: Scope::Read,
                address,
                user_agent,
            },
            Err(err),
        ),
    };
    match outcome {
        Ok(()) => Ok(caller),
        Err(err) => {
            if is_mutation && err.code != crate::error::Code::Unavailable {
                let entry = crate::audit::Entry::new("denied", "api")
                    .details(serde_json::json!({"operation": operation, "needs": needed.as_str()}));
                crate::audit::record::<()>(&app.db, &caller, entry, &Err(err.clone())).await;
            }
            Err(err)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Only the authentication layer puts a caller there; a route without it fails
        // closed.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated("this route is not behind authentication"))
    }
}

/// A JSON body, refused with `invalid_argument` naming the field that was wrong. An
/// empty body reads as `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &App) -> Result<Self, Self::Rejection> {
        let limit = app.settings.http.max_body_bytes;
        let too_large = || {
            ApiError::new(
                crate::error::Code::PayloadTooLarge,
                format!("the body is larger than {limit} bytes"),
            )
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let bytes = Bytes::from_request(request, app).await.map_err(|err| {
            if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::invalid("body", err.body_text())
            }
        })?;
        if bytes.len() > limit {
            return Err(too_large());
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON into `T`, naming the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(field, format!("bad request body: {}", err.inner()))
    })
}

/// Query parameters (repeat a key for a list: `?camera_ids=a&camera_ids=b`), refused
/// with `invalid_argument` naming the parameter that was wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer = serde_html_form::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "query".to_owned()
        } else {
            path
        };
        ApiError::invalid(field, format!("bad query parameter: {}", err.inner()))
    })
}

/// A path parameter, refused with `invalid_argument` naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|err| ApiError::invalid("path", err.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.1.1.1".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "198.51.100.9".parse().unwrap();
        assert_eq!(
            client_address(Some(proxy), &headers, &trusted),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            client_address(Some(stranger), &headers, &trusted),
            Some(stranger)
        );
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &trusted),
            Some(proxy)
        );
    }

    #[test]
    fn keys_are_read_from_each_place_they_may_be() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer hsi_a_b".parse().unwrap());
        assert_eq!(presented_key(&headers).as_deref(), Some("hsi_a_b"));
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "hsi_c_d".parse().unwrap());
        assert_eq!(presented_key(&headers).as_deref(), Some("hsi_c_d"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            "hsi.v1, hsi-key.hsi_e_f".parse().unwrap(),
        );
        assert_eq!(presented_key(&headers).as_deref(), Some("hsi_e_f"));
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }

    #[test]
    fn bad_json_names_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: String,
            limit: u32,
        }
        let err = parse_json::<Body>(br#"{"name": "x", "limit": "many"}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("limit"));
        let err = parse_json::<Body>(br#"{"name": "x", "limit": 1, "extra": 1}"#).unwrap_err();
        assert!(err.message.contains("extra"), "{}", err.message);
    }
}
