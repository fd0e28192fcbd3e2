//! What must hold once the pipeline is quiet, read from PostgreSQL (the record) and from
//! the webhook receiver (what reached the outside world).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use std::collections::HashMap;

/// The figures of one scenario.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub files_in: u64,
    pub accepted: i64,
    pub refused: i64,
    pub duplicates: i64,
    pub abandoned: i64,
    pub processed_once: i64,
    pub never_processed: i64,
    pub failed: i64,
    pub detections: i64,
    pub detections_duplicated: i64,
    pub detections_in_no_event: i64,
    pub detections_in_two_events: i64,
    pub events: i64,
    /// Events the rule-based scorer judged because no LLM answer came.
    pub fallback_events: i64,
    pub alerts_due: i64,
    pub alerts_delivered: i64,
    pub alerts_lost: i64,
    pub repeat_deliveries: i64,
    pub dead_letters: i64,
}

impl Figures {
    /// Nothing lost and nothing duplicated.
    pub fn holds(&self) -> bool {
        self.lost() == 0 && self.duplicated() == 0
    }

    pub fn lost(&self) -> i64 {
        let unaccounted = (self.files_in as i64)
            - (self.accepted + self.refused + self.duplicates + self.abandoned);
        unaccounted.max(0)
            + self.abandoned
            + self.never_processed
            + self.detections_in_no_event
            + self.alerts_lost
    }

    pub fn duplicated(&self) -> i64 {
        self.detections_duplicated + self.detections_in_two_events
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("no row from {sql}")))?;
    row.try_get_by_index::<i64>(0)
}

/// The counts PostgreSQL holds.
pub async fn read(db: &DatabaseConnection, figures: &mut Figures) -> Result<(), DbErr> {
    figures.accepted = count(
        db,
        "SELECT count(*) FROM media_files WHERE state = 'accepted'",
    )
    .await?;
    figures.refused = count(
        db,
        "SELECT count(*) FROM media_files WHERE state = 'refused'",
    )
    .await?;
    figures.duplicates = count(
        db,
        "SELECT count(*) FROM media_files WHERE state = 'duplicate'",
    )
    .await?;
    figures.abandoned = count(
        db,
        "SELECT count(*) FROM media_files WHERE state = 'abandoned'",
    )
    .await?;
    figures.processed_once = count(
        db,
        "SELECT count(*) FROM media_files m WHERE m.state = 'accepted' AND \
         (SELECT count(*) FROM processed_files p WHERE p.media_file_id = m.id) = 1",
    )
    .await?;
    figures.never_processed = count(
        db,
        "SELECT count(*) FROM media_files m WHERE m.state = 'accepted' AND NOT EXISTS \
         (SELECT 1 FROM processed_files p WHERE p.media_file_id = m.id)",
    )
    .await?;
    figures.failed = count(
        db,
        "SELECT count(*) FROM processed_files WHERE outcome = 'failed'",
    )
    .await?;
    figures.detections = count(db, "SELECT count(*) FROM detections").await?;
    // The replay bug's signature: one object of one frame of one file recorded twice.
    figures.detections_duplicated = count(
        db,
        "SELECT coalesce(sum(n - 1), 0)::bigint FROM (SELECT count(*) AS n FROM detections \
         GROUP BY file_path, frame_index, object_index HAVING count(*) > 1) twice",
    )
    .await?;
    figures.detections_in_no_event = count(
        db,
        "SELECT count(*) FROM detections d WHERE NOT EXISTS \
         (SELECT 1 FROM event_detections e WHERE e.detection_id = d.id)",
    )
    .await?;
    figures.detections_in_two_events = count(
        db,
        "SELECT count(*) FROM (SELECT detection_id FROM event_detections \
         GROUP BY detection_id HAVING count(*) > 1) twice",
    )
    .await?;
    figures.events = count(db, "SELECT count(*) FROM events").await?;
    figures.fallback_events =
        count(db, "SELECT count(*) FROM event_audits WHERE is_fallback").await?;
    figures.alerts_due = count(
        db,
        "SELECT count(*) FROM alerts WHERE delivery_state <> 'none'",
    )
    .await?;
    figures.alerts_delivered = count(
        db,
        "SELECT count(*) FROM alerts WHERE delivery_state = 'delivered'",
    )
    .await?;
    Ok(())
}

/// Compares the alerts due with what the receiver got: one idempotency key per alert
/// (one channel each), received at least once; repeats are allowed (the receiver drops
/// them by key) and counted.
pub async fn deliveries(
    db: &DatabaseConnection,
    received: &HashMap<String, u32>,
    figures: &mut Figures,
) -> Result<(), DbErr> {
    let rows = db
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id::text AS id FROM alerts WHERE delivery_state <> 'none'",
        ))
        .await?;
    let mut lost = 0;
    for row in rows {
        let id: String = row.try_get("", "id")?;
        if !received.contains_key(&format!("{id}:0")) {
            lost += 1;
        }
    }
    figures.alerts_lost = lost;
    figures.repeat_deliveries = received
        .values()
        .map(|n| i64::from(n.saturating_sub(1)))
        .sum();
    Ok(())
}

/// Whether the pipeline has finished everything it was given.
pub async fn quiet(db: &DatabaseConnection, files_in: u64) -> Result<bool, DbErr> {
    let decided = count(
        db,
        "SELECT count(*) FROM media_files WHERE state IN ('accepted', 'refused', 'duplicate', 'abandoned')",
    )
    .await?;
    if decided < files_in as i64 {
        return Ok(false);
    }
    let unfinished = count(
        db,
        "SELECT (SELECT count(*) FROM media_files m WHERE m.state = 'accepted' AND NOT EXISTS \
                 (SELECT 1 FROM processed_files p WHERE p.media_file_id = m.id)) \
              + (SELECT count(*) FROM detections d WHERE NOT EXISTS \
                 (SELECT 1 FROM event_detections e WHERE e.detection_id = d.id)) \
              + (SELECT count(*) FROM alerts WHERE delivery_state IN ('pending', 'retrying'))",
    )
    .await?;
    Ok(unfinished == 0)
}
