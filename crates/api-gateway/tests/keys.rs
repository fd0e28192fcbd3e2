//! API keys: made by the API and by the CLI (shown once, stored as SHA-256), scoped,
//! listed and revoked, over REST and gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::api_key_service_client::ApiKeyServiceClient;
use hsi_api_gateway::pb::{
    CreateApiKeyRequest, ListApiKeysRequest, RevokeApiKeyRequest, WhoAmIRequest,
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use sha2::Digest as _;
use support::Gateway;

#[tokio::test(flavor = "multi_thread")]
async fn a_key_made_over_rest_works_with_its_scope_and_only_its_hash_is_stored() {
    let gw = Gateway::start().await;
    let (status, body) = gw
        .send_json(
            Method::POST,
            "/api/v1/api-keys",
            serde_json::json!({"name": "kiosk", "scope": "operator"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("hsi_"));
    assert_eq!(body["key"]["scope"], "operator");
    assert_eq!(body["key"]["created_by"], "test-admin");

    let me: serde_json::Value = gw
        .with_key(Method::GET, "/api/v1/whoami", &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "kiosk");
    let response = gw
        .with_key(Method::POST, "/api/v1/api-keys", &secret)
        .json(&serde_json::json!({"name": "escalate", "scope": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "an operator key cannot make keys");

    let row = gw
        .owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT key_hash, key_id FROM api_keys WHERE name = 'kiosk'",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get("", "key_hash").unwrap();
    assert_eq!(hash, hex::encode(sha2::Sha256::digest(secret.as_bytes())));
    let dump = gw
        .owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            format!("SELECT count(*) AS n FROM api_keys WHERE key_hash = '{secret}' OR name = '{secret}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dump.try_get::<i64>("", "n").unwrap(), 0);

    for (body, field) in [
        (serde_json::json!({"name": "x", "scope": "root"}), "scope"),
        (serde_json::json!({"name": "", "scope": "read"}), "name"),
        (
            serde_json::json!({"name": "y".repeat(101), "scope": "read"}),
            "name",
        ),
    ] {
        let (status, answer) = gw
            .send_json(Method::POST, "/api/v1/api-keys", body.clone())
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }

    let (_, listed) = gw.get_json("/api/v1/api-keys").await;
    let names: Vec<&str> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"kiosk"));
    assert!(
        listed.to_string().find(&secret).is_none(),
        "a listing never shows a secret"
    );
    let id = body["key"]["id"].as_i64().unwrap();
    let (status, _) = gw
        .send_json(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let response = gw
        .with_key(Method::GET, "/api/v1/whoami", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (_, listed) = gw.get_json("/api/v1/api-keys").await;
    assert!(!listed.to_string().contains("kiosk"));
    let (_, listed) = gw.get_json("/api/v1/api-keys?include_revoked=true").await;
    assert!(listed.to_string().contains("kiosk"));
    let (status, _) = gw
        .send_json(
            Method::DELETE,
            "/api/v1/api-keys/424242",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_over_grpc() {
    let gw = Gateway::start().await;
    let mut keys = ApiKeyServiceClient::new(gw.channel().await);
    let created = keys
        .create_api_key(gw.admin_request(CreateApiKeyRequest {
            name: "nvr".into(),
            scope: "read".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let me = keys
        .who_am_i(gw.request(WhoAmIRequest {}, &created.secret))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((me.name.as_str(), me.scope.as_str()), ("nvr", "read"));
    let err = keys
        .create_api_key(gw.admin_request(CreateApiKeyRequest {
            name: "nvr2".into(),
            scope: "god".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let err = keys
        .list_api_keys(gw.request(ListApiKeysRequest::default(), &created.secret))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let id = created.key.unwrap().id;
    let revoked = keys
        .revoke_api_key(gw.admin_request(RevokeApiKeyRequest { id }))
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoked_at.is_some());
    let err = keys
        .who_am_i(gw.request(WhoAmIRequest {}, &created.secret))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_prints_a_working_key_once() {
    let gw = Gateway::start().await;
    let url = gw.db.url_for(hsi_core::Service::Gateway);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_hsi-gateway"))
        .args(["api-key", "create", "installer", "--scope", "admin"])
        .env("HSI__DATABASE__URL", &url)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the key goes to stdout: {stdout:?}"
    );
    let me: serde_json::Value = gw
        .with_key(Method::GET, "/api/v1/whoami", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["name"].as_str(), me["scope"].as_str()),
        (Some("installer"), Some("admin"))
    );

    let listed = tokio::process::Command::new(env!("CARGO_BIN_EXE_hsi-gateway"))
        .args(["api-key", "list"])
        .env("HSI__DATABASE__URL", &url)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(listed.stdout).unwrap();
    assert!(text.contains("installer") && !text.contains(key), "{text}");

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_hsi-gateway"))
        .args(["api-key", "create", "x", "--scope", "superuser"])
        .env("HSI__DATABASE__URL", &url)
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("scope"));
}
