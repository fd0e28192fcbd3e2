//! Whether a rule matches an event; pure.

use crate::facts::{DetectionFact, EventFacts};
use crate::rule::AlertRule;
use serde::Serialize;

/// What made a rule match: the detection that satisfied its detection conditions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMatch {
    /// Class of the highest-confidence qualifying detection, if any.
    pub object_type: Option<String>,
    pub confidence: Option<f64>,
    /// The zone of that detection that the rule lists (or its first zone when the rule
    /// lists none).
    pub zone_id: Option<String>,
}

/// Why a rule did not match; the first condition that failed, for debug logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    Disabled,
    CameraNotListed,
    RiskBelowThreshold,
    OutsideSchedule,
    NoListedObjectType,
    BelowMinConfidence,
    ZoneNotEntered,
}

impl Mismatch {
    /// A short label for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::CameraNotListed => "camera_not_listed",
            Self::RiskBelowThreshold => "risk_below_threshold",
            Self::OutsideSchedule => "outside_schedule",
            Self::NoListedObjectType => "no_listed_object_type",
            Self::BelowMinConfidence => "below_min_confidence",
            Self::ZoneNotEntered => "zone_not_entered",
        }
    }
}

/// Checks every condition the rule sets; all must hold.
pub fn evaluate(rule: &AlertRule, facts: &EventFacts) -> Result<RuleMatch, Mismatch> {
    if let Some(first) = event_mismatches(rule, facts).first() {
        return Err(*first);
    }
    detection_match(rule, &facts.detections)
}

/// The conditions on the event itself (not on its detections) that fail, in the order
/// [`evaluate`] checks them.
pub(crate) fn event_mismatches(rule: &AlertRule, facts: &EventFacts) -> Vec<Mismatch> {
    let mut failed = Vec::new();
    if !rule.enabled {
        failed.push(Mismatch::Disabled);
    }
    if let Some(cameras) = &rule.camera_ids {
        if !cameras.contains(&facts.camera_id) {
            failed.push(Mismatch::CameraNotListed);
        }
    }
    if let Some(threshold) = rule.risk_threshold {
        if facts.risk_score < threshold {
            failed.push(Mismatch::RiskBelowThreshold);
        }
    }
    if let Some(schedule) = &rule.schedule {
        if !schedule.contains(facts.occurred_at) {
            failed.push(Mismatch::OutsideSchedule);
        }
    }
    failed
}

/// The detection conditions: the best qualifying detection, or the first of them to fail.
pub(crate) fn detection_match(
    rule: &AlertRule,
    detections: &[DetectionFact],
) -> Result<RuleMatch, Mismatch> {
    let best = best_detection(rule, detections)?;
    Ok(RuleMatch {
        object_type: best.map(|(detection, _)| detection.object_type.clone()),
        confidence: best.map(|(detection, _)| detection.confidence),
        zone_id: best.and_then(|(_, zone)| zone.map(str::to_owned)),
    })
}

/// Applies the detection conditions (object types, then confidence, then zones) and
/// returns the highest-confidence detection that passes them all, with its zone. A rule
/// that sets none of them matches even an event without detections.
fn best_detection<'a>(
    rule: &AlertRule,
    detections: &'a [DetectionFact],
) -> Result<Option<(&'a DetectionFact, Option<&'a str>)>, Mismatch> {
    let typed: Vec<&DetectionFact> = detections
        .iter()
        .filter(|detection| type_listed(rule, detection))
        .collect();
    if rule.object_types.is_some() && typed.is_empty() {
        return Err(Mismatch::NoListedObjectType);
    }
    let confident: Vec<&DetectionFact> = typed
        .into_iter()
        .filter(|detection| reaches_confidence(rule, detection))
        .collect();
    if rule.min_confidence.is_some() && confident.is_empty() {
        return Err(Mismatch::BelowMinConfidence);
    }
    let zoned: Vec<(&DetectionFact, Option<&str>)> = confident
        .into_iter()
        .filter_map(|detection| match &rule.zone_ids {
            None => Some((detection, detection.zone_ids.first().map(String::as_str))),
            Some(zones) => detection
                .zone_ids
                .iter()
                .find(|zone| zones.contains(zone))
                .map(|zone| (detection, Some(zone.as_str()))),
        })
        .collect();
    if rule.zone_ids.is_some() && zoned.is_empty() {
        return Err(Mismatch::ZoneNotEntered);
    }
    Ok(zoned
        .into_iter()
        .max_by(|(a, _), (b, _)| a.confidence.total_cmp(&b.confidence)))
}

