//! A typed alert rule, parsed from an `alert_rules` row.

use crate::channel::Channel;
use crate::error::RuleError;
use crate::schedule::{FieldProblem, Schedule};
use crate::template::{unknown_placeholders, PLACEHOLDERS};
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
    /// Fires on a fast-path event's evidence, before the LLM; revised by the judgement.
    pub fire_on_fast_path: bool,
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
            fire_on_fast_path: model.fire_on_fast_path,
        })
    }
}

impl AlertRule {
    /// Parses a row about to be saved: besides what [`AlertRule::from_model`] refuses,
    /// refuses what the engine would take but could not honour as meant, so that a
    /// saved rule does what its author reads in it: a blank name or list entry, a
    /// threshold outside 0..=100, a confidence outside 0..=1, a channel that cannot be
    /// delivered to (unknown type, a webhook without an http(s) URL, ...), a dedup key
    /// template that is blank or names an unknown placeholder, and `conditions`, which
    /// the engine does not read.
    pub fn validated(model: &alert_rules::Model) -> Result<Self, RuleError> {
        let rule = Self::from_model(model)?;
        let problem = |problem: FieldProblem| RuleError {
            rule_id: model.id,
            rule_name: model.name.clone(),
            field: problem.key,
            message: problem.message,
        };
        check_saved(model, &rule).map_err(problem)?;
        Ok(rule)
    }
}

fn check_saved(model: &alert_rules::Model, rule: &AlertRule) -> Result<(), FieldProblem> {
    if model.name.trim().is_empty() {
        return Err(FieldProblem::new("name", "must not be blank"));
    }
    if let Some(threshold) = rule.risk_threshold {
        if !(0..=100).contains(&threshold) {
            return Err(FieldProblem::new(
                "risk_threshold",
                format!("{threshold} is outside 0..100"),
            ));
        }
    }
    if let Some(min) = rule.min_confidence {
        if !(0.0..=1.0).contains(&min) {
            return Err(FieldProblem::new(
                "min_confidence",
                format!("{min} is outside 0..1"),
            ));
        }
    }
    for (field, list) in [
        ("object_types", &rule.object_types),
        ("camera_ids", &rule.camera_ids),
        ("zone_ids", &rule.zone_ids),
    ] {
        let blank = list
            .iter()
            .flatten()
            .position(|item| item.trim().is_empty());
        if let Some(index) = blank {
            return Err(FieldProblem::new(
                format!("{field}[{index}]"),
                "must not be blank",
            ));
        }
    }
    for (index, channel) in rule.channels.iter().enumerate() {
        if let Channel::Unusable { reason, .. } = channel {
            return Err(FieldProblem::new(
                format!("channels[{index}]"),
                reason.clone(),
            ));
        }
    }
    if rule.dedup_key_template.trim().is_empty() {
        return Err(FieldProblem::new("dedup_key_template", "must not be blank"));
    }
    let unknown = unknown_placeholders(&rule.dedup_key_template);
    if let Some(name) = unknown.first() {
        return Err(FieldProblem::new(
            "dedup_key_template",
            format!("{{{name}}} is not a placeholder; use {PLACEHOLDERS}"),
        ));
    }
    if model
        .conditions
        .as_ref()
        .is_some_and(|value| !value.is_null())
    {
        return Err(FieldProblem::new(
            "conditions",
            "is not read by the alert engine; use the rule's own fields",
        ));
    }
    Ok(())
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
            fire_on_fast_path: false,
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
    fn saved_rules_must_mean_what_they_say() {
        type Break = fn(&mut alert_rules::Model);
        let cases: [(Break, &str, &str); 11] = [
            (|r| r.name = "  ".to_owned(), "name", "blank"),
            (|r| r.risk_threshold = Some(101), "risk_threshold", "101"),
            (|r| r.risk_threshold = Some(-1), "risk_threshold", "-1"),
            (|r| r.min_confidence = Some(1.5), "min_confidence", "1.5"),
            (
                |r| r.min_confidence = Some(f64::NAN),
                "min_confidence",
                "NaN",
            ),
            (
                |r| r.camera_ids = Some(json!(["a", " "])),
                "camera_ids[1]",
                "blank",
            ),
            (
                |r| {
                    r.channels = Some(
                        json!([{"type": "webhook", "url": "https://x.example"}, {"type": "webhook", "url": "ftp://x.example"}]),
                    )
                },
                "channels[1]",
                "\"ftp\"",
            ),
            (
                |r| r.channels = Some(json!([{"type": "sms"}])),
                "channels[0]",
                "\"sms\"",
            ),
            (
                |r| r.dedup_key_template = "{camera_id}:{event_id}".to_owned(),
                "dedup_key_template",
                "{event_id}",
            ),
            (
                |r| r.dedup_key_template = String::new(),
                "dedup_key_template",
                "blank",
            ),
            (
                |r| r.conditions = Some(json!({"a": 1})),
                "conditions",
                "not read",
            ),
        ];
        for (break_row, field, mentions) in cases {
            let mut row = model("strict");
            break_row(&mut row);
            assert!(AlertRule::from_model(&row).is_ok() || field == "name");
            let err = AlertRule::validated(&row).unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert!(err.message.contains(mentions), "{err}");
        }
        let mut good = model("fine");
        good.risk_threshold = Some(100);
        good.min_confidence = Some(0.0);
        good.conditions = Some(Value::Null);
        good.dedup_key_template =
            "{camera_id}:{object_type}:{zone_id}:{severity}:{rule_id}".to_owned();
        good.channels = Some(json!([{"type": "webhook", "url": "http://hooks.example.com/a"}]));
        assert!(AlertRule::validated(&good).is_ok());
        // What the engine refuses, saving refuses too.
        good.schedule = Some(json!({"timezone": "Mars/Olympus"}));
        assert_eq!(
            AlertRule::validated(&good).unwrap_err().field,
            "schedule.timezone"
        );
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
