//! Reading and checking the model's reply.

use super::structured::{ReplyBounds, REASONING_MAX, SUMMARY_MAX};
use serde_json::Value;

/// The part of a reply the event is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Clamped to 0..=100.
    pub score: i64,
    pub summary: String,
    pub reasoning: String,
    /// A risk level the model wrote anyway; never trusted, only compared.
    pub claimed_level: Option<String>,
    /// The score as written, when it had to be clamped.
    pub clamped_from: Option<f64>,
    /// Where the reply breaks the schema it was asked for (empty when it validates).
    /// A reply that breaks it only in ways that can be repaired (a score out of range, a
    /// long text) is still used; these are counted and logged.
    pub violations: Vec<String>,
}

/// Longest summary kept (the events table allows 2000 characters).
pub const MAX_SUMMARY_CHARS: usize = 600;
/// Longest reasoning kept.
pub const MAX_REASONING_CHARS: usize = 4000;

/// Parses a reply's content: a JSON object (possibly inside a code fence or prose) with
/// a numeric `risk_score`, a non-empty `summary` and a `reasoning`.
pub fn parse(content: &str) -> Result<Answer, String> {
    parse_within(content, ReplyBounds::default())
}

/// [`parse`], noting where the reply breaks the schema of `bounds`
/// ([`reply_schema`](super::structured::reply_schema)).
pub fn parse_within(content: &str, bounds: ReplyBounds) -> Result<Answer, String> {
    let start = content.find('{').ok_or("the reply holds no JSON object")?;
    let end = content
        .rfind('}')
        .filter(|end| *end > start)
        .ok_or("the reply's JSON object is not closed")?;
    let value: Value = serde_json::from_str(&content[start..=end])
        .map_err(|err| format!("the reply is not valid JSON: {err}"))?;
    let raw_score = match value.get("risk_score") {
        Some(Value::Number(n)) => n.as_f64().ok_or("risk_score is not a finite number")?,
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("risk_score {s:?} is not a number"))?,
        Some(other) => return Err(format!("risk_score is {other}, not a number")),
        None => return Err("the reply has no risk_score".to_owned()),
    };
    if !raw_score.is_finite() {
        return Err("risk_score is not a finite number".to_owned());
    }
    let rounded = raw_score.round();
    let score = rounded.clamp(0.0, 100.0) as i64;
    let summary = match value.get("summary") {
        Some(Value::String(s)) if !s.trim().is_empty() => truncate(s.trim(), MAX_SUMMARY_CHARS),
        _ => return Err("the reply has no summary".to_owned()),
    };
    let reasoning = match value.get("reasoning") {
        Some(Value::String(s)) => truncate(s.trim(), MAX_REASONING_CHARS),
        Some(other) => truncate(&other.to_string(), MAX_REASONING_CHARS),
        None => String::new(),
    };
    let mut violations = violations(&value, bounds);
    if content.trim().len() != end + 1 - start {
        violations.insert(0, "text around the JSON object".to_owned());
    }
    Ok(Answer {
        violations,
        score,
        summary,
        reasoning,
        claimed_level: value
            .get("risk_level")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_lowercase()),
        clamped_from: (rounded != score as f64).then_some(raw_score),
    })
}

