//! Cameras over REST and gRPC: list with activity, get, rename and change status, soft
//! delete and restore, the latest image; and the errors of each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::camera_service_client::CameraServiceClient;
use hsi_api_gateway::pb::{
    DeleteCameraRequest, GetCameraLatestImageRequest, GetCameraRequest, ListCamerasRequest,
    RestoreCameraRequest, UpdateCameraRequest,
};
use reqwest::Method;
use support::Gateway;

#[tokio::test(flavor = "multi_thread")]
async fn cameras_over_rest() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front door").await;
    gw.camera("garage", "Garage").await;
    let d = gw
        .detection("front_door", "person", "/cams/front_door/a.jpg")
        .await;
    gw.event(
        "front_door",
        70,
        "A person at the door",
        "night",
        "person",
        &[d],
    )
    .await;

    let (status, body) = gw.get_json("/api/v1/cameras").await;
    assert_eq!(status, 200, "{body}");
    let cameras = body["cameras"].as_array().unwrap();
    assert_eq!(cameras.len(), 2);
    assert_eq!(cameras[0]["id"], "front_door");
    assert_eq!(cameras[0]["event_count"], 1);
    assert_eq!(cameras[0]["unreviewed_event_count"], 1);
    assert!(cameras[0]["last_event_at"].is_string());
    assert_eq!(cameras[1]["event_count"], 0);

    let (status, body) = gw.get_json("/api/v1/cameras/garage").await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Garage")));
    let (status, body) = gw.get_json("/api/v1/cameras/attic").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    let (status, body) = gw
        .send_json(
            Method::PATCH,
            "/api/v1/cameras/garage",
            serde_json::json!({"name": "  Garage door ", "status": "offline"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["status"].as_str()),
        (Some("Garage door"), Some("offline"))
    );

    for (patch, field) in [
        (serde_json::json!({"status": "asleep"}), "status"),
        (serde_json::json!({"name": "   "}), "name"),
        (serde_json::json!({"name": "x".repeat(300)}), "name"),
        (serde_json::json!({"name": 7}), "name"),
        (serde_json::json!({"nickname": "x"}), "body"),
        (serde_json::json!({}), "name"),
    ] {
        let (status, body) = gw
            .send_json(Method::PATCH, "/api/v1/cameras/garage", patch.clone())
            .await;
        assert_eq!(status, 400, "{patch}: {body}");
        assert_eq!(body["error"]["code"], "invalid_argument");
        let named = body["error"]["field"].as_str().unwrap_or_default();
        assert!(
            named == field
                || body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("nickname"),
            "{patch}: {body}"
        );
    }
    let (status, _) = gw
        .send_json(
            Method::PATCH,
            "/api/v1/cameras/attic",
            serde_json::json!({"name": "Attic"}),
        )
        .await;
    assert_eq!(status, 404);

    let (status, body) = gw
        .send_json(
            Method::DELETE,
            "/api/v1/cameras/garage",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["deleted_at"].is_string());
    let (_, body) = gw.get_json("/api/v1/cameras").await;
    assert_eq!(body["cameras"].as_array().unwrap().len(), 1);
    let (_, body) = gw.get_json("/api/v1/cameras?include_deleted=true").await;
    assert_eq!(body["cameras"].as_array().unwrap().len(), 2);
    let (status, body) = gw
        .send_json(
            Method::POST,
            "/api/v1/cameras/garage/restore",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["deleted_at"].is_null());

    let (status, body) = gw.get_json("/api/v1/cameras?include_deleted=maybe").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "include_deleted", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_latest_image_is_served_from_inside_the_media_roots_only() {
    let gw = Gateway::start().await;
    gw.camera("porch", "Porch").await;
    let (status, _) = gw.get_json("/api/v1/cameras/porch/latest-image").await;
    assert_eq!(status, 404, "no image yet");

    let photo = std::fs::read(hsi_testkit::photo("person.jpg")).unwrap();
    let path = gw.media_dir.path().join("porch-1.jpg");
    std::fs::write(&path, &photo).unwrap();
    gw.detection("porch", "person", path.to_str().unwrap())
        .await;
    let response = gw
        .admin(Method::GET, "/api/v1/cameras/porch/latest-image")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert_eq!(response.bytes().await.unwrap().as_ref(), photo.as_slice());
    let again = gw
        .admin(Method::GET, "/api/v1/cameras/porch/latest-image")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // A newer detection pointing outside the roots is refused, not served.
    gw.detection("porch", "person", "/etc/passwd").await;
    let (status, body) = gw.get_json("/api/v1/cameras/porch/latest-image").await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cameras_over_grpc() {
    let gw = Gateway::start().await;
    gw.camera("side", "Side").await;
    let mut client = CameraServiceClient::new(gw.channel().await);
    let list = client
        .list_cameras(gw.admin_request(ListCamerasRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.cameras.len(), 1);
    let camera = client
        .get_camera(gw.admin_request(GetCameraRequest { id: "side".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(camera.name, "Side");
    let updated = client
        .update_camera(gw.admin_request(UpdateCameraRequest {
            id: "side".into(),
            name: Some("Side gate".into()),
            status: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name, "Side gate");
    let err = client
        .update_camera(gw.admin_request(UpdateCameraRequest {
            id: "side".into(),
            name: None,
            status: Some("bad".into()),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.metadata().get("hsi-error-field").unwrap(), "status");
    let err = client
        .get_camera(gw.admin_request(GetCameraRequest { id: "nope".into() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = client
        .update_camera(gw.request(
            UpdateCameraRequest {
                id: "side".into(),
                name: Some("x".into()),
                status: None,
            },
            &gw.operator_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let deleted = client
        .delete_camera(gw.admin_request(DeleteCameraRequest { id: "side".into() }))
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.deleted_at.is_some());
    let restored = client
        .restore_camera(gw.admin_request(RestoreCameraRequest { id: "side".into() }))
        .await
        .unwrap()
        .into_inner();
    assert!(restored.deleted_at.is_none());
    let err = client
        .get_camera_latest_image(
            gw.admin_request(GetCameraLatestImageRequest { id: "side".into() }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
}
