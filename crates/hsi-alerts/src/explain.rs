//! Why a rule would or would not fire: every condition an event fails, in words, and a
//! replay of a rule over past events with its cooldown. The matching itself is
//! [`evaluate`](crate::evaluate())'s, so the answer is what the engine would decide.

use crate::evaluate::{detection_match, event_mismatches, reaches_confidence, type_listed};
use crate::evaluate::{Mismatch, RuleMatch};
use crate::facts::EventFacts;
use crate::rule::AlertRule;
use crate::template::{render_dedup_key, TemplateValues};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

/// One condition an event did not meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub condition: Mismatch,
    /// What was expected and what the event had, for people.
    pub message: String,
}

/// The match, or every condition of `rule` that `facts` fail, in the order the engine
/// checks them (the first is the one [`evaluate`](crate::evaluate()) reports). The
/// detection conditions (object types, then confidence, then zones) are each checked
/// among the detections that passed the ones before, so only the first of them to fail
/// is named.
pub fn explain(rule: &AlertRule, facts: &EventFacts) -> Result<RuleMatch, Vec<Failure>> {
    let mut failures: Vec<Failure> = event_mismatches(rule, facts)
        .into_iter()
        .map(|condition| describe(condition, rule, facts))
        .collect();
    match detection_match(rule, &facts.detections) {
        Ok(matched) if failures.is_empty() => Ok(matched),
        Ok(_) => Err(failures),
        Err(condition) => {
            failures.push(describe(condition, rule, facts));
            Err(failures)
        }
    }
}

/// The dedup key of the alert `rule` raises for a match, as the engine renders it.
pub fn alert_dedup_key(rule: &AlertRule, facts: &EventFacts, matched: &RuleMatch) -> String {
    let rule_id = rule.id.to_string();
    let values = TemplateValues {
        camera_id: &facts.camera_id,
        rule_id: &rule_id,
        object_type: matched.object_type.as_deref().unwrap_or_default(),
        zone_id: matched.zone_id.as_deref().unwrap_or_default(),
        severity: rule.severity.as_str(),
    };
    render_dedup_key(&rule.dedup_key_template, &values)
}

/// What a rule would have done for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub event_id: i32,
    /// The match, or every condition the event failed (see [`explain`]).
    pub outcome: Result<RuleMatch, Vec<Failure>>,
    /// The dedup key the alert would have had (matches only).
    pub dedup_key: Option<String>,
    /// The earlier event whose alert would still have held the cooldown of that key.
    pub suppressed_by: Option<i32>,
}

impl Verdict {
    /// Whether an alert would have been raised.
    pub fn would_fire(&self) -> bool {
        self.outcome.is_ok() && self.suppressed_by.is_none()
    }
}

/// Replays `rule` over `events` in the order they happened (ties by event id): each
/// match renders its dedup key, and a match whose key raised an alert less than the
/// rule's cooldown earlier is suppressed. As in the engine, only a raised alert holds a
/// cooldown; unlike the engine, which compares the times alerts were recorded, the
/// replay compares the times the events happened. Verdicts come back in the order of
/// `events`.
pub fn replay(rule: &AlertRule, events: &[EventFacts]) -> Vec<Verdict> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].occurred_at, events[i].event_id));
    let cooldown = chrono::Duration::from_std(rule.cooldown).unwrap_or(chrono::Duration::MAX);
    let mut holders: HashMap<String, (DateTime<Utc>, i32)> = HashMap::new();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; events.len()];
    for i in order {
        let facts = &events[i];
        let outcome = explain(rule, facts);
        let dedup_key = outcome
            .as_ref()
            .ok()
            .map(|matched| alert_dedup_key(rule, facts, matched));
        let mut suppressed_by = None;
        if let Some(key) = &dedup_key {
            let held = holders.get(key).filter(|(at, _)| {
                !rule.cooldown.is_zero() && facts.occurred_at.signed_duration_since(*at) < cooldown
            });
            match held {
                Some((_, holder)) => suppressed_by = Some(*holder),
                None => {
                    holders.insert(key.clone(), (facts.occurred_at, facts.event_id));
                }
            }
        }
        verdicts[i] = Some(Verdict {
            event_id: facts.event_id,
            outcome,
            dedup_key,
            suppressed_by,
        });
    }
    verdicts.into_iter().flatten().collect()
}

