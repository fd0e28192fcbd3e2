//! How much activity is normal: exponentially weighted estimates of an hourly detection
//! count and of its variance.
//!
//! A baseline slot is a camera's hour of the week (activity) or a camera's class at an
//! hour of the day (class). It recurs every `period` (a week or a day), and each
//! occurrence has a count `x`: the detections in that hour, zero included. The count is
//! folded into a mean `m` and a variance `v` with the weight
//!
//! ```text
//! α = 1 − exp(−period / τ),   τ = 30 days (the horizon)
//!
//! d = x − m
//! m ← m + α·d
//! v ← (1 − α)·(v + α·d²)
//! ```
//!
//! which is the exponentially weighted mean and variance of Welford/West form: an
//! occurrence `t` old weighs `exp(−t/τ)` relative to the newest, so after a month an
//! observation counts for `1/e` of a new one and seasonal drift is followed. The first
//! occurrence seeds `m = x`, `v = 0`.
//!
//! Hours with no detections are observations of zero, not gaps: a slot last folded `n`
//! periods ago gets the `n − 1` occurrences in between folded as zeros first. (The
//! seed system instead nudged a number towards 1.0 on every detection, which measures
//! neither a rate nor how unusual a count is.)
//!
//! How unusual an observed count is: `z = (x − m) / max(√v, σ_min)`, where `σ_min`
//! keeps a slot that has always seen the same count from calling any change infinitely
//! unusual; and only once the slot has `MIN_SAMPLES` occurrences.

use std::time::Duration;

/// How far back the estimates look: an observation this old weighs `1/e`.
pub const HORIZON: Duration = Duration::from_secs(30 * 24 * 3600);
/// The period of an activity slot (hour of the week).
pub const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
/// The period of a class slot (hour of the day).
pub const DAY: Duration = Duration::from_secs(24 * 3600);
/// Occurrences needed before a z-score is given.
pub const MIN_SAMPLES: u32 = 3;
/// Smallest standard deviation used for a z-score, in detections per hour.
pub const MIN_STD_DEV: f64 = 0.5;
/// More zero occurrences than this decay the estimate to nothing anyway (0.79^200 ≈ 0).
const MAX_ZERO_FOLDS: u32 = 200;

/// The weight of the newest occurrence of a slot recurring every `period`.
pub fn alpha(period: Duration) -> f64 {
    1.0 - (-period.as_secs_f64() / HORIZON.as_secs_f64()).exp()
}

/// An estimate of a slot's hourly count.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateEstimate {
    pub mean: f64,
    pub variance: f64,
    /// Occurrences folded in so far (zeros included).
    pub samples: u32,
}

impl RateEstimate {
    /// Folds in one occurrence's count.
    pub fn fold(&mut self, count: f64, alpha: f64) {
        if self.samples == 0 {
            self.mean = count;
            self.variance = 0.0;
        } else {
            let delta = count - self.mean;
            self.mean += alpha * delta;
            self.variance = (1.0 - alpha) * (self.variance + alpha * delta * delta);
        }
        self.samples = self.samples.saturating_add(1);
    }

    /// Folds in `missed` zero occurrences (hours that passed with no detections), then
    /// one occurrence with `count`.
    pub fn fold_after_gap(&mut self, count: f64, alpha: f64, missed: u32) {
        if self.samples > 0 {
            for _ in 0..missed.min(MAX_ZERO_FOLDS) {
                self.fold(0.0, alpha);
            }
            self.samples = self
                .samples
                .saturating_add(missed.saturating_sub(MAX_ZERO_FOLDS));
        }
        self.fold(count, alpha);
    }

    /// The estimate as of an occurrence `missed` periods after the last one folded, had
    /// those occurrences been counted (as zeros); for readers who do not write.
    pub fn with_missed_zeros(mut self, alpha: f64, missed: u32) -> Self {
        if self.samples > 0 {
            for _ in 0..missed.min(MAX_ZERO_FOLDS) {
                self.fold(0.0, alpha);
            }
        }
        self
    }

    /// How many standard deviations `observed` lies from the mean; `None` until the
    /// slot has enough history to say.
    pub fn z_score(&self, observed: f64) -> Option<f64> {
        (self.samples >= MIN_SAMPLES)
            .then(|| (observed - self.mean) / self.variance.sqrt().max(MIN_STD_DEV))
    }
}

/// The estimate a slot would have `now` (seconds since the epoch) if nothing more was
/// seen in it: the stored estimate with one zero folded per occurrence of the slot that
/// has ended since the hour starting at `last_bucket_secs` was folded. For readers of the
/// baseline tables, which are only updated when a slot sees activity.
pub fn expected_now(
    estimate: RateEstimate,
    last_bucket_secs: Option<i64>,
    now_secs: i64,
    period: Duration,
) -> RateEstimate {
    let Some(last) = last_bucket_secs else {
        return estimate;
    };
    let period_secs = i64::try_from(period.as_secs()).unwrap_or(i64::MAX).max(1);
    // Occurrence k (k >= 1) starts at last + k·period and has ended an hour later.
    let since = now_secs - last - 3600;
    let ended = u32::try_from(since.div_euclid(period_secs).max(0)).unwrap_or(u32::MAX);
    estimate.with_missed_zeros(alpha(period), ended)
}

