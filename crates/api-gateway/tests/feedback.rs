//! Feedback over REST and gRPC: one verdict per event (given again, it replaces the
//! last), read back, and counted per camera with the false-positive rate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::feedback_service_client::FeedbackServiceClient;
use hsi_api_gateway::pb::{
    GetEventFeedbackRequest, GetFeedbackStatsRequest, SubmitEventFeedbackRequest,
};
use reqwest::Method;
use serde_json::{json, Value};
use support::Gateway;

fn field_of(status: &tonic::Status) -> Option<&str> {
    status
        .metadata()
        .get(hsi_api_gateway::error::FIELD_METADATA)
        .and_then(|v| v.to_str().ok())
}

async fn feedback_rows(gw: &Gateway) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    gw.owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT count(*) AS n FROM event_feedback",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

async fn audit_statuses(gw: &Gateway) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    gw.owner()
        .query_all(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT status FROM audit_logs WHERE action = 'event.feedback' ORDER BY seq",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "status").unwrap())
        .collect()
}

#[tokio::test]
async fn feedback_is_given_replaced_and_read_back() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    let id = gw
        .event("front_door", 70, "a person at night", "", "person", &[])
        .await;
    let path = format!("/api/v1/events/{id}/feedback");

    let (status, body) = gw.get_json(&path).await;
    assert_eq!(status, 404, "none yet: {body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("feedback on event {id}")));

    let (status, first) = gw
        .send_json(
            Method::PUT,
            &path,
            json!({"feedback_type": "false_positive", "notes": "our cat"}),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["event_id"], id);
    assert_eq!(first["feedback_type"], "false_positive");
    assert_eq!(first["notes"], "our cat");
    assert!(first["expected_severity"].is_null());

    // Given again, it replaces the first: still one row, the same id.
    let (status, second) = gw
        .send_json(
            Method::PUT,
            &path,
            json!({"feedback_type": "severity_wrong", "expected_severity": "low"}),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(
        (
            second["feedback_type"].as_str(),
            second["expected_severity"].as_str()
        ),
        (Some("severity_wrong"), Some("low"))
    );
    assert!(second["notes"].is_null());
    assert_eq!(feedback_rows(&gw).await, 1);
    let (status, read) = gw.get_json(&path).await;
    assert_eq!(status, 200);
    assert_eq!(read, second);
    assert_eq!(audit_statuses(&gw).await, ["success", "success"]);

    let refusals: [(Value, &str); 6] = [
        (json!({"feedback_type": "wrong"}), "feedback_type"),
        (json!({}), "feedback_type"),
        (
            json!({"feedback_type": "severity_wrong"}),
            "expected_severity",
        ),
        (
            json!({"feedback_type": "severity_wrong", "expected_severity": "extreme"}),
            "expected_severity",
        ),
        (
            json!({"feedback_type": "correct", "expected_severity": "low"}),
            "expected_severity",
        ),
        (
            json!({"feedback_type": "correct", "notes": "n".repeat(10_001)}),
            "notes",
        ),
    ];
    for (body, field) in refusals {
        let (status, answer) = gw.send_json(Method::PUT, &path, body.clone()).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (400, Some(field)),
            "{body}: {answer}"
        );
    }
    assert!(audit_statuses(&gw).await.contains(&"failure".to_owned()));
    let (status, body) = gw
        .send_json(
            Method::PUT,
            "/api/v1/events/999999/feedback",
            json!({"feedback_type": "correct"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("event 999999"));
    let (status, _) = gw.get_json("/api/v1/events/999999/feedback").await;
    assert_eq!(status, 404);
    let read_only = gw
        .with_key(Method::PUT, &path, &gw.read_key)
        .json(&json!({"feedback_type": "correct"}))
        .send()
        .await
        .unwrap();
    assert_eq!(read_only.status(), 403);

    let mut client = FeedbackServiceClient::new(gw.channel().await);
    let stored = client
        .submit_event_feedback(gw.request(
            SubmitEventFeedbackRequest {
                event_id: i64::from(id),
                feedback_type: "correct".into(),
                expected_severity: None,
                notes: Some("fine after all".into()),
            },
            &gw.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.feedback_type, "correct");
    let read = client
        .get_event_feedback(gw.request(
            GetEventFeedbackRequest {
                event_id: i64::from(id),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, stored);
    let invalid = client
        .submit_event_feedback(gw.admin_request(SubmitEventFeedbackRequest {
            event_id: i64::from(id),
            feedback_type: "severity_wrong".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (invalid.code(), field_of(&invalid)),
        (tonic::Code::InvalidArgument, Some("expected_severity"))
    );
    let denied = client
        .submit_event_feedback(gw.request(
            SubmitEventFeedbackRequest {
                event_id: i64::from(id),
                feedback_type: "correct".into(),
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let missing = client
        .get_event_feedback(gw.admin_request(GetEventFeedbackRequest { event_id: 999_999 }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn stats_count_each_kind_per_camera_with_the_false_positive_rate() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    gw.camera("garden", "Garden").await;
    let verdicts = [
        ("front_door", "2026-11-01T10:00:00Z", "false_positive", None),
        ("front_door", "2026-11-02T10:00:00Z", "false_positive", None),
        ("front_door", "2026-11-03T10:00:00Z", "correct", None),
        (
            "front_door",
            "2026-11-04T10:00:00Z",
            "severity_wrong",
            Some("high"),
        ),
        ("garden", "2026-11-01T10:00:00Z", "missed_threat", None),
        ("garden", "2026-11-05T10:00:00Z", "correct", None),
    ];
    for (camera, at, kind, severity) in verdicts {
        let id = gw.event(camera, 50, "something", "", "person", &[]).await;
        gw.exec(&format!(
            "UPDATE events SET started_at = '{at}', ended_at = NULL WHERE id = {id}"
        ))
        .await;
        let (status, body) = gw
            .send_json(
                Method::PUT,
                &format!("/api/v1/events/{id}/feedback"),
                json!({"feedback_type": kind, "expected_severity": severity}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // An event without feedback counts for nothing.
    gw.event("garden", 50, "unjudged", "", "person", &[]).await;

    let (status, body) = gw.get_json("/api/v1/feedback/stats").await;
    assert_eq!(status, 200, "{body}");
    let front = &body["cameras"][0];
    assert_eq!(front["camera_id"], "front_door");
    assert_eq!(front["camera_name"], "Front Door");
    assert_eq!(
        [
            &front["false_positive"],
            &front["correct"],
            &front["severity_wrong"],
            &front["missed_threat"],
            &front["total"]
        ],
        [&json!(2), &json!(1), &json!(1), &json!(0), &json!(4)]
    );
    assert_eq!(front["false_positive_rate"], 0.5);
    let garden = &body["cameras"][1];
    assert_eq!(
        (
            garden["total"].as_i64(),
            garden["false_positive_rate"].as_f64()
        ),
        (Some(2), Some(0.0))
    );
    assert_eq!(body["overall"]["total"], 6);
    assert!((body["overall"]["false_positive_rate"].as_f64().unwrap() - 2.0 / 6.0).abs() < 1e-9);

    let (_, body) = gw.get_json("/api/v1/feedback/stats?camera_id=garden").await;
    assert_eq!(body["cameras"].as_array().unwrap().len(), 1);
    assert_eq!(body["overall"]["missed_threat"], 1);
    let (_, body) = gw
        .get_json(
            "/api/v1/feedback/stats?start_time=2026-11-02T00:00:00Z&end_time=2026-11-04T00:00:00Z",
        )
        .await;
    assert_eq!(body["cameras"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(
        (
            body["overall"]["total"].as_i64(),
            body["overall"]["false_positive"].as_i64()
        ),
        (Some(2), Some(1))
    );

    for (query, field) in [
        ("start_time=never", "start_time"),
        (
            "start_time=2026-11-04T00:00:00Z&end_time=2026-11-02T00:00:00Z",
            "end_time",
        ),
        ("camera=garden", "query"),
    ] {
        let (status, answer) = gw
            .get_json(&format!("/api/v1/feedback/stats?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {answer}");
        if field != "query" {
            assert_eq!(answer["error"]["field"], field, "{query}: {answer}");
        }
    }

    let mut client = FeedbackServiceClient::new(gw.channel().await);
    let stats = client
        .get_feedback_stats(gw.request(
            GetFeedbackStatsRequest {
                camera_id: Some("front_door".into()),
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.cameras.len(), 1);
    assert_eq!(stats.cameras[0].false_positive, 2);
    assert!((stats.cameras[0].false_positive_rate - 0.5).abs() < 1e-9);
    let bad = client
        .get_feedback_stats(gw.admin_request(GetFeedbackStatsRequest {
            start_time: Some("later".into()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code(), field_of(&bad)),
        (tonic::Code::InvalidArgument, Some("start_time"))
    );
}
