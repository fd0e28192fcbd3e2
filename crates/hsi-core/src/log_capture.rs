//! The service's side of the `logs` table: a tracing layer that copies every event at or
//! above `telemetry.db_log_level` into a bounded buffer, and the record it copies. A
//! writer in `hsi-db` drains the buffer into PostgreSQL in batches, off the hot path.
//!
//! Copying never blocks and never fails the caller: when the buffer is full (PostgreSQL
//! slow or down for long) the line is dropped and counted in
//! `hsi_logs_dropped_total{reason="buffer_full"}`; the line still reaches stdout.
//! `camera_id`, `event_id`, `detection_id`, `request_id` and `duration_ms` are taken from
//! the event's own fields, else from the innermost span that has them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Targets whose lines are never copied: the writer's own (a failing insert must not
/// feed itself) and sqlx's statement logger (slow inserts would do the same).
pub const EXCLUDED_TARGETS: &[&str] = &["hsi_db::log_writer", "sqlx::query"];

/// The longest message kept, in bytes; the rest is cut at a character boundary.
const MESSAGE_MAX: usize = 8 * 1024;
/// The most extra fields kept per line, and the longest value of each.
const FIELDS_MAX: usize = 32;
const FIELD_VALUE_MAX: usize = 1024;

/// The lowest level copied into the `logs` table, or none at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbLogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl DbLogLevel {
    /// The most verbose level copied; `None` when copying is off.
    pub fn max_level(self) -> Option<Level> {
        match self {
            Self::Off => None,
            Self::Error => Some(Level::ERROR),
            Self::Warn => Some(Level::WARN),
            Self::Info => Some(Level::INFO),
            Self::Debug => Some(Level::DEBUG),
        }
    }
}

/// One log line on its way to the `logs` table.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub at: SystemTime,
    pub level: Level,
    pub target: String,
    pub message: String,
    pub camera_id: Option<String>,
    pub event_id: Option<i64>,
    pub detection_id: Option<i64>,
    pub request_id: Option<String>,
    pub duration_ms: Option<i64>,
    /// The line's other fields, and the span it was logged in.
    pub fields: Map<String, Value>,
}

/// The fields the `logs` table has columns for, as found on an event or a span.
#[derive(Debug, Default, Clone)]
struct Keyed {
    camera_id: Option<String>,
    event_id: Option<i64>,
    detection_id: Option<i64>,
    request_id: Option<String>,
    duration_ms: Option<i64>,
}

impl Keyed {
    fn fill_from(&mut self, other: &Keyed) {
        self.camera_id = self.camera_id.take().or_else(|| other.camera_id.clone());
        self.event_id = self.event_id.or(other.event_id);
        self.detection_id = self.detection_id.or(other.detection_id);
        self.request_id = self.request_id.take().or_else(|| other.request_id.clone());
        self.duration_ms = self.duration_ms.or(other.duration_ms);
    }

    /// Takes the value when `name` is one of the keyed fields; false otherwise.
    fn take(&mut self, name: &str, value: FieldValue) -> bool {
        match name {
            "camera_id" | "camera" => self.camera_id = Some(value.text()),
            "event_id" => self.event_id = value.integer(),
            "detection_id" => self.detection_id = value.integer(),
            "request_id" => self.request_id = Some(value.text()),
            "duration_ms" => self.duration_ms = value.integer(),
            _ => return false,
        }
        true
    }
}

enum FieldValue {
    Int(i64),
    Text(String),
}

impl FieldValue {
    fn text(self) -> String {
        match self {
            Self::Int(n) => n.to_string(),
            Self::Text(text) => text,
        }
    }

    fn integer(self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(n),
            Self::Text(text) => text.trim().parse().ok(),
        }
    }
}

/// Collects an event's or a span's fields.
#[derive(Default)]
struct Collector {
    message: Option<String>,
    keyed: Keyed,
    rest: Map<String, Value>,
}

impl Collector {
    fn put(&mut self, field: &Field, value: FieldValue) {
        let name = field.name();
        if name == "message" {
            self.message = Some(value.text());
            return;
        }
        let as_json = match &value {
            FieldValue::Int(n) => Value::from(*n),
            FieldValue::Text(text) => Value::from(cut(text, FIELD_VALUE_MAX)),
        };
        if !self.keyed.take(name, value) && self.rest.len() < FIELDS_MAX {
            self.rest.insert(name.to_owned(), as_json);
        }
    }
}