/// Whether a detection reaches the rule's minimum confidence (NaN never does).
pub(crate) fn reaches_confidence(rule: &AlertRule, detection: &DetectionFact) -> bool {
    rule.min_confidence
        .is_none_or(|min| detection.confidence >= min)
}

pub(crate) fn type_listed(rule: &AlertRule, detection: &DetectionFact) -> bool {
    rule.object_types.as_ref().is_none_or(|types| {
        types
            .iter()
            .any(|listed| listed.eq_ignore_ascii_case(&detection.object_type))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::tests::model;
    use chrono::DateTime;
    use serde_json::json;

    fn detection(object_type: &str, confidence: f64, zones: &[&str]) -> DetectionFact {
        DetectionFact {
            object_type: object_type.to_owned(),
            confidence,
            zone_ids: zones.iter().map(|z| (*z).to_owned()).collect(),
        }
    }

    fn facts(detections: Vec<DetectionFact>) -> EventFacts {
        EventFacts {
            event_id: 1,
            camera_id: "front_door".to_owned(),
            risk_score: 70,
            risk_level: "high".to_owned(),
            object_types: vec!["person".to_owned(), "car".to_owned()],
            detections,
            // A Monday, 23:00 UTC.
            occurred_at: DateTime::parse_from_rfc3339("2026-11-23T23:00:00Z")
                .unwrap()
                .to_utc(),
        }
    }

    fn rule(edit: impl FnOnce(&mut hsi_db::entities::alert_rules::Model)) -> AlertRule {
        let mut row = model("test");
        edit(&mut row);
        AlertRule::from_model(&row).unwrap()
    }

    fn street() -> EventFacts {
        facts(vec![
            detection("person", 0.55, &["porch"]),
            detection("car", 0.92, &["driveway"]),
            detection("Person", 0.81, &["garden", "porch"]),
        ])
    }

    #[test]
    fn rule_without_conditions_matches_even_without_detections() {
        let r = rule(|_| {});
        assert!(evaluate(&r, &facts(vec![])).is_ok());
        let best = evaluate(&r, &street()).unwrap();
        assert_eq!(best.object_type.as_deref(), Some("car"));
        assert_eq!(best.zone_id.as_deref(), Some("driveway"));
    }

    #[test]
    fn disabled_rule_never_matches() {
        let r = rule(|r| r.enabled = false);
        assert_eq!(evaluate(&r, &street()), Err(Mismatch::Disabled));
    }

    #[test]
    fn camera_and_risk_threshold() {
        let other = rule(|r| r.camera_ids = Some(json!(["back_yard"])));
        assert_eq!(evaluate(&other, &street()), Err(Mismatch::CameraNotListed));
        let listed = rule(|r| r.camera_ids = Some(json!(["back_yard", "front_door"])));
        assert!(evaluate(&listed, &street()).is_ok());
        let high = rule(|r| r.risk_threshold = Some(71));
        assert_eq!(
            evaluate(&high, &street()),
            Err(Mismatch::RiskBelowThreshold)
        );
        let equal = rule(|r| r.risk_threshold = Some(70));
        assert!(evaluate(&equal, &street()).is_ok());
    }

    #[test]
    fn object_types_pick_the_best_listed_detection_case_insensitively() {
        let r = rule(|r| r.object_types = Some(json!(["PERSON"])));
        let best = evaluate(&r, &street()).unwrap();
        assert_eq!(best.object_type.as_deref(), Some("Person"));
        assert_eq!(best.confidence, Some(0.81));
        let dogs = rule(|r| r.object_types = Some(json!(["dog"])));
        assert_eq!(
            evaluate(&dogs, &street()),
            Err(Mismatch::NoListedObjectType)
        );
        assert_eq!(
            evaluate(&r, &facts(vec![])),
            Err(Mismatch::NoListedObjectType)
        );
    }

    #[test]
    fn min_confidence_applies_to_listed_types_only() {
        // The car reaches 0.9, but the rule is about people.
        let r = rule(|r| {
            r.object_types = Some(json!(["person"]));
            r.min_confidence = Some(0.9);
        });
        assert_eq!(evaluate(&r, &street()), Err(Mismatch::BelowMinConfidence));
        let lower = rule(|r| {
            r.object_types = Some(json!(["person"]));
            r.min_confidence = Some(0.8);
        });
        assert_eq!(evaluate(&lower, &street()).unwrap().confidence, Some(0.81));
    }

    #[test]
    fn min_confidence_without_types_applies_to_any_detection() {
        let r = rule(|r| r.min_confidence = Some(0.9));
        let best = evaluate(&r, &street()).unwrap();
        assert_eq!(best.object_type.as_deref(), Some("car"));
        let none = rule(|r| r.min_confidence = Some(0.95));
        assert_eq!(
            evaluate(&none, &street()),
            Err(Mismatch::BelowMinConfidence)
        );
        let nan = facts(vec![detection("person", f64::NAN, &[])]);
        assert_eq!(
            evaluate(&rule(|r| r.min_confidence = Some(0.0)), &nan),
            Err(Mismatch::BelowMinConfidence)
        );
    }

    #[test]
    fn zones_must_be_entered_by_a_qualifying_detection() {
        let porch = rule(|r| r.zone_ids = Some(json!(["porch"])));
        let best = evaluate(&porch, &street()).unwrap();
        assert_eq!(best.zone_id.as_deref(), Some("porch"));
        assert_eq!(best.confidence, Some(0.81), "the better porch detection");
        let pool = rule(|r| r.zone_ids = Some(json!(["pool"])));
        assert_eq!(evaluate(&pool, &street()), Err(Mismatch::ZoneNotEntered));
        // A car is in the driveway, but no person is.
        let person_driveway = rule(|r| {
            r.zone_ids = Some(json!(["driveway"]));
            r.object_types = Some(json!(["person"]));
        });
        assert_eq!(
            evaluate(&person_driveway, &street()),
            Err(Mismatch::ZoneNotEntered)
        );
        // The confident person is in the porch; the unconfident one does not count.
        let confident_porch = rule(|r| {
            r.zone_ids = Some(json!(["porch"]));
            r.min_confidence = Some(0.8);
        });
        let best = evaluate(&confident_porch, &street()).unwrap();
        assert_eq!(best.confidence, Some(0.81));
        let confident_garden_only = rule(|r| {
            r.zone_ids = Some(json!(["porch"]));
            r.object_types = Some(json!(["person"]));
            r.min_confidence = Some(0.9);
        });
        assert_eq!(
            evaluate(&confident_garden_only, &street()),
            Err(Mismatch::BelowMinConfidence)
        );
    }

    #[test]
    fn schedule_is_checked_at_the_event_time() {
        let nights = rule(|r| {
            r.schedule =
                Some(json!({"days": ["monday"], "start_time": "22:00", "end_time": "06:00"}))
        });
        assert!(evaluate(&nights, &street()).is_ok());
        let days = rule(|r| r.schedule = Some(json!({"start_time": "08:00", "end_time": "18:00"})));
        assert_eq!(evaluate(&days, &street()), Err(Mismatch::OutsideSchedule));
    }

    #[test]
    fn every_set_condition_must_hold() {
        let r = rule(|r| {
            r.camera_ids = Some(json!(["front_door"]));
            r.risk_threshold = Some(60);
            r.object_types = Some(json!(["person", "car"]));
            r.zone_ids = Some(json!(["porch", "driveway"]));
            r.min_confidence = Some(0.5);
            r.schedule = Some(json!({"days": ["mon"], "timezone": "Europe/London"}));
        });
        let best = evaluate(&r, &street()).unwrap();
        assert_eq!(best.object_type.as_deref(), Some("car"));
        assert_eq!(best.zone_id.as_deref(), Some("driveway"));
    }
}
