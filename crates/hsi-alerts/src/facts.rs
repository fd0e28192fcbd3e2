//! What the engine needs to know about an event to evaluate rules against it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One written event, as rules see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFacts {
    /// `events.id` of the event that was just written.
    pub event_id: i32,
    pub camera_id: String,
    /// The event's risk score, 0-100.
    pub risk_score: i32,
    /// The event's risk level (low, medium, high, critical), as the worker's bands read
    /// the score; receivers get it, and a revision compares it.
    #[serde(default)]
    pub risk_level: String,
    /// Classes the event lists (`events.object_types`); reported in alerts. Rule
    /// conditions on object types, confidence and zones are checked per detection.
    pub object_types: Vec<String>,
    pub detections: Vec<DetectionFact>,
    /// When the event happened (its start); schedules are evaluated at this instant.
    pub occurred_at: DateTime<Utc>,
}

/// One detection of the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionFact {
    pub object_type: String,
    /// Detector confidence, 0.0-1.0.
    pub confidence: f64,
    /// `camera_zones.id` of every zone the detection falls in (computed by the caller).
    pub zone_ids: Vec<String>,
}