impl Visit for Collector {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, FieldValue::Int(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match i64::try_from(value) {
            Ok(n) => self.put(field, FieldValue::Int(n)),
            Err(_) => self.put(field, FieldValue::Text(value.to_string())),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, FieldValue::Text(value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, FieldValue::Text(format!("{value:?}")));
    }
}

/// Cuts `text` to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The layer: copies qualifying events into the buffer.
#[derive(Debug)]
pub struct LogCaptureLayer {
    max_level: Level,
    sender: mpsc::Sender<LogRecord>,
}

/// The buffer's other end, for the writer.
pub type LogReceiver = mpsc::Receiver<LogRecord>;

/// A layer copying events at or above `level` into a buffer of `capacity` lines, and
/// the buffer's receiving end; `None` when `level` is off.
pub fn layer(level: DbLogLevel, capacity: usize) -> Option<(LogCaptureLayer, LogReceiver)> {
    let max_level = level.max_level()?;
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    Some((LogCaptureLayer { max_level, sender }, receiver))
}

static RECEIVER: OnceLock<Mutex<Option<LogReceiver>>> = OnceLock::new();

/// Keeps the receiver installed with the global subscriber until a writer takes it.
pub(crate) fn park_receiver(receiver: LogReceiver) {
    let _ = RECEIVER.set(Mutex::new(Some(receiver)));
}

/// The buffer of the global subscriber's capture layer, once; `None` when copying is off
/// (or tracing was not set up by `telemetry::init`, as in tests).
pub fn take_receiver() -> Option<LogReceiver> {
    RECEIVER.get()?.lock().ok()?.take()
}

impl<S> Layer<S> for LogCaptureLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut collector = Collector::default();
        attrs.record(&mut collector);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(collector.keyed);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collector = Collector::default();
        values.record(&mut collector);
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<Keyed>() {
            Some(keyed) => {
                let mut newer = collector.keyed;
                newer.fill_from(keyed);
                *keyed = newer;
            }
            None => extensions.insert(collector.keyed),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        // Levels order from ERROR (least verbose) up: a line is copied when it is at
        // most as verbose as the setting.
        if *metadata.level() > self.max_level
            || EXCLUDED_TARGETS
                .iter()
                .any(|excluded| metadata.target().starts_with(excluded))
        {
            return;
        }
        let mut collector = Collector::default();
        event.record(&mut collector);
        let mut keyed = collector.keyed;
        let mut fields = collector.rest;
        if let Some(scope) = ctx.event_scope(event) {
            let mut innermost = true;
            for span in scope {
                if innermost {
                    fields.insert("span".to_owned(), Value::from(span.name()));
                    innermost = false;
                }
                if let Some(found) = span.extensions().get::<Keyed>() {
                    keyed.fill_from(found);
                }
            }
        }
        let record = LogRecord {
            at: SystemTime::now(),
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            message: cut(collector.message.as_deref().unwrap_or(""), MESSAGE_MAX),
            camera_id: keyed.camera_id,
            event_id: keyed.event_id,
            detection_id: keyed.detection_id,
            request_id: keyed.request_id,
            duration_ms: keyed.duration_ms,
            fields,
        };
        if self.sender.try_send(record).is_err() {
            metrics::counter!("hsi_logs_dropped_total", "reason" => "buffer_full").increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    fn capture(level: DbLogLevel, capacity: usize, body: impl FnOnce()) -> Vec<LogRecord> {
        let (layer, mut receiver) = layer(level, capacity).expect("copying is on");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, body);
        let mut records = Vec::new();
        while let Ok(record) = receiver.try_recv() {
            records.push(record);
        }
        records
    }

    #[test]
    fn warnings_and_errors_are_copied_with_their_span_keys_and_info_is_not() {
        let records = capture(DbLogLevel::Warn, 16, || {
            let span = tracing::info_span!("judge", camera_id = "front_door", event_id = 42_i64);
            let _entered = span.enter();
            tracing::info!("routine");
            tracing::warn!(duration_ms = 1500_u64, model = "smollm2", "llm slow");
            let inner = tracing::info_span!("deliver", request_id = "req-1", camera_id = "porch");
            let _inner = inner.enter();
            tracing::error!(detection_id = 7, "webhook refused");
        });
        assert_eq!(records.len(), 2, "{records:#?}");
        let slow = &records[0];
        assert_eq!(slow.level, Level::WARN);
        assert_eq!(slow.message, "llm slow");
        assert_eq!(slow.camera_id.as_deref(), Some("front_door"));
        assert_eq!(slow.event_id, Some(42));
        assert_eq!(slow.duration_ms, Some(1500));
        assert_eq!(slow.fields["model"], "smollm2");
        assert_eq!(slow.fields["span"], "judge");
        let refused = &records[1];
        assert_eq!(
            refused.camera_id.as_deref(),
            Some("porch"),
            "the innermost span wins"
        );
        assert_eq!(
            refused.event_id,
            Some(42),
            "outer spans fill what inner ones lack"
        );
        assert_eq!(refused.request_id.as_deref(), Some("req-1"));
        assert_eq!(refused.detection_id, Some(7));
    }

    #[test]
    fn a_field_recorded_later_on_a_span_is_used() {
        let records = capture(DbLogLevel::Warn, 4, || {
            let span = tracing::info_span!("judge", event_id = tracing::field::Empty);
            let _entered = span.enter();
            span.record("event_id", 9_i64);
            tracing::warn!("late key");
        });
        assert_eq!(records[0].event_id, Some(9));
    }

    #[test]
    fn a_full_buffer_drops_lines_instead_of_blocking() {
        let records = capture(DbLogLevel::Error, 2, || {
            for n in 0..5 {
                tracing::error!(n, "burst");
            }
        });
        assert_eq!(records.len(), 2, "only what fits is kept");
        assert_eq!(records[0].fields["n"], 0);
    }

    #[test]
    fn the_writers_own_lines_and_verbose_levels_are_not_copied() {
        let records = capture(DbLogLevel::Info, 8, || {
            tracing::warn!(target: "hsi_db::log_writer", "cannot insert");
            tracing::debug!("too verbose");
            tracing::info!("kept");
        });
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].message, "kept");
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MESSAGE_MAX);
        let records = capture(DbLogLevel::Warn, 2, || tracing::warn!("{long}"));
        assert!(records[0].message.len() <= MESSAGE_MAX + '…'.len_utf8());
        assert!(records[0].message.ends_with('…'));
    }

    #[test]
    fn off_installs_nothing() {
        assert!(layer(DbLogLevel::Off, 8).is_none());
    }
}
