//! Prompts over REST and gRPC: the active configuration, versions that are only ever
//! added, diffs and rollbacks, and re-analysis by a real analysis worker that reads the
//! configuration the gateway wrote.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::prompt_service_client::PromptServiceClient;
use hsi_api_gateway::pb::{
    DiffPromptVersionsRequest, GetActivePromptRequest, ListPromptVersionsRequest,
    ReanalyzeEventRequest, RollbackPromptRequest, UpdatePromptRequest,
};
use hsi_core::Service;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use std::sync::Arc;
use support::Gateway;
use tokio_util::sync::CancellationToken;

/// (version, is_active, created_by, config_json) of every nemotron version, oldest first.
async fn versions(g: &Gateway) -> Vec<(i32, bool, Option<String>, Value)> {
    let rows = g
        .owner()
        .query_all(Statement::from_string(
            g.owner().get_database_backend(),
            "SELECT version, is_active, created_by, config_json FROM prompt_versions \
             WHERE model = 'nemotron' ORDER BY version",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("", "config_json").unwrap();
            (
                r.try_get("", "version").unwrap(),
                r.try_get("", "is_active").unwrap(),
                r.try_get("", "created_by").unwrap(),
                serde_json::from_str(&json).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn updates_add_versions_the_analysis_worker_reads() {
    let g = Gateway::start().await;

    let (status, seeded) = g.get_json("/api/v1/prompts/nemotron").await;
    assert_eq!(status, 200, "{seeded}");
    assert_eq!(
        (seeded["version"].as_i64(), seeded["max_tokens"].as_i64()),
        (Some(1), Some(512))
    );
    assert_eq!(seeded["created_by"], "migration");
    let original = seeded["system_prompt"].as_str().unwrap().to_owned();
    assert!(original.starts_with("You are the risk analyst"));

    let response = g
        .admin(Method::PUT, "/api/v1/prompts/nemotron")
        .json(&json!({"system_prompt": "Judge the risk.\nAnswer with JSON.", "change_description": "shorter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["temperature"], 0.2, "kept");
    assert_eq!(updated["created_by"], "test-admin");
    assert_eq!(updated["change_description"], "shorter");

    let history = versions(&g).await;
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].0, history[0].1), (1, false));
    assert_eq!(
        history[1],
        (
            2,
            true,
            Some("test-admin".to_owned()),
            json!({"system_prompt": "Judge the risk.\nAnswer with JSON.", "temperature": 0.2, "max_tokens": 512})
        )
    );
    // What the worker will judge the next event with.
    let config = hsi_analysis_worker::prompt::load_config(g.owner(), "nemotron")
        .await
        .unwrap();
    assert_eq!(config.system_prompt, "Judge the risk.\nAnswer with JSON.");
    assert_eq!((config.version, config.max_tokens), (2, 512));

    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/prompts/nemotron",
            json!({"temperature": 0.9, "max_tokens": 1024}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 3);

    for (request, field) in [
        (json!({"temperature": 2.5}), "temperature"),
        (json!({"max_tokens": 99}), "max_tokens"),
        (json!({"max_tokens": 8193}), "max_tokens"),
        (json!({"system_prompt": "   "}), "system_prompt"),
        (
            json!({"system_prompt": "x".repeat(20_001)}),
            "system_prompt",
        ),
        (json!({}), "system_prompt"),
    ] {
        let (status, body) = g
            .send_json(Method::PUT, "/api/v1/prompts/nemotron", request)
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/prompts/gpt",
            json!({"temperature": 1}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("model"))
    );
    let refused = g
        .with_key(Method::PUT, "/api/v1/prompts/nemotron", &g.operator_key)
        .json(&json!({"temperature": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        versions(&g).await.len(),
        3,
        "no refused change wrote a version"
    );

    // A model role without a configuration yet: it needs a prompt, then has version 1.
    let (status, _) = g.get_json("/api/v1/prompts/florence2").await;
    assert_eq!(status, 404);
    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/prompts/florence2",
            json!({"temperature": 0.1}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("system_prompt"))
    );
    let (status, body) = g
        .send_json(
            Method::PUT,
            "/api/v1/prompts/florence2",
            json!({"system_prompt": "Describe the scene."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["version"].as_i64(),
            body["temperature"].as_f64(),
            body["max_tokens"].as_i64()
        ),
        (Some(1), Some(0.7), Some(2048))
    );

    let actions = g.audit_trail().await;
    assert!(actions
        .iter()
        .any(|(a, s)| a == "prompt.update" && s == "success"));
    assert!(actions
        .iter()
        .any(|(a, s)| a == "prompt.update" && s == "failure"));
}

#[tokio::test]
async fn versions_are_listed_diffed_and_rolled_back_without_rewriting_history() {
    let g = Gateway::start().await;
    let (_, seeded) = g.get_json("/api/v1/prompts/nemotron").await;
    let original = seeded["system_prompt"].as_str().unwrap().to_owned();
    let mut client = PromptServiceClient::new(g.channel().await);
    client
        .update_prompt(g.admin_request(UpdatePromptRequest {
            model: "nemotron".to_owned(),
            system_prompt: Some(original.replace("from 0 to 100", "from 0 to 100 (be strict)")),
            temperature: Some(0.4),
            ..Default::default()
        }))
        .await
        .unwrap();

    let (status, listed) = g.get_json("/api/v1/prompts/nemotron/versions").await;
    assert_eq!(status, 200, "{listed}");
    let numbers: Vec<i64> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1], "newest first");
    assert_eq!(listed["versions"][0]["is_active"], true);
    assert_eq!(listed["versions"][1]["system_prompt"], original.as_str());
    let (_, page) = g
        .get_json("/api/v1/prompts/nemotron/versions?limit=1")
        .await;
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = g
        .get_json(&format!(
            "/api/v1/prompts/nemotron/versions?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(page["versions"][0]["version"], 1);

    let (status, diff) = g
        .get_json("/api/v1/prompts/nemotron/diff?from_version=1&to_version=2")
        .await;
    assert_eq!(status, 200, "{diff}");
    let text = diff["system_prompt_diff"].as_str().unwrap();
    assert!(
        text.starts_with("--- nemotron version 1\n+++ nemotron version 2\n"),
        "{text}"
    );
    assert!(
        text.contains("\n-Judge how much") && text.contains("(be strict)"),
        "{text}"
    );
    assert_eq!(
        diff["changes"],
        json!([{"field": "temperature", "from": "0.2", "to": "0.4"}])
    );
    let (_, same) = g
        .get_json("/api/v1/prompts/nemotron/diff?from_version=2&to_version=2")
        .await;
    assert_eq!(same["system_prompt_diff"], "");
    let (status, _) = g
        .get_json("/api/v1/prompts/nemotron/diff?from_version=1&to_version=9")
        .await;
    assert_eq!(status, 404);
    let (status, body) = g
        .get_json("/api/v1/prompts/nemotron/diff?to_version=2")
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("from_version"))
    );

    let (status, rolled) = g
        .send_json(
            Method::POST,
            "/api/v1/prompts/nemotron/rollback",
            json!({"version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["version"], 3, "a new version");
    assert_eq!(rolled["system_prompt"], original.as_str());
    assert_eq!(rolled["temperature"], 0.2);
    assert_eq!(rolled["change_description"], "rollback to version 1");
    let history = versions(&g).await;
    let active: Vec<i32> = history.iter().filter(|v| v.1).map(|v| v.0).collect();
    assert_eq!(active, [3]);
    assert_eq!(
        history[1].3["temperature"], 0.4,
        "version 2 is kept as it was"
    );
    assert_eq!(
        history[2].3, history[0].3,
        "the new version equals the old one"
    );

    // gRPC.
    let active = client
        .get_active_prompt(g.request(
            GetActivePromptRequest {
                model: "nemotron".to_owned(),
            },
            &g.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.version, 3);
    let listed = client
        .list_prompt_versions(g.request(
            ListPromptVersionsRequest {
                model: "nemotron".to_owned(),
                ..Default::default()
            },
            &g.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.versions.len(), 3);
    let diff = client
        .diff_prompt_versions(g.request(
            DiffPromptVersionsRequest {
                model: "nemotron".to_owned(),
                from_version: 2,
                to_version: 3,
            },
            &g.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(diff.system_prompt_diff.contains("-Judge how much this activity should worry the home owner, on a scale from 0 to 100 (be strict):"));
    let err = client
        .rollback_prompt(g.admin_request(RollbackPromptRequest {
            model: "nemotron".to_owned(),
            version: 7,
            change_description: None,
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = client
        .rollback_prompt(g.request(
            RollbackPromptRequest {
                model: "nemotron".to_owned(),
                version: 1,
                change_description: None,
            },
            &g.operator_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let err = client
        .get_active_prompt(g.admin_request(GetActivePromptRequest {
            model: "llama".to_owned(),
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), support::error_field(&err).as_deref()),
        (tonic::Code::InvalidArgument, Some("model"))
    );
    let err = client
        .update_prompt(g.admin_request(UpdatePromptRequest {
            model: "nemotron".to_owned(),
            max_tokens: Some(10),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(support::error_field(&err).as_deref(), Some("max_tokens"));
    assert!(g
        .audit_trail()
        .await
        .iter()
        .any(|(a, s)| a == "prompt.rollback" && s == "success"));
}

#[tokio::test]
async fn reanalysis_without_a_worker_is_unavailable_and_unknown_events_are_not_found() {
    let g = Gateway::start().await;
    g.camera("front_door", "Front Door").await;
    let event = g.event("front_door", 50, "s", "r", "person", &[]).await;

    let response = g
        .with_key(
            Method::POST,
            &format!("/api/v1/events/{event}/reanalyze"),
            &g.operator_key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("analysis worker") && message.contains("127.0.0.1:9"),
        "{message}"
    );
    let (status, _) = g
        .send_json(Method::POST, "/api/v1/events/999999/reanalyze", json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, body) = g
        .send_json(Method::POST, "/api/v1/events/0/reanalyze", json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("event_id"))
    );
    let refused = g
        .with_key(
            Method::POST,
            &format!("/api/v1/events/{event}/reanalyze"),
            &g.read_key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    let mut client = PromptServiceClient::new(g.channel().await);
    let err = client
        .reanalyze_event(g.request(
            ReanalyzeEventRequest {
                event_id: i64::from(event),
            },
            &g.operator_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable);
    let err = client
        .reanalyze_event(g.admin_request(ReanalyzeEventRequest { event_id: 424_242 }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    assert!(g
        .audit_trail()
        .await
        .iter()
        .any(|(a, s)| a == "event.reanalyze" && s == "failure"));
}

#[tokio::test]
async fn reanalysis_is_done_by_the_analysis_worker_with_the_active_prompt() {
    // The worker's gRPC API on a port chosen now, so the gateway can be pointed at it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let worker_addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let token = "internal-t0ken";
    let g = Gateway::start_with(|s| {
        s.services.analysis_worker = format!("http://{worker_addr}");
        s.services.token = hsi_core::settings::Secret::new(token);
    })
    .await;
    let mut settings = hsi_analysis_worker::Settings::default();
    settings.database.url =
        hsi_core::settings::SecretUrl::new(g.db.url_for(Service::AnalysisWorker));
    settings.redis = g.redis.settings();
    // Nothing listens there: the rule-based scorer judges.
    settings.llm.base_url = "http://127.0.0.1:9/v1".to_owned();
    settings.llm.attempts = 1;
    settings.llm.retry_base_ms = 10;
    settings.llm.timeout_ms = 2_000;
    settings.grpc.listen = None;
    let shutdown = CancellationToken::new();
    let analyzer = hsi_analysis_worker::build_analyzer(&settings, &shutdown)
        .await
        .unwrap();
    let api = hsi_analysis_worker::AnalysisApi::new(Arc::new(analyzer));
    tokio::spawn(hsi_analysis_worker::serve(
        worker_addr,
        api,
        token.to_owned(),
        shutdown.clone(),
    ));
    let _stop = shutdown.clone().drop_guard();

    g.camera("front_door", "Front Door").await;
    let person = g
        .detection("front_door", "person", "/cams/front_door/1.jpg")
        .await;
    let event = g
        .event(
            "front_door",
            5,
            "old summary",
            "old reasoning",
            "person",
            &[person],
        )
        .await;

    // The worker may take a moment to listen.
    let mut judged = None;
    for _ in 0..50 {
        let response = g
            .with_key(
                Method::POST,
                &format!("/api/v1/events/{event}/reanalyze"),
                &g.operator_key,
            )
            .send()
            .await
            .unwrap();
        if response.status().as_u16() != 503 {
            assert_eq!(response.status().as_u16(), 200);
            judged = Some(response.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let judged = judged.expect("the worker answered");
    assert_eq!(judged["event_id"], event);
    assert_eq!(judged["is_fallback"], true, "no LLM: {judged}");
    assert_eq!(judged["prompt_version"], 1);
    let summary = g
        .owner()
        .query_one(Statement::from_string(
            g.owner().get_database_backend(),
            format!("SELECT summary FROM events WHERE id = {event}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "summary")
        .unwrap();
    assert_eq!(
        summary,
        judged["summary"].as_str().unwrap(),
        "the worker rewrote the event"
    );

    // A new prompt takes effect at the worker's next judgement.
    let (status, _) = g
        .send_json(
            Method::PUT,
            "/api/v1/prompts/nemotron",
            json!({"system_prompt": "Judge strictly."}),
        )
        .await;
    assert_eq!(status, 200);
    let mut client = PromptServiceClient::new(g.channel().await);
    let again = client
        .reanalyze_event(g.request(
            ReanalyzeEventRequest {
                event_id: i64::from(event),
            },
            &g.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.prompt_version, 2);
    assert!(g
        .audit_trail()
        .await
        .iter()
        .any(|(a, s)| a == "event.reanalyze" && s == "success"));
}
