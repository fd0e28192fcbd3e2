//! Alerts over REST and gRPC: lists with filters and keyset pages, acknowledging and
//! dismissing (status and version only), and each alert's delivery history.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::alert_service_client::AlertServiceClient;
use hsi_api_gateway::pb::{
    AcknowledgeAlertRequest, DismissAlertRequest, GetAlertRequest, ListAlertDeliveriesRequest,
    ListAlertsRequest,
};
use reqwest::Method;
use serde_json::{json, Value};
use support::Gateway;
use uuid::Uuid;

const RULE: &str = "0190a000-0000-7000-8000-000000000001";

/// An alert as the analysis worker writes one, `minutes` after 10:00, raised by the
/// rule [`RULE`] or (a rule since deleted) by none.
async fn alert(
    g: &Gateway,
    event: i32,
    by_rule: bool,
    severity: &str,
    status: &str,
    minutes: i64,
) -> String {
    let id = Uuid::now_v7().to_string();
    let rule = if by_rule {
        format!("'{RULE}'")
    } else {
        "NULL".to_owned()
    };
    let delivered = if status == "delivered" {
        "now()"
    } else {
        "NULL"
    };
    let state = if status == "delivered" {
        "delivered"
    } else {
        "none"
    };
    g.exec(&format!(
        "INSERT INTO alerts (id, event_id, rule_id, severity, status, dedup_key, channels, metadata, \
         delivery_state, delivered_at, created_at) VALUES ('{id}', {event}, {rule}, '{severity}', '{status}', \
         'front_door:rule', '[{{\"type\": \"webhook\", \"url\": \"https://user:pw@hooks.example.com/a?token=secret\", \
         \"headers\": {{\"authorization\": \"Bearer s3cret\"}}}}]', \
         '{{\"rule_name\": \"Night person\", \"summary\": \"someone at the door\"}}', '{state}', {delivered}, \
         timestamptz '2026-11-23T10:00:00Z' + interval '{minutes} minutes')"
    ))
    .await;
    id
}

async fn world(g: &Gateway) -> (i32, i32) {
    g.camera("front_door", "Front Door").await;
    g.camera("garden", "Garden").await;
    g.exec(&format!(
        "INSERT INTO alert_rules (id, name, severity) VALUES ('{RULE}', 'Night person', 'high')"
    ))
    .await;
    let front = g
        .event(
            "front_door",
            80,
            "someone at the door",
            "night",
            "person",
            &[],
        )
        .await;
    let garden = g.event("garden", 30, "a cat", "day", "cat", &[]).await;
    (front, garden)
}

