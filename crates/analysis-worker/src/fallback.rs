//! The rule-based scorer that judges when no valid LLM answer comes.
//!
//! It is deliberately simple and explainable; every point it gives is written into the
//! reasoning. The score is the sum of:
//!
//! | factor | points |
//! | --- | --- |
//! | the most worrying object: person 30, motorcycle/car/truck/bus 15, bicycle 10, dog/cat/bird 5, other 5 | 5-30 |
//! | the most sensitive zone entered: entry point +20, driveway +10, yard +5, sidewalk/other 0 | 0-20 |
//! | night (22:00-06:00 local time) with a person or vehicle present | +15 |
//! | activity far above this hour's baseline: z >= 3 +15, z >= 2 +10; at or below usual -5 | -5..+15 |
//! | people seen on other cameras in the last minutes (movement between cameras) | +10 |
//! | three or more people | +5 |
//! | the best detection is doubtful (confidence < 0.5) | -10 |
//!
//! clamped to 0-100. A lone person at the front door at night scores 30 + 20 + 15 = 65
//! (high); a cat in the yard at noon 5 + 5 = 10 (low).

use crate::context::Context;
use chrono::Timelike;

/// A judgement with the reasons that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleJudgement {
    pub score: i64,
    pub summary: String,
    pub reasoning: String,
}

fn object_points(object: &str) -> i64 {
    match object {
        "person" => 30,
        "motorcycle" | "car" | "truck" | "bus" => 15,
        "bicycle" => 10,
        _ => 5,
    }
}

fn zone_points(zone_type: &str) -> i64 {
    match zone_type {
        "entry_point" => 20,
        "driveway" => 10,
        "yard" => 5,
        _ => 0,
    }
}

/// Scores a batch from its context; `timezone` decides what night means.
pub fn score(context: &Context, timezone: chrono_tz::Tz) -> RuleJudgement {
    let mut reasons = Vec::new();
    let mut total = 0_i64;
    let mut add = |points: i64, why: String| {
        total += points;
        reasons.push(format!("{points:+} {why}"));
    };

    let top = context
        .detections
        .iter()
        .max_by_key(|d| object_points(&d.object));
    if let Some(top) = top {
        add(
            object_points(&top.object),
            format!("{} detected", top.object),
        );
    }
    if let Some(zone) = context
        .detections
        .iter()
        .flat_map(|d| &d.zones)
        .max_by_key(|z| zone_points(&z.zone_type))
    {
        let points = zone_points(&zone.zone_type);
        if points > 0 {
            add(
                points,
                format!(
                    "in zone {} ({})",
                    zone.name,
                    zone.zone_type.replace('_', " ")
                ),
            );
        }
    }
    let hour = context.started_at.with_timezone(&timezone).hour();
    let worrying = context
        .detections
        .iter()
        .any(|d| object_points(&d.object) >= 15);
    if !(6..22).contains(&hour) && worrying {
        add(15, format!("at night ({hour:02}:00 local time)"));
    }
    if let Some(z) = context.unusualness.as_ref().and_then(|u| u.z_score) {
        match z {
            z if z >= 3.0 => add(
                15,
                format!("activity far above usual for this hour (z = {z:.1})"),
            ),
            z if z >= 2.0 => add(
                10,
                format!("activity above usual for this hour (z = {z:.1})"),
            ),
            z if z <= 0.0 => add(
                -5,
                format!("activity as usual or less for this hour (z = {z:.1})"),
            ),
            _ => {}
        }
    }
    let people_elsewhere: i64 = context
        .other_cameras
        .iter()
        .filter_map(|c| c.objects.get("person"))
        .sum();
    if people_elsewhere > 0 {
        add(
            10,
            format!("{people_elsewhere} person detection(s) on other cameras just before"),
        );
    }
    let people = context
        .detections
        .iter()
        .filter(|d| d.object == "person")
        .count();
    if people >= 3 {
        add(5, format!("{people} person detections"));
    }
    let best = context
        .detections
        .iter()
        .map(|d| d.confidence)
        .fold(0.0_f64, f64::max);
    if best < 0.5 {
        add(
            -10,
            format!("the detections are doubtful (best confidence {best:.2})"),
        );
    }

    let score = total.clamp(0, 100);
    let objects = context.object_types().join(", ");
    let summary = match context.detections.iter().flat_map(|d| &d.zones).next() {
        Some(zone) => format!(
            "{objects} seen by {} in {}.",
            context.camera_name, zone.name
        ),
        None => format!("{objects} seen by {}.", context.camera_name),
    };
    RuleJudgement {
        score,
        summary,
        reasoning: format!(
            "Rule-based score {score} (no LLM judgement): {}.",
            reasons.join("; ")
        ),
    }
}
