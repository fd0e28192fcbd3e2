//! One table per scenario, as `scripts/chaos` prints it.

use crate::scenario::Outcome;
use std::fmt::Write;

/// The table of one scenario.
pub fn table(outcome: &Outcome) -> String {
    let f = &outcome.figures;
    let quiet = outcome.time_to_quiet.map_or_else(
        || "never (timed out)".to_owned(),
        |t| format!("{:.1} s", t.as_secs_f64()),
    );
    let rows: Vec<(&str, String)> = vec![
        ("files in", f.files_in.to_string()),
        ("files accepted", f.accepted.to_string()),
        (
            "files refused / duplicate",
            format!("{} / {}", f.refused, f.duplicates),
        ),
        ("files processed exactly once", f.processed_once.to_string()),
        ("files never processed", f.never_processed.to_string()),
        ("files abandoned", f.abandoned.to_string()),
        ("files failed (unreadable)", f.failed.to_string()),
        ("detections", f.detections.to_string()),
        ("detections duplicated", f.detections_duplicated.to_string()),
        (
            "detections in no event",
            f.detections_in_no_event.to_string(),
        ),
        (
            "detections in two events",
            f.detections_in_two_events.to_string(),
        ),
        ("events", f.events.to_string()),
        (
            "  judged by the LLM",
            (f.events - f.fallback_events).to_string(),
        ),
        (
            "  judged by the rule-based scorer",
            f.fallback_events.to_string(),
        ),
        ("alerts due", f.alerts_due.to_string()),
        ("alerts delivered", f.alerts_delivered.to_string()),
        ("alerts never received", f.alerts_lost.to_string()),
        (
            "repeat deliveries (same key)",
            f.repeat_deliveries.to_string(),
        ),
        ("dead letters", f.dead_letters.to_string()),
        ("time to quiet", quiet),
        (
            "lost / duplicated",
            format!("{} / {}", f.lost(), f.duplicated()),
        ),
        (
            "result",
            if outcome.passed() { "PASS" } else { "FAIL" }.to_owned(),
        ),
    ];
    let mut out = String::new();
    let _ = writeln!(out, "scenario: {}", outcome.scenario);
    let faults = if outcome.faults.is_empty() {
        "none".to_owned()
    } else {
        outcome.faults.join("; ")
    };
    let _ = writeln!(out, "faults:   {faults}");
    for crash in &outcome.crashes {
        let _ = writeln!(out, "crash:    {crash}");
    }
    let _ = writeln!(out, "| {:<34} | {:>18} |", "invariant", "value");
    let _ = writeln!(out, "|{:-<36}|{:->20}|", "", "");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name:<34} | {value:>18} |");
    }
    out
}
