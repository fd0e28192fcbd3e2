//! Detections over REST and gRPC: lists with filters and keyset pages, one detection,
//! its image and thumbnail served only from inside the media roots, and "detect now"
//! against the real detector of an in-process detection worker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::detection_service_client::DetectionServiceClient;
use hsi_api_gateway::pb::{
    DetectNowRequest, GetDetectionImageRequest, GetDetectionRequest, GetDetectionThumbnailRequest,
    ListDetectionsRequest,
};
use hsi_core::Service;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;
use support::Gateway;
use tokio_util::sync::CancellationToken;

fn ids(body: &Value) -> Vec<i64> {
    body["detections"]
        .as_array()
        .unwrap_or_else(|| panic!("detections in {body}"))
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

fn field_of(status: &tonic::Status) -> Option<&str> {
    status
        .metadata()
        .get(hsi_api_gateway::error::FIELD_METADATA)
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn detections_are_listed_filtered_paged_and_read() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    gw.camera("garden", "Garden").await;
    let a = gw
        .detection("front_door", "person", "/cams/front_door/a.jpg")
        .await;
    let b = gw
        .detection("front_door", "car", "/cams/front_door/b.jpg")
        .await;
    let c = gw.detection("garden", "person", "/cams/garden/c.jpg").await;
    let d = gw.detection("garden", "dog", "/cams/garden/d.jpg").await;
    for (id, at) in [(a, "01"), (b, "02"), (c, "03"), (d, "03")] {
        gw.exec(&format!(
            "UPDATE detections SET detected_at = '2026-11-{at}T10:00:00Z' WHERE id = {id}"
        ))
        .await;
    }
    gw.exec(&format!(
        "UPDATE detections SET confidence = 0.3 WHERE id = {b}"
    ))
    .await;
    let event = gw
        .event(
            "front_door",
            40,
            "a person and a car",
            "",
            "person,car",
            &[a, b],
        )
        .await;
    let [a, b, c, d] = [a, b, c, d].map(i64::from);

    let (status, body) = gw.get_json("/api/v1/detections").await;
    assert_eq!(status, 200, "{body}");
    // Newest first; c and d share a time, the larger id first.
    assert_eq!(ids(&body), [d, c, b, a]);
    assert_eq!(body["detections"][3]["event_id"], event);
    assert!(body["detections"][0]["event_id"].is_null());
    assert_eq!(body["detections"][3]["bbox_height"], 40);

    let cases: &[(&str, &[i64])] = &[
        ("camera_ids=garden", &[d, c]),
        ("object_types=person", &[c, a]),
        ("object_types=dog&object_types=car", &[d, b]),
        ("min_confidence=0.5&camera_ids=front_door", &[a]),
        (
            "start_time=2026-11-02T00:00:00Z&end_time=2026-11-03T00:00:00Z",
            &[b],
        ),
    ];
    for (query, expected) in cases {
        let (status, body) = gw.get_json(&format!("/api/v1/detections?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(ids(&body), *expected, "{query}");
    }
    let (_, body) = gw
        .get_json(&format!("/api/v1/detections?event_id={event}"))
        .await;
    assert_eq!(ids(&body), [b, a]);

    // Pages of one, each once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = gw
            .get_json(&format!("/api/v1/detections?limit=1&cursor={cursor}"))
            .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        if page["has_more"] != true {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    assert_eq!(seen, [d, c, b, a]);

    for (query, field) in [
        ("min_confidence=1.5", "min_confidence"),
        ("start_time=soon", "start_time"),
        ("event_id=abc", "event_id"),
        ("event_id=-3", "event_id"),
        ("limit=501", "limit"),
        ("cursor=xyz", "cursor"),
    ] {
        let (status, body) = gw.get_json(&format!("/api/v1/detections?{query}")).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }

    let (status, body) = gw.get_json(&format!("/api/v1/detections/{a}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["object_type"].as_str(), body["camera_id"].as_str()),
        (Some("person"), Some("front_door"))
    );
    assert_eq!(body["event_id"], event);
    let (status, body) = gw.get_json("/api/v1/detections/999999").await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("detection 999999"),
        "{body}"
    );

    let mut client = DetectionServiceClient::new(gw.channel().await);
    let listed = client
        .list_detections(gw.request(
            ListDetectionsRequest {
                camera_ids: vec!["front_door".into()],
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.detections.iter().map(|d| d.id).collect::<Vec<_>>(),
        [b, a]
    );
    let one = client
        .get_detection(gw.request(GetDetectionRequest { id: c }, &gw.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.object_type.as_deref(), Some("person"));
    let missing = client
        .get_detection(gw.admin_request(GetDetectionRequest { id: 999_999 }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let bad = client
        .list_detections(gw.admin_request(ListDetectionsRequest {
            min_confidence: Some(-0.1),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code(), field_of(&bad)),
        (tonic::Code::InvalidArgument, Some("min_confidence"))
    );
}

#[tokio::test]
async fn images_are_served_only_from_inside_the_media_roots() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    let media = gw.media_dir.path().to_path_buf();
    std::fs::create_dir_all(media.join("front_door")).unwrap();
    std::fs::create_dir_all(media.join("thumbnails")).unwrap();
    let photo = std::fs::read(hsi_testkit::photo("person.jpg")).unwrap();
    std::fs::write(media.join("front_door/1.jpg"), &photo).unwrap();
    std::fs::write(media.join("thumbnails/1.jpg"), &photo[..]).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", media.join("front_door/link.jpg")).unwrap();

    let inside = gw
        .detection(
            "front_door",
            "person",
            &media.join("front_door/1.jpg").display().to_string(),
        )
        .await;
    gw.exec(&format!(
        "UPDATE detections SET thumbnail_path = '{}' WHERE id = {inside}",
        media.join("thumbnails/1.jpg").display()
    ))
    .await;
    let dotdot = gw
        .detection(
            "front_door",
            "person",
            &format!("{}/../../etc/passwd", media.display()),
        )
        .await;
    let outside = gw.detection("front_door", "person", "/etc/passwd").await;
    let linked = gw
        .detection(
            "front_door",
            "person",
            &media.join("front_door/link.jpg").display().to_string(),
        )
        .await;
    let relative = gw
        .detection("front_door", "person", "front_door/1.jpg")
        .await;
    let gone = gw
        .detection(
            "front_door",
            "person",
            &media.join("front_door/gone.jpg").display().to_string(),
        )
        .await;

    let response = gw
        .admin(Method::GET, &format!("/api/v1/detections/{inside}/image"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
    assert!(headers[CACHE_CONTROL].to_str().unwrap().contains("max-age"));
    assert!(headers.contains_key(LAST_MODIFIED));
    let etag = headers[ETAG].to_str().unwrap().to_owned();
    assert_eq!(response.bytes().await.unwrap().as_ref(), photo.as_slice());
    let cached = gw
        .admin(Method::GET, &format!("/api/v1/detections/{inside}/image"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());
    let thumbnail = gw
        .admin(
            Method::GET,
            &format!("/api/v1/detections/{inside}/thumbnail"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(
        thumbnail.headers()[ETAG].to_str().unwrap(),
        etag,
        "the same bytes"
    );

    for (id, expected, why) in [
        (dotdot, 403, "dot-dot out of the root"),
        (outside, 403, "an absolute path elsewhere"),
        (linked, 403, "a link inside pointing out"),
        (relative, 403, "a relative path"),
        (gone, 404, "a missing file inside"),
    ] {
        let response = gw
            .admin(Method::GET, &format!("/api/v1/detections/{id}/image"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, expected, "{why}: {body}");
        assert!(
            !body.to_string().contains("root:"),
            "{why}: nothing of the file leaks"
        );
    }
    let (status, body) = gw
        .get_json(&format!("/api/v1/detections/{outside}/thumbnail"))
        .await;
    assert_eq!(status, 404, "no thumbnail: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("thumbnail"),
        "{body}"
    );
    let (status, _) = gw.get_json("/api/v1/detections/999999/image").await;
    assert_eq!(status, 404);

    let mut client = DetectionServiceClient::new(gw.channel().await);
    let image = client
        .get_detection_image(gw.request(
            GetDetectionImageRequest {
                id: i64::from(inside),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (image.content_type.as_str(), image.etag.as_str()),
        ("image/jpeg", etag.as_str())
    );
    assert_eq!(image.data, photo);
    let thumbnail = client
        .get_detection_thumbnail(gw.admin_request(GetDetectionThumbnailRequest {
            id: i64::from(inside),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(thumbnail.data.len(), photo.len());
    for id in [dotdot, outside, linked] {
        let refused = client
            .get_detection_image(gw.admin_request(GetDetectionImageRequest { id: i64::from(id) }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{id}");
    }
}

fn jpeg() -> Vec<u8> {
    std::fs::read(hsi_testkit::photo("person.jpg")).unwrap()
}

async fn upload(
    gw: &Gateway,
    key: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = gw
        .with_key(Method::POST, &format!("/api/v1/detect{query}"), key)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn detect_now_refuses_bad_uploads_and_says_when_the_worker_is_unreachable() {
    // The default test gateway points the detection worker at a closed port.
    let gw = Gateway::start().await;
    let key = gw.operator_key.clone();
    let refusals = [
        ("", "image/jpeg", Vec::new(), "image"),
        ("", "image/jpeg", b"just some text".to_vec(), "image"),
        ("", "text/plain", jpeg(), "content-type"),
        ("?min_confidence=2", "image/jpeg", jpeg(), "min_confidence"),
        (
            "?min_confidence=high",
            "image/jpeg",
            jpeg(),
            "min_confidence",
        ),
    ];
    for (query, content_type, body, field) in refusals {
        let (status, answer) = upload(&gw, &key, query, content_type, body).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (400, Some(field)),
            "{answer}"
        );
    }
    let (status, _) = upload(&gw, &gw.read_key, "", "image/jpeg", jpeg()).await;
    assert_eq!(status, 403, "detect now needs the operator scope");
    let (status, answer) = upload(&gw, &key, "", "image/jpeg", jpeg()).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "unavailable");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("detection worker is unavailable"),
        "{answer}"
    );

    let mut client = DetectionServiceClient::new(gw.channel().await);
    let empty = client
        .detect_now(gw.request(DetectNowRequest::default(), &key))
        .await
        .unwrap_err();
    assert_eq!(
        (empty.code(), field_of(&empty)),
        (tonic::Code::InvalidArgument, Some("image"))
    );
    let unreachable = client
        .detect_now(gw.request(
            DetectNowRequest {
                image: jpeg(),
                min_confidence: None,
            },
            &key,
        ))
        .await
        .unwrap_err();
    assert_eq!(unreachable.code(), tonic::Code::Unavailable);
    let denied = client
        .detect_now(gw.request(
            DetectNowRequest {
                image: jpeg(),
                min_confidence: None,
            },
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    use sea_orm::{ConnectionTrait, Statement};
    let rows = gw
        .owner()
        .query_all(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT status FROM audit_logs WHERE action = 'detection.detect_now'",
        ))
        .await
        .unwrap();
    assert!(
        rows.len() >= 4,
        "every attempt is in the audit trail: {}",
        rows.len()
    );
}

/// A free port on loopback (the worker binds it itself).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn detect_now_finds_the_person_with_the_real_detector() {
    let port = free_port();
    let token = "a-shared-internal-token-1234";
    let gw = Gateway::start_with(|settings| {
        settings.services.detection_worker = format!("http://127.0.0.1:{port}");
        settings.services.token = hsi_core::settings::Secret::new(token);
        settings.services.timeout_ms = 60_000;
    })
    .await;
    let thumbnails = support::tempdir::Dir::new();
    let mut worker = hsi_detection_worker::Settings::default();
    worker.database.url =
        hsi_core::settings::SecretUrl::new(gw.db.url_for(Service::DetectionWorker));
    worker.redis = gw.redis.settings();
    worker.detector.model_path = hsi_testkit::centernet_model();
    worker.detector.device = "cpu".into();
    worker.worker.thumbnails_dir = thumbnails.path().to_path_buf();
    worker.grpc.listen = Some(([127, 0, 0, 1], port).into());
    worker.grpc.token = hsi_core::settings::Secret::new(token);
    let stop = CancellationToken::new();
    let running = tokio::spawn(hsi_detection_worker::run(worker, stop.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(!running.is_finished(), "the worker stopped before serving");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker did not start serving"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, body) = upload(&gw, &gw.operator_key, "", "image/jpeg", jpeg()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["image_width"].as_i64(), body["image_height"].as_i64()),
        (Some(640), Some(424))
    );
    let person = body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object_type"] == "person")
        .unwrap_or_else(|| panic!("a person in {body}"));
    assert!(person["confidence"].as_f64().unwrap() > 0.5, "{person}");
    assert!(person["height"].as_i64().unwrap() > 200, "{person}");

    let (status, body) = upload(
        &gw,
        &gw.operator_key,
        "?min_confidence=0.99",
        "image/jpeg",
        jpeg(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["objects"].as_array().unwrap().is_empty(),
        "nothing is that certain: {body}"
    );
    // Looks like a PNG, does not decode: the worker's refusal names the image.
    let (status, body) = upload(
        &gw,
        &gw.operator_key,
        "",
        "image/png",
        b"\x89PNG\r\n\x1a\nbroken".to_vec(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("image")),
        "{body}"
    );

    let mut client = DetectionServiceClient::new(gw.channel().await);
    let found = client
        .detect_now(gw.request(
            DetectNowRequest {
                image: jpeg(),
                min_confidence: Some(0.3),
            },
            &gw.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        found
            .objects
            .iter()
            .any(|o| o.object_type == "person" && o.confidence >= 0.3),
        "{found:?}"
    );
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(30), running).await;
}
