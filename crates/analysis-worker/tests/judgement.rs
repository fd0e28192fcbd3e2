//! Judgement you can trust: the reply schema reaches each kind of server the way that
//! server enforces it, the LLM moves the evidence score only within its bound (and the
//! audit says by how much and why), vision models get the pictures within bounds, and a
//! fast-path alert is delivered before the LLM answers, then revised under its id.

mod support;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use hsi_db::entities::alerts;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake_llm::{FakeLlm, Kind, Reply};
use support::World;

/// Judges batch `b-1` (the person on the porch at 02:10, evidence score 82) against a
/// fake of `kind`; answers the fake and the audit row.
async fn judged_by(kind: Kind) -> (FakeLlm, hsi_db::entities::event_audits::Model) {
    let llm = FakeLlm::start_as(
        kind,
        Reply::judgement(78, "A person on the porch late at night"),
    )
    .await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = world.events().await.into_iter().next().expect("an event");
    assert_eq!(event.risk_score, Some(78), "{kind:?}: judged by the model");
    let audit = world.audit(event.id).await;
    assert!(!audit.is_fallback, "{kind:?}");
    (llm, audit)
}

fn assert_bounded_schema(schema: &Value, kind: Kind) {
    let score = &schema["properties"]["risk_score"];
    assert_eq!(
        (score["minimum"].as_i64(), score["maximum"].as_i64()),
        (Some(72), Some(92)),
        "{kind:?}: the score is held within evidence ± 10: {schema}"
    );
    assert_eq!(schema["additionalProperties"], false, "{kind:?}");
    assert_eq!(
        schema["required"],
        serde_json::json!(["summary", "reasoning", "risk_score"]),
        "{kind:?}"
    );
}

