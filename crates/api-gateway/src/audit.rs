//! Writing the audit trail. Every mutation records who did what to which resource, from
//! where, and whether it worked; PostgreSQL chains each row to the one before it by
//! hash (trigger `audit_logs_chain`), so an edited or removed row is found by
//! [`crate::resources::audit`]'s verification.

use crate::auth::Caller;
use crate::error::ApiResult;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

/// One mutation's audit record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What was done, `verb` or `resource.verb` ("camera.update").
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: Option<String>,
    /// What changed (never a secret).
    pub details: Value,
}

impl Entry {
    pub fn new(action: &'static str, resource_type: &'static str) -> Self {
        Self {
            action,
            resource_type,
            resource_id: None,
            details: Value::Null,
        }
    }

    pub fn id(mut self, id: impl ToString) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

const USER_AGENT_MAX: usize = 512;

/// Writes `entry` with the outcome of the call; a failed call records its error.
pub async fn record<T>(
    db: &DatabaseConnection,
    caller: &Caller,
    entry: Entry,
    outcome: &ApiResult<T>,
) {
    let (status, details) = match outcome {
        Ok(_) => ("success", entry.details),
        Err(err) => (
            "failure",
            serde_json::json!({
                "request": entry.details,
                "error": {"code": err.code.as_str(), "message": err.message, "field": err.field},
            }),
        ),
    };
    let user_agent = caller
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect::<String>());
    let written = db
        .execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO audit_logs (action, resource_type, resource_id, actor, ip_address, \
             user_agent, details, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                entry.action.into(),
                entry.resource_type.into(),
                entry.resource_id.into(),
                caller.name.clone().into(),
                caller.address.map(|ip| ip.to_string()).into(),
                user_agent.into(),
                (!details.is_null()).then_some(details).into(),
                status.into(),
            ],
        ))
        .await;
    if let Err(err) = written {
        // The change itself stands; an operator must hear that its record is missing.
        metrics::counter!("hsi_gateway_audit_write_failures_total").increment(1);
        tracing::error!(action = entry.action, error = %err, "could not write the audit record");
    }
}

/// Runs a mutation and records it, successful or not.
pub async fn audited<T, F>(
    db: &DatabaseConnection,
    caller: &Caller,
    entry: Entry,
    mutation: F,
) -> ApiResult<T>
where
    F: std::future::Future<Output = ApiResult<T>>,
{
    let outcome = mutation.await;
    record(db, caller, entry, &outcome).await;
    outcome
}
