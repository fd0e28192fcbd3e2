//! The audit trail: every mutation through either protocol writes a row, successful or
//! not; the rows form a hash chain the API verifies; an edited or removed row is named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::audit_service_client::AuditServiceClient;
use hsi_api_gateway::pb::camera_service_client::CameraServiceClient;
use hsi_api_gateway::pb::{UpdateCameraRequest, VerifyAuditChainRequest};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use support::Gateway;

async fn mutate_a_few_times(gw: &Gateway) {
    gw.camera("drive", "Drive").await;
    let (status, _) = gw
        .send_json(
            Method::PATCH,
            "/api/v1/cameras/drive",
            serde_json::json!({"name": "Driveway"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = gw
        .send_json(
            Method::PATCH,
            "/api/v1/cameras/drive",
            serde_json::json!({"status": "sleeping"}),
        )
        .await;
    assert_eq!(status, 400);
    let mut cameras = CameraServiceClient::new(gw.channel().await);
    cameras
        .update_camera(gw.admin_request(UpdateCameraRequest {
            id: "drive".into(),
            status: Some("offline".into()),
            ..Default::default()
        }))
        .await
        .unwrap();
    let (status, _) = gw
        .send_json(
            Method::POST,
            "/api/v1/api-keys",
            serde_json::json!({"name": "cctv", "scope": "read"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn mutations_are_recorded_with_actor_address_and_outcome() {
    let gw = Gateway::start().await;
    mutate_a_few_times(&gw).await;
    let (status, body) = gw.get_json("/api/v1/audit?limit=10").await;
    assert_eq!(status, 200, "{body}");
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("api_key.create", "success"),
            ("camera.update", "success"),
            ("camera.update", "failure"),
            ("camera.update", "success"),
        ]
    );
    for entry in entries {
        assert_eq!(entry["actor"], "test-admin");
        assert_eq!(entry["ip_address"], "127.0.0.1");
        assert_eq!(entry["row_hash"].as_str().unwrap().len(), 64);
    }
    // The failure says why; the key's secret is nowhere in the trail.
    assert!(
        entries[2]["details"].as_str().unwrap().contains("status"),
        "{}",
        entries[2]
    );
    let secrets = gw
        .owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT count(*) AS n FROM audit_logs WHERE details::text LIKE '%hsi\\_%\\_%' ESCAPE '\\'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secrets.try_get::<i64>("", "n").unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_verifies_and_names_an_edited_row() {
    let gw = Gateway::start().await;
    mutate_a_few_times(&gw).await;
    let (status, report) = gw.get_json("/api/v1/audit/verify").await;
    assert_eq!(status, 200);
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["rows_checked"], 4);

    // Someone with the owner's password rewrites who did it.
    gw.exec("UPDATE audit_logs SET actor = 'nobody' WHERE seq = 2")
        .await;
    let (_, report) = gw.get_json("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_broken_seq"], 2);
    assert!(
        report["reason"].as_str().unwrap().contains("edited"),
        "{report}"
    );

    // Over gRPC the same answer.
    let mut audit = AuditServiceClient::new(gw.channel().await);
    let report = audit
        .verify_audit_chain(gw.admin_request(VerifyAuditChainRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_row_breaks_the_chain_at_the_next_one() {
    let gw = Gateway::start().await;
    mutate_a_few_times(&gw).await;
    gw.exec("DELETE FROM audit_logs WHERE seq = 3").await;
    let (_, report) = gw.get_json("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["first_broken_seq"], 4);
    // Recomputing the hash of the edited row does not help: the next link breaks.
    let gw = Gateway::start().await;
    mutate_a_few_times(&gw).await;
    gw.exec(
        "UPDATE audit_logs SET actor = 'nobody', row_hash = audit_log_row_hash(prev_hash, seq, \"timestamp\", \
         action, resource_type, resource_id, 'nobody', ip_address, user_agent, details, status) WHERE seq = 2",
    )
    .await;
    let (_, report) = gw.get_json("/api/v1/audit/verify").await;
    assert_eq!(report["first_broken_seq"], 3, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_role_cannot_rewrite_the_trail() {
    let gw = Gateway::start().await;
    mutate_a_few_times(&gw).await;
    for sql in [
        "UPDATE audit_logs SET actor = 'x'",
        "DELETE FROM audit_logs",
    ] {
        let err = gw.app.db.execute_unprepared(sql).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_mutations_still_form_one_chain() {
    let gw = Gateway::start_with(|s| s.rate_limit.enabled = false).await;
    gw.camera("yard", "Yard").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let request = gw
            .admin(Method::PATCH, "/api/v1/cameras/yard")
            .json(&serde_json::json!({"name": format!("Yard {i}")}));
        tasks.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let (_, report) = gw.get_json("/api/v1/audit/verify").await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["rows_checked"], 24);
}
