//! Small conversions every resource shares: times as RFC 3339 text, bounded strings.

use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, SecondsFormat, Utc};

/// A time as the API writes it: RFC 3339, UTC, milliseconds.
pub fn ts(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn opt_ts(time: Option<DateTime<Utc>>) -> Option<String> {
    time.map(ts)
}

/// Reads an RFC 3339 time from request field `field`.
pub fn parse_time(field: &str, text: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(
                field,
                format!("{text:?} is not an RFC 3339 time (like 2026-12-01T10:00:00Z)"),
            )
        })
}

pub fn opt_time(field: &str, text: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    text.filter(|t| !t.is_empty())
        .map(|t| parse_time(field, t))
        .transpose()
}

/// Refuses a string longer than `max` characters, or (when `required`) a blank one.
pub fn bounded(field: &str, text: &str, max: usize, required: bool) -> ApiResult<()> {
    if required && text.trim().is_empty() {
        return Err(ApiError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    let count = text.chars().count();
    if count > max {
        return Err(ApiError::invalid(
            field,
            format!("{field} is {count} characters; at most {max} are allowed"),
        ));
    }
    if text.chars().any(|c| c == '\0') {
        return Err(ApiError::invalid(
            field,
            format!("{field} contains a NUL character"),
        ));
    }
    Ok(())
}

/// Checks `value` is one of `allowed`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> ApiResult<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }
}
