//! Handing a written event to the alert engine.

use crate::context::Context;
use hsi_alerts::{AlertEngine, DetectionFact, EventFacts};
use hsi_db::entities::events;

/// Evaluates the user's rules against the event; alert rows are written before this
/// returns, deliveries run on in the background. An error means the rows could not be
/// written, and the batch is retried (the engine does not alert twice for an event).
pub async fn raise(
    engine: &AlertEngine,
    event: &events::Model,
    context: &Context,
) -> Result<(), String> {
    let facts = EventFacts {
        event_id: event.id,
        camera_id: event.camera_id.clone(),
        risk_score: event.risk_score.unwrap_or_default(),
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
    };
    let summary = event.summary.clone().unwrap_or_default();
    match engine.on_event(&facts, &summary).await {
        Ok(created) => {
            if !created.is_empty() {
                tracing::info!(event = event.id, alerts = created.len(), "alerts raised");
            }
            Ok(())
        }
        Err(err) => Err(format!("raising alerts failed: {err}")),
    }
}
