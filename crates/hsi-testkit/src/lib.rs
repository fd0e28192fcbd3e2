//! Test support shared by every crate's integration tests.
//!
//! Tests talk to the real PostgreSQL and Redis that `scripts/bootstrap` provides. Each
//! test gets a database of its own, cloned from a template that is migrated once per
//! schema version, so tests run in parallel (nextest runs each in its own process)
//! without seeing each other's rows. Redis tests get a key prefix of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point

mod assets;
mod database;
mod llm;
pub mod otlp;
mod settings;
mod test_redis;

pub use assets::{cache_dir, centernet_model, photo};
pub use database::{admin_url, role_secret, with_database, TestDatabase};
pub use llm::{llm_base_url, DEFAULT_LLM_PORT};
pub use settings::{assert_refused_naming_key, load_settings};
pub use test_redis::{redis_url, RedisServer, TestRedis};

/// Installs test logging (only when `TEST_LOG` is set).
pub fn init_logging() {
    hsi_core::telemetry::init_for_tests();
}