/// Every way the reply's object `value` breaks the reply schema.
fn violations(value: &Value, bounds: ReplyBounds) -> Vec<String> {
    let mut found = Vec::new();
    let Some(object) = value.as_object() else {
        return vec!["the reply is not an object".to_owned()];
    };
    for key in object.keys() {
        if !["summary", "reasoning", "risk_score"].contains(&key.as_str()) {
            found.push(format!("unexpected field {key:?}"));
        }
    }
    match value.get("risk_score") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
            let n = n.as_i64().unwrap_or(i64::MAX);
            if !(bounds.min_score..=bounds.max_score).contains(&n) {
                found.push(format!(
                    "risk_score {n} is outside {}..={}",
                    bounds.min_score, bounds.max_score
                ));
            }
        }
        _ => found.push("risk_score is not an integer".to_owned()),
    }
    for (key, max) in [("summary", SUMMARY_MAX), ("reasoning", REASONING_MAX)] {
        match value.get(key).and_then(Value::as_str) {
            Some(text) if text.trim().is_empty() => found.push(format!("{key} is empty")),
            Some(text) if text.chars().count() > max => {
                found.push(format!("{key} is longer than {max} characters"))
            }
            Some(_) => {}
            None => found.push(format!("{key} is missing or not a string")),
        }
    }
    found
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_replies_parse() {
        let answer =
            parse(r#"{"risk_score": 72, "summary": "Person at the door", "reasoning": "Night"}"#)
                .expect("valid");
        assert_eq!(
            (
                answer.score,
                answer.summary.as_str(),
                answer.reasoning.as_str()
            ),
            (72, "Person at the door", "Night")
        );
        assert_eq!((answer.claimed_level, answer.clamped_from), (None, None));
        assert!(answer.violations.is_empty(), "{:?}", answer.violations);
    }

    #[test]
    fn schema_breaks_that_can_be_repaired_are_noted() {
        let bounds = ReplyBounds {
            min_score: 40,
            max_score: 60,
        };
        let answer = parse_within(
            r#"{"risk_score": 72, "summary": "x", "reasoning": "", "mood": "calm"}"#,
            bounds,
        )
        .expect("usable");
        assert_eq!(
            answer.violations,
            vec![
                "unexpected field \"mood\"".to_owned(),
                "risk_score 72 is outside 40..=60".to_owned(),
                "reasoning is empty".to_owned()
            ]
        );
    }

    #[test]
    fn scores_are_rounded_clamped_and_read_from_strings() {
        assert_eq!(
            parse(r#"{"risk_score": 140, "summary": "x"}"#)
                .expect("clamped")
                .score,
            100
        );
        assert_eq!(
            parse(r#"{"risk_score": 140, "summary": "x"}"#)
                .expect("clamped")
                .clamped_from,
            Some(140.0)
        );
        assert_eq!(
            parse(r#"{"risk_score": -3, "summary": "x"}"#)
                .expect("clamped")
                .score,
            0
        );
        assert_eq!(
            parse(r#"{"risk_score": "55", "summary": "x"}"#)
                .expect("string")
                .score,
            55
        );
        assert_eq!(
            parse(r#"{"risk_score": 41.6, "summary": "x"}"#)
                .expect("float")
                .score,
            42
        );
    }

    #[test]
    fn replies_are_found_inside_fences_and_prose() {
        let fenced = "Here you go:\n```json\n{\"risk_score\": 10, \"summary\": \"cat\", \"reasoning\": \"pet\"}\n```";
        assert_eq!(parse(fenced).expect("fenced").score, 10);
    }

    #[test]
    fn schema_breaking_replies_are_refused_with_the_reason() {
        assert_eq!(
            parse("I think it is fine."),
            Err("the reply holds no JSON object".into())
        );
        assert!(parse(r#"{"risk_score": 10, "summary": "x""#).is_err());
        assert_eq!(
            parse(r#"{"summary": "x"}"#),
            Err("the reply has no risk_score".into())
        );
        assert_eq!(
            parse(r#"{"risk_score": "high", "summary": "x"}"#),
            Err("risk_score \"high\" is not a number".into())
        );
        assert_eq!(
            parse(r#"{"risk_score": 10, "summary": "  "}"#),
            Err("the reply has no summary".into())
        );
        assert!(parse(r#"{"risk_score": true, "summary": "x"}"#)
            .expect_err("bool")
            .contains("not a number"));
    }

    #[test]
    fn a_claimed_level_is_kept_only_for_comparison() {
        let answer = parse(
            r#"{"risk_score": 12, "risk_level": "CRITICAL", "summary": "x", "reasoning": "y"}"#,
        )
        .expect("valid");
        assert_eq!(answer.claimed_level.as_deref(), Some("critical"));
        assert_eq!(answer.score, 12);
    }
}
