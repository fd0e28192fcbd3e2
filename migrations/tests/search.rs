//! Triggers keep `events.search_vector` and `logs.search_vector` current, and
//! `websearch_to_tsquery` finds rows by the words users type.

mod common;

use common::{exec, strings};
use hsi_testkit::TestDatabase;

async fn find_events(db: &TestDatabase, query: &str) -> Vec<String> {
    strings(
        &db.conn,
        &format!(
            "SELECT batch_id::text FROM events
             WHERE search_vector @@ websearch_to_tsquery('english', '{query}') ORDER BY batch_id"
        ),
    )
    .await
}

#[tokio::test]
async fn events_are_found_by_summary_reasoning_object_types_and_camera_name() {
    let db = TestDatabase::migrated().await;
    exec(
        &db.conn,
        "INSERT INTO cameras (id, name, folder_path) VALUES ('front_door', 'Front Door', '/cams/Front Door');
         INSERT INTO cameras (id, name, folder_path) VALUES ('garden', 'Back Garden', '/cams/garden');
         INSERT INTO events (batch_id, camera_id, started_at, summary, reasoning, object_types)
             VALUES ('b1', 'front_door', now(), 'A courier left a parcel on the step', 'Daytime delivery', 'person,truck');
         INSERT INTO events (batch_id, camera_id, started_at, summary, reasoning, object_types)
             VALUES ('b2', 'garden', now(), 'A fox crossed the lawn', 'Wildlife at night', 'dog');",
    )
    .await;

    assert_eq!(
        find_events(&db, "parcel").await,
        ["b1"],
        "a word of the summary"
    );
    assert_eq!(find_events(&db, "parcels").await, ["b1"], "stemmed");
    assert_eq!(
        find_events(&db, "wildlife").await,
        ["b2"],
        "a word of the reasoning"
    );
    assert_eq!(find_events(&db, "truck").await, ["b1"], "an object type");
    assert_eq!(
        find_events(&db, "front door").await,
        ["b1"],
        "the camera's name"
    );
    assert_eq!(find_events(&db, "garden").await, ["b2"]);
    assert_eq!(
        find_events(&db, "fox -courier").await,
        ["b2"],
        "web search syntax"
    );
    assert!(find_events(&db, "helicopter").await.is_empty());

    // Editing the summary refreshes the vector.
    exec(
        &db.conn,
        "UPDATE events SET summary = 'A neighbour collected the parcel' WHERE batch_id = 'b2'",
    )
    .await;
    assert_eq!(find_events(&db, "neighbour").await, ["b2"]);
    assert!(
        find_events(&db, "fox").await.is_empty(),
        "the old summary is gone"
    );

    // Renaming a camera makes its events findable under the new name.
    exec(
        &db.conn,
        "UPDATE cameras SET name = 'Driveway' WHERE id = 'front_door'",
    )
    .await;
    assert_eq!(find_events(&db, "driveway").await, ["b1"]);

    // Reviewing does not touch the vector (and needs no search privileges).
    exec(
        &db.conn,
        "UPDATE events SET reviewed = true, notes = 'ok' WHERE batch_id = 'b1'",
    )
    .await;
    assert_eq!(find_events(&db, "parcel").await, ["b1", "b2"]);
}

#[tokio::test]
async fn logs_are_found_by_message_and_component() {
    let db = TestDatabase::migrated().await;
    exec(
        &db.conn,
        "INSERT INTO logs (level, component, message, camera_id)
             VALUES ('ERROR', 'detection_worker', 'Decoding failed for truncated upload', 'front_door');
         INSERT INTO logs (level, component, message) VALUES ('INFO', 'file_watcher', 'Camera registered');",
    )
    .await;
    let found = |query: &'static str| {
        let db = &db;
        async move {
            strings(
                &db.conn,
                &format!("SELECT component::text FROM logs WHERE search_vector @@ websearch_to_tsquery('english', '{query}')"),
            )
            .await
        }
    };
    assert_eq!(found("truncated").await, ["detection_worker"]);
    assert_eq!(found("registered").await, ["file_watcher"]);
}
