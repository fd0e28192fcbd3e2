//! How results are shown: an aligned table for people, JSON for programs. Every command
//! turns its result into JSON first (the gateway's API objects, whether they came over
//! REST or from its service layer run here), so `--json` prints the same shapes the API
//! documents and a table is a view of chosen fields.

use crate::error::CliResult;
use serde_json::Value;
use std::io::Write as _;

/// Longest a cell may be in a table; longer text is cut with an ellipsis.
const CELL_MAX: usize = 60;
/// The last column (details, errors, summaries) takes no room from the others, so it
/// may run longer before it is cut.
const LAST_CELL_MAX: usize = 240;

/// A column: its heading and how to read its cell from a row.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub heading: &'static str,
    pub cell: fn(&Value) -> String,
}

/// Shorthand for a column.
pub const fn col(heading: &'static str, cell: fn(&Value) -> String) -> Column {
    Column { heading, cell }
}

/// Where results go, and in which form.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `document` as JSON, or `rows` as a table of `columns`.
    pub fn table(&self, document: &Value, rows: &[Value], columns: &[Column]) -> CliResult<()> {
        if self.json {
            return self.json_value(document);
        }
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|row| columns.iter().map(|c| (c.cell)(row)).collect())
            .collect();
        let headings: Vec<&str> = columns.iter().map(|c| c.heading).collect();
        self.line(&render(&headings, &cells))
    }

    /// Prints `value` as pretty JSON (in table mode too, for things with no table).
    pub fn json_value(&self, value: &Value) -> CliResult<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|err| crate::CliError::Other(format!("cannot write JSON: {err}")))?;
        self.line(&text)
    }

    /// Prints `pairs` as aligned "key  value" lines, or `document` as JSON.
    pub fn record(&self, document: &Value, pairs: &[(&str, String)]) -> CliResult<()> {
        if self.json {
            return self.json_value(document);
        }
        let width = pairs
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let text: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{key:width$}  {value}"))
            .collect();
        self.line(&text.join("\n"))
    }

    /// Writes one line (or several) to standard output.
    pub fn line(&self, text: &str) -> CliResult<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
    }

    /// A note for people (progress, what was done): standard error, so that standard
    /// output stays the result alone.
    pub fn note(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        // A closed standard error is no reason to fail the command.
        let _ = writeln!(err, "{text}");
    }
}

/// Renders an aligned table: headings, a rule, then the rows; the last column is not
/// padded so lines carry no trailing blanks.
pub fn render(headings: &[&str], rows: &[Vec<String>]) -> String {
    let last = headings.len().saturating_sub(1);
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, cell)| clip(cell, if i == last { LAST_CELL_MAX } else { CELL_MAX }))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                let pad = width - cell.chars().count();
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        text.trim_end().to_owned()
    };
    let mut lines = vec![line(headings.to_vec())];
    lines.push(line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    if rows.is_empty() {
        lines.push("(none)".to_owned());
    }
    for row in &rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

/// One line, at most `max` characters.
fn clip(cell: &str, max: usize) -> String {
    let flat = cell.replace(['\n', '\r', '\t'], " ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Field `name` of `row` as text: strings as they are, numbers and booleans printed,
/// absent or null as "-", lists joined with commas.
pub fn text(row: &Value, name: &str) -> String {
    show(row.get(name))
}

/// A value as table text.
pub fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "-".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| show(Some(item)))
            .collect::<Vec<_>>()
            .join(","),
        Some(other) => other.to_string(),
    }
}

/// An RFC 3339 time shortened to the second, for tables.
pub fn time(row: &Value, name: &str) -> String {
    let full = text(row, name);
    match full.get(..19) {
        Some(head) if full.len() > 19 => format!("{}Z", head.replace('T', " ")),
        _ => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_and_leave_no_trailing_blanks() {
        let table = render(
            &["STREAM", "LENGTH", "GROUP"],
            &[
                vec!["files".into(), "12".into(), "detection-worker".into()],
                vec!["detections".into(), "0".into(), "-".into()],
            ],
        );
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "STREAM      LENGTH  GROUP");
        assert_eq!(lines[2], "files       12      detection-worker");
        assert_eq!(lines[3], "detections  0       -");
        assert!(lines.iter().all(|l| !l.ends_with(' ')));
    }

    #[test]
    fn an_empty_table_says_so_and_long_cells_are_cut() {
        assert!(render(&["A"], &[]).ends_with("(none)"));
        let long = "x".repeat(300);
        let table = render(&["A", "B"], &[vec![long.clone(), long]]);
        let row = table.lines().last().unwrap();
        let (first, last) = row.split_once("  ").unwrap();
        assert_eq!(first.chars().count(), CELL_MAX);
        assert!(first.ends_with('…'));
        assert_eq!(last.chars().count(), LAST_CELL_MAX);
    }

    #[test]
    fn values_read_as_table_text() {
        let row = serde_json::json!({"a": "x", "n": 3, "none": null, "list": ["p", "q"],
            "at": "2026-12-01T10:11:12.345678Z", "empty": ""});
        assert_eq!(text(&row, "a"), "x");
        assert_eq!(text(&row, "n"), "3");
        assert_eq!(text(&row, "none"), "-");
        assert_eq!(text(&row, "missing"), "-");
        assert_eq!(text(&row, "empty"), "-");
        assert_eq!(text(&row, "list"), "p,q");
        assert_eq!(time(&row, "at"), "2026-12-01 10:11:12Z");
    }
}
