//! Written by the analysis worker: events and everything it records about them.

pub mod alert_deliveries;
pub mod alerts;
pub mod entities;
pub mod event_audits;
pub mod event_detections;
pub mod events;
