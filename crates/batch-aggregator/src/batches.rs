//! The batching state in Redis: adding detections, closing due batches, handing closed
//! batches to a publisher and forgetting them once published. Every change is one Lua
//! script (see the `scripts` module), and every method takes `now` explicitly so tests can
//! drive time without sleeping.

use crate::keys::{bucket_member, Keys};
use crate::scripts::{CLAIM, CLOSE_DUE, FINISH, INGEST};
use crate::settings::Settings;
use crate::Error;
use hsi_proto::v1::{BatchCloseReason, BatchMessage, DetectionsMessage, MessageMeta, TraceContext};
use hsi_queue::{trace, RedisPool};
use std::collections::{HashMap, HashSet};

/// Most batches one script call closes or claims; the callers loop while full.
const CHUNK: usize = 500;
const HOUR_MS: i64 = 3_600_000;

/// When batches close and which detections take the fast path.
#[derive(Debug, Clone)]
pub struct BatchRules {
    pub window_ms: i64,
    pub idle_ms: i64,
    pub max_detections: u32,
    pub lease_ms: i64,
    pub dedup_ttl_ms: i64,
    /// The operator's fast-path confidence; `None` takes each message's (the model's).
    pub fast_min_confidence: Option<f32>,
    pub fast_classes: HashSet<String>,
    pub fast_cooldown_ms: i64,
}

/// The fast path's confidence when neither the settings nor the model state one.
pub const FALLBACK_FAST_MIN_CONFIDENCE: f32 = 0.90;

impl BatchRules {
    /// The confidence at which a detection of `message` takes the fast path: the
    /// operator's setting, else what the detector's model profile sent, else 0.90.
    pub fn fast_threshold(&self, message: &DetectionsMessage) -> f32 {
        self.fast_min_confidence.unwrap_or_else(|| {
            let sent = message.fast_path_min_confidence;
            if sent.is_finite() && sent > 0.0 && sent <= 1.0 {
                sent
            } else {
                FALLBACK_FAST_MIN_CONFIDENCE
            }
        })
    }
}

impl From<&Settings> for BatchRules {
    fn from(settings: &Settings) -> Self {
        let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let batching = &settings.batching;
        Self {
            window_ms: ms(batching.window_secs),
            idle_ms: ms(batching.idle_secs),
            max_detections: batching.max_detections,
            lease_ms: ms(batching.publish_lease_secs),
            dedup_ttl_ms: ms(batching.dedup_ttl_secs),
            fast_min_confidence: settings.fast_path.min_confidence,
            fast_classes: settings
                .fast_path
                .classes
                .iter()
                .map(|class| class.trim().to_owned())
                .collect(),
            fast_cooldown_ms: ms(settings.fast_path.cooldown_secs),
        }
    }
}

/// What adding one message did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Detections not batched before (a redelivery adds none).
    pub added: usize,
    /// Batches this closed (fast path, size, or an overdue one), to publish now.
    pub closed: Vec<String>,
}

/// A closed batch as stored, ready to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedBatch {
    pub id: String,
    pub camera_id: String,
    pub detection_ids: Vec<i64>,
    pub started_at_ms: i64,
    pub closed_at_ms: i64,
    pub reason: BatchCloseReason,
    pub fast_path: bool,
    /// The trace of the detections message that opened it.
    pub trace: Option<TraceContext>,
}

impl ClosedBatch {
    /// The message for the batches stream; its message id is the batch id, so a
    /// re-publish is recognisably the same message.
    pub fn to_message(&self) -> BatchMessage {
        BatchMessage {
            meta: Some(MessageMeta {
                message_id: self.id.clone(),
                trace: Some(trace::outgoing(self.trace.as_ref())),
                ..MessageMeta::default()
            }),
            batch_id: self.id.clone(),
            camera_id: self.camera_id.clone(),
            detection_ids: self.detection_ids.clone(),
            started_at_ms: self.started_at_ms,
            closed_at_ms: self.closed_at_ms,
            close_reason: self.reason as i32,
            is_fast_path: self.fast_path,
        }
    }
}

