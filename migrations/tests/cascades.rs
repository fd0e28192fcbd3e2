//! Deleting a camera, an event or an alert rule takes with it what the documents say.

mod common;

use common::{count, exec, insert_fixture};
use hsi_testkit::TestDatabase;

const RULE: &str = "00000000-0000-0000-0000-000000000001";

/// Hangs one row of every dependent table off camera `cam_a`, detection 1 and event 1.
async fn populate(db: &TestDatabase) {
    insert_fixture(&db.conn).await;
    exec(
        &db.conn,
        &format!(
            "INSERT INTO event_detections (event_id, detection_id) VALUES (1, 1);
             INSERT INTO event_audits (event_id) VALUES (1);
             INSERT INTO event_feedback (event_id, feedback_type) VALUES (1, 'correct');
             INSERT INTO alerts (event_id, rule_id, dedup_key) VALUES (1, '{RULE}', 'cam_a:rule');
             INSERT INTO camera_zones (id, camera_id, name, coordinates) VALUES ('porch', 'cam_a', 'Porch', '[[0,0],[1,0],[1,1]]');
             INSERT INTO scene_changes (camera_id, similarity_score) VALUES ('cam_a', 0.4);
             INSERT INTO activity_baselines (camera_id, hour, day_of_week) VALUES ('cam_a', 3, 2);
             INSERT INTO class_baselines (camera_id, detection_class, hour) VALUES ('cam_a', 'person', 3);
             INSERT INTO camera_notification_settings (camera_id) VALUES ('cam_a');
             INSERT INTO pose_results (detection_id) VALUES (1);
             INSERT INTO threat_detections (detection_id, threat_type, confidence, severity) VALUES (1, 'knife', 0.5, 'high');
             INSERT INTO entities (entity_type, primary_detection_id) VALUES ('person', 1);"
        ),
    )
    .await;
}

async fn rows(db: &TestDatabase, table: &str) -> i64 {
    count(&db.conn, &format!("SELECT count(*) FROM {table}")).await
}

#[tokio::test]
async fn deleting_a_camera_removes_everything_recorded_for_it() {
    let db = TestDatabase::migrated().await;
    populate(&db).await;
    exec(
        &db.conn,
        "INSERT INTO cameras (id, name, folder_path) VALUES ('cam_b', 'Cam B', '/b');
                    INSERT INTO detections (camera_id, file_path) VALUES ('cam_b', '/b/1.jpg');",
    )
    .await;

    exec(&db.conn, "DELETE FROM cameras WHERE id = 'cam_a'").await;

    for table in [
        "detections",
        "events",
        "camera_zones",
        "scene_changes",
        "activity_baselines",
        "class_baselines",
        "camera_notification_settings",
        "event_detections",
        "event_audits",
        "event_feedback",
        "alerts",
        "pose_results",
        "threat_detections",
    ] {
        let left = count(
            &db.conn,
            &format!(
                "SELECT count(*) FROM {table} WHERE {}",
                match table {
                    "detections" => "camera_id = 'cam_a'",
                    _ => "true",
                }
            ),
        )
        .await;
        assert_eq!(left, 0, "{table} still has rows of the deleted camera");
    }
    assert_eq!(
        rows(&db, "detections").await,
        1,
        "the other camera's detection stays"
    );
    // Entities outlive detections: the reference is cleared, the entity kept.
    assert_eq!(
        count(
            &db.conn,
            "SELECT count(*) FROM entities WHERE primary_detection_id IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        rows(&db, "alert_rules").await,
        1,
        "rules do not belong to cameras"
    );
}

#[tokio::test]
async fn deleting_an_event_removes_its_alerts_audit_feedback_and_links() {
    let db = TestDatabase::migrated().await;
    populate(&db).await;

    exec(&db.conn, "DELETE FROM events WHERE id = 1").await;

    for table in [
        "alerts",
        "event_audits",
        "event_feedback",
        "event_detections",
    ] {
        assert_eq!(
            rows(&db, table).await,
            0,
            "{table} rows of the deleted event remain"
        );
    }
    assert_eq!(
        rows(&db, "detections").await,
        1,
        "detections are not owned by events"
    );
    assert_eq!(rows(&db, "cameras").await, 1);
}

#[tokio::test]
async fn deleting_a_detection_removes_its_links_and_enrichment() {
    let db = TestDatabase::migrated().await;
    populate(&db).await;

    exec(&db.conn, "DELETE FROM detections WHERE id = 1").await;

    for table in ["event_detections", "pose_results", "threat_detections"] {
        assert_eq!(
            rows(&db, table).await,
            0,
            "{table} rows of the deleted detection remain"
        );
    }
    assert_eq!(rows(&db, "events").await, 1, "the event stays");
}

#[tokio::test]
async fn deleting_an_alert_rule_keeps_its_alerts_without_a_rule() {
    let db = TestDatabase::migrated().await;
    populate(&db).await;

    exec(
        &db.conn,
        &format!("DELETE FROM alert_rules WHERE id = '{RULE}'"),
    )
    .await;

    assert_eq!(rows(&db, "alerts").await, 1, "the alert survives its rule");
    assert_eq!(
        count(
            &db.conn,
            "SELECT count(*) FROM alerts WHERE rule_id IS NULL"
        )
        .await,
        1
    );
}
