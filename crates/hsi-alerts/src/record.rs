//! Turning matches into `alerts` rows, exactly once per (event, rule) and at most once
//! per cooldown per dedup key, across replicas, inside the caller's transaction (the
//! analysis worker's, which also writes the event: the event and its alerts commit
//! together or not at all).
//!
//! Order of steps:
//! 1. transaction-scoped advisory locks on every (event, rule) and dedup key involved,
//!    taken in ascending order so that concurrent events never deadlock;
//! 2. per match: if an alert for (event, rule) exists, this is a redelivery: skip;
//! 3. if an alert with the same dedup key was created within the rule's cooldown, the
//!    alert is suppressed (the `alerts` rows are the record, see `cooldown`);
//! 4. insert the alert, due for delivery at once when the rule has channels. Delivery
//!    starts only after the commit (see `outbox`).

use crate::cooldown;
use crate::delivery::{AlertPayload, RuleRef};
use crate::error::AlertError;
use crate::evaluate::RuleMatch;
use crate::facts::EventFacts;
use crate::rule::AlertRule;
use crate::store::{self, NewAlert};
use chrono::{DateTime, Utc};
use hsi_core::Severity;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tracing::Instrument;
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
    /// Channels it is to be delivered to (0: the alert is only a record).
    pub channels: usize,
    /// 1 for a new alert; more for a revision of a provisional one.
    pub revision: i32,
    /// What a revision changed (`upgraded`, `downgraded`, `confirmed`, `withdrawn`).
    pub change: Option<String>,
}

/// What became of a matching rule.
#[derive(Debug)]
pub(crate) enum Recorded {
    Created(CreatedAlert),
    /// This rule already alerted for this event.
    Duplicate,
    /// Another alert with the same dedup key is within its cooldown.
    Cooldown {
        held_by: String,
    },
}

/// One match to record.
#[derive(Debug)]
pub(crate) struct Candidate<'a> {
    pub rule: &'a AlertRule,
    pub facts: &'a EventFacts,
    pub matched: RuleMatch,
    pub dedup_key: String,
    pub summary: &'a str,
    /// `provisional` for a fast-path alert raised before the judgement, else `final`.
    pub stage: &'static str,
}

/// Records every candidate in `txn` (see the module docs); one result per candidate.
pub(crate) async fn record_all(
    txn: &impl ConnectionTrait,
    candidates: &[Candidate<'_>],
) -> Result<Vec<Recorded>, AlertError> {
    let keys = candidates
        .iter()
        .flat_map(|c| {
            [
                store::event_rule_key(c.facts.event_id, c.rule.id),
                store::dedup_lock_key(&c.dedup_key),
            ]
        })
        .collect();
    store::lock_keys(txn, keys).await?;
    let mut recorded = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        recorded.push(record(txn, candidate).await?);
    }
    Ok(recorded)
}

async fn record(
    txn: &impl ConnectionTrait,
    candidate: &Candidate<'_>,
) -> Result<Recorded, AlertError> {
    let (rule, facts) = (candidate.rule, candidate.facts);
    if store::alert_exists(txn, facts.event_id, rule.id).await? {
        return Ok(Recorded::Duplicate);
    }
    let now = Utc::now();
    if !rule.cooldown.is_zero() {
        if let Some(held_by) =
            cooldown::held_by(txn, &candidate.dedup_key, rule.cooldown, now).await?
        {
            return Ok(Recorded::Cooldown { held_by });
        }
    }
    let mut new_alert = build(candidate, now);
    // A child of the judgement's span. Its context is kept with the alert, so that every
    // delivery attempt, however much later and by whichever replica, joins the trace.
    let span = tracing::info_span!(
        "alert",
        alert_id = %new_alert.id,
        rule_id = %rule.id,
        rule = %rule.name,
        event_id = facts.event_id,
        camera_id = %facts.camera_id,
        severity = rule.severity.as_str(),
        stage = candidate.stage,
        revision = 1,
        channels = rule.channels.len(),
    );
    keep_trace_context(&mut new_alert.metadata, &span);
    let created = CreatedAlert {
        id: new_alert.id,
        rule_id: rule.id,
        rule_name: rule.name.clone(),
        severity: rule.severity,
        dedup_key: candidate.dedup_key.clone(),
        created_at: now,
        channels: rule.channels.len(),
        revision: 1,
        change: None,
    };
    store::insert_alert(txn, new_alert).instrument(span).await?;
    Ok(Recorded::Created(created))
}

/// Notes `span`'s W3C context in the alert's metadata (`traceparent`, `tracestate`),
/// where deliveries pick it up as their parent; nothing when spans are not exported.
fn keep_trace_context(metadata: &mut Value, span: &tracing::Span) {
    if let (Some((traceparent, tracestate)), Value::Object(object)) =
        (hsi_core::otel::trace_context_of(span), metadata)
    {
        object.insert("traceparent".to_owned(), json!(traceparent));
        object.insert("tracestate".to_owned(), json!(tracestate));
    }
}

