//! What the alert engine is told about a written event.

use crate::context::Context;
use hsi_alerts::{DetectionFact, EventFacts};
use hsi_db::entities::events;

/// The facts the user's rules are evaluated against.
pub fn facts(event: &events::Model, context: &Context) -> EventFacts {
    EventFacts {
        event_id: event.id,
        camera_id: event.camera_id.clone(),
        risk_score: event.risk_score.unwrap_or_default(),
        risk_level: event.risk_level.clone().unwrap_or_default(),
        object_types: context.object_types(),
        detections: context
            .detections
            .iter()
            .map(|d| DetectionFact {
                object_type: d.object.clone(),
                confidence: d.confidence,
                zone_ids: d.zones.iter().map(|z| z.id.clone()).collect(),
            })
            .collect(),
        occurred_at: event.started_at,
    }
}
