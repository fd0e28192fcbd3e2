//! HSI's alert engine: user rules (`alert_rules`) turn events into alerts (`alerts`).
//!
//! The analysis worker calls [`AlertEngine::on_event`] after it has written an event.
//! The engine evaluates every enabled rule against the event's [`EventFacts`], renders
//! each match's dedup key, applies the cooldown in Redis (shared by every replica),
//! records one alert per matching rule and returns; each alert is then delivered to its
//! channels (webhooks) in a background task that records the outcome on the alert.
//!
//! - `rule`: the typed [`AlertRule`], parsed from a row; a malformed rule is skipped and
//!   logged.
//! - `evaluate` and `schedule`: pure matching ([`evaluate()`], [`Schedule`]).
//! - `record`, `cooldown`, `store`: exactly one alert per (event, rule), at most one per
//!   cooldown per dedup key.
//! - `delivery`, `webhook`, [`ssrf`]: delivery with retries, refusing internal addresses.

mod channel;
mod cooldown;
mod delivery;
mod engine;
mod error;
mod evaluate;
mod facts;
mod record;
mod rule;
mod schedule;
mod settings;
pub mod ssrf;
mod store;
mod template;
mod webhook;

pub use channel::{Channel, WebhookTarget};
pub use delivery::{AlertPayload, ChannelResult, RuleRef};
pub use engine::AlertEngine;
pub use error::{AlertError, RuleError};
pub use evaluate::{evaluate, Mismatch, RuleMatch};
pub use facts::{DetectionFact, EventFacts};
pub use record::CreatedAlert;
pub use rule::AlertRule;
pub use schedule::Schedule;
pub use settings::AlertSettings;
pub use template::{render_dedup_key, TemplateValues};
