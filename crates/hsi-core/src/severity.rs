//! Severity levels derived from a 0-100 risk score.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How serious an event is; the `risk_level` of an event and the severity of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All levels, least severe first.
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = SeverityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SeverityError::UnknownLevel(s.to_owned()))
    }
}

/// Errors from severity parsing and band configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeverityError {
    #[error("risk score {0} is outside 0..=100")]
    ScoreOutOfRange(i64),
    #[error("unknown severity level {0:?} (expected low, medium, high or critical)")]
    UnknownLevel(String),
    #[error("severity band edges must rise strictly within 0..100, got low_max={low_max}, medium_max={medium_max}, high_max={high_max}")]
    BadBands {
        low_max: u8,
        medium_max: u8,
        high_max: u8,
    },
}

/// The highest score of each band below critical; configurable, 29/59/84 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeverityBands {
    pub low_max: u8,
    pub medium_max: u8,
    pub high_max: u8,
}

impl Default for SeverityBands {
    fn default() -> Self {
        Self {
            low_max: 29,
            medium_max: 59,
            high_max: 84,
        }
    }
}

impl SeverityBands {
    /// Builds bands, refusing edges that do not rise strictly below 100.
    pub fn new(low_max: u8, medium_max: u8, high_max: u8) -> Result<Self, SeverityError> {
        let bands = Self {
            low_max,
            medium_max,
            high_max,
        };
        bands.validate()?;
        Ok(bands)
    }

    /// Checks that every band is non-empty: `low_max < medium_max < high_max < 100`.
    pub fn validate(&self) -> Result<(), SeverityError> {
        if self.low_max < self.medium_max && self.medium_max < self.high_max && self.high_max < 100
        {
            Ok(())
        } else {
            Err(SeverityError::BadBands {
                low_max: self.low_max,
                medium_max: self.medium_max,
                high_max: self.high_max,
            })
        }
    }

    /// The severity of a risk score; scores outside 0..=100 are refused, never clamped,
    /// because a caller holding one has a bug worth seeing.
    pub fn classify(&self, score: i64) -> Result<Severity, SeverityError> {
        if !(0..=100).contains(&score) {
            return Err(SeverityError::ScoreOutOfRange(score));
        }
        let level = if score <= i64::from(self.low_max) {
            Severity::Low
        } else if score <= i64::from(self.medium_max) {
            Severity::Medium
        } else if score <= i64::from(self.high_max) {
            Severity::High
        } else {
            Severity::Critical
        };
        Ok(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_band_edges() {
        let bands = SeverityBands::default();
        let cases = [
            (0, Severity::Low),
            (29, Severity::Low),
            (30, Severity::Medium),
            (59, Severity::Medium),
            (60, Severity::High),
            (84, Severity::High),
            (85, Severity::Critical),
            (100, Severity::Critical),
        ];
        for (score, expected) in cases {
            assert_eq!(bands.classify(score), Ok(expected), "score {score}");
        }
    }

    #[test]
    fn out_of_range_scores_are_refused() {
        let bands = SeverityBands::default();
        for score in [-1, 101, i64::MIN, i64::MAX] {
            assert_eq!(
                bands.classify(score),
                Err(SeverityError::ScoreOutOfRange(score))
            );
        }
    }

    #[test]
    fn custom_bands_move_the_edges() {
        let bands = SeverityBands::new(10, 20, 30).expect("rising edges");
        assert_eq!(bands.classify(10), Ok(Severity::Low));
        assert_eq!(bands.classify(11), Ok(Severity::Medium));
        assert_eq!(bands.classify(30), Ok(Severity::High));
        assert_eq!(bands.classify(31), Ok(Severity::Critical));
    }

    #[test]
    fn bands_that_do_not_rise_are_refused() {
        assert!(SeverityBands::new(59, 29, 84).is_err());
        assert!(SeverityBands::new(29, 29, 84).is_err());
        assert!(SeverityBands::new(29, 59, 100).is_err());
    }

    #[test]
    fn levels_parse_case_insensitively_and_round_trip() {
        for level in Severity::ALL {
            assert_eq!(level.as_str().parse::<Severity>(), Ok(level));
            assert_eq!(level.as_str().to_uppercase().parse::<Severity>(), Ok(level));
        }
        assert!(matches!(
            "severe".parse::<Severity>(),
            Err(SeverityError::UnknownLevel(_))
        ));
    }
}
