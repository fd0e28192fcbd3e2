//! The `hsi` binary against a real gateway, PostgreSQL and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: failing loudly is the point

mod support;

use serde_json::Value;
use support::World;

fn ids(doc: &Value, list: &str) -> Vec<i64> {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_show_depths_and_dead_letters_per_stream() {
    let world = World::start().await;
    world.bury_files(2, "q").await;
    let doc = world.hsi(&["queues", "--json"]).await.json();
    let files = doc["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == "files")
        .unwrap();
    assert_eq!(files["dead_letters"], 2);
    assert_eq!(files["length"], 0, "dead-lettered messages left the stream");
    assert_eq!(files["group"], "detection-worker");

    let table = world.hsi(&["queues"]).await;
    table.ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("STREAM"), "{}", table.stdout);
    let row = lines.iter().find(|l| l.starts_with("files")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // STREAM GROUP LENGTH PENDING DEAD ...
    assert_eq!(
        cells[..5],
        ["files", "detection-worker", "0", "0", "2"],
        "{row}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dead_letter_is_listed_shown_and_requeued_onto_its_stream() {
    let world = World::start().await;
    let paths = world.bury_files(2, "one").await;
    let doc = world.hsi(&["dead-letters", "list", "--json"]).await.json();
    let letters = doc["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0]["stream"], "files");
    assert_eq!(letters[0]["error"], format!("cannot read {}", paths[0]));
    let id = letters[0]["id"].as_str().unwrap().to_owned();

    let shown = world.hsi(&["dead-letters", "show", &id]).await;
    shown.ok();
    assert!(
        shown.stdout.contains(&paths[0]),
        "decoded message shown: {}",
        shown.stdout
    );
    assert!(shown.stdout.contains("cannot read"), "{}", shown.stdout);

    world.hsi(&["dead-letters", "requeue", &id]).await.ok();
    let on_stream = world.files_on("stream:files").await;
    assert_eq!(on_stream.len(), 1, "the message is back on the stream");
    assert_eq!(on_stream[0].1, paths[0], "the same message");
    let dead = world.files_on("stream:files:dead").await;
    assert_eq!(dead.len(), 1);
    assert_ne!(dead[0].0, id, "the requeued dead letter is gone");
    assert_eq!(dead[0].1, paths[1], "the other one stays");
    let audit = world
        .query_strings("SELECT action || ' ' || actor || ' ' || status FROM audit_logs")
        .await;
    assert!(
        audit.contains(&"dead_letters.requeue hsi-cli success".to_owned()),
        "{audit:?}"
    );

    // Requeueing it again names what is missing and fails.
    let again = world.hsi(&["dead-letters", "requeue", &id]).await;
    assert_eq!(again.code, 5, "{again:?}");
    assert!(
        again.stderr.contains(&format!("no dead letter {id}")),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeue_all_moves_every_dead_letter_back() {
    let world = World::start().await;
    let paths = world.bury_files(45, "all").await;
    let run = world
        .hsi(&["dead-letters", "requeue", "--all", "--json"])
        .await;
    let doc = run.json();
    let files = doc["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == "files")
        .unwrap()
        .clone();
    assert_eq!(files["total"], 45);
    assert_eq!(files["requeued"], 45);
    assert_eq!(files["interrupted"], false);
    let on_stream: Vec<String> = world
        .files_on("stream:files")
        .await
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    assert_eq!(on_stream, paths, "every message is back, oldest first");
    assert!(world.files_on("stream:files:dead").await.is_empty());
    let queues = world.hsi(&["queues", "--json"]).await.json();
    assert!(queues["streams"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["dead_letters"] == 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cameras_are_renamed_and_disabled_through_the_api() {
    let world = World::start().await;
    world.camera("front", "front").await;
    world.camera("yard", "yard").await;
    let renamed = world
        .hsi(&["cameras", "rename", "front", "Front door"])
        .await;
    renamed.ok();
    assert!(
        renamed
            .stdout
            .contains("renamed camera front to \"Front door\""),
        "{}",
        renamed.stdout
    );
    assert_eq!(
        world
            .query_strings("SELECT name FROM cameras WHERE id = 'front'")
            .await,
        ["Front door"]
    );
    world.hsi(&["cameras", "disable", "yard"]).await.ok();
    assert_eq!(
        world
            .query_strings("SELECT id FROM cameras WHERE deleted_at IS NOT NULL")
            .await,
        ["yard"]
    );
    let listed = world.hsi(&["cameras", "list", "--json"]).await.json();
    let names: Vec<&str> = listed["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Front door"], "a disabled camera is not listed");
    let all = world.hsi(&["cameras", "list", "--all"]).await;
    all.ok();
    assert!(
        all.stdout
            .lines()
            .any(|l| l.starts_with("yard") && l.contains("disabled")),
        "{}",
        all.stdout
    );
    let audit = world
        .query_strings("SELECT action FROM audit_logs ORDER BY seq")
        .await;
    assert!(audit.contains(&"camera.update".to_owned()), "{audit:?}");

    let missing = world.hsi(&["cameras", "rename", "nope", "x"]).await;
    assert_eq!(missing.code, 5, "{missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_created_directly_used_and_revoked() {
    let world = World::start().await;
    let created = world
        .hsi_as(
            &world.api_url(),
            None,
            &["keys", "create", "night-shift", "--scope", "read"],
        )
        .await;
    created.ok();
    let key = created.stdout.trim().to_owned();
    assert!(
        key.starts_with("hsi_"),
        "the new key alone on stdout: {created:?}"
    );
    assert!(
        created.stderr.contains("shown only this once"),
        "{}",
        created.stderr
    );

    let with_new_key = world
        .hsi_as(&world.api_url(), Some(&key), &["cameras", "list", "--json"])
        .await;
    with_new_key.json();
    // A read key may not revoke keys: the error says so.
    let denied = world
        .hsi_as(&world.api_url(), Some(&key), &["keys", "list"])
        .await;
    assert_eq!(denied.code, 4, "{denied:?}");
    assert!(
        denied.stderr.contains("may not do this"),
        "{}",
        denied.stderr
    );

    let keys = world.hsi(&["keys", "list", "--json"]).await.json();
    let id = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "night-shift")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    world.hsi(&["keys", "revoke", &id]).await.ok();
    let revoked = world
        .hsi_as(&world.api_url(), Some(&key), &["cameras", "list"])
        .await;
    assert_eq!(revoked.code, 4, "{revoked:?}");
    assert!(revoked.stderr.contains("revoked"), "{}", revoked.stderr);
    assert!(!revoked.stderr.contains(&key), "the key is never printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_listed_and_searched_as_json() {
    let world = World::start().await;
    world.camera("front", "Front").await;
    let ladder = world
        .event(
            "front",
            80,
            "high",
            "a person carries a ladder to the fence",
        )
        .await;
    let parcel = world
        .event("front", 10, "low", "a courier leaves a parcel")
        .await;
    let listed = world.hsi(&["events", "list", "--json"]).await.json();
    assert_eq!(ids(&listed, "events"), [parcel, ladder], "newest first");
    let high = world
        .hsi(&["events", "list", "--risk", "high", "--json"])
        .await
        .json();
    assert_eq!(ids(&high, "events"), [ladder]);
    let found = world
        .hsi(&["events", "search", "ladder", "--json"])
        .await
        .json();
    let hits: Vec<i64> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(hits, [ladder]);
    let table = world.hsi(&["events", "search", "parcel"]).await;
    table.ok();
    assert!(
        table.stdout.contains("a courier leaves a parcel"),
        "{}",
        table.stdout
    );
    assert!(!table.stdout.contains("ladder"), "{}", table.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_or_no_key_is_a_clear_error() {
    let world = World::start().await;
    let secret = "hsi_0123456789abcdef_notarealsecret";
    let bad = world
        .hsi_as(&world.api_url(), Some(secret), &["cameras", "list"])
        .await;
    assert_eq!(bad.code, 4, "{bad:?}");
    assert!(
        bad.stderr.contains(&format!(
            "the gateway at {} refused the API key",
            world.api_url()
        )),
        "{}",
        bad.stderr
    );
    assert!(!bad.stderr.contains(secret) && !bad.stdout.contains(secret));
    let none = world
        .hsi_as(&world.api_url(), None, &["events", "list"])
        .await;
    assert_eq!(none.code, 2, "{none:?}");
    assert!(none.stderr.contains("needs an API key"), "{}", none.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_gateway_down_direct_commands_still_work() {
    let world = World::start().await;
    world.bury_files(1, "down").await;
    world.shutdown.cancel();
    // Nothing listens on the discard port: the gateway is "down".
    let down = "http://127.0.0.1:9";
    let queues = world
        .hsi_as(down, Some(&world.admin_key), &["queues", "--json"])
        .await
        .json();
    assert!(queues["streams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["dead_letters"] == 1));
    let cameras = world
        .hsi_as(down, Some(&world.admin_key), &["cameras", "list"])
        .await;
    assert_eq!(cameras.code, 3, "{cameras:?}");
    assert!(
        cameras
            .stderr
            .contains("gateway unreachable at http://127.0.0.1:9"),
        "{}",
        cameras.stderr
    );
    let status = world
        .hsi_as(down, Some(&world.admin_key), &["status", "--json"])
        .await;
    assert_eq!(status.code, 1, "degraded is not success: {status:?}");
    let doc: Value = serde_json::from_str(&status.stdout).unwrap();
    let of = |name: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {doc}"))["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(of("postgresql"), "serving");
    assert_eq!(of("redis"), "serving");
    assert_eq!(of("api-gateway"), "not_serving");
    assert_eq!(doc["status"], "degraded");
    assert!(
        status.stderr.contains("api-gateway (not_serving)"),
        "{}",
        status.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_the_gateway_and_the_stores() {
    let world = World::start().await;
    let run = world.hsi(&["status"]).await;
    // The workers are not running in this test, so HSI is degraded, and says which.
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.starts_with("HSI is degraded"), "{}", run.stdout);
    for line in ["postgresql", "redis", "api-gateway"] {
        let row = run.stdout.lines().find(|l| l.starts_with(line)).unwrap();
        assert!(row.contains(" serving "), "{row}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_files_are_listed_from_the_ledger() {
    let world = World::start().await;
    world.camera("front", "Front").await;
    world
        .exec(
            "INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, state, \
             refusal_reason, refusal_detail) VALUES ('front', '/cams/front/tiny.jpg', \
             '\\x2f', 12, 'refused', 'too_small', '12 bytes, minimum 1024')",
        )
        .await;
    let doc = world.hsi(&["refused", "--json"]).await.json();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["reason"], "too_small");
    assert_eq!(files[0]["path"], "/cams/front/tiny.jpg");
    let table = world
        .hsi(&["refused", "--reason", "undecodable_image"])
        .await;
    table.ok();
    assert!(table.stdout.contains("(none)"), "{}", table.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_status_and_up() {
    let world = World::start().await;
    let owner = world.db.url.clone();
    let status = world
        .hsi(&["migrate", "status", "--json", "--database-url", &owner])
        .await
        .json();
    assert_eq!(status["pending"], 0);
    assert_eq!(
        status["migrations"].as_array().unwrap().len(),
        hsi_migrations::migration_names().len()
    );

    let empty = hsi_testkit::TestDatabase::empty().await;
    let before = world
        .hsi(&["migrate", "status", "--database-url", &empty.url])
        .await;
    before.ok();
    assert!(
        before.stdout.lines().nth(2).unwrap().ends_with("pending"),
        "{}",
        before.stdout
    );
    let up = world
        .hsi(&["migrate", "up", "--json", "--database-url", &empty.url])
        .await
        .json();
    assert_eq!(up["pending"], 0);
    assert!(up["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "applied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_requeue_all_stops_between_steps_and_says_how_far_it_got() {
    use hsi_cli::connect::Target;
    use hsi_core::settings::SecretUrl;
    let world = World::start().await;
    let paths = world.bury_files(45, "stop").await;
    let target = Target {
        api: world.api_url(),
        database_url: Some(SecretUrl::new(world.db.url_for(hsi_core::Service::Gateway))),
        redis_url: Some(SecretUrl::new(world.redis.url.clone())),
        redis_prefix: Some(world.redis.prefix.clone()),
        ..Target::default()
    };
    // Ctrl-C "pressed" while the first step of 20 is under way.
    let interrupt = hsi_cli::progress::Interrupt::after_checks(2);
    let out = hsi_cli::output::Output { json: true };
    let err = hsi_cli::queues::requeue_all(&target, out, Some("files"), &interrupt)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 130);
    assert_eq!(
        err.to_string(),
        "interrupted after 20 of 45; the rest are still dead letters; run it again to continue"
    );
    let moved: Vec<String> = world
        .files_on("stream:files")
        .await
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    assert_eq!(
        moved,
        paths[..20],
        "the step under way finished, oldest first"
    );
    assert_eq!(
        world.files_on("stream:files:dead").await.len(),
        25,
        "the rest stay dead"
    );
    let details = world
        .query_strings("SELECT details::text FROM audit_logs WHERE action = 'dead_letters.requeue'")
        .await;
    assert_eq!(details.len(), 1);
    assert!(
        details[0].contains("\"requeued\": 20") && details[0].contains("\"interrupted\": true"),
        "{details:?}"
    );

    // Run again, it finishes the rest.
    let again = world
        .hsi(&[
            "dead-letters",
            "requeue",
            "--all",
            "--stream",
            "files",
            "--json",
        ])
        .await
        .json();
    assert_eq!(again["streams"][0]["requeued"], 25);
    assert!(world.files_on("stream:files:dead").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_events_from_the_gateways_websocket() {
    use tokio::io::AsyncBufReadExt as _;
    let world = World::start().await;
    world.camera("front", "Front").await;
    let id = world
        .event("front", 70, "high", "someone tries the back door")
        .await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hsi"))
        .args([
            "--api",
            &world.api_url(),
            "events",
            "tail",
            "--after",
            "0",
            "--json",
        ])
        .env("HSI_API_KEY", &world.admin_key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("an event within 20 s")
        .unwrap()
        .expect("a line");
    let message: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(message["event"]["id"], id);
    assert_eq!(message["event"]["summary"], "someone tries the back door");
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_filtered_and_searched_through_the_api() {
    let world = World::start().await;
    world
        .exec(
            "INSERT INTO logs (level, component, message, camera_id, event_id) VALUES \
             ('INFO', 'file-watcher', 'watching the camera folders', NULL, NULL), \
             ('WARNING', 'analysis-worker', 'llm answered slowly', 'porch', 4), \
             ('ERROR', 'analysis-worker', 'webhook receiver refused the alert', 'porch', 4)",
        )
        .await;
    let warnings = world
        .hsi(&["logs", "--level", "warning", "--json"])
        .await
        .json();
    let messages: Vec<&str> = warnings["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["webhook receiver refused the alert", "llm answered slowly"]
    );
    let table = world
        .hsi(&["logs", "refused", "--service", "analysis-worker"])
        .await;
    table.ok();
    assert!(table.stdout.contains("ERROR"), "{}", table.stdout);
    assert!(table.stdout.contains("porch"), "{}", table.stdout);
    assert!(!table.stdout.contains("slowly"), "{}", table.stdout);
    let bad = world.hsi(&["logs", "--level", "loud"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("loud"), "{}", bad.stderr);
}
