//! Turning a match into an `alerts` row, exactly once per (event, rule) and at most once
//! per cooldown per dedup key, across replicas.
//!
//! Order of steps, inside one transaction:
//! 1. a transaction-scoped advisory lock on (event, rule), so that two replicas handling
//!    the same event (a redelivery racing the original) decide one after the other;
//! 2. if an alert for (event, rule) exists, this is a redelivery: nothing to do;
//! 3. claim the cooldown in Redis (skipped for a zero cooldown); a claim held by another
//!    event or rule suppresses the alert;
//! 4. insert the alert and commit. If that fails, the claim is given back.

use crate::cooldown::{self, Claim};
use crate::delivery::{AlertPayload, DeliveryJob, RuleRef};
use crate::error::AlertError;
use crate::evaluate::RuleMatch;
use crate::facts::EventFacts;
use crate::rule::AlertRule;
use crate::store::{self, NewAlert};
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use hsi_core::Severity;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// An alert that [`AlertEngine::on_event`](crate::AlertEngine::on_event) recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedAlert {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub rule_name: String,
    pub severity: Severity,
    pub dedup_key: String,
    pub created_at: DateTime<Utc>,
    /// Channels a delivery task was started for (0: the alert stays pending).
    pub channels: usize,
}

/// What became of a matching rule.
#[derive(Debug)]
pub(crate) enum Recorded {
    Created(CreatedAlert, Box<DeliveryJob>),
    /// This rule already alerted for this event.
    Duplicate,
    /// Another alert with the same dedup key is within its cooldown.
    Cooldown {
        held_by: String,
    },
}

/// Where alerts are recorded.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    pub db: DatabaseConnection,
    pub redis: Pool,
    pub key_prefix: String,
}

/// One match to record.
#[derive(Debug)]
pub(crate) struct Candidate<'a> {
    pub rule: &'a AlertRule,
    pub facts: &'a EventFacts,
    pub matched: &'a RuleMatch,
    pub dedup_key: String,
    pub summary: &'a str,
}

/// A cooldown claim to give back if the alert is not committed: (key, owner).
type HeldClaim = Option<(String, String)>;

impl Recorder {
    /// Records the alert unless it is a duplicate or in cooldown (see module docs).
    pub(crate) async fn record(&self, candidate: Candidate<'_>) -> Result<Recorded, AlertError> {
        let txn = self
            .db
            .begin()
            .await
            .map_err(AlertError::db("starting an alert transaction"))?;
        let mut claim: HeldClaim = None;
        let result = match self.insert(&txn, &candidate, &mut claim).await {
            Ok(recorded @ Recorded::Created(..)) => txn
                .commit()
                .await
                .map(|()| recorded)
                .map_err(AlertError::db("committing an alert")),
            // Ending the transaction at once frees the advisory lock for other replicas.
            other => {
                if let Err(err) = txn.rollback().await {
                    tracing::warn!(error = %err, "cannot roll back an alert transaction");
                }
                other
            }
        };
        if let (Err(_), Some((key, owner))) = (&result, claim) {
            if let Err(err) = cooldown::release(&self.redis, &key, &owner).await {
                tracing::warn!(key, error = %err, "cannot release alert cooldown");
            }
        }
        result
    }

    /// Steps 1-4 of the module docs, up to but not including the commit.
    async fn insert(
        &self,
        txn: &DatabaseTransaction,
        candidate: &Candidate<'_>,
        claim: &mut HeldClaim,
    ) -> Result<Recorded, AlertError> {
        let (rule, facts) = (candidate.rule, candidate.facts);
        store::lock_event_rule(txn, facts.event_id, rule.id).await?;
        if store::alert_exists(txn, facts.event_id, rule.id).await? {
            return Ok(Recorded::Duplicate);
        }
        if !rule.cooldown.is_zero() {
            let key = cooldown::cooldown_key(&self.key_prefix, &candidate.dedup_key);
            let owner = cooldown::owner(facts.event_id, rule.id);
            match cooldown::claim(&self.redis, &key, &owner, rule.cooldown).await? {
                Claim::Claimed | Claim::AlreadyOurs => *claim = Some((key, owner)),
                Claim::HeldBy(held_by) => return Ok(Recorded::Cooldown { held_by }),
            }
        }
        let (new_alert, job) = build(candidate);
        store::insert_alert(txn, new_alert).await?;
        let created = CreatedAlert {
            id: job.payload.alert_id,
            rule_id: rule.id,
            rule_name: rule.name.clone(),
            severity: rule.severity,
            dedup_key: candidate.dedup_key.clone(),
            created_at: job.payload.created_at,
            channels: job.channels.len(),
        };
        Ok(Recorded::Created(created, Box::new(job)))
    }
}

/// The row to insert and the delivery to run once it is committed.
fn build(candidate: &Candidate<'_>) -> (NewAlert, DeliveryJob) {
    let (rule, facts) = (candidate.rule, candidate.facts);
    let id = Uuid::now_v7();
    let created_at = Utc::now();
    let metadata = metadata(candidate);
    let new_alert = NewAlert {
        id,
        event_id: facts.event_id,
        rule_id: rule.id,
        severity: rule.severity,
        created_at,
        channels: rule.channels_json.clone(),
        dedup_key: candidate.dedup_key.clone(),
        metadata: metadata.clone(),
    };
    let payload = AlertPayload {
        alert_id: id,
        rule: RuleRef {
            id: rule.id,
            name: rule.name.clone(),
        },
        severity: rule.severity,
        event_id: facts.event_id,
        camera_id: facts.camera_id.clone(),
        risk_score: facts.risk_score,
        summary: candidate.summary.to_owned(),
        object_types: facts.object_types.clone(),
        dedup_key: candidate.dedup_key.clone(),
        created_at,
    };
    let job = DeliveryJob {
        payload,
        channels: rule.channels.clone(),
        metadata,
    };
    (new_alert, job)
}

/// `alerts.metadata` at insert: the rule's name and the facts that matched it.
fn metadata(candidate: &Candidate<'_>) -> Value {
    let (rule, facts, matched) = (candidate.rule, candidate.facts, candidate.matched);
    json!({
        "rule_name": rule.name,
        "summary": candidate.summary,
        "matched": {
            "camera_id": facts.camera_id,
            "risk_score": facts.risk_score,
            "risk_threshold": rule.risk_threshold,
            "object_types": facts.object_types,
            "object_type": matched.object_type,
            "confidence": matched.confidence,
            "zone_id": matched.zone_id,
            "occurred_at": facts.occurred_at,
        },
    })
}
