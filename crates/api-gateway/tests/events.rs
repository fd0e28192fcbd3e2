//! Events over REST and gRPC: lists with filters and keyset pages that stay stable while
//! events arrive, full-text search, one event with its detections, judgement and
//! alerts, review, soft delete and restore.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::event_service_client::EventServiceClient;
use hsi_api_gateway::pb::{
    DeleteEventRequest, GetEventRequest, ListEventsRequest, RestoreEventRequest,
    ReviewEventRequest, SearchEventsRequest,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use support::Gateway;

fn ids(body: &Value, key: &str) -> Vec<i64> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .iter()
        .map(|item| item.get("event").unwrap_or(item)["id"].as_i64().unwrap())
        .collect()
}

async fn set_started(gw: &Gateway, id: i32, started_at: &str) {
    gw.exec(&format!(
        "UPDATE events SET started_at = '{started_at}', ended_at = NULL WHERE id = {id}"
    ))
    .await;
}

fn field_of(status: &tonic::Status) -> Option<&str> {
    status
        .metadata()
        .get(hsi_api_gateway::error::FIELD_METADATA)
        .and_then(|v| v.to_str().ok())
}

/// Four events on two cameras, at distinct times, with different levels and objects.
async fn four_events(gw: &Gateway) -> [i32; 4] {
    gw.camera("front_door", "Front Door").await;
    gw.camera("garden", "Garden").await;
    let a = gw
        .event(
            "front_door",
            10,
            "a cat crossed",
            "small animal",
            "cat",
            &[],
        )
        .await;
    let b = gw
        .event(
            "front_door",
            45,
            "a person at the door",
            "unknown visitor",
            "person",
            &[],
        )
        .await;
    let c = gw
        .event(
            "garden",
            70,
            "a person and a car",
            "late at night",
            "person,car",
            &[],
        )
        .await;
    let d = gw
        .event(
            "garden",
            95,
            "a person with a knife",
            "weapon seen",
            "person,knife",
            &[],
        )
        .await;
    set_started(gw, a, "2026-11-01T10:00:00Z").await;
    set_started(gw, b, "2026-11-02T10:00:00Z").await;
    set_started(gw, c, "2026-11-03T10:00:00Z").await;
    set_started(gw, d, "2026-11-04T10:00:00Z").await;
    gw.exec(&format!("UPDATE events SET reviewed = true WHERE id = {a}"))
        .await;
    gw.exec(&format!(
        "UPDATE events SET is_fast_path = true WHERE id = {d}"
    ))
    .await;
    [a, b, c, d]
}

