//! The OpenAPI document is generated from the handlers the router serves: it is served
//! at /api/v1/openapi.json, is OpenAPI 3.1, and lists exactly the routes the router
//! answers (each documented route exists; no documented path answers a method the
//! document does not list; unknown paths are not served).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::rest::{openapi, operation_table};
use reqwest::{Method, StatusCode};
use std::collections::BTreeSet;
use support::Gateway;

fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(if &rest[start + 1..end] == "stream" {
            "files"
        } else {
            "999999"
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// True when the router has no route for the request (our fallback, or 405).
async fn unrouted(gw: &Gateway, method: &Method, path: &str) -> Option<StatusCode> {
    let mut request = gw
        .client
        .request(method.clone(), gw.url(path))
        .bearer_auth(&gw.admin_key);
    if *method != Method::GET && *method != Method::DELETE {
        request = request.json(&serde_json::json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let no_route = status == StatusCode::METHOD_NOT_ALLOWED
        || (status == StatusCode::NOT_FOUND && body["error"]["message"] == "no such route");
    no_route.then_some(status)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_lists_exactly_the_routes_the_router_serves() {
    let gw = Gateway::start_with(|s| s.rate_limit.enabled = false).await;
    let response = gw
        .client
        .get(gw.url("/api/v1/openapi.json"))
        .bearer_auth(&gw.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let served: serde_json::Value = response.json().await.unwrap();
    assert!(
        served["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        served["openapi"]
    );
    assert_eq!(
        served,
        serde_json::to_value(openapi()).unwrap(),
        "the served document is the generated one"
    );

    let table = operation_table(&openapi());
    let documented: BTreeSet<(String, String)> = table
        .keys()
        .map(|(method, path)| (method.to_string(), path.clone()))
        .collect();
    // Every documented route is served.
    for (method, path) in &documented {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        if path == "/ws/events" {
            continue; // a WebSocket: checked by the watch tests
        }
        assert_eq!(
            unrouted(&gw, &method, &concrete(path)).await,
            None,
            "{method} {path} is documented but not served"
        );
    }
    // No documented path answers a method the document does not list.
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if documented.contains(&(method.to_string(), path.clone())) {
                continue;
            }
            assert!(
                unrouted(&gw, &method, &concrete(path)).await.is_some(),
                "{method} {path} is served but not documented"
            );
        }
    }
    // Operation ids are unique: they name the gRPC method of the same operation.
    let ids: Vec<&String> = table.values().collect();
    let unique: BTreeSet<&String> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "duplicate operation ids");
    // Paths outside the document are not served.
    for path in [
        "/api/v1/nothing",
        "/api/v2/cameras",
        "/admin",
        "/api/v1/cameras/x/y/z",
    ] {
        assert!(
            unrouted(&gw, &Method::GET, path).await.is_some(),
            "{path} is served"
        );
    }
}

#[test]
fn every_documented_operation_names_its_scope_and_has_a_grpc_twin() {
    use prost::Message as _;
    let doc = openapi();
    let set =
        prost_types::FileDescriptorSet::decode(hsi_api_gateway::grpc::FILE_DESCRIPTOR_SET).unwrap();
    let grpc: BTreeSet<String> = set
        .file
        .iter()
        .flat_map(|f| f.service.iter())
        .flat_map(|s| s.method.iter().map(|m| m.name().to_owned()))
        .collect();
    for ((method, path), id) in operation_table(&doc) {
        if id == "GetOpenApiDocument" {
            continue; // REST's own
        }
        assert!(
            grpc.contains(&id),
            "{method} {path} ({id}) has no gRPC method of the same name"
        );
    }
    let json = serde_json::to_value(&doc).unwrap();
    for (path, item) in json["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let description = operation["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("scope `"),
                "{method} {path} does not name its scope"
            );
            assert!(
                !description.contains("none (refused)"),
                "{method} {path} has no policy"
            );
        }
    }
}
