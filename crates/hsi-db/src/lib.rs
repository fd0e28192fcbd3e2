//! PostgreSQL access for every HSI service.
//!
//! `entities` holds one SeaORM entity per table, grouped by the service that owns (alone
//! writes) the table, as DESIGN.md's ownership table fixes.

pub mod connect;
pub mod entities;
pub mod log_writer;

pub use connect::{connect, connect_with_retry};
