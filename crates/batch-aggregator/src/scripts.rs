//! Lua scripts that make each change of the batching state atomic, so replicas sharing
//! the state never see (or make) half a change. Key layout: see [`crate::keys`].
//!
//! Every script takes the `batch:` prefix, the aggregator's `now` (ms) and the publish
//! lease (ms) as its first three arguments; `now` is an argument rather than Redis
//! `TIME` so tests can drive the clock.

use redis::Script;
use std::sync::LazyLock;

/// Shared by every script: closing a batch moves it, atomically, from the open state to
/// the closed-not-yet-published set, leased to the caller until `now + lease`.
macro_rules! prelude {
    () => {
        r"
        local p = ARGV[1]
        local now = tonumber(ARGV[2])
        local lease = tonumber(ARGV[3])
        local deadlines = p .. 'deadlines'
        local closed = p .. 'closed'
        local closed_now = {}

        local function close(id, reason)
            local key = p .. 'b:' .. id
            local camera = redis.call('HGET', key, 'camera')
            redis.call('HSET', key, 'reason', reason, 'closed_ms', now)
            redis.call('ZREM', deadlines, id)
            redis.call('ZADD', closed, now + lease, id)
            if camera and redis.call('GET', p .. 'open:' .. camera) == id then
                redis.call('DEL', p .. 'open:' .. camera)
            end
            table.insert(closed_now, id)
        end

        -- Whichever deadline came first; the window on a tie.
        local function due_reason(id)
            local at = redis.call('HMGET', p .. 'b:' .. id, 'window_at', 'idle_at')
            if tonumber(at[1]) <= tonumber(at[2]) then
                return 'WINDOW'
            end
            return 'IDLE'
        end
        "
    };
}

/// Adds one detections message: skips detection ids already batched, counts the new
/// ones into the hourly bucket, sends fast-path ones as their own closed batch (once per
/// cooldown per camera) and appends the rest to the camera's open batch, opening one
/// (with the next of the fresh ids) when there is none or the open one is already due,
/// and closing it when it is full.
/// ARGV: prefix, now, lease, camera, window ms, idle ms, max detections, cooldown ms,
/// bucket key, bucket index key, bucket member, bucket hour, traceparent, tracestate,
/// n, n fresh batch ids, then (detection id, class, fast 0/1) triples.
/// Returns {detections added, {ids of batches closed}}.
pub(crate) static INGEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
        local camera = ARGV[4]
        local window, idle, max = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
        local cooldown_ms = tonumber(ARGV[8])
        local bucket, index, member, hour = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
        local traceparent, tracestate = ARGV[13], ARGV[14]
        local next_fresh = 16
        local first = 16 + tonumber(ARGV[15])
        local open_key = p .. 'open:' .. camera
        local cooldown = p .. 'cooldown'
        local added = 0

        local function open_batch()
            -- The caller passes one id per batch this message can open, so one is left.
            local id = ARGV[next_fresh]
            next_fresh = next_fresh + 1
            redis.call('HSET', p .. 'b:' .. id, 'camera', camera, 'started_ms', now,
                'last_ms', now, 'window_at', now + window, 'idle_at', now + idle,
                'count', 0, 'fast', 0, 'traceparent', traceparent, 'tracestate', tracestate)
            redis.call('SET', open_key, id)
            return id
        end

        -- The ticker may lag: a batch already due is closed before anything joins it.
        local function current_batch()
            local id = redis.call('GET', open_key)
            if id then
                local due = redis.call('ZSCORE', deadlines, id)
                if not due then
                    id = false
                elseif tonumber(due) <= now then
                    close(id, due_reason(id))
                    id = false
                end
            end
            if not id then
                id = open_batch()
            end
            return id
        end

        local function join(id, detection)
            local key = p .. 'b:' .. id
            redis.call('RPUSH', key .. ':ids', detection)
            local count = redis.call('HINCRBY', key, 'count', 1)
            redis.call('HSET', key, 'last_ms', now, 'idle_at', now + idle)
            local window_at = tonumber(redis.call('HGET', key, 'window_at'))
            redis.call('ZADD', deadlines, math.min(window_at, now + idle), id)
            if count >= max then
                close(id, 'SIZE')
            end
        end

        local function try_fast_path(detection)
            local allowed_at = tonumber(redis.call('HGET', cooldown, camera) or '0')
            if now < allowed_at then
                return false
            end
            redis.call('HSET', cooldown, camera, now + cooldown_ms)
            -- Named after the detection, so even a late redelivery makes the same batch.
            local id = 'fast-path-' .. detection
            local key = p .. 'b:' .. id
            redis.call('DEL', key .. ':ids')
            redis.call('HSET', key, 'camera', camera, 'started_ms', now, 'last_ms', now,
                'count', 1, 'fast', 1, 'traceparent', traceparent, 'tracestate', tracestate)
            redis.call('RPUSH', key .. ':ids', detection)
            close(id, 'FAST_PATH')
            return true
        end

        for i = first, #ARGV, 3 do
            local detection, class, fast = ARGV[i], ARGV[i + 1], ARGV[i + 2]
            if redis.call('ZADD', p .. 'seen', 'NX', now, detection) == 1 then
                added = added + 1
                redis.call('HINCRBY', bucket, 'total', 1)
                if class ~= '' then
                    redis.call('HINCRBY', bucket, 'class:' .. class, 1)
                end
                if not (fast == '1' and try_fast_path(detection)) then
                    join(current_batch(), detection)
                end
            end
        end
        if added > 0 then
            redis.call('ZADD', index, 'NX', hour, member)
        end
        return {added, closed_now}
        "
    ))
});

/// Closes every batch whose deadline has passed (up to a limit) and forgets detection
/// ids batched before the dedup cutoff.
/// ARGV: prefix, now, lease, limit, dedup cutoff ms.
/// Returns {open batches left, {ids of batches closed}}.
pub(crate) static CLOSE_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
        local due = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
        for _, id in ipairs(due) do
            if redis.call('EXISTS', p .. 'b:' .. id) == 1 then
                close(id, due_reason(id))
            else
                redis.call('ZREM', deadlines, id)
            end
        end
        redis.call('ZREMRANGEBYSCORE', p .. 'seen', '-inf', ARGV[5])
        return {redis.call('ZCARD', deadlines), closed_now}
        "
    ))
});

/// Takes over closed batches whose lease has run out (their closer died or gave up
/// publishing): extends the lease to the caller and returns their ids.
/// ARGV: prefix, now, lease, limit.
pub(crate) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
        local ids = redis.call('ZRANGEBYSCORE', closed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
        for _, id in ipairs(ids) do
            redis.call('ZADD', closed, 'XX', now + lease, id)
        end
        return ids
        "
    ))
});

/// Forgets a published batch. ARGV: prefix, batch id. Returns 1 if it was still
/// waiting to be published (0: someone else finished it first).
pub(crate) static FINISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local key = ARGV[1] .. 'b:' .. ARGV[2]
        local removed = redis.call('ZREM', ARGV[1] .. 'closed', ARGV[2])
        if removed == 1 then
            redis.call('DEL', key, key .. ':ids')
        end
        return removed
        ",
    )
});
