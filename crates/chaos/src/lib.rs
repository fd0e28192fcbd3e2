//! The chaos harness: the four services run as separate processes against a fresh
//! database and a private Redis while N distinct photos stream into several camera
//! folders and faults are injected (SIGKILLs of each service, Redis killed and restarted
//! from its append-only file, Redis flushed, PostgreSQL restarted, the LLM server killed
//! and restarted, the webhook receiver down for a while). Once the pipeline is quiet,
//! the invariants are read from PostgreSQL and from the receiver: every file processed
//! exactly once, every detection in exactly one event, every alert delivered (once per
//! idempotency key), nothing lost and nothing duplicated.
//!
//! `scripts/chaos` runs every scenario with release binaries; a small scenario runs in
//! the test suite (`tests/model_chaos.rs`).

pub mod invariants;
pub mod latency;
pub mod photos;
pub mod receiver;
pub mod report;
pub mod scenario;
pub mod services;
pub mod world;

pub use scenario::{named, Load, Outcome, Scenario, ALL};
pub use services::Launcher;
pub use world::{Llm, Setup};
