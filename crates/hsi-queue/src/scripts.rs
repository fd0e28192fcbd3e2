//! Lua scripts that make each multi-step stream operation atomic.

use redis::Script;
use std::sync::LazyLock;

/// Adds an entry unless the stream already holds `ARGV[1]` entries.
/// KEYS: stream. ARGV: limit, then field/value pairs. Returns {"ok", id} or {"full", length}.
pub(crate) static ADD_IF_ROOM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local length = redis.call('XLEN', KEYS[1])
        if length >= tonumber(ARGV[1]) then
            return {'full', tostring(length)}
        end
        return {'ok', redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))}
        ",
    )
});

/// Adds an entry to an announce stream, trimming it by length and then by age; never
/// refuses. KEYS: stream. ARGV: max length, oldest id to keep ("0" keeps any age), then
/// field/value pairs. Returns the new entry's id.
pub(crate) static ADD_TRIMMED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
        if ARGV[2] ~= '0' then
            redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
        end
        return id
        ",
    )
});

/// Acknowledges entries and deletes them, with any error notes they had.
/// KEYS: stream, errors. ARGV: group, then ids. Returns how many were pending.
pub(crate) static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
        redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
        redis.call('HDEL', KEYS[2], unpack(ARGV, 2))
        return acked
        ",
    )
});

/// Resets the idle time of entries this consumer still owns, so nobody reclaims work
/// that is in progress. KEYS: stream. ARGV: group, consumer, then ids. Returns the ids
/// this consumer no longer owns.
pub(crate) static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local lost = {}
        for i = 3, #ARGV do
            local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
            if #pending == 1 and pending[1][2] == ARGV[2] then
                redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
            else
                table.insert(lost, ARGV[i])
            end
        end
        return lost
        ",
    )
});

/// Records a failure and makes the entry reclaimable after the retry delay. KEYS:
/// stream, errors. ARGV: group, consumer, id, idle ms to set, error, and the delivery
/// count to keep (the current one for a failure; one less for a delivery that did not
/// count, such as one put back because the next stream was full). Returns 1 if this
/// consumer still owned the entry.
pub(crate) static RETRY_LATER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
        if #pending ~= 1 or pending[1][2] ~= ARGV[2] then
            return 0
        end
        redis.call('HSET', KEYS[2], ARGV[3], ARGV[5])
        redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4],
            'RETRYCOUNT', ARGV[6], 'JUSTID')
        return 1
        ",
    )
});

/// Moves an entry to the dead-letter stream with its error and delivery count, then
/// acknowledges and deletes it. KEYS: stream, dead letters, errors. ARGV: group, id,
/// error (empty: use the recorded one), deliveries, dead-letter limit, consumer, now ms.
pub(crate) static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local payload, kind = '', ''
        local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
        if #entry == 1 then
            local fields = entry[1][2]
            for i = 1, #fields, 2 do
                if fields[i] == 'payload' then payload = fields[i + 1] end
                if fields[i] == 'type' then kind = fields[i + 1] end
            end
        end
        local err = ARGV[3]
        if err == '' then
            err = redis.call('HGET', KEYS[3], ARGV[2]) or 'no error recorded'
        end
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
            'payload', payload, 'type', kind, 'source_id', ARGV[2], 'error', err,
            'deliveries', ARGV[4], 'consumer', ARGV[6], 'failed_at_ms', ARGV[7])
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('HDEL', KEYS[3], ARGV[2])
        return 1
        ",
    )
});

/// Puts dead letters back on their work stream: for each, adds its payload and type as a
/// new entry and deletes it from the dead letters. All or nothing: when any id is not a
/// dead letter, nothing moves. KEYS: stream, dead letters. ARGV: ids. Returns
/// {"ok", new ids...} or {"missing", id}.
pub(crate) static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local entries = {}
        for i = 1, #ARGV do
            local entry = redis.call('XRANGE', KEYS[2], ARGV[i], ARGV[i])
            if #entry ~= 1 then
                return {'missing', ARGV[i]}
            end
            entries[i] = entry[1][2]
        end
        local added = {'ok'}
        for i = 1, #ARGV do
            local payload, kind = '', ''
            local fields = entries[i]
            for j = 1, #fields, 2 do
                if fields[j] == 'payload' then payload = fields[j + 1] end
                if fields[j] == 'type' then kind = fields[j + 1] end
            end
            table.insert(added, redis.call('XADD', KEYS[1], '*', 'payload', payload, 'type', kind))
            redis.call('XDEL', KEYS[2], ARGV[i])
        end
        return added
        ",
    )
});

/// Puts back up to `ARGV[2]` of the oldest dead letters whose ids are at most `ARGV[1]`
/// (so letters that die again while this runs are not requeued in a loop). KEYS:
/// stream, dead letters. Returns how many moved.
pub(crate) static REQUEUE_OLDEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local entries = redis.call('XRANGE', KEYS[2], '-', ARGV[1], 'COUNT', ARGV[2])
        for _, entry in ipairs(entries) do
            local payload, kind = '', ''
            local fields = entry[2]
            for j = 1, #fields, 2 do
                if fields[j] == 'payload' then payload = fields[j + 1] end
                if fields[j] == 'type' then kind = fields[j + 1] end
            end
            redis.call('XADD', KEYS[1], '*', 'payload', payload, 'type', kind)
            redis.call('XDEL', KEYS[2], entry[1])
        end
        return #entries
        ",
    )
});