#[tokio::test]
async fn events_are_listed_newest_first_and_filtered() {
    let gw = Gateway::start().await;
    let [a, b, c, d] = four_events(&gw).await;
    let [a, b, c, d] = [a, b, c, d].map(i64::from);

    let (status, body) = gw.get_json("/api/v1/events").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body, "events"), [d, c, b, a]);
    assert_eq!(body["has_more"], false);
    assert_eq!(body["events"][0]["camera_name"], "Garden");
    assert_eq!(
        body["events"][0]["object_types"],
        json!(["person", "knife"])
    );
    assert_eq!(body["events"][0]["risk_level"], "critical");
    assert_eq!(body["events"][0]["started_at"], "2026-11-04T10:00:00.000Z");

    let cases: &[(&str, &[i64])] = &[
        ("camera_ids=front_door", &[b, a]),
        ("camera_ids=front_door&camera_ids=garden", &[d, c, b, a]),
        ("risk_levels=high&risk_levels=low", &[c, a]),
        ("min_score=45&max_score=70", &[c, b]),
        (
            "start_time=2026-11-02T10:00:00Z&end_time=2026-11-04T10:00:00Z",
            &[c, b],
        ),
        ("reviewed=true", &[a]),
        ("reviewed=false", &[d, c, b]),
        ("object_types=car&object_types=cat", &[c, a]),
        ("object_types=Person&camera_ids=garden&min_score=80", &[d]),
        ("is_fast_path=true", &[d]),
    ];
    for (query, expected) in cases {
        let (status, body) = gw.get_json(&format!("/api/v1/events?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(ids(&body, "events"), *expected, "{query}");
    }

    let refused: &[(&str, &str)] = &[
        ("min_score=101", "min_score"),
        ("min_score=50&max_score=40", "max_score"),
        ("risk_levels=severe", "risk_levels"),
        ("start_time=yesterday", "start_time"),
        (
            "start_time=2026-11-04T00:00:00Z&end_time=2026-11-01T00:00:00Z",
            "end_time",
        ),
        ("cursor=garbage!", "cursor"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("colour=red", "query"),
    ];
    for (query, field) in refused {
        let (status, body) = gw.get_json(&format!("/api/v1/events?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        if *field != "query" {
            assert_eq!(body["error"]["field"], *field, "{query}: {body}");
        }
        assert_eq!(body["error"]["code"], "invalid_argument");
    }

    // gRPC: the same list and the same refusals.
    let mut client = EventServiceClient::new(gw.channel().await);
    let listed = client
        .list_events(gw.request(
            ListEventsRequest {
                camera_ids: vec!["garden".into()],
                limit: 1,
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.events.iter().map(|e| e.id).collect::<Vec<_>>(), [d]);
    assert!(listed.has_more);
    let next = client
        .list_events(gw.admin_request(ListEventsRequest {
            camera_ids: vec!["garden".into()],
            limit: 1,
            cursor: listed.next_cursor,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.events.iter().map(|e| e.id).collect::<Vec<_>>(), [c]);
    assert!(!next.has_more && next.next_cursor.is_empty());
    let err = client
        .list_events(gw.admin_request(ListEventsRequest {
            risk_levels: vec!["severe".into()],
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(field_of(&err), Some("risk_levels"));
    let anonymous = client
        .list_events(tonic::Request::new(ListEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn the_document_lists_every_event_operation_and_the_websocket() {
    let gw = Gateway::start().await;
    let response = gw
        .with_key(Method::GET, "/api/v1/openapi.json", &gw.read_key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let operations = [
        ("/api/v1/events", "get", "ListEvents"),
        ("/api/v1/events/search", "get", "SearchEvents"),
        ("/api/v1/events/{id}", "get", "GetEvent"),
        ("/api/v1/events/{id}", "patch", "ReviewEvent"),
        ("/api/v1/events/{id}", "delete", "DeleteEvent"),
        ("/api/v1/events/{id}/restore", "post", "RestoreEvent"),
        ("/ws/events", "get", "WatchEvents"),
    ];
    for (path, method, id) in operations {
        let operation = &doc["paths"][path][method];
        assert!(
            operation.is_object(),
            "{method} {path} in {:?}",
            doc["paths"]
                .as_object()
                .map(|p| p.keys().collect::<Vec<_>>())
        );
        assert_eq!(operation["operationId"], id, "{method} {path}");
        let needs = operation["security"][0]["bearer"][0].as_str().unwrap();
        let expected = if method == "get" { "read" } else { "operator" };
        assert_eq!(needs, expected, "{method} {path}");
    }
}

/// Pages of 7 while another task keeps inserting newer events: every event that
/// existed at the start is seen exactly once, in order, and nothing repeats.
#[tokio::test]
async fn keyset_pages_are_stable_while_events_arrive() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    // 40 events in the past, some sharing a start time (the id breaks the tie).
    gw.exec(
        "INSERT INTO events (batch_id, camera_id, started_at, risk_score, risk_level, summary)
         SELECT 'old-' || n, 'front_door', timestamptz '2020-01-01T00:00:00Z' + (n / 3) * interval '1 minute',
                n, 'low', 'old event ' || n
         FROM generate_series(1, 40) AS n",
    )
    .await;
    let (_, all) = gw.get_json("/api/v1/events?limit=500").await;
    let existing = ids(&all, "events");
    assert_eq!(existing.len(), 40);

    let pager = async {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let path = format!("/api/v1/events?limit=7&cursor={cursor}");
            let (status, page) = gw.get_json(&path).await;
            assert_eq!(status, 200, "{page}");
            let page_ids = ids(&page, "events");
            assert!(page_ids.len() <= 7);
            seen.extend(page_ids);
            if page["has_more"] != true {
                break;
            }
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
            tokio::task::yield_now().await;
        }
        seen
    };
    let inserter = async {
        for n in 0..30 {
            gw.event(
                "front_door",
                50,
                &format!("new event {n}"),
                "",
                "person",
                &[],
            )
            .await;
            tokio::task::yield_now().await;
        }
    };
    let (seen, ()) = tokio::join!(pager, inserter);

    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice: {seen:?}");
    for id in &existing {
        assert!(unique.contains(id), "event {id} was missed: {seen:?}");
    }
    // The old events come in exactly the order a single page would list them.
    let old_in_order: Vec<i64> = seen
        .iter()
        .copied()
        .filter(|id| existing.contains(id))
        .collect();
    assert_eq!(old_in_order, existing);
}

#[tokio::test]
async fn search_finds_events_by_summary_reasoning_object_type_and_camera_name() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    gw.camera("shed", "Gazebo Corner").await;
    let by_summary = gw
        .event(
            "front_door",
            40,
            "A man carried a <b>xylophone</b> & left",
            "nothing odd",
            "person",
            &[],
        )
        .await;
    let by_reasoning = gw
        .event(
            "front_door",
            40,
            "Someone walked by",
            "the gait suggested a quokka impersonation",
            "person",
            &[],
        )
        .await;
    let by_object = gw
        .event(
            "front_door",
            40,
            "Movement",
            "routine",
            "person,bicycle",
            &[],
        )
        .await;
    let by_camera = gw
        .event("shed", 40, "Movement", "routine", "cat", &[])
        .await;

    let search = |q: &'static str| {
        let gw = &gw;
        async move {
            let (status, body) = gw.get_json(&format!("/api/v1/events/search?q={q}")).await;
            assert_eq!(status, 200, "{q}: {body}");
            body
        }
    };
    let body = search("xylophone").await;
    assert_eq!(ids(&body, "hits"), [i64::from(by_summary)]);
    let highlight = body["hits"][0]["summary_highlight"].as_str().unwrap();
    assert!(highlight.contains("<mark>xylophone</mark>"), "{highlight}");
    assert!(
        !highlight.contains("<b>"),
        "the text is escaped: {highlight}"
    );
    assert!(body["hits"][0]["rank"].as_f64().unwrap() > 0.0);
    let body = search("quokka").await;
    assert_eq!(ids(&body, "hits"), [i64::from(by_reasoning)]);
    let reasoning = body["hits"][0]["reasoning_highlight"].as_str().unwrap();
    assert!(reasoning.contains("<mark>quokka</mark>"), "{reasoning}");
    assert_eq!(
        ids(&search("bicycle").await, "hits"),
        [i64::from(by_object)]
    );
    assert_eq!(ids(&search("gazebo").await, "hits"), [i64::from(by_camera)]);
    assert_eq!(
        ids(&search("%22Gazebo%20Corner%22").await, "hits"),
        [i64::from(by_camera)]
    );
    assert!(ids(&search("xylophone%20-man").await, "hits").is_empty());

    // Filters apply to searches, and a deleted event is not found.
    let (_, body) = gw
        .get_json("/api/v1/events/search?q=movement&camera_ids=shed")
        .await;
    assert_eq!(ids(&body, "hits"), [i64::from(by_camera)]);
    gw.exec(&format!(
        "UPDATE events SET deleted_at = now() WHERE id = {by_camera}"
    ))
    .await;
    assert_eq!(
        ids(&search("movement").await, "hits"),
        [i64::from(by_object)]
    );
    let (_, body) = gw
        .get_json("/api/v1/events/search?q=movement&include_deleted=true")
        .await;
    assert_eq!(ids(&body, "hits").len(), 2);

    // Pages of one: every match once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = gw
            .get_json(&format!(
                "/api/v1/events/search?q=person&limit=1&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page, "hits"));
        if page["has_more"] != true {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    seen.sort_unstable();
    assert_eq!(seen, [by_summary, by_reasoning, by_object].map(i64::from));

    for (query, field) in [
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("min_score=-1&q=x", "min_score"),
    ] {
        let (status, body) = gw.get_json(&format!("/api/v1/events/search?{query}")).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }
    let long = "a".repeat(501);
    let (status, body) = gw
        .get_json(&format!("/api/v1/events/search?q={long}"))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("q")),
        "{body}"
    );

    // A word most recent events share is found by walking them newest first: every
    // match once, the newest 1,000 ranked.
    gw.exec(
        "INSERT INTO events (batch_id, camera_id, started_at, summary)
         SELECT 'lantern-' || n, 'front_door', now() - n * interval '1 second', 'a lantern moved ' || n
         FROM generate_series(1, 40) AS n",
    )
    .await;
    let mut lanterns = HashSet::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = gw
            .get_json(&format!(
                "/api/v1/events/search?q=lantern&limit=15&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        for id in ids(&page, "hits") {
            assert!(lanterns.insert(id), "{id} twice");
        }
        if page["has_more"] != true {
            break;
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
    }
    assert_eq!(lanterns.len(), 40);

    let mut client = EventServiceClient::new(gw.channel().await);
    let found = client
        .search_events(gw.request(
            SearchEventsRequest {
                q: "quokka".into(),
                ..Default::default()
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.hits.len(), 1);
    assert_eq!(
        found.hits[0].event.as_ref().unwrap().id,
        i64::from(by_reasoning)
    );
    let err = client
        .search_events(gw.admin_request(SearchEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), field_of(&err)),
        (tonic::Code::InvalidArgument, Some("q"))
    );
}

#[tokio::test]
async fn an_event_is_read_with_its_detections_judgement_and_alerts() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    let person = gw
        .detection("front_door", "person", "/cams/front_door/1.jpg")
        .await;
    let car = gw
        .detection("front_door", "car", "/cams/front_door/1.jpg")
        .await;
    let id = gw
        .event(
            "front_door",
            65,
            "a person and a car",
            "at night",
            "person,car",
            &[person, car],
        )
        .await;
    gw.exec(&format!(
        "INSERT INTO event_audits (event_id, prompt_version, llm_model, is_fallback, fallback_reason, \
         llm_latency_ms, llm_prompt_tokens, llm_completion_tokens) \
         VALUES ({id}, 3, 'nemotron-mini', true, 'llm unreachable', 1200, 900, 80);
         INSERT INTO alerts (event_id, severity, status, dedup_key) VALUES ({id}, 'high', 'pending', 'front_door:x');"
    ))
    .await;

    let (status, body) = gw.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["event"]["id"], id);
    assert_eq!(body["event"]["detection_ids"], json!([person, car]));
    let detections = body["detections"].as_array().unwrap();
    assert_eq!(detections.len(), 2);
    assert_eq!(detections[0]["object_type"], "person");
    assert_eq!(detections[0]["bbox_width"], 30);
    assert_eq!(detections[0]["frame_width"], 640);
    assert_eq!(detections[0]["event_id"], id);
    assert_eq!(body["audit"]["prompt_version"], 3);
    assert_eq!(body["audit"]["llm_model"], "nemotron-mini");
    assert_eq!(body["audit"]["is_fallback"], true);
    assert_eq!(body["audit"]["fallback_reason"], "llm unreachable");
    assert_eq!(body["audit"]["llm_completion_tokens"], 80);
    assert_eq!(body["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(body["alerts"][0]["severity"], "high");
    assert_eq!(body["alerts"][0]["status"], "pending");
    assert_eq!(body["alerts"][0]["id"].as_str().unwrap().len(), 36);

    let (status, body) = gw.get_json("/api/v1/events/999999").await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("event 999999"),
        "{body}"
    );
    let (status, body) = gw.get_json("/api/v1/events/abc").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("path")),
        "{body}"
    );
    let (status, body) = gw.get_json("/api/v1/events/0").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("id")),
        "{body}"
    );

    let mut client = EventServiceClient::new(gw.channel().await);
    let detail = client
        .get_event(gw.request(GetEventRequest { id: i64::from(id) }, &gw.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(detail.detections.len(), 2);
    assert!(detail.audit.unwrap().is_fallback);
    assert_eq!(detail.alerts.len(), 1);
    let missing = client
        .get_event(gw.admin_request(GetEventRequest { id: 999_999 }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert!(
        missing.message().contains("event 999999"),
        "{}",
        missing.message()
    );
}

async fn audit_rows(gw: &Gateway, action: &str) -> Vec<(String, String)> {
    use sea_orm::{ConnectionTrait, Statement};
    gw.owner()
        .query_all(Statement::from_string(
            gw.owner().get_database_backend(),
            format!("SELECT action, status, resource_id FROM audit_logs WHERE action = '{action}' ORDER BY seq"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "status").unwrap(),
                row.try_get::<Option<String>>("", "resource_id").unwrap().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn events_are_reviewed_deleted_and_restored() {
    let gw = Gateway::start().await;
    gw.camera("front_door", "Front Door").await;
    let id = gw
        .event("front_door", 40, "a visitor", "daytime", "person", &[])
        .await;
    let path = format!("/api/v1/events/{id}");

    let (status, body) = gw
        .send_json(
            Method::PATCH,
            &path,
            json!({"reviewed": true, "notes": "the postman"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["reviewed"].clone(), body["notes"].clone()),
        (json!(true), json!("the postman"))
    );
    // Notes alone leave the review mark; an empty string clears them.
    let (_, body) = gw
        .send_json(Method::PATCH, &path, json!({"notes": ""}))
        .await;
    assert_eq!(
        (body["reviewed"].clone(), body["notes"].clone()),
        (json!(true), Value::Null)
    );
    assert_eq!(
        audit_rows(&gw, "event.review").await[0],
        ("success".to_owned(), id.to_string())
    );

    let refusals = [
        (json!({}), 400, Some("reviewed")),
        (json!({"notes": "x".repeat(10_001)}), 400, Some("notes")),
        (json!({"reviewed": "yes"}), 400, Some("reviewed")),
        (json!({"reviewd": true}), 400, None),
    ];
    for (body, expected, field) in refusals {
        let (status, answer) = gw.send_json(Method::PATCH, &path, body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if let Some(field) = field {
            assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        }
    }
    let (status, _) = gw
        .send_json(
            Method::PATCH,
            "/api/v1/events/999999",
            json!({"reviewed": true}),
        )
        .await;
    assert_eq!(status, 404);
    let read_only = gw
        .with_key(Method::PATCH, &path, &gw.read_key)
        .json(&json!({"reviewed": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(read_only.status(), 403);
    let failures = audit_rows(&gw, "event.review").await;
    assert!(
        failures.iter().any(|(status, _)| status == "failure"),
        "{failures:?}"
    );

    // Soft delete hides it from lists, include_deleted and GET still show it; restore.
    let (status, body) = gw.send_json(Method::DELETE, &path, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["deleted_at"].is_string());
    let (_, listed) = gw.get_json("/api/v1/events").await;
    assert!(ids(&listed, "events").is_empty());
    let (_, listed) = gw.get_json("/api/v1/events?include_deleted=true").await;
    assert_eq!(ids(&listed, "events"), [i64::from(id)]);
    let (status, _) = gw.get_json(&path).await;
    assert_eq!(status, 200);
    let (status, body) = gw
        .send_json(Method::POST, &format!("{path}/restore"), Value::Null)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["deleted_at"].is_null());
    let (_, listed) = gw.get_json("/api/v1/events").await;
    assert_eq!(ids(&listed, "events"), [i64::from(id)]);
    assert_eq!(audit_rows(&gw, "event.delete").await.len(), 1);
    assert_eq!(audit_rows(&gw, "event.restore").await.len(), 1);
    let (status, _) = gw
        .send_json(Method::DELETE, "/api/v1/events/999999", Value::Null)
        .await;
    assert_eq!(status, 404);

    // gRPC: the same operations.
    let mut client = EventServiceClient::new(gw.channel().await);
    let reviewed = client
        .review_event(gw.request(
            ReviewEventRequest {
                id: i64::from(id),
                reviewed: Some(false),
                notes: Some("checked again".into()),
            },
            &gw.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!reviewed.reviewed);
    assert_eq!(reviewed.notes.as_deref(), Some("checked again"));
    let denied = client
        .delete_event(gw.request(DeleteEventRequest { id: i64::from(id) }, &gw.read_key))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let deleted = client
        .delete_event(gw.request(DeleteEventRequest { id: i64::from(id) }, &gw.operator_key))
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.deleted_at.is_some());
    let restored = client
        .restore_event(gw.request(RestoreEventRequest { id: i64::from(id) }, &gw.operator_key))
        .await
        .unwrap()
        .into_inner();
    assert!(restored.deleted_at.is_none());
    let invalid = client
        .review_event(gw.admin_request(ReviewEventRequest {
            id: i64::from(id),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (invalid.code(), field_of(&invalid)),
        (tonic::Code::InvalidArgument, Some("reviewed"))
    );
    let missing = client
        .restore_event(gw.admin_request(RestoreEventRequest { id: 999_999 }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
}
