//! Redis key names of the aggregator's state, all under the deployment's key prefix.
//!
//! ```text
//! <p>batch:open:<camera>      string  id of the camera's open batch
//! <p>batch:b:<id>             hash    camera, started_ms, last_ms, window_at, idle_at,
//!                                     count, fast, traceparent, tracestate;
//!                                     once closed also reason, closed_ms
//! <p>batch:b:<id>:ids         list    detection ids in arrival order
//! <p>batch:deadlines          zset    open batch id -> when it is due (ms)
//! <p>batch:closed             zset    closed, not yet published batch id -> lease end (ms)
//! <p>batch:seen               zset    detection id -> when it was batched (ms)
//! <p>batch:cooldown           hash    camera -> when it may take the fast path again (ms)
//! <p>baseline:buckets         zset    "<hour secs>:<camera>" -> hour secs
//! <p>baseline:bucket:<hour secs>:<camera>
//!                             hash    total, class:<name> -> detections in that hour
//! ```
//!
//! The Lua scripts build the batch key names from the `batch:` prefix themselves (the
//! open batch's id is only known inside them), so this state needs a single Redis
//! server (or a cluster slot), not a sharded cluster.

/// The key names under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// `<p>batch:`, what the batching scripts prepend to their key names.
    pub batch_prefix: String,
    /// `<p>batch:closed`
    pub closed: String,
    /// `<p>batch:deadlines`
    pub deadlines: String,
    /// `<p>baseline:buckets`
    pub buckets: String,
    baseline_prefix: String,
}

impl Keys {
    /// The keys under the deployment's `prefix` (`hsi:`).
    pub fn new(prefix: &str) -> Self {
        let batch_prefix = format!("{prefix}batch:");
        Self {
            closed: format!("{batch_prefix}closed"),
            deadlines: format!("{batch_prefix}deadlines"),
            buckets: format!("{prefix}baseline:buckets"),
            baseline_prefix: format!("{prefix}baseline:bucket:"),
            batch_prefix,
        }
    }

    /// The hash of batch `id`.
    pub fn batch(&self, id: &str) -> String {
        format!("{}b:{id}", self.batch_prefix)
    }

    /// The detection ids of batch `id`.
    pub fn batch_ids(&self, id: &str) -> String {
        format!("{}b:{id}:ids", self.batch_prefix)
    }

    /// The hourly bucket named by an index member (`"<hour secs>:<camera>"`).
    pub fn bucket(&self, member: &str) -> String {
        format!("{}{member}", self.baseline_prefix)
    }
}

/// The bucket index member of `camera`'s hour starting at `hour_secs`.
pub fn bucket_member(hour_secs: i64, camera: &str) -> String {
    format!("{hour_secs}:{camera}")
}

/// Splits an index member back into the hour and the camera; camera ids may hold
/// colons, hours never do.
pub fn parse_bucket_member(member: &str) -> Option<(i64, &str)> {
    let (hour, camera) = member.split_once(':')?;
    Some((hour.parse().ok()?, camera))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_the_prefix() {
        let keys = Keys::new("hsi:");
        assert_eq!(keys.closed, "hsi:batch:closed");
        assert_eq!(keys.batch("x"), "hsi:batch:b:x");
        assert_eq!(keys.batch_ids("x"), "hsi:batch:b:x:ids");
        assert_eq!(
            keys.bucket(&bucket_member(3600, "front")),
            "hsi:baseline:bucket:3600:front"
        );
    }

    #[test]
    fn bucket_members_round_trip() {
        assert_eq!(
            parse_bucket_member(&bucket_member(7200, "a:b")),
            Some((7200, "a:b"))
        );
        assert_eq!(parse_bucket_member("nonsense"), None);
    }
}