/// The row to insert; its metadata carries the payload receivers get, so the delivery
/// after a crash sends exactly what the first attempt would have.
fn build(candidate: &Candidate<'_>, created_at: DateTime<Utc>) -> NewAlert {
    let (rule, facts) = (candidate.rule, candidate.facts);
    let id = Uuid::now_v7();
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
        risk_level: facts.risk_level.clone(),
        summary: candidate.summary.to_owned(),
        object_types: facts.object_types.clone(),
        dedup_key: candidate.dedup_key.clone(),
        created_at,
        revision: 1,
        stage: candidate.stage.to_owned(),
        change: None,
        withdrawn_reason: None,
    };
    NewAlert {
        id,
        event_id: facts.event_id,
        rule_id: rule.id,
        severity: rule.severity,
        created_at,
        channels: rule.channels_json.clone(),
        dedup_key: candidate.dedup_key.clone(),
        metadata: metadata(candidate, &payload),
        deliver: !rule.channels.is_empty(),
    }
}

/// `alerts.metadata` at insert: the rule's name, the facts that matched it, and the
/// payload to deliver.
fn metadata(candidate: &Candidate<'_>, payload: &AlertPayload) -> Value {
    let (rule, facts, matched) = (candidate.rule, candidate.facts, &candidate.matched);
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
        "payload": payload,
    })
}

/// What the judgement does to a provisional alert: keeps it (its rule still matches the
/// judged event) or withdraws it (it no longer does: `reason`).
#[derive(Debug)]
pub(crate) enum Judged<'a> {
    Kept(&'a Candidate<'a>),
    Withdrawn { reason: String },
}

/// Revises a provisional alert with the judgement (in the caller's transaction, under
/// the (event, rule) lock): the payload carries the judged score, level and summary,
/// one more revision, and what changed; it is due for delivery again.
pub(crate) async fn revise(
    txn: &impl ConnectionTrait,
    alert: &store::Provisional,
    facts: &EventFacts,
    summary: &str,
    judged: Judged<'_>,
) -> Result<CreatedAlert, AlertError> {
    let mut metadata = match alert.metadata.clone() {
        Value::Object(object) => object,
        _ => serde_json::Map::new(),
    };
    let mut payload = AlertPayload::deserialize(&metadata["payload"]).map_err(|err| {
        AlertError::Corrupt(format!(
            "alert {} has no payload to revise: {err}",
            alert.id
        ))
    })?;
    let before = payload.risk_level.parse::<Severity>().ok();
    let after = facts.risk_level.parse::<Severity>().ok();
    let (change, withdrawn_reason) = match &judged {
        Judged::Withdrawn { reason } => ("withdrawn", Some(reason.clone())),
        Judged::Kept(_) => match (before, after) {
            (Some(b), Some(a)) if a > b => ("upgraded", None),
            (Some(b), Some(a)) if a < b => ("downgraded", None),
            _ => ("confirmed", None),
        },
    };
    let now = Utc::now();
    payload.revision = alert.revision + 1;
    payload.stage = "final".to_owned();
    payload.change = Some(change.to_owned());
    payload.withdrawn_reason = withdrawn_reason.clone();
    payload.risk_score = facts.risk_score;
    payload.risk_level = facts.risk_level.clone();
    payload.summary = summary.to_owned();
    payload.object_types = facts.object_types.clone();
    let history = json!({
        "revision": payload.revision,
        "change": change,
        "at": now,
        "risk_score": facts.risk_score,
        "risk_level": facts.risk_level,
        "reason": withdrawn_reason,
    });
    match metadata.get_mut("revisions").and_then(Value::as_array_mut) {
        Some(revisions) => revisions.push(history),
        None => {
            metadata.insert("revisions".to_owned(), json!([history]));
        }
    }
    metadata.insert("summary".to_owned(), json!(summary));
    metadata.insert("payload".to_owned(), json!(payload));
    // Every channel gets the revision, and it has the full attempt budget.
    metadata.remove("delivery");
    metadata.insert("revision_attempts_base".to_owned(), json!(alert.attempts));
    let span = tracing::info_span!(
        "alert",
        alert_id = %alert.id,
        event_id = facts.event_id,
        camera_id = %facts.camera_id,
        stage = "final",
        revision = payload.revision,
        change,
    );
    let mut metadata = Value::Object(metadata);
    keep_trace_context(&mut metadata, &span);
    store::revise(
        txn,
        alert,
        metadata,
        matches!(judged, Judged::Withdrawn { .. }),
    )
    .instrument(span)
    .await?;
    let (rule_name, channels) = match judged {
        Judged::Kept(candidate) => (candidate.rule.name.clone(), candidate.rule.channels.len()),
        Judged::Withdrawn { .. } => (payload.rule.name.clone(), usize::from(alert.has_channels)),
    };
    Ok(CreatedAlert {
        id: alert.id,
        rule_id: payload.rule.id,
        rule_name,
        severity: payload.severity,
        dedup_key: payload.dedup_key.clone(),
        created_at: payload.created_at,
        channels,
        revision: payload.revision,
        change: Some(change.to_owned()),
    })
}
