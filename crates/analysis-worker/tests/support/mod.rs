//! A database with a camera, a zone and detections, a Redis prefix, and the analysis
//! worker's settings pointing at them.
#![allow(dead_code)] // each test binary uses a different part

pub mod fake_llm;

use hsi_analysis_worker::{Analyzer, Settings};
use hsi_core::Service;
use hsi_db::entities::{event_audits, events};
use hsi_proto::v1::{BatchMessage, EventMessage};
use hsi_queue::{Consumer, Delivery, QueueSettings};
use hsi_testkit::{TestDatabase, TestRedis};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tokio_util::sync::CancellationToken;

pub struct World {
    pub db: TestDatabase,
    pub redis: TestRedis,
    pub settings: Settings,
}

impl World {
    /// Camera `front_door` ("Front Door") with an entry-point zone over the lower half,
    /// and two detections at 02:10 UTC: a person standing in the zone, a cat outside it.
    pub async fn new(llm_base_url: &str) -> Self {
        let db = TestDatabase::migrated().await;
        db.conn
            .execute_unprepared(
                "INSERT INTO cameras (id, name, folder_path) VALUES ('front_door', 'Front Door', '/cams/Front Door');
                 INSERT INTO camera_zones (id, camera_id, name, zone_type, shape, coordinates)
                     VALUES ('porch', 'front_door', 'Porch', 'entry_point', 'rectangle', '[[0.0, 0.5], [1.0, 1.0]]');
                 INSERT INTO detections (id, camera_id, file_path, detected_at, object_type, confidence,
                                         bbox_x, bbox_y, bbox_width, bbox_height, frame_width, frame_height, source_message_id, object_index)
                     VALUES (1, 'front_door', '/cams/Front Door/1.jpg', '2026-11-17T02:10:00Z', 'person', 0.91, 300, 200, 80, 250, 640, 480, 'm1', 0),
                            (2, 'front_door', '/cams/Front Door/1.jpg', '2026-11-17T02:10:00Z', 'cat', 0.40, 20, 10, 30, 30, 640, 480, 'm1', 1);
                 SELECT setval('detections_id_seq', 2);",
            )
            .await
            .expect("fixture");
        let redis = TestRedis::new();
        let mut settings = Settings::default();
        settings.database.url =
            hsi_core::settings::SecretUrl::new(db.url_for(Service::AnalysisWorker));
        settings.redis = redis.settings();
        settings.queue = QueueSettings {
            block_ms: 100,
            visibility_timeout_ms: 2_000,
            retry_base_ms: 50,
            ..QueueSettings::default()
        };
        settings.llm.base_url = llm_base_url.to_owned();
        settings.llm.timeout_ms = 60_000;
        settings.llm.retry_base_ms = 20;
        settings.grpc.listen = None;
        settings.alerts.allow_private_destinations = true;
        Self {
            db,
            redis,
            settings,
        }
    }

    pub async fn analyzer(&self) -> Analyzer {
        hsi_analysis_worker::build_analyzer(&self.settings, &CancellationToken::new())
            .await
            .expect("analyzer")
    }

    /// Judges batch `batch_id` of detections `ids` with a fresh analyzer.
    pub async fn judge(&self, batch_id: &str, ids: &[i64]) {
        self.analyzer()
            .await
            .handle(Self::batch(batch_id, ids))
            .await
            .expect("handled");
    }

    pub fn batch(batch_id: &str, ids: &[i64]) -> Delivery<BatchMessage> {
        Delivery {
            id: "0-1".to_owned(),
            delivery_count: 1,
            message: BatchMessage {
                batch_id: batch_id.to_owned(),
                camera_id: "front_door".to_owned(),
                detection_ids: ids.to_vec(),
                ..BatchMessage::default()
            },
        }
    }

    pub async fn events(&self) -> Vec<events::Model> {
        events::Entity::find()
            .all(&self.db.conn)
            .await
            .expect("events")
    }

    pub async fn audit(&self, event_id: i32) -> event_audits::Model {
        event_audits::Entity::find()
            .filter(event_audits::Column::EventId.eq(event_id))
            .one(&self.db.conn)
            .await
            .expect("query")
            .expect("an audit row")
    }

    pub async fn event_messages(&self) -> Vec<EventMessage> {
        let pool = hsi_queue::redis_pool(&self.redis.settings()).expect("pool");
        let consumer: Consumer<EventMessage> = Consumer::new(
            pool,
            &self.redis.prefix,
            "gateway",
            "test",
            &self.settings.queue,
        );
        consumer
            .receive(100)
            .await
            .expect("events stream")
            .into_iter()
            .map(|d| d.message)
            .collect()
    }
}