fn describe(condition: Mismatch, rule: &AlertRule, facts: &EventFacts) -> Failure {
    let message = match condition {
        Mismatch::Disabled => "the rule is disabled".to_owned(),
        Mismatch::CameraNotListed => format!(
            "camera {:?} is not one of the rule's cameras ({})",
            facts.camera_id,
            listing(rule.camera_ids.as_deref())
        ),
        Mismatch::RiskBelowThreshold => format!(
            "risk score {} is below the rule's threshold {}",
            facts.risk_score,
            rule.risk_threshold.unwrap_or_default()
        ),
        Mismatch::OutsideSchedule => match &rule.schedule {
            Some(schedule) => format!(
                "{} is outside the schedule ({})",
                schedule.local_time(facts.occurred_at),
                schedule.describe()
            ),
            None => "outside the schedule".to_owned(),
        },
        Mismatch::NoListedObjectType => {
            let seen: BTreeSet<String> = facts
                .detections
                .iter()
                .map(|d| d.object_type.to_ascii_lowercase())
                .collect();
            format!(
                "no detection is of the rule's object types ({}); the event saw {}",
                listing(rule.object_types.as_deref()),
                if seen.is_empty() {
                    "no detections".to_owned()
                } else {
                    seen.into_iter().collect::<Vec<_>>().join(", ")
                }
            )
        }
        Mismatch::BelowMinConfidence => {
            let best = facts
                .detections
                .iter()
                .filter(|d| type_listed(rule, d) && !d.confidence.is_nan())
                .map(|d| d.confidence)
                .fold(None, |best: Option<f64>, c| {
                    Some(best.map_or(c, |b| b.max(c)))
                });
            let which = if rule.object_types.is_some() {
                "detection of the rule's object types"
            } else {
                "detection"
            };
            format!(
                "no {which} reaches the minimum confidence {:.2}{}",
                rule.min_confidence.unwrap_or_default(),
                best.map_or_else(String::new, |b| format!(" (the best had {b:.2})"))
            )
        }
        Mismatch::ZoneNotEntered => {
            let entered: BTreeSet<&str> = facts
                .detections
                .iter()
                .filter(|d| type_listed(rule, d) && reaches_confidence(rule, d))
                .flat_map(|d| d.zone_ids.iter().map(String::as_str))
                .collect();
            format!(
                "no qualifying detection is in the rule's zones ({}); {}",
                listing(rule.zone_ids.as_deref()),
                if entered.is_empty() {
                    "they were in no zone".to_owned()
                } else {
                    format!(
                        "they were in {}",
                        entered.into_iter().collect::<Vec<_>>().join(", ")
                    )
                }
            )
        }
    };
    Failure { condition, message }
}