#[tokio::test]
async fn each_server_kind_is_sent_the_schema_the_way_it_enforces_it() {
    let (llm, audit) = judged_by(Kind::LlamaCpp).await;
    let request = &llm.requests()[0];
    assert_eq!(request["response_format"]["type"], "json_schema");
    assert_bounded_schema(
        &request["response_format"]["json_schema"]["schema"],
        Kind::LlamaCpp,
    );
    assert_eq!(
        audit.structured_output.as_deref(),
        Some("llama_cpp/json_schema")
    );

    let (llm, audit) = judged_by(Kind::LlamaCppPython).await;
    let request = &llm.requests()[0];
    let grammar = request["grammar"].as_str().expect("a GBNF grammar");
    assert!(
        grammar.contains(r#"score ::= "72" | "73""#) && grammar.contains(r#"| "92""#),
        "the allowed scores, 72 to 92, spelled out: {grammar}"
    );
    assert!(!grammar.contains(r#""93""#), "{grammar}");
    assert!(request.get("response_format").is_none());
    assert_eq!(
        audit.structured_output.as_deref(),
        Some("llama_cpp_python/grammar")
    );

    let (llm, audit) = judged_by(Kind::Vllm).await;
    let request = &llm.requests()[0];
    assert_bounded_schema(&request["guided_json"], Kind::Vllm);
    assert!(request.get("response_format").is_none());
    assert_eq!(audit.structured_output.as_deref(), Some("vllm/guided_json"));

    let (llm, audit) = judged_by(Kind::Ollama).await;
    assert!(
        llm.paths().contains(&"/api/chat".to_owned()),
        "{:?}",
        llm.paths()
    );
    let request = &llm.requests()[0];
    assert_bounded_schema(&request["format"], Kind::Ollama);
    assert_eq!(request["stream"], false);
    assert_eq!(request["messages"][1]["role"], "user");
    assert_eq!(
        audit.structured_output.as_deref(),
        Some("ollama/ollama_format")
    );
    assert_eq!(
        (audit.llm_prompt_tokens, audit.llm_completion_tokens),
        (Some(90), Some(30)),
        "Ollama's token counts are read from its own fields"
    );

    let (llm, audit) = judged_by(Kind::OpenAi).await;
    let request = &llm.requests()[0];
    assert_eq!(request["response_format"]["type"], "json_schema");
    assert_eq!(request["response_format"]["json_schema"]["strict"], true);
    assert_bounded_schema(
        &request["response_format"]["json_schema"]["schema"],
        Kind::OpenAi,
    );
    assert_eq!(
        audit.structured_output.as_deref(),
        Some("openai/json_schema")
    );
}

#[tokio::test]
async fn a_llama_cpp_python_server_refusing_json_schema_is_never_asked_it_and_a_grammar_server_gets_one(
) {
    // Named as llama-cpp-python by its OpenAPI title: the first request already uses
    // the form it enforces, so no request is wasted on a 500.
    let (llm, _) = judged_by(Kind::LlamaCppPython).await;
    assert!(llm
        .requests()
        .iter()
        .all(|r| r["response_format"]["type"] != "json_schema"));

    // A llama.cpp server that refuses both schema forms is sent a GBNF grammar.
    let llm = FakeLlm::start_as(
        Kind::LlamaCpp,
        Reply::judgement(80, "A person on the porch"),
    )
    .await;
    let refusal =
        r#"{"error": {"code": 400, "message": "response_format: json_schema is not supported"}}"#;
    llm.then([
        Reply::Status(400, refusal.into()),
        Reply::Status(400, refusal.into()),
    ]);
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let requests = llm.requests();
    assert_eq!(requests.len(), 3, "two refusals, then the grammar");
    let grammar = requests[2]["grammar"].as_str().expect("a grammar");
    assert!(grammar.starts_with("root ::="), "{grammar}");
    let event = &world.events().await[0];
    assert_eq!(event.risk_score, Some(80));
    assert_eq!(
        world.audit(event.id).await.structured_output.as_deref(),
        Some("llama_cpp/grammar")
    );
}

#[tokio::test]
async fn the_llm_moves_the_evidence_score_only_within_its_bound_and_the_audit_says_why() {
    let llm = FakeLlm::start(Reply::Content(
        r#"{"summary": "Nothing to worry about, a person at the porch", "reasoning": "Probably the neighbour.", "risk_score": 3}"#
            .into(),
    ))
    .await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    assert_eq!(
        (event.risk_score, event.risk_level.as_deref()),
        (Some(72), Some("high")),
        "a tiny model cannot talk a person on the porch at 02:10 down to nothing"
    );
    let audit = world.audit(event.id).await;
    assert_eq!(
        (
            audit.evidence_score,
            audit.llm_proposed_score,
            audit.llm_adjustment
        ),
        (Some(82), Some(3), Some(-10))
    );
    let reason = audit
        .adjustment_reason
        .expect("the adjustment is explained");
    assert!(
        reason.contains("proposed 3")
            && reason.contains("-10 applied")
            && reason.contains("neighbour"),
        "{reason}"
    );
    let evidence = audit.evidence.expect("the evidence is kept");
    let factors: Vec<&str> = evidence["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .filter_map(|f| f["factor"].as_str())
        .collect();
    assert_eq!(factors, ["who", "where", "when"]);
    // The prompt told the model the evidence and its range.
    let user = llm.requests()[0]["messages"][1]["content"]
        .as_str()
        .expect("text")
        .to_owned();
    assert!(
        user.contains("\"evidence_score\": 82") && user.contains("from 72 to 92"),
        "{user}"
    );
    assert!(event
        .reasoning
        .as_deref()
        .unwrap_or_default()
        .contains("LLM adjustment -10"));
}

#[tokio::test]
async fn a_summary_that_names_nothing_seen_is_replaced_by_the_facts() {
    let llm = FakeLlm::start(Reply::judgement(
        85,
        "The weather is lovely and the garden needs water",
    ))
    .await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    assert_eq!(
        event.summary.as_deref(),
        Some("Person seen by Front Door in Porch (entry point) at 02:10.")
    );
    assert_eq!(
        event.risk_score,
        Some(85),
        "the score is still the model's, within bounds"
    );
    let reason = world
        .audit(event.id)
        .await
        .adjustment_reason
        .unwrap_or_default();
    assert!(reason.contains("was replaced"), "{reason}");

    // A summary naming something that was not seen is a hallucination too.
    let llm = FakeLlm::start(Reply::judgement(85, "Two dogs are barking at the porch")).await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    assert_eq!(
        event.summary.as_deref(),
        Some("Person seen by Front Door in Porch (entry point) at 02:10.")
    );
}

/// Writes a 1920x1080 frame and a 200x300 crop as JPEG files and points detection 1 at them.
async fn pictures_on_disk(world: &World, folder: &std::path::Path) {
    let frame = image::RgbImage::from_fn(1920, 1080, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let crop = image::RgbImage::from_fn(200, 300, |x, y| {
        image::Rgb([(y % 256) as u8, 40, (x % 256) as u8])
    });
    let frame_path = folder.join("frame.jpg");
    let crop_path = folder.join("crop.jpg");
    frame.save(&frame_path).expect("frame");
    crop.save(&crop_path).expect("crop");
    world
        .db
        .conn
        .execute_unprepared(&format!(
            "UPDATE detections SET file_path = '{}', thumbnail_path = '{}' WHERE id = 1;
             UPDATE detections SET file_path = '{}', thumbnail_path = '{}' WHERE id = 2;",
            frame_path.display(),
            crop_path.display(),
            frame_path.display(),
            folder.join("missing.jpg").display(),
        ))
        .await
        .expect("paths");
}

fn decoded(data_url: &str) -> image::DynamicImage {
    let payload = data_url
        .strip_prefix("data:image/jpeg;base64,")
        .expect("a JPEG data URL");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .expect("base64");
    image::load_from_memory(&bytes).expect("a picture")
}

#[tokio::test]
async fn a_vision_request_carries_the_pictures_within_their_bounds() {
    let folder = std::env::temp_dir().join(format!("hsi-vision-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("folder");
    let llm = FakeLlm::start(Reply::judgement(80, "A person at the door")).await;
    let mut world = World::new(&llm.base_url).await;
    pictures_on_disk(&world, &folder).await;
    world.settings.llm.vision = true;
    world.settings.llm.vision_max_side = 512;
    world.settings.llm.vision_max_images = 2;
    world
        .analyzer()
        .await
        .handle(World::batch("b-1", &[1, 2]))
        .await
        .expect("a missing thumbnail does not stop the judgement");
    let request = &llm.requests()[0];
    let parts = request["messages"][1]["content"]
        .as_array()
        .expect("content parts");
    assert_eq!(parts[0]["type"], "text");
    assert!(parts[0]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("evidence_score"));
    let images: Vec<&str> = parts[1..]
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "image_url");
            p["image_url"]["url"].as_str().expect("url")
        })
        .collect();
    assert_eq!(
        images.len(),
        2,
        "the frame and the person's crop; the cat's is missing"
    );
    let frame = decoded(images[0]);
    assert_eq!(
        (frame.width(), frame.height()),
        (512, 288),
        "downscaled, aspect kept"
    );
    let crop = decoded(images[1]);
    assert_eq!(
        (crop.width(), crop.height()),
        (200, 300),
        "small enough already"
    );

    // A byte budget smaller than the frame leaves it out and keeps what fits.
    let llm = FakeLlm::start(Reply::judgement(80, "A person at the door")).await;
    let mut world = World::new(&llm.base_url).await;
    pictures_on_disk(&world, &folder).await;
    world.settings.llm.vision = true;
    world.settings.llm.vision_max_bytes = 12_000;
    world.judge("b-1", &[1]).await;
    let parts = llm.requests()[0]["messages"][1]["content"]
        .as_array()
        .expect("parts")
        .clone();
    let total: usize = parts[1..]
        .iter()
        .map(|p| p["image_url"]["url"].as_str().unwrap_or_default().len())
        .sum();
    assert!(total <= 12_000, "{total} bytes of pictures");
    assert_eq!(parts.len(), 2, "only the crop fits: {total} bytes");
    let _ = std::fs::remove_dir_all(&folder);
}

/// A local webhook receiver that records each body with when it came.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(Instant, Value)>>>,
}

impl Receiver {
    async fn start(&self) -> String {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    fn bodies(&self) -> Vec<(Instant, Value)> {
        self.got.lock().expect("lock").clone()
    }
}

async fn receive(State(receiver): State<Receiver>, Json(body): Json<Value>) -> &'static str {
    receiver
        .got
        .lock()
        .expect("lock")
        .push((Instant::now(), body));
    "ok"
}

#[tokio::test]
async fn a_fast_path_alert_is_delivered_before_the_judgement_then_revised_under_its_id() {
    let receiver = Receiver::default();
    let hook = receiver.start().await;
    // The model takes its time, then judges the porch visitor harmless (as far as its
    // bound lets it): 86 on the evidence, 76 after the judgement.
    let delay = Duration::from_millis(1_500);
    let llm = FakeLlm::start(Reply::Slow(
        delay,
        r#"{"summary": "A person at the porch, likely a neighbour", "reasoning": "Calm, brief visit.", "risk_score": 10}"#.into(),
    ))
    .await;
    let world = World::new(&llm.base_url).await;
    world
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO alert_rules (name, severity, risk_threshold, fire_on_fast_path, cooldown_seconds, channels) VALUES
                 ('critical at once', 'critical', 85, true, 300, '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]'),
                 ('worth a look', 'high', 60, true, 300, '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]'),
                 ('after judgement', 'medium', 50, false, 300, '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]');"
        ))
        .await
        .expect("rules");
    let mut batch = World::batch("fast-path-1", &[1]);
    batch.message.is_fast_path = true;
    let analyzer = world.analyzer().await;
    let started = Instant::now();
    analyzer.handle(batch).await.expect("handled");
    analyzer.alerts.drain().await;

    let bodies = receiver.bodies();
    let by_rule = |name: &str| -> Vec<(Instant, Value)> {
        bodies
            .iter()
            .filter(|(_, b)| b["rule"]["name"] == name)
            .cloned()
            .collect()
    };
    let critical = by_rule("critical at once");
    assert_eq!(critical.len(), 2, "raised, then withdrawn: {bodies:?}");
    let (first_at, first) = &critical[0];
    assert_eq!(
        (
            first["revision"].as_i64(),
            first["stage"].as_str(),
            first["risk_score"].as_i64()
        ),
        (Some(1), Some("provisional"), Some(86))
    );
    assert!(
        *first_at < started + delay,
        "the provisional alert arrived before the LLM could have answered"
    );
    let (_, last) = &critical[1];
    assert_eq!(
        last["alert_id"], first["alert_id"],
        "the same alert, revised"
    );
    assert_eq!(
        (
            last["revision"].as_i64(),
            last["stage"].as_str(),
            last["change"].as_str()
        ),
        (Some(2), Some("final"), Some("withdrawn"))
    );
    assert_eq!(last["risk_score"], 76);
    assert!(
        last["withdrawn_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("risk"),
        "{last}"
    );

    let high = by_rule("worth a look");
    assert_eq!(high.len(), 2);
    assert_eq!(high[1].1["alert_id"], high[0].1["alert_id"]);
    assert_eq!(
        (
            high[1].1["change"].as_str(),
            high[1].1["risk_level"].as_str(),
            high[0].1["risk_level"].as_str()
        ),
        (Some("downgraded"), Some("high"), Some("critical"))
    );
    assert_eq!(
        high[1].1["summary"],
        "A person at the porch, likely a neighbour"
    );

    let later = by_rule("after judgement");
    assert_eq!(
        later.len(),
        1,
        "a rule that waits for the judgement fires once"
    );
    assert_eq!(
        (
            later[0].1["revision"].as_i64(),
            later[0].1["stage"].as_str()
        ),
        (Some(1), Some("final"))
    );

    // The rows: the withdrawn alert is dismissed and holds no cooldown; both revised
    // alerts were delivered again; the event and its audit are final.
    let event = world.events().await.into_iter().next().expect("event");
    assert_eq!(event.risk_score, Some(76));
    let audit = world.audit(event.id).await;
    assert_eq!(
        (audit.stage.as_str(), audit.evidence_score),
        ("final", Some(86))
    );
    let rows = alerts::Entity::find()
        .filter(alerts::Column::EventId.eq(event.id))
        .all(&world.db.conn)
        .await
        .expect("alerts");
    let withdrawn = rows
        .iter()
        .find(|a| a.withdrawn_at.is_some())
        .expect("one alert withdrawn");
    assert_eq!(
        (
            withdrawn.revision,
            withdrawn.status,
            withdrawn.delivery_state.as_str()
        ),
        (
            2,
            hsi_db::entities::enums::AlertStatus::Dismissed,
            "delivered"
        )
    );
    assert_eq!(rows.iter().filter(|a| a.revision == 2).count(), 2);
    assert!(
        rows.iter().all(|a| a.delivery_state == "delivered"),
        "{rows:?}"
    );

    // Redelivered, the batch changes nothing and sends nothing more.
    let mut again = World::batch("fast-path-1", &[1]);
    again.message.is_fast_path = true;
    analyzer.handle(again).await.expect("redelivery");
    analyzer.alerts.drain().await;
    assert_eq!(receiver.bodies().len(), 5);
}

#[tokio::test]
async fn a_fast_path_event_left_provisional_by_a_crash_is_judged_on_redelivery() {
    let receiver = Receiver::default();
    let hook = receiver.start().await;
    // The first delivery dies with the LLM (the worker is killed after stage one: here
    // the server answers 500 until the attempts run out and the batch is retried).
    let llm = FakeLlm::start(Reply::judgement(95, "A person trying the back door")).await;
    let world = World::new(&llm.base_url).await;
    world
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO alert_rules (name, severity, risk_threshold, fire_on_fast_path, channels) VALUES
                 ('critical at once', 'critical', 85, true, '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]');
             INSERT INTO events (batch_id, camera_id, started_at, ended_at, risk_score, risk_level, summary, is_fast_path)
                 VALUES ('fast-path-1', 'front_door', '2026-11-17T02:10:00Z', '2026-11-17T02:10:00Z', 86, 'critical', 'Person seen', true);
             INSERT INTO event_detections (event_id, detection_id) SELECT id, 1 FROM events;
             INSERT INTO event_audits (event_id, prompt_length, prompt_token_estimate, enrichment_utilization, stage, evidence_score)
                 SELECT id, 0, 0, 0.25, 'provisional', 86 FROM events;"
        ))
        .await
        .expect("a provisional event as stage one left it");
    let mut batch = World::batch("fast-path-1", &[1]);
    batch.message.is_fast_path = true;
    let analyzer = world.analyzer().await;
    analyzer.handle(batch).await.expect("handled");
    analyzer.alerts.drain().await;
    let event = world.events().await.into_iter().next().expect("event");
    assert_eq!(event.risk_score, Some(95), "86 + 9, judged now");
    assert_eq!(world.audit(event.id).await.stage, "final");
    assert_eq!(llm.requests().len(), 1);
    // Its rule had not fired at stage one here, so it fires now, once, as final.
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0].1["stage"], "final");
}