fn ids(body: &Value) -> Vec<&str> {
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn alerts_are_listed_newest_first_with_filters_and_pages() {
    let g = Gateway::start().await;
    let (front, garden) = world(&g).await;
    let a1 = alert(&g, front, true, "high", "pending", 1).await;
    let a2 = alert(&g, front, false, "critical", "delivered", 2).await;
    let a3 = alert(&g, garden, true, "low", "acknowledged", 3).await;
    let a4 = alert(&g, garden, false, "high", "dismissed", 4).await;

    let (status, body) = g.get_json("/api/v1/alerts").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids(&body),
        [a4.as_str(), a3.as_str(), a2.as_str(), a1.as_str()]
    );
    let first = &body["alerts"][3];
    assert_eq!(first["camera_id"], "front_door");
    assert_eq!(first["event_id"], front);
    assert_eq!(first["rule_id"], RULE);
    assert_eq!(first["rule_name"], "Night person");
    assert_eq!(first["summary"], "someone at the door");
    assert_eq!(first["risk_score"], 80);
    assert_eq!(first["version_id"], 1);
    assert_eq!(first["created_at"], "2026-11-23T10:01:00.000Z");
    assert_eq!(first["delivery"]["state"], "none");
    assert_eq!(
        first["channels"],
        json!([{"index": 0, "type": "webhook", "target": "https://hooks.example.com/a"}]),
        "no credentials, token or headers"
    );
    assert!(!body.to_string().contains("secret"));
    let ruleless = &body["alerts"][2];
    assert_eq!(ruleless["rule_id"], Value::Null);
    assert_eq!(
        ruleless["rule_name"], "Night person",
        "the name recorded on the alert"
    );

    for (query, expected) in [
        ("status=pending".to_owned(), vec![a1.as_str()]),
        ("severity=high".to_owned(), vec![a4.as_str(), a1.as_str()]),
        (
            "camera_id=garden".to_owned(),
            vec![a4.as_str(), a3.as_str()],
        ),
        (format!("event_id={front}"), vec![a2.as_str(), a1.as_str()]),
        (format!("rule_id={RULE}"), vec![a3.as_str(), a1.as_str()]),
        (format!("rule_id={RULE}&status=pending"), vec![a1.as_str()]),
        (
            "start=2026-11-23T10:02:00Z&end=2026-11-23T10:04:00Z".to_owned(),
            vec![a3.as_str(), a2.as_str()],
        ),
    ] {
        let (status, body) = g.get_json(&format!("/api/v1/alerts?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(ids(&body), expected, "{query}");
    }

    // Pages of two: every alert once, in order.
    let (_, page1) = g.get_json("/api/v1/alerts?limit=2").await;
    assert_eq!(ids(&page1), [a4.as_str(), a3.as_str()]);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = g
        .get_json(&format!("/api/v1/alerts?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(ids(&page2), [a2.as_str(), a1.as_str()]);
    assert_eq!(page2["has_more"], false);
    assert_eq!(page2["next_cursor"], "");

    for (query, field) in [
        ("status=open", "status"),
        ("severity=urgent", "severity"),
        ("rule_id=nope", "rule_id"),
        ("start=yesterday", "start"),
        ("cursor=garbage!", "cursor"),
        ("limit=501", "limit"),
        ("start=2026-11-23T11:00:00Z&end=2026-11-23T10:00:00Z", "end"),
    ] {
        let (status, body) = g.get_json(&format!("/api/v1/alerts?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }

    let mut client = AlertServiceClient::new(g.channel().await);
    let listed = client
        .list_alerts(g.request(
            ListAlertsRequest {
                camera_id: Some("front_door".to_owned()),
                ..Default::default()
            },
            &g.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    let got: Vec<&str> = listed.alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(got, [a2.as_str(), a1.as_str()]);
    let err = client
        .list_alerts(g.admin_request(ListAlertsRequest {
            status: Some("open".to_owned()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    let one = client
        .get_alert(g.request(GetAlertRequest { id: a3.clone() }, &g.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (one.status.as_str(), one.severity.as_str()),
        ("acknowledged", "low")
    );
    let err = client
        .get_alert(g.admin_request(GetAlertRequest {
            id: Uuid::new_v4().to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let (status, _) = g
        .get_json(&format!("/api/v1/alerts/{}", Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
    let (status, body) = g.get_json("/api/v1/alerts/not-a-uuid").await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("id")));
}

#[tokio::test]
async fn alerts_are_acknowledged_and_dismissed_along_their_states() {
    let g = Gateway::start().await;
    let (front, _) = world(&g).await;
    let pending = alert(&g, front, true, "high", "pending", 1).await;
    let other = alert(&g, front, false, "high", "delivered", 2).await;
    let ack = |id: &str| format!("/api/v1/alerts/{id}/acknowledge");
    let dismiss = |id: &str| format!("/api/v1/alerts/{id}/dismiss");

    let refused = g
        .with_key(Method::POST, &ack(&pending), &g.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        403,
        "acknowledging needs the operator scope"
    );
    let response = g
        .with_key(Method::POST, &ack(&pending), &g.operator_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "acknowledged");
    assert_eq!(body["version_id"], 2);
    let (status, again) = g.send_json(Method::POST, &ack(&pending), json!({})).await;
    assert_eq!(status, 200, "acknowledging twice changes nothing: {again}");
    assert_eq!(again["version_id"], 2);

    let (status, body) = g
        .send_json(Method::POST, &dismiss(&pending), json!({"version_id": 1}))
        .await;
    assert_eq!(status, 409, "a stale version: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{body}"
    );
    let (status, body) = g
        .send_json(Method::POST, &dismiss(&pending), json!({"version_id": 2}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["version_id"].as_i64()),
        (Some("dismissed"), Some(3))
    );

    let (status, body) = g.send_json(Method::POST, &ack(&pending), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "failed_precondition");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("is dismissed"), "{message}");

    let mut client = AlertServiceClient::new(g.channel().await);
    let err = client
        .acknowledge_alert(g.request(
            AcknowledgeAlertRequest {
                id: pending.clone(),
                version_id: None,
            },
            &g.operator_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    let dismissed = client
        .dismiss_alert(g.request(
            DismissAlertRequest {
                id: other.clone(),
                version_id: Some(1),
            },
            &g.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (dismissed.status.as_str(), dismissed.version_id),
        ("dismissed", 2)
    );
    let err = client
        .dismiss_alert(g.request(
            DismissAlertRequest {
                id: other.clone(),
                version_id: None,
            },
            &g.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let err = client
        .dismiss_alert(g.admin_request(DismissAlertRequest {
            id: Uuid::new_v4().to_string(),
            version_id: None,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = client
        .acknowledge_alert(g.admin_request(AcknowledgeAlertRequest {
            id: "x".to_owned(),
            version_id: None,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    let audit = g.audit_trail().await;
    for (action, status) in [
        ("alert.acknowledge", "success"),
        ("alert.acknowledge", "failure"),
        ("alert.dismiss", "success"),
        ("alert.dismiss", "failure"),
        ("denied", "failure"),
    ] {
        assert!(
            audit.iter().any(|(a, s)| a == action && s == status),
            "{action} {status}: {audit:?}"
        );
    }
}

#[tokio::test]
async fn the_delivery_history_is_listed_newest_first_with_the_outbox_state() {
    let g = Gateway::start().await;
    let (front, _) = world(&g).await;
    let id = alert(&g, front, true, "high", "pending", 1).await;
    g.exec(&format!(
        "UPDATE alerts SET delivery_state = 'retrying', delivery_attempts = 2, \
         next_attempt_at = timestamptz '2026-11-23T10:30:00Z', last_error = 'webhook: receiver answered http 503' \
         WHERE id = '{id}';
         INSERT INTO alert_deliveries (alert_id, attempt, channel_index, channel_type, target, started_at, \
             finished_at, outcome, requests, http_status, error) VALUES
         ('{id}', 1, 0, 'webhook', 'https://hooks.example.com/a', '2026-11-23T10:01:00Z', '2026-11-23T10:01:02Z', 'retrying', 4, 503, 'receiver answered http 503'),
         ('{id}', 1, 1, 'carrier_pigeon', '', '2026-11-23T10:01:00Z', '2026-11-23T10:01:00Z', 'retrying', 0, NULL, 'not supported'),
         ('{id}', 2, 0, 'webhook', 'https://hooks.example.com/a', '2026-11-23T10:05:00Z', '2026-11-23T10:05:01Z', 'retrying', 1, 503, 'receiver answered http 503');"
    ))
    .await;

    let (status, body) = g.get_json(&format!("/api/v1/alerts/{id}/deliveries")).await;
    assert_eq!(status, 200, "{body}");
    let attempts: Vec<(i64, i64)> = body["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attempt"].as_i64().unwrap(),
                d["channel_index"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0], (2, 0), "newest first");
    let newest = &body["deliveries"][0];
    assert_eq!(newest["outcome"], "retrying");
    assert_eq!(newest["http_status"], 503);
    assert_eq!(newest["requests"], 1);
    assert_eq!(newest["started_at"], "2026-11-23T10:05:00.000Z");
    assert_eq!(
        body["outbox"],
        json!({"state": "retrying", "attempts": 2, "next_attempt_at": "2026-11-23T10:30:00.000Z",
               "last_error": "webhook: receiver answered http 503", "delivered_at": null})
    );

    let (_, page) = g
        .get_json(&format!("/api/v1/alerts/{id}/deliveries?limit=2"))
        .await;
    assert_eq!(page["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = g
        .get_json(&format!(
            "/api/v1/alerts/{id}/deliveries?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);

    let mut client = AlertServiceClient::new(g.channel().await);
    let listed = client
        .list_alert_deliveries(g.request(
            ListAlertDeliveriesRequest {
                alert_id: id.clone(),
                limit: 0,
                cursor: String::new(),
            },
            &g.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.deliveries.len(), 3);
    assert_eq!(listed.outbox.unwrap().attempts, 2);
    let err = client
        .list_alert_deliveries(g.admin_request(ListAlertDeliveriesRequest {
            alert_id: Uuid::new_v4().to_string(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let (status, body) = g.get_json("/api/v1/alerts/nope/deliveries").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("alert_id"))
    );
}