fn listing(items: Option<&[String]>) -> String {
    items.map_or_else(|| "any".to_owned(), |items| items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::evaluate;
    use crate::facts::DetectionFact;
    use crate::rule::tests::model;
    use hsi_db::entities::alert_rules;
    use serde_json::json;

    fn rule(edit: impl FnOnce(&mut alert_rules::Model)) -> AlertRule {
        let mut row = model("test");
        edit(&mut row);
        AlertRule::from_model(&row).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn event(
        id: i32,
        camera: &str,
        risk: i32,
        when: &str,
        detections: &[(&str, f64, &[&str])],
    ) -> EventFacts {
        EventFacts {
            event_id: id,
            camera_id: camera.to_owned(),
            risk_score: risk,
            risk_level: String::new(),
            object_types: Vec::new(),
            detections: detections
                .iter()
                .map(|(object, confidence, zones)| DetectionFact {
                    object_type: (*object).to_owned(),
                    confidence: *confidence,
                    zone_ids: zones.iter().map(|z| (*z).to_owned()).collect(),
                })
                .collect(),
            occurred_at: at(when),
        }
    }

    fn conditions(result: &Result<RuleMatch, Vec<Failure>>) -> Vec<Mismatch> {
        match result {
            Ok(_) => Vec::new(),
            Err(failures) => failures.iter().map(|f| f.condition).collect(),
        }
    }

    #[test]
    fn every_failed_condition_is_named_with_what_the_event_had() {
        let r = rule(|r| {
            r.enabled = false;
            r.camera_ids = Some(json!(["back_yard"]));
            r.risk_threshold = Some(80);
            r.schedule =
                Some(json!({"days": ["tuesday"], "start_time": "08:00", "end_time": "18:00"}));
            r.object_types = Some(json!(["dog"]));
        });
        // A Monday, 23:00 UTC.
        let facts = event(
            7,
            "front_door",
            40,
            "2026-11-23T23:00:00Z",
            &[("person", 0.9, &["porch"])],
        );
        let failures = explain(&r, &facts).unwrap_err();
        let names: Vec<&str> = failures.iter().map(|f| f.condition.as_str()).collect();
        assert_eq!(
            names,
            [
                "disabled",
                "camera_not_listed",
                "risk_below_threshold",
                "outside_schedule",
                "no_listed_object_type"
            ]
        );
        assert!(
            failures[1].message.contains("\"front_door\"")
                && failures[1].message.contains("back_yard")
        );
        assert!(failures[2].message.contains("40") && failures[2].message.contains("80"));
        assert!(
            failures[3].message.contains("monday 23:00")
                && failures[3].message.contains("tuesday 08:00-18:00 UTC"),
            "{}",
            failures[3].message
        );
        assert!(failures[4].message.contains("dog") && failures[4].message.contains("person"));
    }

    #[test]
    fn confidence_and_zone_failures_say_what_was_seen() {
        let facts = event(
            1,
            "cam",
            50,
            "2026-11-23T12:00:00Z",
            &[("person", 0.55, &["porch"]), ("car", 0.9, &["driveway"])],
        );
        let unsure = rule(|r| {
            r.object_types = Some(json!(["person"]));
            r.min_confidence = Some(0.8);
        });
        let failures = explain(&unsure, &facts).unwrap_err();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].condition, Mismatch::BelowMinConfidence);
        assert!(
            failures[0].message.contains("0.80") && failures[0].message.contains("0.55"),
            "{}",
            failures[0].message
        );
        let pool = rule(|r| r.zone_ids = Some(json!(["pool"])));
        let failures = explain(&pool, &facts).unwrap_err();
        assert_eq!(failures[0].condition, Mismatch::ZoneNotEntered);
        assert!(
            failures[0].message.contains("pool") && failures[0].message.contains("driveway, porch")
        );
    }

    #[test]
    fn explain_agrees_with_evaluate() {
        let detections: [&[(&str, f64, &[&str])]; 3] = [
            &[],
            &[("person", 0.55, &["porch"]), ("car", 0.92, &["driveway"])],
            &[("dog", 0.3, &[])],
        ];
        type Edit = Box<dyn Fn(&mut alert_rules::Model)>;
        let edits: Vec<Edit> = vec![
            Box::new(|_| {}),
            Box::new(|r| r.enabled = false),
            Box::new(|r| r.camera_ids = Some(json!(["cam"]))),
            Box::new(|r| r.risk_threshold = Some(60)),
            Box::new(|r| r.schedule = Some(json!({"start_time": "08:00", "end_time": "18:00"}))),
            Box::new(|r| r.object_types = Some(json!(["person"]))),
            Box::new(|r| r.min_confidence = Some(0.9)),
            Box::new(|r| r.zone_ids = Some(json!(["porch"]))),
            Box::new(|r| {
                r.object_types = Some(json!(["person", "dog"]));
                r.min_confidence = Some(0.5);
                r.zone_ids = Some(json!(["porch"]));
                r.risk_threshold = Some(30);
            }),
        ];
        for edit in &edits {
            let r = rule(edit);
            for (camera, risk, when) in [
                ("cam", 70, "2026-11-23T12:00:00Z"),
                ("other", 20, "2026-11-23T23:00:00Z"),
            ] {
                for found in detections {
                    let facts = event(1, camera, risk, when, found);
                    let explained = explain(&r, &facts);
                    match evaluate(&r, &facts) {
                        Ok(matched) => assert_eq!(explained, Ok(matched)),
                        Err(first) => assert_eq!(conditions(&explained).first(), Some(&first)),
                    }
                }
            }
        }
    }

    #[test]
    fn replay_applies_the_cooldown_to_raised_alerts_only() {
        let r = rule(|r| {
            r.cooldown_seconds = 600;
            r.risk_threshold = Some(50);
        });
        let person: &[(&str, f64, &[&str])] = &[("person", 0.9, &[])];
        let events = [
            // Given newest first, as a list of events is read.
            event(5, "cam", 90, "2026-11-23T12:30:00Z", person),
            event(4, "other", 90, "2026-11-23T12:08:00Z", person),
            event(3, "cam", 90, "2026-11-23T12:09:59Z", person),
            event(2, "cam", 10, "2026-11-23T12:05:00Z", person),
            event(1, "cam", 90, "2026-11-23T12:00:00Z", person),
        ];
        let verdicts = replay(&r, &events);
        let ids: Vec<i32> = verdicts.iter().map(|v| v.event_id).collect();
        assert_eq!(ids, [5, 4, 3, 2, 1], "in the order given");
        let fired: Vec<bool> = verdicts.iter().map(Verdict::would_fire).collect();
        assert_eq!(fired, [true, true, false, false, true]);
        assert_eq!(verdicts[2].suppressed_by, Some(1));
        assert!(
            verdicts[2].outcome.is_ok(),
            "it matched, the cooldown held it"
        );
        assert_eq!(verdicts[3].dedup_key, None, "no match, no key");
        assert_eq!(
            verdicts[1].dedup_key.as_deref(),
            Some(format!("other:{}", r.id).as_str())
        );
    }

    #[test]
    fn zero_cooldown_never_suppresses() {
        let r = rule(|r| r.cooldown_seconds = 0);
        let events = [
            event(1, "cam", 90, "2026-11-23T12:00:00Z", &[]),
            event(2, "cam", 90, "2026-11-23T12:00:00Z", &[]),
        ];
        assert!(replay(&r, &events).iter().all(Verdict::would_fire));
    }
}
