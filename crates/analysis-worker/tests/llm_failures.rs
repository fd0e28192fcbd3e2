//! The judge against a local server that misbehaves on purpose: every failure ends in a
//! written event, scored by the rule-based scorer and marked as such in its audit.

mod support;

use hsi_queue::HandlerError;
use std::time::{Duration, Instant};
use support::fake_llm::{FakeLlm, Reply};
use support::World;

#[tokio::test]
async fn a_valid_answer_becomes_the_event_with_its_level_from_the_score() {
    let llm = FakeLlm::start(Reply::judgement(72, "A person at the porch at night")).await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1, 2]).await;
    let events = world.events().await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        (event.risk_score, event.risk_level.as_deref()),
        (Some(72), Some("high"))
    );
    assert_eq!(
        event.summary.as_deref(),
        Some("A person at the porch at night")
    );
    assert_eq!(
        event.object_types.as_deref(),
        Some("person,cat"),
        "most confident first"
    );
    let audit = world.audit(event.id).await;
    assert!(!audit.is_fallback);
    assert_eq!(
        (audit.llm_model.as_deref(), audit.prompt_version),
        (Some("fake-judge"), Some(1))
    );
    assert_eq!(
        (audit.llm_prompt_tokens, audit.llm_completion_tokens),
        (Some(100), Some(20))
    );
    assert!(audit.has_zones && audit.prompt_length > 500 && audit.prompt_token_estimate > 100);
    // The first request asked for the schema.
    assert_eq!(llm.requests()[0]["response_format"]["type"], "json_schema");
}

#[tokio::test]
async fn a_level_the_model_writes_is_never_trusted() {
    let lying =
        r#"{"risk_score": 20, "risk_level": "critical", "summary": "a cat", "reasoning": "x"}"#;
    let llm = FakeLlm::start(Reply::Content(lying.into())).await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    // The level follows the score (82 - 10 at most), never the word the model wrote.
    assert_eq!(
        (event.risk_score, event.risk_level.as_deref()),
        (Some(72), Some("high"))
    );
}

#[tokio::test]
async fn an_out_of_range_score_is_clamped() {
    let llm = FakeLlm::start(Reply::Content(
        r#"{"risk_score": 250, "summary": "x", "reasoning": "y"}"#.into(),
    ))
    .await;
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    // 250 reads as 100, and the evidence score (82) moves by the bound (10) at most.
    assert_eq!(
        (event.risk_score, event.risk_level.as_deref()),
        (Some(92), Some("critical"))
    );
    let audit = world.audit(event.id).await;
    assert_eq!(
        (
            audit.evidence_score,
            audit.llm_proposed_score,
            audit.llm_adjustment
        ),
        (Some(82), Some(100), Some(10))
    );
}

async fn fallback_event(
    world: &World,
) -> (
    hsi_db::entities::events::Model,
    hsi_db::entities::event_audits::Model,
) {
    let event = world
        .events()
        .await
        .into_iter()
        .next()
        .expect("the event is written anyway");
    let audit = world.audit(event.id).await;
    assert!(audit.is_fallback, "marked as fallback");
    // The evidence alone: a sure person (+1.5) on the entry-point porch at night (+2.0)
    // at 02:10 (+1.5) from a prior of -3.5 is 82; the doubtful cat adds nothing.
    assert_eq!(
        (event.risk_score, event.risk_level.as_deref()),
        (Some(82), Some("high"))
    );
    assert_eq!(
        (audit.evidence_score, audit.llm_adjustment),
        (Some(82), None)
    );
    assert!(
        event
            .reasoning
            .as_deref()
            .unwrap_or_default()
            .starts_with("Rule-based score (no LLM judgement). Evidence score 82"),
        "{:?}",
        event.reasoning
    );
    (event, audit)
}

#[tokio::test]
async fn a_dead_server_gives_a_rule_based_event() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let world = World::new(&format!("http://127.0.0.1:{port}/v1")).await;
    world.judge("b-1", &[1, 2]).await;
    let (_, audit) = fallback_event(&world).await;
    let reason = audit.fallback_reason.expect("reason recorded");
    assert!(reason.contains("unreachable"), "{reason}");
}

#[tokio::test]
async fn a_slow_server_is_cut_off_by_the_timeout() {
    let llm = FakeLlm::start(Reply::Slow(Duration::from_secs(30), "{}".into())).await;
    let mut world = World::new(&llm.base_url).await;
    world.settings.llm.timeout_ms = 300;
    world.settings.llm.attempts = 2;
    let started = Instant::now();
    world.judge("b-1", &[1, 2]).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout: {:?}",
        started.elapsed()
    );
    let (_, audit) = fallback_event(&world).await;
    assert!(audit
        .fallback_reason
        .expect("reason")
        .contains("timed out after 300 ms"));
}

