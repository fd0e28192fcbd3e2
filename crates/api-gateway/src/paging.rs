//! Keyset pagination: an opaque cursor holds the sort key of the last row a page
//! answered, and the next page starts after it, so rows inserted meanwhile neither
//! repeat nor shift a page (never OFFSET).

use crate::error::{ApiError, ApiResult};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Page size when the request gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page.
pub const MAX_LIMIT: u32 = 500;

/// The page size a request asks for: 0 means the default; above the maximum is refused.
pub fn limit(requested: u32) -> ApiResult<u64> {
    match requested {
        0 => Ok(u64::from(DEFAULT_LIMIT)),
        n if n > MAX_LIMIT => Err(ApiError::invalid(
            "limit",
            format!("limit {n} is above the maximum of {MAX_LIMIT}"),
        )),
        n => Ok(u64::from(n)),
    }
}

/// A cursor for `key`.
pub fn encode<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The key inside `cursor` (empty: the first page).
pub fn decode<K: DeserializeOwned>(cursor: &str) -> ApiResult<Option<K>> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid("cursor", "the cursor is not one this API gave out");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    serde_json::from_slice(&json).map(Some).map_err(|_| bad())
}

/// Cuts a query's `limit + 1` rows to a page: the rows, the cursor of the next page
/// (`key` of the last row kept; empty on the last page) and whether more follow.
pub fn page<T, K: Serialize>(
    rows: Vec<T>,
    limit: u64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, String, bool) {
    let (rows, has_more) = split(rows, limit);
    let next_cursor = match rows.last() {
        Some(last) if has_more => encode(&key(last)),
        _ => String::new(),
    };
    (rows, next_cursor, has_more)
}

/// Splits one extra row off a page fetched with `limit + 1`: the rows to answer and
/// whether more exist.
pub fn split<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, has_more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode(&(1_700_000_000_000_000_i64, 42_i64));
        assert_eq!(
            decode::<(i64, i64)>(&cursor).unwrap(),
            Some((1_700_000_000_000_000, 42))
        );
        assert_eq!(decode::<(i64, i64)>("").unwrap(), None);
        let err = decode::<(i64, i64)>("!!!").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("cursor"));
    }

    #[test]
    fn limits_default_and_cap() {
        assert_eq!(limit(0).unwrap(), u64::from(DEFAULT_LIMIT));
        assert_eq!(limit(10).unwrap(), 10);
        assert!(limit(MAX_LIMIT + 1).is_err());
    }
}
