//! API keys and scopes.
//!
//! A key reads `hsi_<key_id>_<secret>`: the key id (16 hex digits) is public and finds
//! the row, then the SHA-256 of the whole key is compared with the stored one in
//! constant time. Only the hash is stored; the key is shown once, when created.

use crate::error::{ApiError, ApiResult};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;

/// What a key may do; each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read everything (but keys and the audit trail).
    Read,
    /// Day-to-day work: review, acknowledge, feedback, re-analyse, detect now.
    Operator,
    /// Configuration: cameras, zones, rules, prompts, notifications, keys, queues, audit.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" | "read-only" | "read_only" => Some(Self::Read),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// Who is calling: the key's name is the actor of the audit trail.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `api_keys.id`; `None` when auth is off.
    pub key_id: Option<i32>,
    pub name: String,
    pub scope: Scope,
    pub address: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Caller {
    /// A caller for a gateway with auth turned off, and for the CLI.
    pub fn local(name: &str) -> Self {
        Self {
            key_id: None,
            name: name.to_owned(),
            scope: Scope::Admin,
            address: None,
            user_agent: None,
        }
    }

    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        if self.scope.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::permission_denied(format!(
                "key {:?} has scope {}, this call needs {}",
                self.name,
                self.scope.as_str(),
                scope.as_str()
            )))
        }
    }
}

/// A newly made key: `full` is shown once.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub key_id: String,
    pub full: String,
    pub hash: String,
}

/// Makes a key from 32 random bytes.
pub fn generate_key() -> NewKey {
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    let mut rng = rand::rng();
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let key_id = hex::encode(id);
    let full = format!(
        "hsi_{key_id}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash_key(&full);
    NewKey { key_id, full, hash }
}

/// SHA-256 of the whole key, in hex: what `api_keys.key_hash` holds.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The key id of a well-formed key.
fn key_id_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("hsi_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty())
        .then_some(id)
}

#[derive(Debug, Clone, FromQueryResult)]
struct KeyRow {
    id: i32,
    name: String,
    scope: String,
    key_hash: String,
    is_active: bool,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct Cached {
    row: Option<KeyRow>,
    at: Instant,
}

/// Verifies keys against `api_keys`, remembering answers for a short while.
#[derive(Debug, Clone)]
pub struct KeyStore {
    db: DatabaseConnection,
    ttl: Duration,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

impl KeyStore {
    pub fn new(db: DatabaseConnection, ttl: Duration) -> Self {
        Self {
            db,
            ttl,
            cache: Arc::default(),
        }
    }

    /// The caller a presented key stands for.
    pub async fn verify(&self, presented: &str) -> ApiResult<(i32, String, Scope)> {
        let refused = || ApiError::unauthenticated("the API key is not valid");
        let key_id = key_id_of(presented).ok_or_else(refused)?;
        let row = self.row(key_id).await?.ok_or_else(refused)?;
        let expected = row.key_hash.as_bytes();
        let actual = hash_key(presented);
        if !bool::from(actual.as_bytes().ct_eq(expected)) {
            return Err(refused());
        }
        if !row.is_active || row.revoked_at.is_some() {
            return Err(ApiError::unauthenticated("the API key has been revoked"));
        }
        let scope = Scope::parse(&row.scope).ok_or_else(refused)?;
        Ok((row.id, row.name, scope))
    }

    async fn row(&self, key_id: &str) -> ApiResult<Option<KeyRow>> {
        if let Some(cached) = self.lock().get(key_id) {
            if cached.at.elapsed() < self.ttl {
                return Ok(cached.row.clone());
            }
        }
        let row = KeyRow::find_by_statement(Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT id, name, scope, key_hash, is_active, revoked_at FROM api_keys WHERE key_id = $1",
            [key_id.into()],
        ))
        .one(&self.db)
        .await?;
        if let Some(found) = &row {
            // Once per cache period is often enough to tell which keys are in use.
            let db = self.db.clone();
            let id = found.id;
            tokio::spawn(async move {
                let touched = db
                    .execute(Statement::from_sql_and_values(
                        db.get_database_backend(),
                        "UPDATE api_keys SET last_used_at = now() WHERE id = $1",
                        [id.into()],
                    ))
                    .await;
                if let Err(err) = touched {
                    tracing::debug!(error = %err, "could not record a key's last use");
                }
            });
        }
        self.lock().insert(
            key_id.to_owned(),
            Cached {
                row: row.clone(),
                at: Instant::now(),
            },
        );
        Ok(row)
    }

    /// Whether key `id` may still be used (not revoked, not deactivated): asked of
    /// PostgreSQL, not the cache, by streams that outlive a request.
    pub async fn still_valid(&self, id: i32) -> ApiResult<bool> {
        #[derive(Debug, FromQueryResult)]
        struct Valid {
            valid: bool,
        }
        Ok(Valid::find_by_statement(Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT (is_active AND revoked_at IS NULL) AS valid FROM api_keys WHERE id = $1",
            [id.into()],
        ))
        .one(&self.db)
        .await?
        .is_some_and(|row| row.valid))
    }

    /// How often a stream checks that its key is still valid.
    pub fn recheck_every(&self) -> Duration {
        self.ttl.max(Duration::from_millis(100))
    }

    /// Forgets what is remembered of a key (it was revoked here).
    pub fn forget(&self, key_id: &str) {
        self.lock().remove(key_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a.full, b.full);
        assert_eq!(key_id_of(&a.full), Some(a.key_id.as_str()));
        assert_eq!(a.hash, hash_key(&a.full));
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn malformed_keys_have_no_id() {
        for key in [
            "",
            "hsi_",
            "hsi_xyz_abc",
            "abc_0123456789abcdef_x",
            "hsi_0123456789abcdef_",
        ] {
            assert_eq!(key_id_of(key), None, "{key}");
        }
    }

    #[test]
    fn scopes_include_the_ones_below() {
        assert!(Scope::Admin.allows(Scope::Operator));
        assert!(Scope::Operator.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Operator));
        assert!(!Scope::Operator.allows(Scope::Admin));
    }
}
