//! Between the API's typed rule and the JSON columns of `alert_rules`, in exactly the
//! shapes the alert engine (hsi-alerts) reads: arrays of strings, a schedule object
//! (`days`, `start_time`, `end_time`, `timezone`) and an array of channel objects
//! (`type`, `url`, `headers` as an object, `timeout_ms`, `name`).

use crate::convert::{bounded, one_of};
use crate::error::{ApiError, ApiResult};
use crate::pb::{AlertRule, AlertRuleDraft, RuleChannel, RuleChannelHeader, RuleSchedule};
use chrono::Utc;
use hsi_db::entities::alert_rules;
use hsi_db::entities::enums::AlertSeverity;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

pub(super) const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
const DEFAULT_TEMPLATE: &str = "{camera_id}:{rule_id}";
const DEFAULT_COOLDOWN_SECONDS: i32 = 300;
const NAME_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 2_000;
const ID_MAX: usize = 100;
const LIST_MAX: usize = 100;
const CHANNELS_MAX: usize = 20;
const URL_MAX: usize = 2_048;
const HEADER_MAX: usize = 1_024;
const TEMPLATE_MAX: usize = 255;

pub(super) fn severity(field: &str, text: &str) -> ApiResult<AlertSeverity> {
    let text = if text.is_empty() { "medium" } else { text };
    one_of(field, text, SEVERITIES)?;
    serde_json::from_value(json!(text))
        .map_err(|_| ApiError::invalid(field, format!("{text:?} is not a severity")))
}

pub(super) fn severity_name(severity: AlertSeverity) -> String {
    hsi_core::Severity::from(severity).as_str().to_owned()
}

/// A list of ids or names: each entry bounded and trimmed; empty means no restriction.
fn string_list(field: &str, items: &[String], max_chars: usize) -> ApiResult<Option<Value>> {
    if items.len() > LIST_MAX {
        return Err(ApiError::invalid(
            field,
            format!("{field} has {} entries; at most {LIST_MAX} are allowed", items.len()),
        ));
    }
    for (index, item) in items.iter().enumerate() {
        bounded(&format!("{field}[{index}]"), item, max_chars, true)?;
    }
    let trimmed: Vec<Value> = items.iter().map(|item| Value::from(item.trim())).collect();
    Ok((!trimmed.is_empty()).then_some(Value::Array(trimmed)))
}

fn schedule_json(schedule: Option<&RuleSchedule>) -> ApiResult<Option<Value>> {
    let Some(schedule) = schedule else {
        return Ok(None);
    };
    let mut object = Map::new();
    if !schedule.days.is_empty() {
        if let Some(days) = string_list("schedule.days", &schedule.days, 16)? {
            object.insert("days".to_owned(), days);
        }
    }
    for (key, value) in [
        ("start_time", &schedule.start_time),
        ("end_time", &schedule.end_time),
        ("timezone", &schedule.timezone),
    ] {
        if let Some(text) = value {
            bounded(&format!("schedule.{key}"), text, 64, true)?;
            object.insert(key.to_owned(), Value::from(text.trim()));
        }
    }
    // An empty schedule is always active: the same as none.
    Ok((!object.is_empty()).then_some(Value::Object(object)))
}

