//! The filters events are listed and searched by, turned into SQL conditions with
//! bound values. Only the filters a request gives become conditions, so each shape of
//! request is its own statement and PostgreSQL plans it for the indexes it can use
//! (the partial `deleted_at IS NULL` indexes need that condition spelled out).

use crate::convert::{bounded, one_of, opt_time};
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use sea_orm::Value;

pub(crate) const RISK_LEVELS: &[&str] = &["low", "medium", "high", "critical"];
/// Most values one list filter may carry.
const MAX_FILTER_VALUES: usize = 100;
const CAMERA_ID_MAX: usize = 100;
const OBJECT_TYPE_MAX: usize = 64;

/// A WHERE clause under construction: conditions joined by AND, and their values.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    pub values: Vec<Value>,
}

impl Conditions {
    /// Binds `value`, answering its placeholder (`$n`).
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub fn push(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// `WHERE a AND b` (or nothing).
    pub fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The filters of ListEvents and SearchEvents, checked.
#[derive(Debug, Default)]
pub(crate) struct Criteria {
    pub camera_ids: Vec<String>,
    pub risk_levels: Vec<String>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub reviewed: Option<bool>,
    pub object_types: Vec<String>,
    pub is_fast_path: Option<bool>,
    pub include_deleted: bool,
}

/// The raw filters as a request spells them.
#[derive(Debug)]
pub(crate) struct RawCriteria<'a> {
    pub camera_ids: &'a [String],
    pub risk_levels: &'a [String],
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    pub start_time: Option<&'a str>,
    pub end_time: Option<&'a str>,
    pub reviewed: Option<bool>,
    pub object_types: &'a [String],
    pub is_fast_path: Option<bool>,
    pub include_deleted: bool,
}

/// The [`RawCriteria`] of a ListEventsRequest or a SearchEventsRequest, which carry the
/// same filter fields (two prost messages, so a macro rather than a trait).
macro_rules! raw_criteria {
    ($req:expr) => {
        $crate::resources::events::query::RawCriteria {
            camera_ids: &$req.camera_ids,
            risk_levels: &$req.risk_levels,
            min_score: $req.min_score,
            max_score: $req.max_score,
            start_time: $req.start_time.as_deref(),
            end_time: $req.end_time.as_deref(),
            reviewed: $req.reviewed,
            object_types: &$req.object_types,
            is_fast_path: $req.is_fast_path,
            include_deleted: $req.include_deleted,
        }
    };
}
pub(crate) use raw_criteria;

/// Checks a list filter's values: not too many, each non-blank and bounded.
pub(crate) fn check_list(field: &str, values: &[String], max_len: usize) -> ApiResult<Vec<String>> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(ApiError::invalid(
            field,
            format!("{field} has {} values; at most {MAX_FILTER_VALUES} are allowed", values.len()),
        ));
    }
    values
        .iter()
        .map(|value| {
            bounded(field, value, max_len, true)?;
            Ok(value.trim().to_owned())
        })
        .collect()
}

/// A time range's start (inclusive) and end (exclusive), either open.
pub(crate) type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Checks the time range `[start, end)` of fields `start_field` and `end_field`.
pub(crate) fn time_range(
    start_field: &str,
    start: Option<&str>,
    end_field: &str,
    end: Option<&str>,
) -> ApiResult<TimeRange> {
    let start = opt_time(start_field, start)?;
    let end = opt_time(end_field, end)?;
    if let (Some(start), Some(end)) = (start, end) {
        if end <= start {
            return Err(ApiError::invalid(
                end_field,
                format!("{end_field} must be after {start_field}"),
            ));
        }
    }
    Ok((start, end))
}

impl Criteria {
    pub fn check(raw: RawCriteria<'_>) -> ApiResult<Self> {
        let camera_ids = check_list("camera_ids", raw.camera_ids, CAMERA_ID_MAX)?;
        let risk_levels = check_list("risk_levels", raw.risk_levels, 16)?;
        for level in &risk_levels {
            one_of("risk_levels", level, RISK_LEVELS)?;
        }
        for (field, score) in [("min_score", raw.min_score), ("max_score", raw.max_score)] {
            if let Some(score) = score {
                if !(0..=100).contains(&score) {
                    return Err(ApiError::invalid(
                        field,
                        format!("{field} {score} is outside 0..100"),
                    ));
                }
            }
        }
        if let (Some(min), Some(max)) = (raw.min_score, raw.max_score) {
            if min > max {
                return Err(ApiError::invalid(
                    "max_score",
                    format!("max_score {max} is below min_score {min}"),
                ));
            }
        }
        let (start, end) = time_range("start_time", raw.start_time, "end_time", raw.end_time)?;
        let object_types = check_list("object_types", raw.object_types, OBJECT_TYPE_MAX)?
            .into_iter()
            .map(|t| t.to_lowercase())
            .collect();
        Ok(Self {
            camera_ids,
            risk_levels,
            min_score: raw.min_score,
            max_score: raw.max_score,
            start,
            end,
            reviewed: raw.reviewed,
            object_types,
            is_fast_path: raw.is_fast_path,
            include_deleted: raw.include_deleted,
        })
    }

