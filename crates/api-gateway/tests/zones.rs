//! Zones over REST and gRPC: drawn, listed, changed and deleted; every bad outline
//! refused naming its field; and what is stored read back by the analysis-worker's own
//! code, so a zone drawn here is the zone a detection is judged in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::zone_service_client::ZoneServiceClient;
use hsi_api_gateway::pb::{
    CreateZoneRequest, DeleteZoneRequest, GetZoneRequest, ListZonesRequest, UpdateZoneRequest,
    ZonePoint,
};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use support::Gateway;

fn field_of(status: &tonic::Status) -> String {
    status
        .metadata()
        .get("hsi-error-field")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn pts(points: &[(f64, f64)]) -> Vec<ZonePoint> {
    points.iter().map(|&(x, y)| ZonePoint { x, y }).collect()
}

async fn audit_rows(gw: &Gateway, action: &str) -> Vec<(String, Option<String>)> {
    gw.owner()
        .query_all(Statement::from_sql_and_values(
            gw.owner().get_database_backend(),
            "SELECT status, resource_id FROM audit_logs WHERE action = $1 ORDER BY id",
            [action.into()],
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.try_get("", "status").unwrap(),
                row.try_get("", "resource_id").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn zones_are_drawn_listed_changed_and_deleted_over_rest() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    gw.camera("back", "Back").await;

    let (status, zone) = gw
        .send_json(
            Method::POST,
            "/api/v1/zones",
            json!({"camera_id": "front", "name": "Driveway", "zone_type": "driveway",
                   "shape": "rectangle", "points": [{"x": 0.9, "y": 1.0}, {"x": 0.1, "y": 0.5}],
                   "color": "#ff0000", "priority": 5}),
        )
        .await;
    assert_eq!(status, 201, "{zone}");
    let id = zone["id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a generated id: {id}");
    assert_eq!(zone["camera_id"], "front");
    assert_eq!(zone["zone_type"], "driveway");
    assert_eq!(zone["shape"], "rectangle");
    assert_eq!(
        zone["points"],
        json!([{"x": 0.1, "y": 0.5}, {"x": 0.9, "y": 1.0}]),
        "top-left first"
    );
    assert_eq!(zone["color"], "#FF0000");
    assert_eq!(zone["enabled"], true);
    assert_eq!(zone["priority"], 5);

    let (status, other) = gw
        .send_json(
            Method::POST,
            "/api/v1/zones",
            json!({"id": "back-yard", "camera_id": "back", "name": "Yard", "shape": "polygon",
                   "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0.5, "y": 1}]}),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    assert_eq!(other["id"], "back-yard");
    assert_eq!(other["zone_type"], "other");
    assert_eq!(other["color"], "#3B82F6");

    let (status, again) = gw
        .send_json(
            Method::POST,
            "/api/v1/zones",
            json!({"id": "back-yard", "camera_id": "back", "name": "Yard", "shape": "polygon",
                   "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0.5, "y": 1}]}),
        )
        .await;
    assert_eq!(status, 409, "the id is taken: {again}");

    let (status, got) = gw.get_json(&format!("/api/v1/zones/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got, zone);

    let (status, front) = gw.get_json("/api/v1/zones?camera_id=front").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = front["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let (_, all) = gw.get_json("/api/v1/zones").await;
    assert_eq!(all["zones"].as_array().unwrap().len(), 2);
    let (status, err) = gw.get_json("/api/v1/zones?camera_id=nowhere").await;
    assert_eq!(status, 404, "{err}");

    let (status, changed) = gw
        .send_json(
            Method::PATCH,
            &format!("/api/v1/zones/{id}"),
            json!({"name": "Drive", "shape": "polygon", "enabled": false,
                   "points": [{"x": 0.1, "y": 0.1}, {"x": 0.9, "y": 0.1}, {"x": 0.5, "y": 0.9}]}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Drive");
    assert_eq!(changed["shape"], "polygon");
    assert_eq!(changed["enabled"], false);
    assert_eq!(changed["points"].as_array().unwrap().len(), 3);
    assert_eq!(changed["zone_type"], "driveway", "untouched fields stay");
    let (_, disabled) = gw
        .get_json("/api/v1/zones?camera_id=front&enabled=false")
        .await;
    assert_eq!(disabled["zones"].as_array().unwrap().len(), 1);

    // A triangle cannot become a rectangle without new points.
    let (status, err) = gw
        .send_json(
            Method::PATCH,
            &format!("/api/v1/zones/{id}"),
            json!({"shape": "rectangle"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "points");

    let (status, deleted) = gw
        .send_json(Method::DELETE, &format!("/api/v1/zones/{id}"), json!({}))
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["name"], "Drive", "the zone as it was");
    let (status, _) = gw.get_json(&format!("/api/v1/zones/{id}")).await;
    assert_eq!(status, 404);
    let response = gw
        .admin(Method::DELETE, &format!("/api/v1/zones/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    let response = gw
        .with_key(Method::DELETE, "/api/v1/zones/back-yard", &gw.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403, "a read key cannot delete");
    let (status, _) = gw.get_json("/api/v1/zones/back-yard").await;
    assert_eq!(status, 200, "the refused delete changed nothing");

    let created = audit_rows(&gw, "zone.create").await;
    assert_eq!(created.iter().filter(|(s, _)| s == "success").count(), 2);
    assert!(created.contains(&("failure".to_owned(), Some("back-yard".to_owned()))));
    assert!(audit_rows(&gw, "zone.update")
        .await
        .contains(&("success".to_owned(), Some(id.clone()))));
    assert_eq!(
        audit_rows(&gw, "zone.delete").await,
        [
            ("success".to_owned(), Some(id.clone())),
            ("failure".to_owned(), Some(id))
        ]
    );
}

#[tokio::test]
async fn zones_are_drawn_listed_changed_and_deleted_over_grpc() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    let mut client = ZoneServiceClient::new(gw.channel().await);

    let zone = client
        .create_zone(gw.admin_request(CreateZoneRequest {
            id: Some("porch".into()),
            camera_id: "front".into(),
            name: "Porch".into(),
            zone_type: Some("entry_point".into()),
            shape: "polygon".into(),
            points: pts(&[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)]),
            ..Default::default()
        }))
        .await
        .expect("create")
        .into_inner();
    assert_eq!(zone.id, "porch");
    assert_eq!(zone.zone_type, "entry_point");
    assert_eq!(zone.points.len(), 4);
    assert!(zone.enabled);

    let got = client
        .get_zone(gw.request(GetZoneRequest { id: "porch".into() }, &gw.read_key))
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, zone);
    let listed = client
        .list_zones(gw.request(
            ListZonesRequest {
                camera_id: "front".into(),
                enabled: None,
            },
            &gw.read_key,
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.zones, std::slice::from_ref(&zone));

    let updated = client
        .update_zone(gw.admin_request(UpdateZoneRequest {
            id: "porch".into(),
            color: Some("#00aa00".into()),
            priority: Some(3),
            ..Default::default()
        }))
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.color, "#00AA00");
    assert_eq!(updated.priority, 3);
    assert_eq!(updated.points, zone.points, "the outline is unchanged");

    let refused = client
        .update_zone(gw.request(
            UpdateZoneRequest {
                id: "porch".into(),
                name: Some("x".into()),
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    let err = client
        .update_zone(gw.admin_request(UpdateZoneRequest {
            id: "porch".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        tonic::Code::InvalidArgument,
        "nothing to change"
    );

    let deleted = client
        .delete_zone(gw.admin_request(DeleteZoneRequest { id: "porch".into() }))
        .await
        .expect("delete")
        .into_inner();
    assert_eq!(deleted.id, "porch");
    let missing = client
        .get_zone(gw.admin_request(GetZoneRequest { id: "porch".into() }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let bad_id = client
        .get_zone(gw.admin_request(GetZoneRequest { id: "a/b".into() }))
        .await
        .unwrap_err();
    assert_eq!(
        (bad_id.code(), field_of(&bad_id).as_str()),
        (tonic::Code::InvalidArgument, "id")
    );
    assert_eq!(
        audit_rows(&gw, "zone.delete").await,
        [("success".to_owned(), Some("porch".to_owned()))]
    );
}

/// Bad zones, each with the field its refusal must name.
fn bad_zones() -> Vec<(&'static str, Value, &'static str)> {
    let zone = |shape: &str, points: Value| json!({"camera_id": "front", "name": "Z", "shape": shape, "points": points});
    let with = |mut body: Value, key: &str, value: Value| {
        body[key] = value;
        body
    };
    let triangle = json!([{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0.5, "y": 1}]);
    vec![
        (
            "a coordinate out of the frame",
            zone(
                "polygon",
                json!([{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1.5, "y": 1}]),
            ),
            "points[2].x",
        ),
        (
            "a negative coordinate",
            zone(
                "rectangle",
                json!([{"x": 0.1, "y": -0.2}, {"x": 0.5, "y": 0.5}]),
            ),
            "points[0].y",
        ),
        (
            "a 2-point polygon",
            zone("polygon", json!([{"x": 0, "y": 0}, {"x": 1, "y": 1}])),
            "points",
        ),
        (
            "a bow tie",
            zone(
                "polygon",
                json!([{"x": 0, "y": 0}, {"x": 1, "y": 1}, {"x": 1, "y": 0}, {"x": 0, "y": 1}]),
            ),
            "points",
        ),
        (
            "a repeated point",
            zone(
                "polygon",
                json!([{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 0}, {"x": 0, "y": 1}]),
            ),
            "points[2]",
        ),
        (
            "a 3-point rectangle",
            zone("rectangle", triangle.clone()),
            "points",
        ),
        (
            "a flat rectangle",
            zone(
                "rectangle",
                json!([{"x": 0.1, "y": 0.5}, {"x": 0.9, "y": 0.5}]),
            ),
            "points[1].y",
        ),
        (
            "a bad colour",
            with(zone("polygon", triangle.clone()), "color", json!("red")),
            "color",
        ),
        (
            "a bad zone type",
            with(
                zone("polygon", triangle.clone()),
                "zone_type",
                json!("garden"),
            ),
            "zone_type",
        ),
        ("a bad shape", zone("circle", triangle.clone()), "shape"),
        (
            "a blank name",
            with(zone("polygon", triangle.clone()), "name", json!("  ")),
            "name",
        ),
        (
            "a bad id",
            with(zone("polygon", triangle.clone()), "id", json!("a b")),
            "id",
        ),
        (
            "a negative priority",
            with(zone("polygon", triangle), "priority", json!(-1)),
            "priority",
        ),
    ]
}

#[tokio::test]
async fn every_bad_zone_is_refused_naming_its_field() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    let mut client = ZoneServiceClient::new(gw.channel().await);
    for (what, body, field) in bad_zones() {
        let (status, err) = gw
            .send_json(Method::POST, "/api/v1/zones", body.clone())
            .await;
        assert_eq!(status, 400, "REST, {what}: {err}");
        assert_eq!(err["error"]["field"], field, "REST, {what}: {err}");

        let request: CreateZoneRequest = serde_json::from_value(body).unwrap();
        let status = client
            .create_zone(gw.admin_request(request))
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "gRPC, {what}");
        assert_eq!(
            field_of(&status),
            field,
            "gRPC, {what}: {}",
            status.message()
        );
    }
    let bow_tie = bad_zones()
        .into_iter()
        .find(|(what, _, _)| *what == "a bow tie")
        .unwrap()
        .1;
    let (_, err) = gw.send_json(Method::POST, "/api/v1/zones", bow_tie).await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("crosses itself"),
        "{err}"
    );

    let unknown_camera = json!({"camera_id": "nowhere", "name": "Z", "shape": "rectangle",
                                "points": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]});
    let (status, err) = gw
        .send_json(Method::POST, "/api/v1/zones", unknown_camera.clone())
        .await;
    assert_eq!(status, 404, "{err}");
    assert_eq!(err["error"]["field"], "camera_id");
    let request: CreateZoneRequest = serde_json::from_value(unknown_camera).unwrap();
    let status = client
        .create_zone(gw.admin_request(request))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    let (_, zones) = gw.get_json("/api/v1/zones").await;
    assert_eq!(zones["zones"], json!([]), "nothing bad was stored");
    let failures = audit_rows(&gw, "zone.create").await;
    // Each bad zone twice, the bow tie once more, the unknown camera twice.
    assert_eq!(failures.len(), 2 * bad_zones().len() + 1 + 2);
    assert!(failures.iter().all(|(status, _)| status == "failure"));
}

/// A detection whose box's bottom centre is (gx, gy) in a 1000 × 1000 frame.
async fn detection_at(gw: &Gateway, camera: &str, gx: f64, gy: f64) -> i32 {
    let (w, h) = (100, 100);
    let x = (gx * 1000.0) as i32 - w / 2;
    let y = (gy * 1000.0) as i32 - h;
    let row = gw
        .owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            format!(
                "INSERT INTO detections (camera_id, file_path, object_type, confidence, bbox_x, bbox_y, \
                 bbox_width, bbox_height, frame_width, frame_height, source_message_id) VALUES \
                 ('{camera}', '/cams/{camera}/x.jpg', 'person', 0.9, {x}, {y}, {w}, {h}, 1000, 1000, '{}') \
                 RETURNING id",
                uuid::Uuid::new_v4().simple()
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

#[tokio::test]
async fn the_analysis_worker_reads_zones_as_they_were_drawn() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    let mut client = ZoneServiceClient::new(gw.channel().await);
    // A rectangle given bottom-right first, and an L-shaped (concave) polygon.
    for (id, name, shape, points, priority) in [
        (
            "drive",
            "Driveway",
            "rectangle",
            pts(&[(0.9, 1.0), (0.1, 0.5)]),
            2,
        ),
        (
            "yard",
            "Yard",
            "polygon",
            pts(&[
                (0.0, 0.0),
                (0.5, 0.0),
                (0.5, 0.5),
                (1.0, 0.5),
                (1.0, 1.0),
                (0.0, 1.0),
            ]),
            1,
        ),
    ] {
        client
            .create_zone(gw.admin_request(CreateZoneRequest {
                id: Some(id.into()),
                camera_id: "front".into(),
                name: name.into(),
                zone_type: Some(name.to_lowercase()),
                shape: shape.into(),
                points,
                priority: Some(priority),
                ..Default::default()
            }))
            .await
            .expect("create");
    }

    // The worker's own parser and containment test on the stored rows.
    let rows = gw
        .owner()
        .query_all(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT id, shape::text AS shape, coordinates FROM camera_zones ORDER BY id",
        ))
        .await
        .unwrap();
    for row in rows {
        let id: String = row.try_get("", "id").unwrap();
        let shape: String = row.try_get("", "shape").unwrap();
        let coordinates: Value = row.try_get("", "coordinates").unwrap();
        let polygon =
            hsi_analysis_worker::geometry::parse_polygon(&coordinates, shape == "rectangle")
                .unwrap_or_else(|| panic!("zone {id} unreadable: {coordinates}"));
        let contains = |p| hsi_analysis_worker::geometry::contains(&polygon, p);
        match id.as_str() {
            "drive" => {
                assert_eq!(polygon.len(), 4);
                assert!(contains((0.5, 0.75)) && !contains((0.5, 0.25)) && !contains((0.95, 0.75)));
            }
            _ => {
                assert!(contains((0.25, 0.25)) && !contains((0.75, 0.25)) && contains((0.75, 0.75)))
            }
        }
    }

    // And the worker's whole context: which zones each detection stood in.
    let in_both = detection_at(&gw, "front", 0.25, 0.7).await;
    let in_none = detection_at(&gw, "front", 0.75, 0.25).await;
    let in_yard = detection_at(&gw, "front", 0.25, 0.25).await;
    let batch = hsi_analysis_worker::context::BatchInput {
        batch_id: "b1".into(),
        camera_id: "front".into(),
        detection_ids: vec![in_both, in_none, in_yard],
        is_fast_path: false,
        skip_judged: false,
    };
    let context = hsi_analysis_worker::context::gather(gw.owner(), &batch, chrono::Utc::now(), 60)
        .await
        .expect("context");
    assert!(context.zones_configured);
    let zones_of = |id: i32| -> Vec<(String, String)> {
        context
            .detections
            .iter()
            .find(|d| d.id == id)
            .unwrap()
            .zones
            .iter()
            .map(|z| (z.name.clone(), z.zone_type.clone()))
            .collect()
    };
    assert_eq!(
        zones_of(in_both),
        [
            ("Driveway".to_owned(), "driveway".to_owned()),
            ("Yard".to_owned(), "yard".to_owned())
        ]
    );
    assert!(zones_of(in_none).is_empty(), "the L's notch is outside it");
    assert_eq!(zones_of(in_yard), [("Yard".to_owned(), "yard".to_owned())]);
}
