//! Who may call what: every REST route and every gRPC method, walked from the router's
//! own route table and the API's descriptor set (so a new route cannot skip the check),
//! refuses a missing or wrong key, refuses a key without the scope, and admits one with
//! it; rate limits answer 429 / RESOURCE_EXHAUSTED with Retry-After, per key across both
//! protocols and per client address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::auth::Scope;
use hsi_api_gateway::policy;
use hsi_api_gateway::rest::{openapi, operation_table};
use prost::Message as _;
use reqwest::{Method, StatusCode};
use std::str::FromStr as _;
use support::Gateway;

const WRONG_KEY: &str = "hsi_0123456789abcdef_notthesecretofanykeyatall";

/// A path template with every `{param}` filled with an id that exists nowhere (so a
/// call that is admitted changes nothing).
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 1..end];
        out.push_str(if name == "stream" { "files" } else { "999999" });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn call(
    gw: &Gateway,
    method: &Method,
    path: &str,
    key: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut request = gw.client.request(method.clone(), gw.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if *method != Method::GET && *method != Method::DELETE {
        request = request.json(&serde_json::json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rest_route_needs_a_valid_key_with_its_scope() {
    let gw = Gateway::start_with(|s| s.rate_limit.enabled = false).await;
    let table = operation_table(&openapi());
    assert!(
        table.len() >= 60,
        "only {} routes: is the route table complete?",
        table.len()
    );
    let keys = [
        (Scope::Read, gw.read_key.clone()),
        (Scope::Operator, gw.operator_key.clone()),
        (Scope::Admin, gw.admin_key.clone()),
    ];
    let mut checked = 0;
    for ((method, template), operation) in &table {
        let path = concrete(template);
        let needed = policy::required_scope(operation)
            .unwrap_or_else(|| panic!("{operation} ({method} {template}) has no access policy"));
        for key in [None, Some(WRONG_KEY)] {
            let (status, body) = call(&gw, method, &path, key).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with key {key:?}: {body}"
            );
            assert_eq!(
                body["error"]["code"], "unauthenticated",
                "{method} {path}: {body}"
            );
        }
        for (scope, key) in &keys {
            let (status, body) = call(&gw, method, &path, Some(key)).await;
            if scope.allows(needed) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{method} {path} ({operation}, needs {needed:?}) refused a {scope:?} key: {status} {body}"
                );
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} with a {scope:?} key: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} ({operation}, needs {needed:?}) admitted a {scope:?} key: {body}"
                );
                assert_eq!(body["error"]["code"], "permission_denied");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, table.len());
    // Health stays open.
    for path in ["/healthz", "/readyz"] {
        let response = gw.client.get(gw.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_is_accepted_as_bearer_as_x_api_key_and_refused_once_revoked() {
    let gw = Gateway::start().await;
    let by_header = gw
        .client
        .get(gw.url("/api/v1/whoami"))
        .header("x-api-key", &gw.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), StatusCode::OK);
    let me: serde_json::Value = by_header.json().await.unwrap();
    assert_eq!(me["name"], "test-read");
    assert_eq!(me["scope"], "read");

    let id = me["id"].as_i64().unwrap();
    let (status, _) = gw
        .send_json(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = call(&gw, &Method::GET, "/api/v1/whoami", Some(&gw.read_key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
}

/// Every method of the API's gRPC services, from the descriptor set reflection serves.
fn grpc_methods() -> Vec<(String, String, bool)> {
    let set =
        prost_types::FileDescriptorSet::decode(hsi_api_gateway::grpc::FILE_DESCRIPTOR_SET).unwrap();
    let mut methods = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        for service in file.service {
            for method in &service.method {
                methods.push((
                    format!("/{package}.{}/{}", service.name(), method.name()),
                    method.name().to_owned(),
                    method.server_streaming(),
                ));
            }
        }
    }
    methods
}

async fn grpc_call(
    gw: &Gateway,
    channel: &tonic::transport::Channel,
    path: &str,
    streaming: bool,
    key: Option<&str>,
) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let request = match key {
        Some(key) => gw.request((), key),
        None => tonic::Request::new(()),
    };
    let path = http::uri::PathAndQuery::from_str(path).unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    if streaming {
        // Admission is decided before the stream's first message.
        grpc.server_streaming(request, path, codec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(request, path, codec).await.map(|_| ())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_grpc_method_needs_a_valid_key_with_its_scope() {
    let gw = Gateway::start_with(|s| s.rate_limit.enabled = false).await;
    let channel = gw.channel().await;
    let methods = grpc_methods();
    assert!(methods.len() >= 60, "only {} gRPC methods", methods.len());
    let keys = [
        (Scope::Read, gw.read_key.clone()),
        (Scope::Operator, gw.operator_key.clone()),
        (Scope::Admin, gw.admin_key.clone()),
    ];
    for (path, operation, streaming) in &methods {
        let needed = policy::required_scope(operation)
            .unwrap_or_else(|| panic!("{path} has no access policy"));
        for key in [None, Some(WRONG_KEY)] {
            let status = grpc_call(&gw, &channel, path, *streaming, key)
                .await
                .unwrap_err();
            assert_eq!(
                status.code(),
                tonic::Code::Unauthenticated,
                "{path} with {key:?}: {status:?}"
            );
        }
        for (scope, key) in &keys {
            let outcome = grpc_call(&gw, &channel, path, *streaming, Some(key)).await;
            let code = outcome.as_ref().err().map(tonic::Status::code);
            if scope.allows(needed) {
                assert!(
                    !matches!(
                        code,
                        Some(tonic::Code::Unauthenticated | tonic::Code::PermissionDenied)
                    ),
                    "{path} (needs {needed:?}) refused a {scope:?} key: {outcome:?}"
                );
                assert!(
                    !matches!(code, Some(tonic::Code::Internal | tonic::Code::Unknown)),
                    "{path} with an empty request: {outcome:?}"
                );
            } else {
                assert_eq!(
                    code,
                    Some(tonic::Code::PermissionDenied),
                    "{path} admitted a {scope:?} key"
                );
            }
        }
    }
    // A method that does not exist is UNIMPLEMENTED, with a key or without, as REST
    // answers an unknown route 404.
    for path in [
        "/hsi.v1.api.EventService/NoSuchMethod",
        "/hsi.v1.api.NoSuchService/ListEvents",
        "/other.Service/Call",
    ] {
        for key in [None, Some(gw.admin_key.as_str())] {
            let status = grpc_call(&gw, &channel, path, false, key)
                .await
                .unwrap_err();
            assert_eq!(
                status.code(),
                tonic::Code::Unimplemented,
                "{path} with {key:?}: {status:?}"
            );
        }
    }
    // The standard health service answers without a key.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        answer.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_over_its_limit_gets_429_with_retry_after_on_both_protocols() {
    let gw = Gateway::start_with(|s| {
        s.rate_limit.per_key = 5;
        s.rate_limit.window_ms = 60_000;
    })
    .await;
    for i in 0..5 {
        let (status, body) = call(&gw, &Method::GET, "/api/v1/cameras", Some(&gw.read_key)).await;
        assert_eq!(status, StatusCode::OK, "call {i}: {body}");
    }
    let response = gw
        .client
        .get(gw.url("/api/v1/cameras"))
        .bearer_auth(&gw.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "resource_exhausted");

    // The same key over gRPC shares the count.
    let mut cameras =
        hsi_api_gateway::pb::camera_service_client::CameraServiceClient::new(gw.channel().await);
    let status = cameras
        .list_cameras(gw.request(
            hsi_api_gateway::pb::ListCamerasRequest::default(),
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert!(status.metadata().get("retry-after").is_some());

    // Another key is not held back by it.
    let (status, _) = call(&gw, &Method::GET, "/api/v1/cameras", Some(&gw.operator_key)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_is_limited_with_or_without_a_key_and_forwarded_for_counts_only_from_trusted_proxies(
) {
    let gw = Gateway::start_with(|s| {
        s.rate_limit.per_address = 3;
        s.rate_limit.per_key = 1_000;
    })
    .await;
    // Not a trusted proxy: X-Forwarded-For is ignored, so all these are 127.0.0.1.
    for i in 0..3 {
        let response = gw
            .client
            .get(gw.url("/api/v1/cameras"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "call {i}");
    }
    let response = gw
        .client
        .get(gw.url("/api/v1/cameras"))
        .bearer_auth(&gw.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "guessing keys counts against the address"
    );

    let proxied = Gateway::start_with(|s| {
        s.rate_limit.per_address = 2;
        s.http.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
    })
    .await;
    let get = |client: &str| {
        proxied
            .client
            .get(proxied.url("/api/v1/cameras"))
            .bearer_auth(&proxied.read_key)
            .header("x-forwarded-for", client.to_owned())
            .send()
    };
    assert_eq!(get("198.51.100.1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(get("198.51.100.1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        get("198.51.100.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Behind the trusted proxy, another client has its own window.
    assert_eq!(get("198.51.100.2").await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_mutation_is_written_to_the_audit_trail() {
    let gw = Gateway::start().await;
    gw.camera("porch", "Porch").await;
    let response = gw
        .client
        .patch(gw.url("/api/v1/cameras/porch"))
        .bearer_auth(&gw.read_key)
        .json(&serde_json::json!({"name": "Front porch"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let row = gw
        .owner()
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT action, status, details::text AS details FROM audit_logs ORDER BY seq DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("an audit row");
    assert_eq!(row.try_get::<String>("", "action").unwrap(), "denied");
    assert_eq!(row.try_get::<String>("", "status").unwrap(), "failure");
    assert!(row
        .try_get::<String>("", "details")
        .unwrap()
        .contains("UpdateCamera"));
}

use sea_orm::ConnectionTrait as _;