    /// Adds the conditions on events aliased `e`.
    pub fn apply(&self, sql: &mut Conditions) {
        if !self.include_deleted {
            sql.push("e.deleted_at IS NULL");
        }
        match self.camera_ids.as_slice() {
            [] => {}
            [one] => {
                let p = sql.bind(one.clone());
                sql.push(format!("e.camera_id = {p}"));
            }
            many => {
                let p = sql.bind(many.to_vec());
                sql.push(format!("e.camera_id = ANY({p}::text[])"));
            }
        }
        if !self.risk_levels.is_empty() {
            let p = sql.bind(self.risk_levels.clone());
            sql.push(format!("e.risk_level = ANY({p}::text[])"));
        }
        if let Some(min) = self.min_score {
            let p = sql.bind(min);
            sql.push(format!("e.risk_score >= {p}"));
        }
        if let Some(max) = self.max_score {
            let p = sql.bind(max);
            sql.push(format!("e.risk_score <= {p}"));
        }
        if let Some(start) = self.start {
            let p = sql.bind(start);
            sql.push(format!("e.started_at >= {p}"));
        }
        if let Some(end) = self.end {
            let p = sql.bind(end);
            sql.push(format!("e.started_at < {p}"));
        }
        if let Some(reviewed) = self.reviewed {
            let p = sql.bind(reviewed);
            sql.push(format!("e.reviewed = {p}"));
        }
        if !self.object_types.is_empty() {
            // object_types is "person,car": compare as a set, whatever the spacing.
            let p = sql.bind(self.object_types.clone());
            sql.push(format!(
                "regexp_split_to_array(lower(e.object_types), '\\s*,\\s*') && {p}::text[]"
            ));
        }
        if let Some(fast) = self.is_fast_path {
            let p = sql.bind(fast);
            sql.push(format!("e.is_fast_path = {p}"));
        }
    }
}

/// A comma-separated list as its trimmed, non-empty items.
pub(crate) fn split_list(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `events.detection_ids` as the analysis worker writes it (`[1,2]`), or a bare list.
pub(crate) fn parse_ids(text: Option<&str>) -> Vec<i64> {
    let text = text.unwrap_or_default().trim();
    let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    inner
        .split(',')
        .filter_map(|item| item.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ids_are_read_leniently() {
        assert_eq!(split_list(Some("person, car,,dog ")), ["person", "car", "dog"]);
        assert!(split_list(None).is_empty());
        assert_eq!(parse_ids(Some("[1, 2,3]")), [1, 2, 3]);
        assert_eq!(parse_ids(Some("4,5")), [4, 5]);
        assert!(parse_ids(Some("[]")).is_empty());
    }

    #[test]
    fn only_given_filters_become_conditions() {
        let mut sql = Conditions::default();
        Criteria::default().apply(&mut sql);
        assert_eq!(sql.where_clause(), "WHERE e.deleted_at IS NULL");
        let criteria = Criteria {
            camera_ids: vec!["a".into()],
            min_score: Some(10),
            include_deleted: true,
            ..Criteria::default()
        };
        let mut sql = Conditions::default();
        criteria.apply(&mut sql);
        assert_eq!(sql.where_clause(), "WHERE e.camera_id = $1 AND e.risk_score >= $2");
        assert_eq!(sql.values.len(), 2);
    }

    #[test]
    fn bad_filters_name_their_field() {
        let raw = |min: Option<i32>, max: Option<i32>| RawCriteria {
            camera_ids: &[],
            risk_levels: &[],
            min_score: min,
            max_score: max,
            start_time: None,
            end_time: None,
            reviewed: None,
            object_types: &[],
            is_fast_path: None,
            include_deleted: false,
        };
        let err = Criteria::check(raw(Some(101), None)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("min_score"));
        let err = Criteria::check(raw(Some(50), Some(40))).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("max_score"));
    }
}