#[tokio::test]
async fn with_judges_running_the_consumer_is_free_after_stage_one_and_the_sweep_finds_orphans() {
    let receiver = Receiver::default();
    let hook = receiver.start().await;
    // A slow model: stage two takes seconds, stage one must not wait for it.
    let llm = FakeLlm::start(Reply::Slow(
        Duration::from_secs(4),
        r#"{"summary": "A person at the porch", "reasoning": "Late.", "risk_score": 90}"#.into(),
    ))
    .await;
    let mut world = World::new(&llm.base_url).await;
    world.settings.analysis.provisional_grace_secs = 0;
    world.settings.analysis.provisional_sweep_secs = 1;
    world
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO alert_rules (name, severity, risk_threshold, fire_on_fast_path, channels) VALUES
                 ('critical at once', 'critical', 85, true, '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]');"
        ))
        .await
        .expect("rule");
    let analyzer = Arc::new(world.analyzer().await);
    let stop = tokio_util::sync::CancellationToken::new();
    let judges = analyzer.start_judges(&stop);

    let mut batch = World::batch("fast-path-1", &[1]);
    batch.message.is_fast_path = true;
    analyzer.handle(batch).await.expect("stage one");
    let event = world.events().await.into_iter().next().expect("event");
    assert_eq!(
        world.audit(event.id).await.stage,
        "provisional",
        "the consumer returned before the judgement"
    );
    analyzer.alerts.drain().await;
    assert_eq!(receiver.bodies().len(), 1, "the first alert is out already");

    assert!(
        judges.settle(Duration::from_secs(60)).await,
        "the judgement ends"
    );
    analyzer.alerts.drain().await;
    assert_eq!(world.audit(event.id).await.stage, "final");
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1].1["change"], "confirmed");

    // A provisional event whose worker died between the stages: the sweep judges it.
    world
        .db
        .conn
        .execute_unprepared(
            "INSERT INTO events (batch_id, camera_id, started_at, ended_at, risk_score, risk_level, summary, is_fast_path)
                 VALUES ('fast-path-2', 'front_door', '2026-11-17T02:10:00Z', '2026-11-17T02:10:00Z', 2, 'low', 'Cat', true);
             INSERT INTO event_detections (event_id, detection_id) SELECT id, 2 FROM events WHERE batch_id = 'fast-path-2';
             INSERT INTO event_audits (event_id, prompt_length, prompt_token_estimate, enrichment_utilization, stage, evidence_score)
                 SELECT id, 0, 0, 0.25, 'provisional', 2 FROM events WHERE batch_id = 'fast-path-2';",
        )
        .await
        .expect("an orphaned provisional event");
    let orphan = world
        .events()
        .await
        .into_iter()
        .find(|e| e.batch_id == "fast-path-2")
        .expect("orphan");
    let deadline = Instant::now() + Duration::from_secs(60);
    while world.audit(orphan.id).await.stage != "final" {
        assert!(
            Instant::now() < deadline,
            "the sweep never judged the orphan"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(llm.requests().len(), 2, "each event judged once");
    stop.cancel();
    assert!(judges.drain_within(Duration::from_secs(30)).await);
}