fn channels_json(channels: &[RuleChannel]) -> ApiResult<Option<Value>> {
    if channels.len() > CHANNELS_MAX {
        return Err(ApiError::invalid(
            "channels",
            format!("{} channels; at most {CHANNELS_MAX} are allowed", channels.len()),
        ));
    }
    let mut out = Vec::with_capacity(channels.len());
    for (index, channel) in channels.iter().enumerate() {
        let at = |key: &str| format!("channels[{index}].{key}");
        bounded(&at("type"), &channel.r#type, 32, true)?;
        bounded(&at("url"), &channel.url, URL_MAX, false)?;
        let mut object = Map::new();
        object.insert("type".to_owned(), Value::from(channel.r#type.trim()));
        object.insert("url".to_owned(), Value::from(channel.url.trim()));
        let mut headers = Map::new();
        for (n, header) in channel.headers.iter().enumerate() {
            let field = at(&format!("headers[{n}].name"));
            bounded(&field, &header.name, 256, true)?;
            bounded(&at(&format!("headers[{n}].value")), &header.value, HEADER_MAX, false)?;
            let name = header.name.trim().to_ascii_lowercase();
            if headers.insert(name.clone(), Value::from(header.value.clone())).is_some() {
                return Err(ApiError::invalid(field, format!("header {name:?} is given twice")));
            }
        }
        if !headers.is_empty() {
            object.insert("headers".to_owned(), Value::Object(headers));
        }
        if let Some(timeout) = channel.timeout_ms {
            object.insert("timeout_ms".to_owned(), Value::from(timeout));
        }
        if let Some(name) = &channel.name {
            bounded(&at("name"), name, NAME_MAX, false)?;
            object.insert("name".to_owned(), Value::from(name.clone()));
        }
        out.push(Value::Object(object));
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// The row a draft describes, checked by the alert engine's own parser (see
/// [`hsi_alerts::AlertRule::validated`]); `prefix` names where the draft sits in the
/// request ("" or "rule.").
pub(super) fn to_model(
    id: Uuid,
    draft: &AlertRuleDraft,
    enabled: bool,
    prefix: &str,
) -> ApiResult<(alert_rules::Model, hsi_alerts::AlertRule)> {
    let name_of = |field: &str| format!("{prefix}{field}");
    let prefixed = |err: ApiError| match err.field.clone() {
        Some(field) if !prefix.is_empty() => err.with_field(format!("{prefix}{field}")),
        _ => err,
    };
    let model = build(id, draft, enabled).map_err(prefixed)?;
    let parsed = hsi_alerts::AlertRule::validated(&model).map_err(|err| {
        ApiError::invalid(name_of(&err.field), format!("{}: {}", name_of(&err.field), err.message))
    })?;
    Ok((model, parsed))
}

fn build(id: Uuid, draft: &AlertRuleDraft, enabled: bool) -> ApiResult<alert_rules::Model> {
    bounded("name", &draft.name, NAME_MAX, true)?;
    if let Some(description) = &draft.description {
        bounded("description", description, DESCRIPTION_MAX, false)?;
    }
    let template = draft.dedup_key_template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    bounded("dedup_key_template", template, TEMPLATE_MAX, true)?;
    let now = Utc::now();
    Ok(alert_rules::Model {
        id,
        name: draft.name.trim().to_owned(),
        description: draft.description.clone().filter(|d| !d.trim().is_empty()),
        enabled,
        severity: severity("severity", &draft.severity)?,
        risk_threshold: draft.risk_threshold,
        object_types: string_list("object_types", &draft.object_types, 64)?,
        camera_ids: string_list("camera_ids", &draft.camera_ids, ID_MAX)?,
        zone_ids: string_list("zone_ids", &draft.zone_ids, ID_MAX)?,
        min_confidence: draft.min_confidence,
        schedule: schedule_json(draft.schedule.as_ref())?,
        // The engine does not read `conditions`; a rule never stores any.
        conditions: None,
        dedup_key_template: template.to_owned(),
        cooldown_seconds: draft.cooldown_seconds.unwrap_or(DEFAULT_COOLDOWN_SECONDS),
        channels: channels_json(&draft.channels)?,
        created_at: now,
        updated_at: now,
        fire_on_fast_path: draft.fire_on_fast_path.unwrap_or(false),
    })
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn schedule_of(value: Option<&Value>) -> Option<RuleSchedule> {
    let value = value.filter(|v| v.is_object())?;
    Some(RuleSchedule {
        days: strings(value.get("days")),
        start_time: text(value, "start_time"),
        end_time: text(value, "end_time"),
        timezone: text(value, "timezone"),
    })
}

fn channel_of(value: &Value) -> RuleChannel {
    let headers: BTreeMap<String, String> = value
        .get("headers")
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .map(|(name, v)| (name.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    RuleChannel {
        r#type: text(value, "type").unwrap_or_default(),
        url: text(value, "url").unwrap_or_default(),
        headers: headers
            .into_iter()
            .map(|(name, value)| RuleChannelHeader { name, value })
            .collect(),
        timeout_ms: value
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .and_then(|t| u32::try_from(t).ok()),
        name: text(value, "name"),
    }
}

/// The API's view of a stored rule (read leniently: a row is shown as it is).
pub(super) fn to_api(model: alert_rules::Model) -> AlertRule {
    AlertRule {
        id: model.id.to_string(),
        name: model.name,
        description: model.description,
        enabled: model.enabled,
        severity: severity_name(model.severity),
        risk_threshold: model.risk_threshold,
        object_types: strings(model.object_types.as_ref()),
        camera_ids: strings(model.camera_ids.as_ref()),
        zone_ids: strings(model.zone_ids.as_ref()),
        min_confidence: model.min_confidence,
        schedule: schedule_of(model.schedule.as_ref()),
        dedup_key_template: model.dedup_key_template,
        cooldown_seconds: model.cooldown_seconds,
        channels: model
            .channels
            .as_ref()
            .and_then(Value::as_array)
            .map(|items| items.iter().map(channel_of).collect())
            .unwrap_or_default(),
        created_at: crate::convert::ts(model.created_at),
        updated_at: crate::convert::ts(model.updated_at),
        fire_on_fast_path: model.fire_on_fast_path,
    }
}

/// What the audit trail keeps of a rule: no header values, no URL query or credentials.
pub(super) fn audit_details(model: &alert_rules::Model) -> Value {
    let channels: Vec<Value> = hsi_alerts::Channel::list(model.channels.as_ref())
        .iter()
        .map(|c| json!({"type": c.kind(), "target": c.display_target()}))
        .collect();
    json!({
        "name": model.name,
        "enabled": model.enabled,
        "severity": severity_name(model.severity),
        "risk_threshold": model.risk_threshold,
        "object_types": model.object_types,
        "camera_ids": model.camera_ids,
        "zone_ids": model.zone_ids,
        "min_confidence": model.min_confidence,
        "schedule": model.schedule,
        "cooldown_seconds": model.cooldown_seconds,
        "fire_on_fast_path": model.fire_on_fast_path,
        "channels": channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> AlertRuleDraft {
        AlertRuleDraft {
            name: "Night person".to_owned(),
            severity: "high".to_owned(),
            object_types: vec!["person".to_owned()],
            schedule: Some(RuleSchedule {
                days: vec!["monday".to_owned()],
                start_time: Some("22:00".to_owned()),
                end_time: Some("06:00".to_owned()),
                timezone: Some("Europe/London".to_owned()),
            }),
            channels: vec![RuleChannel {
                r#type: "webhook".to_owned(),
                url: "https://hooks.example.com/x?token=s".to_owned(),
                headers: vec![RuleChannelHeader { name: "X-Token".to_owned(), value: "t".to_owned() }],
                timeout_ms: Some(1500),
                name: None,
            }],
            ..AlertRuleDraft::default()
        }
    }

    #[test]
    fn drafts_store_the_shapes_the_engine_reads_and_read_back() {
        let (model, parsed) = to_model(Uuid::nil(), &draft(), true, "").unwrap();
        assert_eq!(model.object_types, Some(json!(["person"])));
        assert_eq!(model.camera_ids, None, "an empty list is no restriction");
        assert_eq!(
            model.schedule,
            Some(json!({"days": ["monday"], "start_time": "22:00", "end_time": "06:00", "timezone": "Europe/London"}))
        );
        assert_eq!(
            model.channels,
            Some(json!([{"type": "webhook", "url": "https://hooks.example.com/x?token=s",
                         "headers": {"x-token": "t"}, "timeout_ms": 1500}]))
        );
        assert_eq!(parsed.channels.len(), 1);
        assert_eq!(model.cooldown_seconds, 300);
        assert_eq!(model.dedup_key_template, "{camera_id}:{rule_id}");
        let api = to_api(model.clone());
        assert_eq!(api.schedule, draft().schedule);
        assert_eq!(api.channels[0].headers[0].name, "x-token");
        let details = audit_details(&model).to_string();
        assert!(!details.contains("token=s") && !details.contains("x-token"), "{details}");
    }

    type Edit = Box<dyn Fn(&mut AlertRuleDraft)>;

    #[test]
    fn what_the_engine_refuses_is_refused_naming_the_field() {
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|d| d.severity = "severe".to_owned()), "severity"),
            (Box::new(|d| d.risk_threshold = Some(150)), "risk_threshold"),
            (Box::new(|d| d.min_confidence = Some(-0.1)), "min_confidence"),
            (Box::new(|d| d.cooldown_seconds = Some(-5)), "cooldown_seconds"),
            (Box::new(|d| d.schedule.as_mut().unwrap().timezone = Some("Mars/Base".to_owned())), "schedule.timezone"),
            (Box::new(|d| d.schedule.as_mut().unwrap().end_time = None), "schedule.end_time"),
            (Box::new(|d| d.channels[0].url = "ftp://x.example/y".to_owned()), "channels[0]"),
            (Box::new(|d| d.channels[0].r#type = "sms".to_owned()), "channels[0]"),
            (Box::new(|d| d.object_types.push(" ".to_owned())), "object_types[1]"),
            (Box::new(|d| d.name = String::new()), "name"),
        ];
        for (edit, field) in cases {
            let mut d = draft();
            edit(&mut d);
            let err = to_model(Uuid::nil(), &d, true, "").unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{}", err.message);
            let err = to_model(Uuid::nil(), &d, true, "rule.").unwrap_err();
            assert_eq!(err.field, Some(format!("rule.{field}")), "{}", err.message);
        }
    }
}
