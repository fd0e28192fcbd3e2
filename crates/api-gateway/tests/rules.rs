//! Alert rules over REST and gRPC: saved only in the shapes the alert engine reads and
//! only when it would accept them, and tested against the latest events by the engine's
//! own evaluation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::alert_rule_service_client::AlertRuleServiceClient;
use hsi_api_gateway::pb::{
    AlertRuleDraft, DeleteAlertRuleRequest, GetAlertRuleRequest, ListAlertRulesRequest,
    RuleChannel, RuleSchedule, SetAlertRuleEnabledRequest, TestAlertRuleRequest,
    UpdateAlertRuleRequest,
};
use hsi_db::entities::alert_rules;
use reqwest::Method;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{json, Value};
use support::Gateway;
use uuid::Uuid;

async fn audit(g: &Gateway) -> Vec<(String, String, String)> {
    let rows = g
        .owner()
        .query_all(Statement::from_string(
            g.owner().get_database_backend(),
            "SELECT action, status, coalesce(details::text, '') AS details FROM audit_logs ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "action").unwrap(),
                r.try_get("", "status").unwrap(),
                r.try_get("", "details").unwrap(),
            )
        })
        .collect()
}

fn night_person() -> Value {
    json!({
        "name": "Night person",
        "description": "someone at the door at night",
        "severity": "high",
        "risk_threshold": 60,
        "object_types": ["Person"],
        "camera_ids": ["front_door"],
        "min_confidence": 0.5,
        "schedule": {"days": ["monday", "tue"], "start_time": "22:00", "end_time": "06:00", "timezone": "Europe/London"},
        "cooldown_seconds": 120,
        "channels": [{"type": "webhook", "url": "https://hooks.example.com/h?token=abc",
                      "headers": [{"name": "Authorization", "value": "Bearer s3cret"}], "timeout_ms": 1500}]
    })
}

