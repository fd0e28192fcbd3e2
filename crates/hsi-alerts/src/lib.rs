//! HSI's alert engine: user rules (`alert_rules`) turn events into alerts (`alerts`).
//!
//! The analysis worker calls [`AlertEngine::on_event_in`] in the transaction that
//! writes an event. The engine evaluates every enabled rule against the event's
//! [`EventFacts`], renders each match's dedup key, applies the cooldown (decided by the
//! `alerts` rows, under advisory locks shared by every replica) and records one alert per
//! matching rule, due for delivery. Once the event is committed, delivery starts; the
//! outbox sweep delivers whatever a crash or a failing receiver left due, with an
//! idempotency key per alert and channel, and records each outcome on the alert.
//!
//! - `rule`: the typed [`AlertRule`], parsed from a row; a malformed rule is skipped and
//!   logged.
//! - `evaluate` and `schedule`: pure matching ([`evaluate()`], [`Schedule`]).
//! - `record`, `cooldown`, `store`: exactly one alert per (event, rule), at most one per
//!   cooldown per dedup key.
//! - `explain`: every condition an event fails, in words, and a replay of a rule over
//!   past events with its cooldown ([`explain()`], [`replay`]), for testing a rule.
//! - `outbox`, `delivery`, `webhook`, [`ssrf`]: delivery with retries and back-off until
//!   delivered or given up, refusing internal addresses; `history` keeps one
//!   `alert_deliveries` row per attempt and channel.

mod channel;
mod cooldown;
mod delivery;
mod engine;
mod error;
mod evaluate;
mod explain;
mod facts;
mod history;
mod outbox;
mod record;
mod rule;
mod schedule;
mod settings;
pub mod ssrf;
mod store;
mod template;
mod webhook;

pub use channel::{Channel, WebhookTarget};
pub use delivery::{idempotency_key, AlertPayload, ChannelResult, RuleRef};
pub use engine::AlertEngine;
pub use error::{AlertError, RuleError};
pub use evaluate::{evaluate, Mismatch, RuleMatch};
pub use explain::{alert_dedup_key, explain, replay, Failure, Verdict};
pub use facts::{DetectionFact, EventFacts};
pub use record::CreatedAlert;
pub use rule::AlertRule;
pub use schedule::Schedule;
pub use settings::AlertSettings;
pub use template::{render_dedup_key, TemplateValues};
pub use webhook::IDEMPOTENCY_HEADER;
