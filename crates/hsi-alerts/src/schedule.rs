//! When a rule is active: days of the week and a time-of-day window in an IANA zone.
//!
//! The window is read on the local wall clock of the rule's zone. Only UTC instants are
//! ever converted to local time, which is always defined, so daylight-saving changes
//! cannot make evaluation fail: in a spring-forward gap the skipped local times simply
//! never occur (a window that lies wholly inside the gap does not fire that day), and in
//! a fall-back overlap the repeated local times occur twice and match both times.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

/// A rule's `schedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Days on which a window may begin; `None` means every day.
    pub days: Option<Vec<Weekday>>,
    /// `(start, end)` local times; `None`, or `start == end`, means all day. When
    /// `start > end` the window runs overnight into the next day.
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub timezone: Tz,
}

/// A problem with one key of a JSON field: the key's path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldProblem {
    pub key: String,
    pub message: String,
}

impl FieldProblem {
    pub(crate) fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    days: Option<Vec<String>>,
    start_time: Option<String>,
    end_time: Option<String>,
    timezone: Option<String>,
}

impl Schedule {
    /// Parses the JSON object stored in `alert_rules.schedule`; unknown keys are refused
    /// so that a misspelt key cannot silently widen the schedule.
    pub(crate) fn parse(value: &Value) -> Result<Self, FieldProblem> {
        let raw = RawSchedule::deserialize(value)
            .map_err(|err| FieldProblem::new("schedule", err.to_string()))?;
        let days = match raw.days {
            // An empty list is treated like an absent one: no restriction.
            Some(names) if !names.is_empty() => Some(
                names
                    .iter()
                    .map(|name| parse_day(name))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => None,
        };
        let window = match (raw.start_time, raw.end_time) {
            (None, None) => None,
            (Some(start), Some(end)) => Some((
                parse_time("schedule.start_time", &start)?,
                parse_time("schedule.end_time", &end)?,
            )),
            (Some(_), None) => return Err(FieldProblem::new("schedule.end_time", "missing")),
            (None, Some(_)) => return Err(FieldProblem::new("schedule.start_time", "missing")),
        };
        let timezone = match raw.timezone {
            None => Tz::UTC,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                FieldProblem::new(
                    "schedule.timezone",
                    format!("{name:?} is not an IANA time zone"),
                )
            })?,
        };
        Ok(Self {
            days,
            window,
            timezone,
        })
    }

    /// Whether the schedule is active at `at`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.timezone);
        let Some(window_day) = self.window_day(local.weekday(), local.time()) else {
            return false;
        };
        self.days
            .as_ref()
            .is_none_or(|days| days.contains(&window_day))
    }

    /// The schedule in words ("monday, friday 22:00-06:00 Europe/London"), for people.
    pub fn describe(&self) -> String {
        let days = match &self.days {
            None => "every day".to_owned(),
            Some(days) => days
                .iter()
                .map(|day| day_name(*day))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let window = match self.window {
            Some((start, end)) if start != end => {
                format!("{}-{}", short_time(start), short_time(end))
            }
            _ => "all day".to_owned(),
        };
        format!("{days} {window} {}", self.timezone.name())
    }

    /// `at` on the schedule's clock ("sunday 23:30"), for people.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.timezone);
        format!("{} {}", day_name(local.weekday()), short_time(local.time()))
    }

    /// The day on which the window containing `time` began, or `None` outside the
    /// window. An overnight window (22:00-06:00) belongs to the day it began on, so
    /// Tuesday 02:00 counts as Monday's window: a rule for "monday nights" covers it.
    fn window_day(&self, weekday: Weekday, time: NaiveTime) -> Option<Weekday> {
        let Some((start, end)) = self.window else {
            return Some(weekday);
        };
        if start == end {
            Some(weekday)
        } else if start < end {
            (start <= time && time < end).then_some(weekday)
        } else if time >= start {
            Some(weekday)
        } else if time < end {
            Some(weekday.pred())
        } else {
            None
        }
    }
}

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// HH:MM, or HH:MM:SS when the seconds are not zero.
fn short_time(time: NaiveTime) -> String {
    if time.second() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

fn parse_day(name: &str) -> Result<Weekday, FieldProblem> {
    let day = match name.trim().to_ascii_lowercase().as_str() {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => {
            return Err(FieldProblem::new(
                "schedule.days",
                format!("{name:?} is not a day of the week (monday..sunday or mon..sun)"),
            ))
        }
    };
    Ok(day)
}

fn parse_time(key: &str, text: &str) -> Result<NaiveTime, FieldProblem> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| FieldProblem::new(key, format!("{text:?} is not a time of day (HH:MM)")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schedule(value: Value) -> Schedule {
        Schedule::parse(&value).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    // 2026-11-23 is a Monday.
    #[test]
    fn same_day_window_includes_start_and_excludes_end() {
        let s = schedule(json!({"start_time": "09:00", "end_time": "17:00"}));
        assert!(!s.contains(utc("2026-11-23T08:59:59Z")));
        assert!(s.contains(utc("2026-11-23T09:00:00Z")));
        assert!(s.contains(utc("2026-11-23T16:59:59Z")));
        assert!(!s.contains(utc("2026-11-23T17:00:00Z")));
    }

    #[test]
    fn overnight_window_belongs_to_the_day_it_began() {
        let s = schedule(json!({"days": ["monday"], "start_time": "22:00", "end_time": "06:00"}));
        assert!(s.contains(utc("2026-11-23T23:00:00Z")), "monday 23:00");
        assert!(s.contains(utc("2026-11-24T02:00:00Z")), "tuesday 02:00");
        assert!(!s.contains(utc("2026-11-24T06:00:00Z")), "tuesday 06:00");
        assert!(!s.contains(utc("2026-11-24T23:00:00Z")), "tuesday 23:00");
        assert!(
            !s.contains(utc("2026-11-23T02:00:00Z")),
            "monday 02:00 is sunday's"
        );
        assert!(!s.contains(utc("2026-11-23T12:00:00Z")), "monday noon");
    }

    #[test]
    fn equal_start_and_end_or_no_times_mean_all_day() {
        let equal = schedule(json!({"start_time": "00:00", "end_time": "00:00", "days": ["sat"]}));
        let none = schedule(json!({"days": ["saturday"]}));
        for s in [equal, none] {
            assert!(s.contains(utc("2026-11-28T00:00:00Z")));
            assert!(s.contains(utc("2026-11-28T23:59:59Z")));
            assert!(!s.contains(utc("2026-11-27T23:59:59Z")));
        }
    }

    #[test]
    fn days_accept_long_and_short_names() {
        let s = schedule(json!({"days": ["Mon", "wednesday", "FRI", "sun"]}));
        let expected = [Weekday::Mon, Weekday::Wed, Weekday::Fri, Weekday::Sun];
        assert_eq!(s.days.as_deref(), Some(&expected[..]));
        assert!(schedule(json!({"days": []})).days.is_none());
    }

    #[test]
    fn window_is_read_in_the_rule_time_zone() {
        let s = schedule(json!({
            "days": ["monday"], "start_time": "09:00", "end_time": "10:00",
            "timezone": "America/New_York"
        }));
        // 09:30 in New York (EST, UTC-5) is 14:30 UTC.
        assert!(s.contains(utc("2026-11-23T14:30:00Z")));
        assert!(!s.contains(utc("2026-11-23T09:30:00Z")));
        // Monday 02:00 UTC is still Sunday evening in New York.
        let sunday = schedule(json!({"days": ["sunday"], "timezone": "America/New_York"}));
        assert!(sunday.contains(utc("2026-11-23T02:00:00Z")));
    }

    #[test]
    fn spring_forward_gap_never_matches_and_does_not_panic() {
        // Europe/London skips 01:00-02:00 local on 2026-03-29 (01:00 UTC).
        let s = schedule(json!({
            "start_time": "01:00", "end_time": "02:00", "timezone": "Europe/London"
        }));
        for minute in 0..180 {
            let at = utc("2026-03-28T23:00:00Z") + chrono::Duration::minutes(minute);
            assert!(!s.contains(at), "{at} is not inside the skipped hour");
        }
        assert!(
            s.contains(utc("2026-03-30T00:30:00Z")),
            "the next day it is BST 01:30"
        );
    }

    #[test]
    fn fall_back_overlap_matches_both_times() {
        // Europe/London repeats 01:00-02:00 local on 2026-10-25.
        let s = schedule(json!({
            "start_time": "01:00", "end_time": "02:00", "timezone": "Europe/London"
        }));
        assert!(s.contains(utc("2026-10-25T00:30:00Z")), "01:30 BST");
        assert!(s.contains(utc("2026-10-25T01:30:00Z")), "01:30 GMT");
        assert!(!s.contains(utc("2026-10-25T02:00:00Z")), "02:00 GMT");
    }

    #[test]
    fn overnight_window_across_dst_change() {
        let s = schedule(json!({
            "days": ["saturday"], "start_time": "22:00", "end_time": "06:00",
            "timezone": "Europe/London"
        }));
        // Saturday night into Sunday 2026-03-29: 05:30 BST is 04:30 UTC.
        assert!(s.contains(utc("2026-03-29T04:30:00Z")));
        assert!(!s.contains(utc("2026-03-29T05:30:00Z")), "06:30 BST");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (json!({"days": ["funday"]}), "schedule.days", "funday"),
            (
                json!({"start_time": "25:00", "end_time": "06:00"}),
                "schedule.start_time",
                "25:00",
            ),
            (
                json!({"start_time": "22:00"}),
                "schedule.end_time",
                "missing",
            ),
            (
                json!({"timezone": "Mars/Olympus"}),
                "schedule.timezone",
                "Mars/Olympus",
            ),
            (json!({"start": "22:00"}), "schedule", "start"),
            (json!(["monday"]), "schedule", ""),
        ];
        for (value, key, mentions) in cases {
            let problem = Schedule::parse(&value).unwrap_err();
            assert_eq!(problem.key, key, "{value}");
            assert!(problem.message.contains(mentions), "{problem:?}");
        }
    }

    #[test]
    fn schedules_describe_themselves() {
        let s = schedule(json!({
            "days": ["mon", "friday"], "start_time": "22:00", "end_time": "06:00:30",
            "timezone": "Europe/London"
        }));
        assert_eq!(s.describe(), "monday, friday 22:00-06:00:30 Europe/London");
        assert_eq!(schedule(json!({})).describe(), "every day all day UTC");
        // 2026-11-23T23:30Z is a Monday, in London too (GMT).
        assert_eq!(s.local_time(utc("2026-11-23T23:30:00Z")), "monday 23:30");
    }

    #[test]
    fn seconds_are_accepted_and_default_zone_is_utc() {
        let s = schedule(json!({"start_time": "06:30:15", "end_time": "07:00"}));
        assert_eq!(s.timezone, Tz::UTC);
        assert!(!s.contains(utc("2026-11-23T06:30:14Z")));
        assert!(s.contains(utc("2026-11-23T06:30:15Z")));
    }
}