#[tokio::test]
async fn malformed_and_schema_breaking_replies_give_a_rule_based_event() {
    for (name, reply) in [
        ("not json", "I'm sorry, I cannot help with that."),
        ("broken json", r#"{"risk_score": 40, "summary": "#),
        (
            "wrong types",
            r#"{"risk_score": "very high", "summary": "x"}"#,
        ),
        ("missing summary", r#"{"risk_score": 40}"#),
    ] {
        let llm = FakeLlm::start(Reply::Content(reply.into())).await;
        let world = World::new(&llm.base_url).await;
        world.judge("b-1", &[1, 2]).await;
        let (_, audit) = fallback_event(&world).await;
        assert!(audit.fallback_reason.is_some(), "{name}");
        assert_eq!(llm.requests().len(), 3, "{name}: every attempt made");
    }
}

#[tokio::test]
async fn transient_errors_are_retried_before_giving_up() {
    let llm = FakeLlm::start(Reply::judgement(33, "A person, judged after retries")).await;
    llm.then([
        Reply::Status(503, "busy".into()),
        Reply::Status(500, "oops".into()),
    ]);
    let world = World::new(&llm.base_url).await;
    world.judge("b-1", &[1]).await;
    let event = &world.events().await[0];
    assert_eq!(
        event.summary.as_deref(),
        Some("A person, judged after retries")
    );
    assert!(!world.audit(event.id).await.is_fallback);
    assert_eq!(llm.requests().len(), 3);
}

#[tokio::test]
async fn a_server_without_json_schema_is_asked_for_json_object_instead() {
    let llm = FakeLlm::start(Reply::NoJsonSchema(
        r#"{"risk_score": 12, "summary": "ok", "reasoning": "r"}"#.into(),
    ))
    .await;
    let world = World::new(&llm.base_url).await;
    let analyzer = world.analyzer().await;
    analyzer
        .handle(World::batch("b-1", &[1]))
        .await
        .expect("handled");
    analyzer
        .handle(World::batch("b-2", &[2]))
        .await
        .expect("handled");
    let formats: Vec<String> = llm
        .requests()
        .iter()
        .map(|r| {
            r["response_format"]["type"]
                .as_str()
                .unwrap_or("none")
                .to_owned()
        })
        .collect();
    assert_eq!(
        formats,
        ["json_schema", "json_object", "json_object"],
        "stepped down once and remembered"
    );
    // The person on the porch at night (evidence 82) can be moved down to 72 at most;
    // the doubtful cat alone (evidence 2) up to 12.
    let mut scores: Vec<_> = world.events().await.iter().map(|e| e.risk_score).collect();
    scores.sort();
    assert_eq!(scores, [Some(12), Some(72)]);
}

#[tokio::test]
async fn the_circuit_breaker_stops_calling_a_failing_server() {
    let llm = FakeLlm::start(Reply::Status(500, "down".into())).await;
    let mut world = World::new(&llm.base_url).await;
    world.settings.llm.attempts = 2;
    world.settings.llm.breaker_failures = 2;
    world.settings.llm.breaker_open_secs = 60;
    let analyzer = world.analyzer().await;
    analyzer
        .handle(World::batch("b-1", &[1]))
        .await
        .expect("handled");
    assert_eq!(llm.requests().len(), 2);
    analyzer
        .handle(World::batch("b-2", &[2]))
        .await
        .expect("handled");
    assert_eq!(llm.requests().len(), 2, "no call while the breaker is open");
    let events = world.events().await;
    assert_eq!(events.len(), 2, "both events written");
    let reason = world
        .audit(events[1].id)
        .await
        .fallback_reason
        .expect("reason");
    assert!(reason.contains("circuit breaker open"), "{reason}");
}

#[tokio::test]
async fn a_redelivered_batch_writes_one_event() {
    let llm = FakeLlm::start(Reply::judgement(40, "once")).await;
    let world = World::new(&llm.base_url).await;
    let analyzer = world.analyzer().await;
    analyzer
        .handle(World::batch("b-1", &[1, 2]))
        .await
        .expect("first");
    analyzer
        .handle(World::batch("b-1", &[1, 2]))
        .await
        .expect("redelivery");
    assert_eq!(world.events().await.len(), 1);
    assert_eq!(llm.requests().len(), 1, "not judged twice");
    assert_eq!(
        world.event_messages().await.len(),
        2,
        "announced again for whoever missed it"
    );
}

#[tokio::test]
async fn a_batch_whose_detections_are_gone_is_refused_for_good() {
    let llm = FakeLlm::start(Reply::judgement(40, "x")).await;
    let world = World::new(&llm.base_url).await;
    let outcome = world
        .analyzer()
        .await
        .handle(World::batch("b-1", &[998, 999]))
        .await;
    assert_eq!(
        outcome,
        Err(HandlerError::Permanent(
            "none of the batch's 2 detections exist".into()
        ))
    );
}
