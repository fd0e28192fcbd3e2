//! Notification settings over REST and gRPC: the household's preferences, per-camera
//! settings and quiet hours.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::notification_service_client::NotificationServiceClient;
use hsi_api_gateway::pb::{
    CreateQuietHoursRequest, DeleteCameraNotificationSettingRequest, DeleteQuietHoursRequest,
    GetNotificationPreferencesRequest, ListCameraNotificationSettingsRequest,
    ListQuietHoursRequest, UpdateCameraNotificationSettingRequest,
    UpdateNotificationPreferencesRequest, UpdateQuietHoursRequest,
};
use reqwest::Method;
use serde_json::json;
use support::Gateway;

fn has(audit: &[(String, String)], action: &str, status: &str) -> bool {
    audit.iter().any(|(a, s)| a == action && s == status)
}

#[tokio::test]
async fn preferences_are_read_and_changed_over_rest() {
    let g = Gateway::start().await;

    let (status, body) = g.get_json("/api/v1/notifications/preferences").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"enabled": true, "sound": "default", "risk_filters": ["critical", "high", "medium"]})
    );

    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/preferences",
            json!({"sound": "chime", "risk_filters": ["Low", "critical"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"enabled": true, "sound": "chime", "risk_filters": ["critical", "low"]})
    );
    let (_, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/preferences",
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(body["enabled"], false);
    assert_eq!(body["sound"], "chime", "an absent field keeps its value");
    let (_, body) = g.get_json("/api/v1/notifications/preferences").await;
    assert_eq!(
        body,
        json!({"enabled": false, "sound": "chime", "risk_filters": ["critical", "low"]})
    );

    for (request, field) in [
        (json!({"sound": "siren"}), "sound"),
        (
            json!({"risk_filters": ["high", "severe"]}),
            "risk_filters[1]",
        ),
        (json!({}), "enabled"),
        (json!({"volume": 3}), "body"),
    ] {
        let (status, body) = g
            .send_json(
                Method::PUT,
                "/api/v1/notifications/preferences",
                request.clone(),
            )
            .await;
        assert_eq!(status, 400, "{request}: {body}");
        if field != "body" {
            assert_eq!(body["error"]["field"], field, "{request}: {body}");
        }
    }
    let refused = g
        .with_key(
            Method::PUT,
            "/api/v1/notifications/preferences",
            &g.read_key,
        )
        .json(&json!({"sound": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let (_, body) = g.get_json("/api/v1/notifications/preferences").await;
    assert_eq!(body["sound"], "chime", "the refused change was not made");
    let read = g
        .with_key(
            Method::GET,
            "/api/v1/notifications/preferences",
            &g.read_key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status().as_u16(),
        200,
        "reading needs only the read scope"
    );

    let audit = g.audit_trail().await;
    assert!(
        has(&audit, "notification_preferences.update", "success"),
        "{audit:?}"
    );
    assert!(
        has(&audit, "notification_preferences.update", "failure"),
        "{audit:?}"
    );
    assert!(has(&audit, "denied", "failure"), "{audit:?}");
}

#[tokio::test]
async fn preferences_over_grpc() {
    let g = Gateway::start().await;
    let mut client = NotificationServiceClient::new(g.channel().await);

    let prefs = client
        .update_notification_preferences(g.admin_request(UpdateNotificationPreferencesRequest {
            sound: Some("urgent".to_owned()),
            risk_filters: vec!["high".to_owned()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(prefs.sound, "urgent");
    assert_eq!(prefs.risk_filters, ["high"]);
    let read = client
        .get_notification_preferences(g.request(GetNotificationPreferencesRequest {}, &g.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, prefs);

    let err = client
        .update_notification_preferences(g.admin_request(UpdateNotificationPreferencesRequest {
            sound: Some("loud".to_owned()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(support::error_field(&err).as_deref(), Some("sound"));
    let err = client
        .update_notification_preferences(g.request(
            UpdateNotificationPreferencesRequest {
                enabled: Some(false),
                ..Default::default()
            },
            &g.operator_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn camera_settings_are_upserted_listed_and_deleted() {
    let g = Gateway::start().await;
    g.camera("front_door", "Front Door").await;
    g.camera("garden", "Garden").await;

    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/cameras/front_door",
            json!({"risk_threshold": 40}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["camera_id"], "front_door");
    assert_eq!(body["camera_name"], "Front Door");
    assert_eq!(
        body["enabled"], true,
        "a new setting is enabled unless told otherwise"
    );
    assert_eq!(body["risk_threshold"], 40);
    let id = body["id"].clone();
    let (_, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/cameras/front_door",
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(body["id"], id, "the same row, changed");
    assert_eq!(body["enabled"], false);
    assert_eq!(
        body["risk_threshold"], 40,
        "an absent field keeps its value"
    );

    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/cameras/attic",
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("attic"));
    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/notifications/cameras/garden",
            json!({"risk_threshold": 101}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "risk_threshold");

    // gRPC: the second camera, then the list holds both.
    let mut client = NotificationServiceClient::new(g.channel().await);
    let garden = client
        .update_camera_notification_setting(g.admin_request(
            UpdateCameraNotificationSettingRequest {
                camera_id: "garden".to_owned(),
                enabled: None,
                risk_threshold: Some(70),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((garden.enabled, garden.risk_threshold), (true, 70));
    let err = client
        .update_camera_notification_setting(g.admin_request(
            UpdateCameraNotificationSettingRequest {
                camera_id: "nowhere".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let listed = client
        .list_camera_notification_settings(
            g.request(ListCameraNotificationSettingsRequest {}, &g.read_key),
        )
        .await
        .unwrap()
        .into_inner();
    let cameras: Vec<&str> = listed
        .settings
        .iter()
        .map(|s| s.camera_id.as_str())
        .collect();
    assert_eq!(cameras, ["front_door", "garden"]);
    let (_, body) = g.get_json("/api/v1/notifications/cameras").await;
    assert_eq!(body["settings"].as_array().unwrap().len(), 2);

    let response = g
        .admin(Method::DELETE, "/api/v1/notifications/cameras/front_door")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = g
        .admin(Method::DELETE, "/api/v1/notifications/cameras/front_door")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404, "nothing left to delete");
    let deleted = client
        .delete_camera_notification_setting(g.admin_request(
            DeleteCameraNotificationSettingRequest {
                camera_id: "garden".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.deleted);
    let (_, body) = g.get_json("/api/v1/notifications/cameras").await;
    assert_eq!(body["settings"], json!([]));
    let refused = g
        .with_key(
            Method::DELETE,
            "/api/v1/notifications/cameras/garden",
            &g.read_key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    let audit = g.audit_trail().await;
    assert!(
        has(&audit, "camera_notification_setting.update", "success"),
        "{audit:?}"
    );
    assert!(
        has(&audit, "camera_notification_setting.delete", "success"),
        "{audit:?}"
    );
    assert!(
        has(&audit, "camera_notification_setting.delete", "failure"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn quiet_hours_refuse_periods_that_cross_midnight() {
    let g = Gateway::start().await;

    let (status, lunch) = g
        .send_json(
            Method::POST,
            "/api/v1/notifications/quiet-hours",
            json!({"label": "Lunch", "start_time": "12:00", "end_time": "13:00:30", "days": ["Friday", "monday"]}),
        )
        .await;
    assert_eq!(status, 200, "{lunch}");
    assert_eq!(lunch["start_time"], "12:00");
    assert_eq!(lunch["end_time"], "13:00:30");
    assert_eq!(lunch["days"], json!(["monday", "friday"]));

    let (status, body) = g
        .send_json(
            Method::POST,
            "/api/v1/notifications/quiet-hours",
            json!({"label": "Night", "start_time": "22:00", "end_time": "06:00"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "end_time");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("split") && message.contains("22:00-23:59:59 and 00:00-06:00"),
        "{message}"
    );
    for (request, field) in [
        (
            json!({"label": "x", "start_time": "7am", "end_time": "08:00"}),
            "start_time",
        ),
        (
            json!({"label": "", "start_time": "07:00", "end_time": "08:00"}),
            "label",
        ),
        (
            json!({"label": "x", "start_time": "07:00", "end_time": "08:00", "days": ["someday"]}),
            "days[0]",
        ),
    ] {
        let (status, body) = g
            .send_json(Method::POST, "/api/v1/notifications/quiet-hours", request)
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["field"], field, "{body}");
    }

    // Split the night in two over gRPC; an empty day list means every day.
    let mut client = NotificationServiceClient::new(g.channel().await);
    let late = client
        .create_quiet_hours(g.admin_request(CreateQuietHoursRequest {
            label: "Night (evening)".to_owned(),
            start_time: "22:00".to_owned(),
            end_time: "23:59:59".to_owned(),
            days: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(late.days.len(), 7);
    let err = client
        .create_quiet_hours(g.admin_request(CreateQuietHoursRequest {
            label: "bad".to_owned(),
            start_time: "10:00".to_owned(),
            end_time: "10:00".to_owned(),
            days: vec![],
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(support::error_field(&err).as_deref(), Some("end_time"));

    let lunch_path = format!(
        "/api/v1/notifications/quiet-hours/{}",
        lunch["id"].as_str().unwrap()
    );
    let (status, body) = g
        .send_json(
            Method::PATCH,
            &lunch_path,
            json!({"label": "Long lunch", "end_time": "14:00"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["label"].as_str(),
            body["start_time"].as_str(),
            body["end_time"].as_str()
        ),
        (Some("Long lunch"), Some("12:00"), Some("14:00"))
    );
    assert_eq!(body["days"], json!(["monday", "friday"]), "days kept");
    let (status, body) = g
        .send_json(Method::PATCH, &lunch_path, json!({"start_time": "15:00"}))
        .await;
    assert_eq!(status, 400, "15:00 is after the stored end 14:00: {body}");
    let moved = client
        .update_quiet_hours(g.admin_request(UpdateQuietHoursRequest {
            id: late.id.clone(),
            days: vec!["saturday".to_owned()],
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.days, ["saturday"]);
    let missing = format!("/api/v1/notifications/quiet-hours/{}", uuid::Uuid::new_v4());
    let (status, _) = g
        .send_json(Method::PATCH, &missing, json!({"label": "x"}))
        .await;
    assert_eq!(status, 404);
    let (status, body) = g
        .send_json(
            Method::PATCH,
            "/api/v1/notifications/quiet-hours/lunch",
            json!({"label": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "id");

    let listed = client
        .list_quiet_hours(g.request(ListQuietHoursRequest {}, &g.read_key))
        .await
        .unwrap()
        .into_inner();
    let labels: Vec<&str> = listed.periods.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, ["Long lunch", "Night (evening)"], "by start time");

    let response = g.admin(Method::DELETE, &lunch_path).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = g.admin(Method::DELETE, &lunch_path).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let err = client
        .delete_quiet_hours(g.request(
            DeleteQuietHoursRequest {
                id: late.id.clone(),
            },
            &g.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    client
        .delete_quiet_hours(g.admin_request(DeleteQuietHoursRequest {
            id: late.id.clone(),
        }))
        .await
        .unwrap();
    let (_, body) = g.get_json("/api/v1/notifications/quiet-hours").await;
    assert_eq!(body, json!({"periods": []}));

    let audit = g.audit_trail().await;
    for action in [
        "quiet_hours.create",
        "quiet_hours.update",
        "quiet_hours.delete",
    ] {
        assert!(has(&audit, action, "success"), "{action}: {audit:?}");
    }
    assert!(has(&audit, "quiet_hours.create", "failure"), "{audit:?}");
}