/// Whole periods between two occurrences of a slot (1 for consecutive ones).
pub fn periods_between(earlier_secs: i64, later_secs: i64, period: Duration) -> u32 {
    let span = later_secs.saturating_sub(earlier_secs).max(0) as f64;
    (span / period.as_secs_f64())
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn weights_follow_the_thirty_day_horizon() {
        assert!(close(alpha(WEEK), 1.0 - (-7.0_f64 / 30.0).exp()));
        assert!(close(alpha(DAY), 1.0 - (-1.0_f64 / 30.0).exp()));
        assert!(close(alpha(HORIZON), 1.0 - (-1.0_f64).exp()));
    }

    /// Worked by hand for a weekly slot, α = 1 − e^(−7/30) = 0.2081104...:
    ///   x = 4          → m = 4,                 v = 0
    ///   x = 6, d = 2   → m = 4 + 2α = 4.41622,  v = (1−α)(0 + 4α) = 0.65920
    ///   x = 2, d = −2.41622
    ///                  → m = 4.41622 − 2.41622α = 3.91338
    ///                  → v = (1−α)(0.65920 + α·5.83812) = 1.48414
    #[test]
    fn matches_a_hand_computed_example() {
        let a = alpha(WEEK);
        assert!((a - 0.208_110_4).abs() < 1e-6);
        let mut estimate = RateEstimate::default();
        estimate.fold(4.0, a);
        assert_eq!(
            estimate,
            RateEstimate {
                mean: 4.0,
                variance: 0.0,
                samples: 1
            }
        );
        estimate.fold(6.0, a);
        assert!((estimate.mean - 4.416_221).abs() < 1e-5, "{estimate:?}");
        assert!((estimate.variance - 0.659_202).abs() < 1e-5, "{estimate:?}");
        estimate.fold(2.0, a);
        assert!((estimate.mean - 3.913_380).abs() < 1e-5, "{estimate:?}");
        assert!((estimate.variance - 1.484_141).abs() < 1e-5, "{estimate:?}");
        let z = estimate.z_score(10.0).expect("three samples");
        assert!((z - 4.996_19).abs() < 1e-4, "{z}");
    }

    #[test]
    fn quiet_hours_pull_the_rate_down() {
        let a = alpha(WEEK);
        let mut busy = RateEstimate::default();
        busy.fold(10.0, a);
        let mut after_quiet_weeks = busy;
        // Three weeks with no detections in this hour, then 10 again.
        after_quiet_weeks.fold_after_gap(10.0, a, 3);
        let mut by_hand = busy;
        for _ in 0..3 {
            by_hand.fold(0.0, a);
        }
        by_hand.fold(10.0, a);
        assert_eq!(after_quiet_weeks, by_hand);
        assert!(after_quiet_weeks.mean < 10.0);
        assert_eq!(after_quiet_weeks.samples, 5);
    }

    #[test]
    fn a_steady_slot_converges_to_its_rate_and_flags_bursts() {
        let a = alpha(DAY);
        let mut estimate = RateEstimate::default();
        for day in 0..400 {
            estimate.fold(if day % 2 == 0 { 2.0 } else { 4.0 }, a);
        }
        assert!((estimate.mean - 3.0).abs() < 0.1, "{estimate:?}");
        assert!(
            (estimate.variance - 1.0).abs() < 0.1,
            "alternating 2 and 4 has variance 1: {estimate:?}"
        );
        assert!(estimate.z_score(3.0).expect("history").abs() < 0.2);
        assert!(
            estimate.z_score(12.0).expect("history") > 8.0,
            "a burst is very unusual"
        );
    }

    #[test]
    fn no_z_score_without_history_and_a_floor_on_spread() {
        let mut estimate = RateEstimate::default();
        estimate.fold(1.0, alpha(WEEK));
        estimate.fold(1.0, alpha(WEEK));
        assert_eq!(estimate.z_score(5.0), None);
        estimate.fold(1.0, alpha(WEEK));
        assert_eq!(
            estimate.z_score(2.0),
            Some(1.0 / MIN_STD_DEV),
            "constant history uses the floor"
        );
    }

    #[test]
    fn expected_now_decays_only_ended_occurrences() {
        let folded = 1_767_607_200; // Monday 2026-01-05 10:00 UTC
        let week = WEEK.as_secs() as i64;
        let mut estimate = RateEstimate::default();
        estimate.fold(8.0, alpha(WEEK));
        // During next week's occurrence nothing has ended yet.
        assert_eq!(
            expected_now(estimate, Some(folded), folded + week + 1800, WEEK),
            estimate
        );
        // Two weeks and an hour later two occurrences have passed without detections.
        let mut by_hand = estimate;
        by_hand.fold(0.0, alpha(WEEK));
        by_hand.fold(0.0, alpha(WEEK));
        assert_eq!(
            expected_now(estimate, Some(folded), folded + 2 * week + 3900, WEEK),
            by_hand
        );
        assert_eq!(
            expected_now(estimate, None, folded + 2 * week, WEEK),
            estimate
        );
    }

    #[test]
    fn periods_between_occurrences() {
        let week = WEEK.as_secs() as i64;
        assert_eq!(periods_between(0, week, WEEK), 1);
        assert_eq!(
            periods_between(0, 3 * week + 60, WEEK),
            3,
            "clock skew rounds away"
        );
        assert_eq!(periods_between(week, 0, WEEK), 0);
    }
}