#[tokio::test]
async fn rules_are_stored_as_the_alert_engine_reads_them() {
    let g = Gateway::start().await;

    let (status, rule) = g
        .send_json(Method::POST, "/api/v1/alert-rules", night_person())
        .await;
    assert_eq!(status, 200, "{rule}");
    assert_eq!(rule["enabled"], true);
    assert_eq!(rule["object_types"], json!(["Person"]));
    assert_eq!(rule["schedule"]["timezone"], "Europe/London");
    assert_eq!(rule["dedup_key_template"], "{camera_id}:{rule_id}");
    assert_eq!(
        rule["channels"][0]["headers"],
        json!([{"name": "authorization", "value": "Bearer s3cret"}])
    );
    let id: Uuid = rule["id"].as_str().unwrap().parse().unwrap();

    // The row, read as the analysis worker reads it, is the rule the user wrote.
    let model = alert_rules::Entity::find_by_id(id)
        .one(g.owner())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(model.object_types, Some(json!(["Person"])));
    assert_eq!(model.zone_ids, None, "an empty list is no restriction");
    assert_eq!(model.conditions, None);
    assert_eq!(
        model.schedule,
        Some(
            json!({"days": ["monday", "tue"], "start_time": "22:00", "end_time": "06:00", "timezone": "Europe/London"})
        )
    );
    assert_eq!(
        model.channels,
        Some(
            json!([{"type": "webhook", "url": "https://hooks.example.com/h?token=abc",
                     "headers": {"authorization": "Bearer s3cret"}, "timeout_ms": 1500}])
        )
    );
    let parsed = hsi_alerts::AlertRule::from_model(&model).unwrap();
    assert_eq!(parsed.object_types, Some(vec!["person".to_owned()]));
    assert_eq!(parsed.risk_threshold, Some(60));
    assert_eq!(parsed.cooldown, std::time::Duration::from_secs(120));
    assert!(matches!(
        parsed.channels[0],
        hsi_alerts::Channel::Webhook(_)
    ));

    let (status, got) = g.get_json(&format!("/api/v1/alert-rules/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got, rule);

    // Replace it: a rule for any camera, with an object type and no schedule.
    let (status, replaced) = g
        .send_json(
            Method::PUT,
            &format!("/api/v1/alert-rules/{id}"),
            json!({"name": "Any person", "severity": "critical", "object_types": ["person"]}),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["camera_ids"], json!([]));
    assert_eq!(replaced["schedule"], Value::Null);
    assert_eq!(replaced["channels"], json!([]));
    assert_eq!(replaced["enabled"], true, "kept when not given");
    assert_eq!(replaced["created_at"], rule["created_at"]);
    let (status, disabled) = g
        .send_json(
            Method::PUT,
            &format!("/api/v1/alert-rules/{id}/enabled"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["enabled"], false);
    let (_, listed) = g.get_json("/api/v1/alert-rules?enabled=false").await;
    assert_eq!(listed["rules"].as_array().unwrap().len(), 1);
    let (_, listed) = g.get_json("/api/v1/alert-rules?enabled=true").await;
    assert_eq!(listed["rules"], json!([]));
    let (status, body) = g.get_json("/api/v1/alert-rules?severity=urgent").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("severity"))
    );

    let response = g
        .admin(Method::DELETE, &format!("/api/v1/alert-rules/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, _) = g.get_json(&format!("/api/v1/alert-rules/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = g
        .send_json(
            Method::PUT,
            &format!("/api/v1/alert-rules/{id}"),
            json!({"name": "gone"}),
        )
        .await;
    assert_eq!(status, 404);

    let audit = audit(&g).await;
    for action in [
        "alert_rule.create",
        "alert_rule.update",
        "alert_rule.set_enabled",
        "alert_rule.delete",
    ] {
        assert!(
            audit.iter().any(|(a, s, _)| a == action && s == "success"),
            "{action}: {audit:?}"
        );
    }
    assert!(
        audit
            .iter()
            .all(|(_, _, details)| !details.contains("s3cret") && !details.contains("token=abc")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn rules_the_engine_would_not_honour_are_refused_naming_the_field() {
    let g = Gateway::start().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"severity": "severe"}), "severity", "severe"),
        (json!({"risk_threshold": 101}), "risk_threshold", "101"),
        (json!({"min_confidence": 1.5}), "min_confidence", "1.5"),
        (
            json!({"cooldown_seconds": -1}),
            "cooldown_seconds",
            "negative",
        ),
        (
            json!({"schedule": {"timezone": "Mars/Olympus"}}),
            "schedule.timezone",
            "Mars/Olympus",
        ),
        (
            json!({"schedule": {"days": ["funday"]}}),
            "schedule.days",
            "funday",
        ),
        (
            json!({"schedule": {"start_time": "22:00"}}),
            "schedule.end_time",
            "missing",
        ),
        (
            json!({"channels": [{"type": "webhook", "url": "ftp://example.com/x"}]}),
            "channels[0]",
            "ftp",
        ),
        (
            json!({"channels": [{"type": "webhook", "url": ""}]}),
            "channels[0]",
            "url",
        ),
        (
            json!({"channels": [{"type": "sms", "url": "https://x.example"}]}),
            "channels[0]",
            "sms",
        ),
        (
            json!({"dedup_key_template": "{camera_id}:{event}"}),
            "dedup_key_template",
            "{event}",
        ),
        (json!({"name": " "}), "name", "empty"),
        (json!({"colour": "red"}), "body", "colour"),
    ];
    for (change, field, mentions) in cases {
        let mut body = json!({"name": "r", "severity": "low"});
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let (status, answer) = g
            .send_json(Method::POST, "/api/v1/alert-rules", body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        if field != "body" {
            assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        }
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{body}: {message}");
    }
    let (_, listed) = g.get_json("/api/v1/alert-rules").await;
    assert_eq!(listed["rules"], json!([]), "nothing was saved");

    for key in [&g.read_key, &g.operator_key] {
        let response = g
            .with_key(Method::POST, "/api/v1/alert-rules", key)
            .json(&night_person())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "rules are configuration");
    }
    let audit = audit(&g).await;
    assert!(audit
        .iter()
        .any(|(a, s, _)| a == "alert_rule.create" && s == "failure"));
}

#[tokio::test]
async fn rules_over_grpc() {
    let g = Gateway::start().await;
    let mut client = AlertRuleServiceClient::new(g.channel().await);
    let draft = AlertRuleDraft {
        name: "Cars in the drive".to_owned(),
        severity: "medium".to_owned(),
        object_types: vec!["car".to_owned()],
        zone_ids: vec!["driveway".to_owned()],
        schedule: Some(RuleSchedule {
            days: vec!["saturday".to_owned()],
            ..Default::default()
        }),
        channels: vec![RuleChannel {
            r#type: "webhook".to_owned(),
            url: "http://hooks.example.com/cars".to_owned(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let rule = client
        .create_alert_rule(g.admin_request(draft.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rule.zone_ids, ["driveway"]);
    assert_eq!(rule.schedule.as_ref().unwrap().days, ["saturday"]);
    assert_eq!(rule.cooldown_seconds, 300);

    let got = client
        .get_alert_rule(g.admin_request(GetAlertRuleRequest {
            id: rule.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, rule);
    let updated = client
        .update_alert_rule(g.admin_request(UpdateAlertRuleRequest {
            id: rule.id.clone(),
            rule: Some(AlertRuleDraft {
                enabled: Some(false),
                risk_threshold: Some(40),
                ..draft.clone()
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.enabled, updated.risk_threshold), (false, Some(40)));
    let err = client
        .update_alert_rule(g.admin_request(UpdateAlertRuleRequest {
            id: rule.id.clone(),
            rule: Some(AlertRuleDraft {
                min_confidence: Some(2.0),
                ..draft.clone()
            }),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        support::error_field(&err).as_deref(),
        Some("rule.min_confidence")
    );
    let enabled = client
        .set_alert_rule_enabled(g.admin_request(SetAlertRuleEnabledRequest {
            id: rule.id.clone(),
            enabled: true,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(enabled.enabled);
    let listed = client
        .list_alert_rules(g.admin_request(ListAlertRulesRequest {
            enabled: Some(true),
            severity: Some("medium".to_owned()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.rules.len(), 1);
    let err = client
        .create_alert_rule(g.request(draft.clone(), &g.operator_key))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let err = client
        .create_alert_rule(g.admin_request(AlertRuleDraft {
            schedule: Some(RuleSchedule {
                timezone: Some("Nowhere/City".to_owned()),
                ..Default::default()
            }),
            ..draft.clone()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        support::error_field(&err).as_deref(),
        Some("schedule.timezone")
    );
    client
        .delete_alert_rule(g.admin_request(DeleteAlertRuleRequest {
            id: rule.id.clone(),
        }))
        .await
        .unwrap();
    let err = client
        .delete_alert_rule(g.admin_request(DeleteAlertRuleRequest {
            id: rule.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = client
        .get_alert_rule(g.admin_request(GetAlertRuleRequest {
            id: "rule-1".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
}

/// Camera `front_door` with a porch zone over the lower half, camera `garden` without
/// zones; answers the ids of: a person in the porch (risk 80), a cat outside it (risk
/// 20), a person in the garden (risk 90), each a minute apart from 2026-11-23 (a
/// Monday) 22:00 UTC.
async fn events(g: &Gateway) -> (i32, i32, i32) {
    g.camera("front_door", "Front Door").await;
    g.camera("garden", "Garden").await;
    g.exec(
        "INSERT INTO camera_zones (id, camera_id, name, zone_type, shape, coordinates) \
         VALUES ('porch', 'front_door', 'Porch', 'entry_point', 'rectangle', '[[0.0, 0.5], [1.0, 1.0]]')",
    )
    .await;
    // The fixture's box (10, 20, 30, 40) in a 640x480 frame stands at y = 60/480: above
    // the porch. Move the first person down into it.
    let person = g
        .detection("front_door", "person", "/cams/front_door/1.jpg")
        .await;
    g.exec(&format!(
        "UPDATE detections SET bbox_y = 400, bbox_height = 60 WHERE id = {person}"
    ))
    .await;
    let cat = g
        .detection("front_door", "cat", "/cams/front_door/2.jpg")
        .await;
    let walker = g.detection("garden", "person", "/cams/garden/1.jpg").await;
    let e1 = g
        .event(
            "front_door",
            80,
            "person at the door",
            "",
            "person",
            &[person],
        )
        .await;
    let e2 = g.event("front_door", 20, "a cat", "", "cat", &[cat]).await;
    let e3 = g
        .event(
            "garden",
            90,
            "person in the garden",
            "",
            "person",
            &[walker],
        )
        .await;
    for (id, minute) in [(e1, 0), (e2, 1), (e3, 2)] {
        g.exec(&format!(
            "UPDATE events SET started_at = timestamptz '2026-11-23T22:00:00Z' + interval '{minute} minutes' WHERE id = {id}"
        ))
        .await;
    }
    (e1, e2, e3)
}

fn result_of(answer: &Value, event: i32) -> &Value {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["event_id"] == event)
        .unwrap_or_else(|| panic!("no result for event {event}: {answer}"))
}

fn conditions(result: &Value) -> Vec<String> {
    result["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["condition"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_unsaved_rule_is_tested_against_the_latest_events_as_the_engine_would() {
    let g = Gateway::start().await;
    let (e1, e2, e3) = events(&g).await;
    let rule = json!({"name": "porch person", "severity": "high", "risk_threshold": 50,
                      "object_types": ["person"], "zone_ids": ["porch"]});

    let response = g
        .with_key(Method::POST, "/api/v1/alert-rules/test", &g.operator_key)
        .json(&json!({"rule": rule}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["events_tested"], 3);
    assert_eq!(answer["would_fire"], 1);
    let order: Vec<i64> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        [i64::from(e3), i64::from(e2), i64::from(e1)],
        "newest first"
    );

    let fired = result_of(&answer, e1);
    assert_eq!(fired["would_fire"], true, "{fired}");
    assert_eq!(fired["failures"], json!([]));
    assert_eq!(fired["matched_object_type"], "person");
    assert_eq!(
        fired["matched_zone_id"], "porch",
        "zones as the worker computes them"
    );
    assert_eq!(fired["dedup_key"], format!("front_door:{}", Uuid::nil()));

    let cat = result_of(&answer, e2);
    assert_eq!(cat["would_fire"], false);
    assert_eq!(
        conditions(cat),
        ["risk_below_threshold", "no_listed_object_type"],
        "every failed condition"
    );
    let messages = cat["failures"].to_string();
    assert!(
        messages.contains("risk score 20 is below the rule's threshold 50"),
        "{messages}"
    );
    assert!(messages.contains("the event saw cat"), "{messages}");

    let garden = result_of(&answer, e3);
    assert_eq!(conditions(garden), ["zone_not_entered"]);
    assert!(garden["failures"][0]["message"]
        .as_str()
        .unwrap()
        .contains("in no zone"));

    // Fewer events, and a schedule that is not Monday night.
    let (_, answer) = g
        .send_json(
            Method::POST,
            "/api/v1/alert-rules/test",
            json!({"limit": 2, "rule": {"name": "weekdays", "schedule": {"days": ["tuesday"], "start_time": "08:00", "end_time": "18:00"}}}),
        )
        .await;
    assert_eq!(answer["events_tested"], 2);
    let newest = &answer["results"][0];
    assert_eq!(conditions(newest), ["outside_schedule"]);
    let message = newest["failures"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("monday 22:02") && message.contains("tuesday 08:00-18:00 UTC"),
        "{message}"
    );

    for (body, field) in [
        (
            json!({"rule": {"name": "x", "schedule": {"timezone": "Atlantis"}}}),
            "rule.schedule.timezone",
        ),
        (
            json!({"rule_id": Uuid::nil().to_string(), "rule": {"name": "x"}}),
            "rule_id",
        ),
        (json!({}), "rule_id"),
        (json!({"rule": {"name": "x"}, "limit": 501}), "limit"),
        (json!({"rule_id": "seven"}), "rule_id"),
    ] {
        let (status, answer) = g
            .send_json(Method::POST, "/api/v1/alert-rules/test", body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}");
    }
    let (status, _) = g
        .send_json(
            Method::POST,
            "/api/v1/alert-rules/test",
            json!({"rule_id": Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(status, 404);
    let refused = g
        .with_key(Method::POST, "/api/v1/alert-rules/test", &g.read_key)
        .json(&json!({"rule": rule}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        403,
        "testing needs the operator scope"
    );
}

#[tokio::test]
async fn a_saved_rule_is_tested_with_its_cooldown_and_its_disabled_state() {
    let g = Gateway::start().await;
    let (e1, _, _) = events(&g).await;
    // Another person at the door five minutes after the first.
    let again = g
        .detection("front_door", "person", "/cams/front_door/3.jpg")
        .await;
    let e4 = g
        .event("front_door", 85, "again", "", "person", &[again])
        .await;
    g.exec(&format!(
        "UPDATE events SET started_at = timestamptz '2026-11-23T22:05:00Z' WHERE id = {e4}"
    ))
    .await;
    let (_, rule) = g
        .send_json(
            Method::POST,
            "/api/v1/alert-rules",
            json!({"name": "door", "camera_ids": ["front_door"], "object_types": ["person"], "cooldown_seconds": 600}),
        )
        .await;
    let id = rule["id"].as_str().unwrap().to_owned();

    let mut client = AlertRuleServiceClient::new(g.channel().await);
    let answer = client
        .test_alert_rule(g.request(
            TestAlertRuleRequest {
                rule_id: Some(id.clone()),
                rule: None,
                limit: 0,
            },
            &g.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.events_tested, 4);
    assert_eq!(answer.would_fire, 1);
    let first = answer
        .results
        .iter()
        .find(|r| r.event_id == i64::from(e1))
        .unwrap();
    assert!(first.would_fire);
    let held = answer
        .results
        .iter()
        .find(|r| r.event_id == i64::from(e4))
        .unwrap();
    assert!(!held.would_fire);
    assert_eq!(held.suppressed_by_event_id, Some(i64::from(e1)));
    assert_eq!(held.failures.len(), 1);
    assert_eq!(held.failures[0].condition, "cooldown");
    assert_eq!(
        held.dedup_key.as_deref(),
        Some(format!("front_door:{id}").as_str())
    );
    let garden = answer
        .results
        .iter()
        .find(|r| r.camera_id == "garden")
        .unwrap();
    assert_eq!(garden.failures[0].condition, "camera_not_listed");

    client
        .set_alert_rule_enabled(g.admin_request(SetAlertRuleEnabledRequest {
            id: id.clone(),
            enabled: false,
        }))
        .await
        .unwrap();
    let answer = client
        .test_alert_rule(g.admin_request(TestAlertRuleRequest {
            rule_id: Some(id.clone()),
            rule: None,
            limit: 10,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.would_fire, 0);
    assert!(answer
        .results
        .iter()
        .all(|r| r.failures[0].condition == "disabled"));
    let err = client
        .test_alert_rule(g.request(
            TestAlertRuleRequest {
                rule_id: Some(id),
                rule: None,
                limit: 0,
            },
            &g.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
}