/// The shared batching state of every replica.
#[derive(Debug, Clone)]
pub struct BatchStore {
    pool: RedisPool,
    keys: Keys,
    rules: BatchRules,
}

impl BatchStore {
    /// The state under the deployment's key `prefix`.
    pub fn new(pool: RedisPool, prefix: &str, rules: BatchRules) -> Self {
        Self {
            pool,
            keys: Keys::new(prefix),
            rules,
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Adds a message's detections at `now_ms` in one atomic script: skips ids already
    /// batched, counts new ones into the hourly bucket, sends fast-path ones at once and
    /// appends the rest to the camera's open batch.
    pub async fn ingest(
        &self,
        message: &DetectionsMessage,
        now_ms: i64,
    ) -> Result<Ingested, Error> {
        if message.detections.is_empty() {
            return Ok(Ingested::default());
        }
        let rules = &self.rules;
        // Counted by the hour the objects were seen in, not the hour they reached us.
        let seen_at = if message.detected_at_ms > 0 {
            message.detected_at_ms
        } else {
            now_ms
        };
        let hour_secs = seen_at.div_euclid(HOUR_MS) * 3600;
        let member = bucket_member(hour_secs, &message.camera_id);
        let trace = message.meta.as_ref().and_then(|m| m.trace.clone());
        let trace = trace.unwrap_or_default();
        // A batch can open before the first detection and after every full one.
        let max = rules.max_detections.max(1) as usize;
        let fresh = 1 + message.detections.len() / max;

        let mut script = INGEST.prepare_invoke();
        self.common_args(&mut script, now_ms);
        script
            .arg(&message.camera_id)
            .arg(rules.window_ms)
            .arg(rules.idle_ms)
            .arg(rules.max_detections)
            .arg(rules.fast_cooldown_ms)
            .arg(self.keys.bucket(&member))
            .arg(&self.keys.buckets)
            .arg(&member)
            .arg(hour_secs)
            .arg(&trace.traceparent)
            .arg(&trace.tracestate)
            .arg(fresh);
        for _ in 0..fresh {
            script.arg(uuid::Uuid::now_v7().to_string());
        }
        self.detection_args(&mut script, message);
        let mut conn = self.pool.get().await?;
        let (added, closed): (usize, Vec<String>) = script.invoke_async(&mut *conn).await?;
        Ok(Ingested { added, closed })
    }

    /// Closes batches whose window or idle time ran out by `now_ms`; returns their ids
    /// and how many batches are still open.
    pub async fn close_due(&self, now_ms: i64) -> Result<(Vec<String>, u64), Error> {
        let mut closed = Vec::new();
        loop {
            let mut script = CLOSE_DUE.prepare_invoke();
            self.common_args(&mut script, now_ms);
            script
                .arg(CHUNK)
                .arg(now_ms.saturating_sub(self.rules.dedup_ttl_ms));
            let mut conn = self.pool.get().await?;
            let (open, chunk): (u64, Vec<String>) = script.invoke_async(&mut *conn).await?;
            let more = chunk.len() >= CHUNK;
            closed.extend(chunk);
            if !more {
                return Ok((closed, open));
            }
        }
    }

    /// Takes over up to a chunk of closed batches left unpublished past their lease.
    pub async fn claim_unpublished(&self, now_ms: i64) -> Result<Vec<String>, Error> {
        let mut script = CLAIM.prepare_invoke();
        self.common_args(&mut script, now_ms);
        script.arg(CHUNK);
        let mut conn = self.pool.get().await?;
        Ok(script.invoke_async(&mut *conn).await?)
    }

    /// A closed batch by id; `None` when it has been published and forgotten meanwhile.
    pub async fn load(&self, id: &str) -> Result<Option<ClosedBatch>, Error> {
        let mut conn = self.pool.get().await?;
        let (fields, detection_ids): (HashMap<String, String>, Vec<i64>) = redis::pipe()
            .hgetall(self.keys.batch(id))
            .lrange(self.keys.batch_ids(id), 0, -1)
            .query_async(&mut *conn)
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        parse_batch(id, &fields, detection_ids).map(Some)
    }

    /// Forgets a published batch; false when another replica already had.
    pub async fn finish(&self, id: &str) -> Result<bool, Error> {
        let mut conn = self.pool.get().await?;
        let removed: i64 = FINISH
            .arg(&self.keys.batch_prefix)
            .arg(id)
            .invoke_async(&mut *conn)
            .await?;
        Ok(removed == 1)
    }

    /// The (id, class, takes the fast path) triple of each detection.
    fn detection_args(
        &self,
        script: &mut redis::ScriptInvocation<'_>,
        message: &DetectionsMessage,
    ) {
        for detection in &message.detections {
            let class = detection.object_type.trim();
            let fast = detection.confidence >= self.rules.fast_threshold(message)
                && self.rules.fast_classes.contains(class);
            script
                .arg(detection.id)
                .arg(class)
                .arg(if fast { "1" } else { "0" });
        }
    }

    fn common_args(&self, script: &mut redis::ScriptInvocation<'_>, now_ms: i64) {
        script
            .arg(&self.keys.batch_prefix)
            .arg(now_ms)
            .arg(self.rules.lease_ms);
    }
}

fn parse_batch(
    id: &str,
    fields: &HashMap<String, String>,
    detection_ids: Vec<i64>,
) -> Result<ClosedBatch, Error> {
    let malformed = |problem: String| Error::Malformed {
        id: id.to_owned(),
        problem,
    };
    let text = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let number = |name: &str| {
        text(name)
            .parse::<i64>()
            .map_err(|_| malformed(format!("field {name} is {:?}", text(name))))
    };
    let reason = match text("reason") {
        "WINDOW" => BatchCloseReason::Window,
        "IDLE" => BatchCloseReason::Idle,
        "SIZE" => BatchCloseReason::Size,
        "FAST_PATH" => BatchCloseReason::FastPath,
        other => return Err(malformed(format!("close reason {other:?}"))),
    };
    let trace = Some(TraceContext {
        traceparent: text("traceparent").to_owned(),
        tracestate: text("tracestate").to_owned(),
    })
    .filter(|t| !t.traceparent.is_empty());
    Ok(ClosedBatch {
        id: id.to_owned(),
        camera_id: text("camera").to_owned(),
        detection_ids,
        started_at_ms: number("started_ms")?,
        closed_at_ms: number("closed_ms")?,
        reason,
        fast_path: text("fast") == "1",
        trace,
    })
}

/// The metric label of a close reason.
pub fn reason_label(reason: BatchCloseReason) -> &'static str {
    match reason {
        BatchCloseReason::Window => "window",
        BatchCloseReason::Idle => "idle",
        BatchCloseReason::Size => "size",
        BatchCloseReason::FastPath => "fast_path",
        BatchCloseReason::Unspecified => "unspecified",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(setting: Option<f32>) -> BatchRules {
        let mut settings = Settings::default();
        settings.fast_path.min_confidence = setting;
        BatchRules::from(&settings)
    }

    fn from_model(threshold: f32) -> DetectionsMessage {
        DetectionsMessage {
            fast_path_min_confidence: threshold,
            ..DetectionsMessage::default()
        }
    }

    #[test]
    fn the_fast_path_threshold_is_the_operators_else_the_models_else_the_fallback() {
        // The default CenterNet's profile sends 0.6; nothing is set here.
        assert_eq!(rules(None).fast_threshold(&from_model(0.6)), 0.6);
        // An operator's setting applies to whatever model runs.
        assert_eq!(rules(Some(0.95)).fast_threshold(&from_model(0.6)), 0.95);
        // A message from a worker that states none (or nonsense) gets the safe fallback.
        for sent in [0.0, -1.0, 7.0, f32::NAN] {
            assert_eq!(
                rules(None).fast_threshold(&from_model(sent)),
                FALLBACK_FAST_MIN_CONFIDENCE,
                "{sent}"
            );
        }
    }
}
