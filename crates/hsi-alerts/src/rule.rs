//! A typed alert rule, parsed from an `alert_rules` row.

use crate::channel::Channel;
use crate::error::RuleError;
use crate::schedule::{FieldProblem, Schedule};
use hsi_core::Severity;
use hsi_db::entities::alert_rules;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// One alert rule. Every condition that is `None` matches every event; an empty JSON
/// array is read as `None` too (no restriction), as the original system did.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub severity: Severity,
    /// The event's risk score must be at least this.
    pub risk_threshold: Option<i32>,
    /// Class names, lowercased; a qualifying detection must have one of them.
    pub object_types: Option<Vec<String>>,
    pub camera_ids: Option<Vec<String>>,
    /// `camera_zones.id` values; a qualifying detection must fall in one of them.
    pub zone_ids: Option<Vec<String>>,
    /// A qualifying detection must have at least this confidence.
    pub min_confidence: Option<f64>,
    pub schedule: Option<Schedule>,
    pub dedup_key_template: String,
    /// Zero means no cooldown.
    pub cooldown: Duration,
    pub channels: Vec<Channel>,
    /// The `channels` column as stored, copied onto each alert.
    pub channels_json: Option<Value>,
}

impl AlertRule {
    /// Parses a row, refusing malformed JSON columns with an error naming the field.
    pub fn from_model(model: &alert_rules::Model) -> Result<Self, RuleError> {
        let problem = |problem: FieldProblem| RuleError {
            rule_id: model.id,
            rule_name: model.name.clone(),
            field: problem.key,
            message: problem.message,
        };
        let cooldown_secs = u64::try_from(model.cooldown_seconds).map_err(|_| {
            problem(FieldProblem::new(
                "cooldown_seconds",
                format!("{} is negative", model.cooldown_seconds),
            ))
        })?;
        let object_types = string_list("object_types", model.object_types.as_ref())
            .map_err(problem)?
            .map(|types| types.iter().map(|t| t.to_ascii_lowercase()).collect());
        Ok(Self {
            id: model.id,
            name: model.name.clone(),
            enabled: model.enabled,
            severity: model.severity.into(),
            risk_threshold: model.risk_threshold,
            object_types,
            camera_ids: string_list("camera_ids", model.camera_ids.as_ref()).map_err(problem)?,
            zone_ids: string_list("zone_ids", model.zone_ids.as_ref()).map_err(problem)?,
            min_confidence: model.min_confidence,
            schedule: match model.schedule.as_ref() {
                None | Some(Value::Null) => None,
                Some(value) => Some(Schedule::parse(value).map_err(problem)?),
            },
            dedup_key_template: model.dedup_key_template.clone(),
            cooldown: Duration::from_secs(cooldown_secs),
            channels: channels(model.channels.as_ref()).map_err(problem)?,
            channels_json: model.channels.clone().filter(|value| !value.is_null()),
        })
    }
}

/// Reads a JSON array of strings; null, absent and empty all mean "no restriction".
fn string_list(field: &str, value: Option<&Value>) -> Result<Option<Vec<String>>, FieldProblem> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(FieldProblem::new(
                field,
                format!("expected an array of strings, got {other}"),
            ))
        }
    };
    let strings = items
        .iter()
        .map(|item| match item {
            Value::String(text) => Ok(text.clone()),
            other => Err(FieldProblem::new(
                field,
                format!("expected an array of strings, but it holds {other}"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!strings.is_empty()).then_some(strings))
}

fn channels(value: Option<&Value>) -> Result<Vec<Channel>, FieldProblem> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.iter().map(Channel::parse).collect()),
        Some(other) => Err(FieldProblem::new(
            "channels",
            format!("expected an array of channel objects, got {other}"),
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::Utc;
    use hsi_db::entities::enums::AlertSeverity;
    use serde_json::json;

    /// A row with every condition unset, as the gateway would insert by default.
    pub(crate) fn model(name: &str) -> alert_rules::Model {
        alert_rules::Model {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            description: None,
            enabled: true,
            severity: AlertSeverity::High,
            risk_threshold: None,
            object_types: None,
            camera_ids: None,
            zone_ids: None,
            min_confidence: None,
            schedule: None,
            conditions: None,
            dedup_key_template: "{camera_id}:{rule_id}".to_owned(),
            cooldown_seconds: 300,
            channels: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn full_row_parses() {
        let mut row = model("night person");
        row.risk_threshold = Some(50);
        row.object_types = Some(json!(["Person", "car"]));
        row.camera_ids = Some(json!(["front_door"]));
        row.zone_ids = Some(json!(["porch"]));
        row.min_confidence = Some(0.6);
        row.schedule = Some(json!({"start_time": "22:00", "end_time": "06:00"}));
        row.channels = Some(json!([{"type": "webhook", "url": "https://example.com/h"}]));
        row.cooldown_seconds = 0;
        let rule = AlertRule::from_model(&row).unwrap();
        assert_eq!(rule.severity, Severity::High);
        assert_eq!(rule.object_types, Some(vec!["person".into(), "car".into()]));
        assert_eq!(rule.camera_ids, Some(vec!["front_door".into()]));
        assert_eq!(rule.zone_ids, Some(vec!["porch".into()]));
        assert!(rule.schedule.is_some());
        assert_eq!(rule.cooldown, Duration::ZERO);
        assert_eq!(rule.channels.len(), 1);
        assert_eq!(rule.channels[0].kind(), "webhook");
        assert_eq!(rule.channels_json, row.channels);
    }

    #[test]
    fn null_and_empty_conditions_are_unset() {
        let mut row = model("anything");
        row.object_types = Some(json!([]));
        row.camera_ids = Some(Value::Null);
        row.schedule = Some(Value::Null);
        row.channels = Some(Value::Null);
        let rule = AlertRule::from_model(&row).unwrap();
        assert_eq!(rule.object_types, None);
        assert_eq!(rule.camera_ids, None);
        assert_eq!(rule.schedule, None);
        assert!(rule.channels.is_empty());
        assert_eq!(rule.channels_json, None);
    }

    #[test]
    fn malformed_fields_are_named_with_the_rule() {
        type Break = fn(&mut alert_rules::Model);
        let cases: [(Break, &str); 7] = [
            (|r| r.object_types = Some(json!("person")), "object_types"),
            (|r| r.camera_ids = Some(json!([1, 2])), "camera_ids"),
            (|r| r.zone_ids = Some(json!({"a": 1})), "zone_ids"),
            (
                |r| r.schedule = Some(json!({"days": ["someday"]})),
                "schedule.days",
            ),
            (|r| r.schedule = Some(json!("nights")), "schedule"),
            (
                |r| r.channels = Some(json!({"type": "webhook"})),
                "channels",
            ),
            (|r| r.cooldown_seconds = -1, "cooldown_seconds"),
        ];
        for (break_row, field) in cases {
            let mut row = model("broken");
            break_row(&mut row);
            let err = AlertRule::from_model(&row).unwrap_err();
            assert_eq!(err.field, field);
            let text = err.to_string();
            assert!(text.contains(&row.id.to_string()), "{text}");
            assert!(text.contains("\"broken\""), "{text}");
            assert!(text.contains(&format!("field {field}:")), "{text}");
        }
    }

    #[test]
    fn bad_channels_do_not_break_the_rule() {
        let mut row = model("pager");
        row.channels = Some(json!([{"type": "pager"}, {"type": "webhook", "url": "x"}]));
        let rule = AlertRule::from_model(&row).unwrap();
        assert!(rule
            .channels
            .iter()
            .all(|c| matches!(c, Channel::Unusable { .. })));
    }
}
