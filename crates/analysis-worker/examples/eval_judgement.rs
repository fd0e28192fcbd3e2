//! Evaluates the risk judgement (issue 12): runs a labelled set of scenario batches
//! through the real analysis worker and reports how well its scores separate concerning
//! from routine activity, how often they land in the band a home owner expects, how
//! often the rule-based fallback judged, and the time per batch.
//!
//! Each scenario gets a freshly migrated database and a Redis key prefix of its own, so
//! nothing one scenario writes (cameras, detections, baselines) is context for another.
//! Its batch is published on the batches stream, received through the worker's consumer
//! group and handed to `Analyzer::handle`, the consumer's own handler; the verdict is read
//! back from the `events` and `event_audits` rows. Run it with `scripts/eval-judgement`.
#![allow(clippy::print_stdout)] // a report: stdout is its output

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use hsi_analysis_worker::{build_analyzer, Settings};
use hsi_core::settings::{SecretUrl, Validate};
use hsi_core::{Service, Severity};
use hsi_db::entities::enums::{CameraZoneShape, CameraZoneType};
use hsi_db::entities::{
    activity_baselines, camera_zones, cameras, class_baselines, detections, events,
};
use hsi_proto::v1::{BatchCloseReason, BatchMessage};
use hsi_queue::{redis_pool, Consumer, Producer, QueueSettings};
use hsi_testkit::{TestDatabase, TestRedis};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

type Failure = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: eval_judgement [--mode model|fallback|both] [--scenarios PATH] [--json]
                      [--timezone IANA_ZONE] [--llm-url URL] [--llm-model NAME]

  --mode       model: the LLM judges (the bundled llama.cpp server unless --llm-url);
               fallback: the LLM is unreachable, so the worker's fallback judges every
               batch; both (default): fallback, then model
  --scenarios  the labelled set (default crates/analysis-worker/eval/scenarios.json)
  --json       print the results as one JSON document instead of tables
  --timezone   the home's time zone, analysis.timezone (default Europe/London)
  --llm-url    an OpenAI-compatible server (up to /v1) for model mode
  --llm-model  the model name to ask that server for (llm.model)";

/// Monday of the week the scenarios' weekdays fall in: after summer time has ended in
/// Europe and North America, so a local time is never ambiguous and night is dark.
const REFERENCE_MONDAY: (i32, u32, u32) = (2026, 11, 16);
const FRAME_WIDTH: i32 = 1920;
const FRAME_HEIGHT: i32 = 1080;
const GOAL_AUROC: f64 = 0.95;
const GOAL_IN_BAND: f64 = 0.90;

// ---------------------------------------------------------------------------------
// The scenario file

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    #[allow(dead_code)] // documentation for the reader of the file
    about: String,
    scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    name: String,
    description: String,
    camera: CameraSpec,
    detections: Vec<DetectionSpec>,
    #[serde(default)]
    baseline: Option<BaselineSpec>,
    #[serde(default)]
    other_cameras: Vec<OtherCameraSpec>,
    #[serde(default)]
    fast_path: bool,
    /// Would the home owner want to be told (at night: woken)?
    concerning: bool,
    /// The risk levels the home owner would accept.
    expected_bands: Vec<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CameraSpec {
    id: String,
    name: String,
    /// "HH:MM" in the home's time zone: when the batch's first detection was seen.
    local_time: String,
    weekday: String,
    #[serde(default)]
    zones: Vec<ZoneSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneSpec {
    id: String,
    name: String,
    /// Only the values of the database's `camera_zone_type_enum` parse.
    #[serde(rename = "type")]
    zone_type: CameraZoneType,
    /// Opposite corners, normalised to the frame.
    rect: [[f64; 2]; 2],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectionSpec {
    object: String,
    confidence: f64,
    /// [x, y, width, height] in a 1920x1080 frame.
    #[serde(rename = "box")]
    bbox: [i32; 4],
    /// After the batch's first detection.
    #[serde(default)]
    seconds: f64,
}

/// The camera's history for the batch's hour of the week.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineSpec {
    usual_per_hour: f64,
    std_dev: f64,
    weeks: u32,
    /// Usual detections per hour of a class at this hour of the day.
    #[serde(default)]
    by_class: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtherCameraSpec {
    camera: String,
    object: String,
    count: u32,
    seconds_ago: u32,
}

impl Scenario {
    /// When the batch's first detection was seen.
    fn start(&self, timezone: chrono_tz::Tz) -> Result<DateTime<Utc>, Failure> {
        let weekday: Weekday = self.camera.weekday.parse().map_err(|_| {
            format!(
                "{}: camera.weekday {:?} is not a weekday",
                self.name, self.camera.weekday
            )
        })?;
        let time = NaiveTime::parse_from_str(&self.camera.local_time, "%H:%M").map_err(|_| {
            format!(
                "{}: camera.local_time {:?} is not HH:MM",
                self.name, self.camera.local_time
            )
        })?;
        let (y, m, d) = REFERENCE_MONDAY;
        let monday = NaiveDate::from_ymd_opt(y, m, d).ok_or("bad REFERENCE_MONDAY")?;
        let local =
            (monday + Duration::days(i64::from(weekday.num_days_from_monday()))).and_time(time);
        let start = timezone
            .from_local_datetime(&local)
            .single()
            .ok_or_else(|| {
                format!(
                    "{}: {local} is not one unambiguous time in {timezone}",
                    self.name
                )
            })?;
        Ok(start.with_timezone(&Utc))
    }

    fn seen_at(&self, start: DateTime<Utc>, detection: &DetectionSpec) -> DateTime<Utc> {
        start + Duration::milliseconds((detection.seconds * 1000.0).round() as i64)
    }

    fn check(&self, timezone: chrono_tz::Tz, window_secs: u64) -> Result<(), Failure> {
        let name = &self.name;
        if self.detections.is_empty() || self.expected_bands.is_empty() {
            return Err(format!("{name}: needs detections and expected_bands").into());
        }
        if let Some(d) = self.detections.iter().find(|d| {
            !(0.0..=1.0).contains(&d.confidence) || d.seconds < 0.0 || d.bbox.iter().any(|v| *v < 0)
        }) {
            return Err(format!(
                "{name}: detection {d:?} has a confidence outside 0-1 or a negative box or offset"
            )
            .into());
        }
        // The worker counts the detections of the batch's UTC clock hour against the
        // baseline; a batch across the hour would be counted only in part.
        let start = self.start(timezone)?;
        if self
            .detections
            .iter()
            .any(|d| self.seen_at(start, d).hour() != start.hour())
        {
            return Err(
                format!("{name}: the detections cross a clock hour; keep them within one").into(),
            );
        }
        if let Some(o) = self
            .other_cameras
            .iter()
            .find(|o| u64::from(o.seconds_ago) + 30 > window_secs)
        {
            return Err(format!(
                "{name}: other camera {:?} at {} s ago is not well inside analysis.cross_camera_window_secs ({window_secs})",
                o.camera, o.seconds_ago
            )
            .into());
        }
        Ok(())
    }
}

fn load_scenarios(
    path: &Path,
    timezone: chrono_tz::Tz,
    window_secs: u64,
) -> Result<Vec<Scenario>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let file: ScenarioFile = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not a scenario file: {err}", path.display()))?;
    let mut names = std::collections::BTreeSet::new();
    let mut cameras = std::collections::BTreeSet::new();
    for scenario in &file.scenarios {
        scenario.check(timezone, window_secs)?;
        if !names.insert(scenario.name.as_str()) || !cameras.insert(scenario.camera.id.as_str()) {
            return Err(format!(
                "{}: scenario names and camera ids must be unique",
                scenario.name
            )
            .into());
        }
    }
    Ok(file.scenarios)
}

// ---------------------------------------------------------------------------------
// Writing a scenario into its database

/// Writes the scenario's cameras, zones, baselines and detections; returns the ids of
/// the batch's detections.
async fn seed(
    db: &DatabaseConnection,
    scenario: &Scenario,
    start: DateTime<Utc>,
) -> Result<Vec<i64>, Failure> {
    let camera = &scenario.camera;
    insert_camera(db, &camera.id, &camera.name).await?;
    for (priority, zone) in scenario.camera.zones.iter().enumerate() {
        let [[x0, y0], [x1, y1]] = zone.rect;
        camera_zones::Entity::insert(camera_zones::ActiveModel {
            id: Set(zone.id.clone()),
            camera_id: Set(camera.id.clone()),
            name: Set(zone.name.clone()),
            zone_type: Set(zone.zone_type),
            shape: Set(CameraZoneShape::Rectangle),
            coordinates: Set(serde_json::json!([[x0, y0], [x1, y1]])),
            priority: Set(i32::try_from(priority)?),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    if let Some(baseline) = &scenario.baseline {
        seed_baseline(db, &camera.id, baseline, start).await?;
    }
    seed_other_cameras(db, scenario).await?;
    let mut ids = Vec::with_capacity(scenario.detections.len());
    for (index, d) in scenario.detections.iter().enumerate() {
        let [x, y, w, h] = d.bbox;
        let inserted = detections::Entity::insert(detections::ActiveModel {
            camera_id: Set(camera.id.clone()),
            file_path: Set(format!("/cams/{}/eval-{index}.jpg", camera.name)),
            detected_at: Set(scenario.seen_at(start, d)),
            object_type: Set(Some(d.object.clone())),
            confidence: Set(Some(d.confidence)),
            bbox_x: Set(Some(x)),
            bbox_y: Set(Some(y)),
            bbox_width: Set(Some(w)),
            bbox_height: Set(Some(h)),
            frame_width: Set(Some(FRAME_WIDTH)),
            frame_height: Set(Some(FRAME_HEIGHT)),
            source_message_id: Set(Some(format!("eval-{}-{index}", camera.id))),
            object_index: Set(0),
            ..Default::default()
        })
        .exec(db)
        .await?;
        ids.push(i64::from(inserted.last_insert_id));
    }
    Ok(ids)
}

async fn insert_camera(db: &DatabaseConnection, id: &str, name: &str) -> Result<(), Failure> {
    cameras::Entity::insert(cameras::ActiveModel {
        id: Set(id.to_owned()),
        name: Set(name.to_owned()),
        folder_path: Set(format!("/cams/{name}")),
        ..Default::default()
    })
    .exec(db)
    .await
    .map_err(|err| format!("camera {id:?}: {err}"))?;
    Ok(())
}

/// Baseline rows as the batch aggregator keeps them and context.rs reads them: the
/// activity slot is the UTC hour of the week, a class slot the UTC hour of the day, each
/// last folded one period before the batch's hour, so the worker decays nothing.
async fn seed_baseline(
    db: &DatabaseConnection,
    camera_id: &str,
    baseline: &BaselineSpec,
    start: DateTime<Utc>,
) -> Result<(), Failure> {
    let hour_start = Utc
        .with_ymd_and_hms(start.year(), start.month(), start.day(), start.hour(), 0, 0)
        .single()
        .ok_or("hour start")?;
    let hour = i32::try_from(hour_start.hour())?;
    let last_week = hour_start - Duration::days(7);
    activity_baselines::Entity::insert(activity_baselines::ActiveModel {
        camera_id: Set(camera_id.to_owned()),
        hour: Set(hour),
        day_of_week: Set(i32::try_from(hour_start.weekday().num_days_from_monday())?),
        avg_count: Set(baseline.usual_per_hour),
        count_variance: Set(baseline.std_dev * baseline.std_dev),
        sample_count: Set(i32::try_from(baseline.weeks)?),
        last_bucket_at: Set(Some(last_week)),
        last_updated: Set(last_week + Duration::hours(1)),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let yesterday = hour_start - Duration::days(1);
    for (class, usual) in &baseline.by_class {
        class_baselines::Entity::insert(class_baselines::ActiveModel {
            camera_id: Set(camera_id.to_owned()),
            detection_class: Set(class.clone()),
            hour: Set(hour),
            frequency: Set(*usual),
            // Rare counts: about as variable as they are frequent.
            frequency_variance: Set(*usual),
            sample_count: Set(i32::try_from(baseline.weeks * 7)?),
            last_bucket_at: Set(Some(yesterday)),
            last_updated: Set(yesterday + Duration::hours(1)),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The worker reads other cameras' detections in the window before its own clock (not
/// before the batch's time), so they are written relative to now.
async fn seed_other_cameras(db: &DatabaseConnection, scenario: &Scenario) -> Result<(), Failure> {
    let now = Utc::now();
    let mut peers: BTreeMap<&str, String> = BTreeMap::new();
    for (index, other) in scenario.other_cameras.iter().enumerate() {
        let next = peers.len();
        let id = match peers.get(other.camera.as_str()) {
            Some(id) => id.clone(),
            None => {
                let id = format!("{}_peer_{next}", scenario.camera.id);
                insert_camera(db, &id, &other.camera).await?;
                peers.insert(&other.camera, id.clone());
                id
            }
        };
        for n in 0..other.count {
            detections::Entity::insert(detections::ActiveModel {
                camera_id: Set(id.clone()),
                file_path: Set(format!("/cams/{}/eval-peer-{index}-{n}.jpg", other.camera)),
                detected_at: Set(now - Duration::seconds(i64::from(other.seconds_ago))),
                object_type: Set(Some(other.object.clone())),
                confidence: Set(Some(0.85)),
                source_message_id: Set(Some(format!("eval-{id}-{index}"))),
                object_index: Set(i32::try_from(n)?),
                ..Default::default()
            })
            .exec(db)
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Judging

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Model,
    Fallback,
}

/// Where the LLM is, per mode.
#[derive(Debug, Clone)]
struct LlmTarget {
    mode: Mode,
    base_url: String,
    model: Option<String>,
}

/// One scenario's verdict as the worker wrote it.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    description: String,
    concerning: bool,
    expected_bands: Vec<Severity>,
    score: Option<i32>,
    level: Option<String>,
    in_band: bool,
    fallback: Option<bool>,
    /// Wall time of `Analyzer::handle` for the batch.
    batch_ms: Option<f64>,
    /// The LLM call as the audit row records it.
    llm_latency_ms: Option<i64>,
    fallback_reason: Option<String>,
    /// The worker's own evidence score and the LLM's bounded move of it, where the
    /// audit row records them.
    evidence_score: Option<i64>,
    llm_adjustment: Option<i64>,
    summary: Option<String>,
    reasoning: Option<String>,
    error: Option<String>,
}

fn settings_for(
    db: &TestDatabase,
    redis: &TestRedis,
    llm: &LlmTarget,
    timezone: &str,
) -> Result<Settings, Failure> {
    let mut settings = Settings::default();
    settings.database.url = SecretUrl::new(db.url_for(Service::AnalysisWorker));
    settings.redis = redis.settings();
    settings.queue = QueueSettings {
        block_ms: 200,
        ..QueueSettings::default()
    };
    settings.grpc.listen = None;
    settings.analysis.timezone = timezone.to_owned();
    settings.llm.base_url.clone_from(&llm.base_url);
    if let Some(model) = &llm.model {
        settings.llm.model.clone_from(model);
    }
    match llm.mode {
        // A small model on a few CPU cores can take its time; the worker's retries stay.
        Mode::Model => settings.llm.timeout_ms = 120_000,
        Mode::Fallback => {
            settings.llm.attempts = 1;
            settings.llm.timeout_ms = 2_000;
        }
    }
    settings.validate()?;
    Ok(settings)
}

async fn judge(scenario: &Scenario, llm: &LlmTarget, timezone: &str) -> Row {
    let mut row = Row {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        concerning: scenario.concerning,
        expected_bands: scenario.expected_bands.clone(),
        score: None,
        level: None,
        in_band: false,
        fallback: None,
        batch_ms: None,
        llm_latency_ms: None,
        fallback_reason: None,
        evidence_score: None,
        llm_adjustment: None,
        summary: None,
        reasoning: None,
        error: None,
    };
    if let Err(err) = judge_into(scenario, llm, timezone, &mut row).await {
        row.error = Some(err.to_string());
    }
    row
}

async fn judge_into(
    scenario: &Scenario,
    llm: &LlmTarget,
    timezone: &str,
    row: &mut Row,
) -> Result<(), Failure> {
    let tz: chrono_tz::Tz = timezone
        .parse()
        .map_err(|_| format!("bad time zone {timezone}"))?;
    let db = TestDatabase::migrated().await;
    let redis = TestRedis::new();
    let start = scenario.start(tz)?;
    let detection_ids = seed(&db.conn, scenario, start).await?;
    let settings = settings_for(&db, &redis, llm, timezone)?;
    let analyzer = build_analyzer(&settings, &CancellationToken::new()).await?;

    let pool = redis_pool(&settings.redis)?;
    let prefix = &settings.redis.key_prefix;
    let batch_id = format!("eval-{}", scenario.camera.id);
    let last = scenario
        .detections
        .iter()
        .map(|d| scenario.seen_at(start, d))
        .max()
        .unwrap_or(start);
    let close_reason = if scenario.fast_path {
        BatchCloseReason::FastPath
    } else {
        BatchCloseReason::Idle
    };
    Producer::<BatchMessage>::new(pool.clone(), prefix, &settings.queue, "eval-judgement")
        .publish(BatchMessage {
            batch_id: batch_id.clone(),
            camera_id: scenario.camera.id.clone(),
            detection_ids,
            started_at_ms: start.timestamp_millis(),
            closed_at_ms: last.timestamp_millis(),
            close_reason: close_reason as i32,
            is_fast_path: scenario.fast_path,
            ..BatchMessage::default()
        })
        .await?;
    let consumer = Consumer::<BatchMessage>::new(
        pool,
        prefix,
        &settings.analysis.group,
        "eval-judgement",
        &settings.queue,
    );
    let delivery = consumer
        .receive(1)
        .await?
        .into_iter()
        .next()
        .ok_or("the batch did not come back from the stream")?;
    let entry = delivery.id.clone();

    let started = Instant::now();
    let handled = analyzer.handle(delivery).await;
    row.batch_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    handled.map_err(|err| format!("the worker did not judge the batch: {err:?}"))?;
    consumer.ack(&[entry.as_str()]).await?;

    let event = events::Entity::find()
        .filter(events::Column::BatchId.eq(&batch_id))
        .one(&db.conn)
        .await?
        .ok_or("the worker wrote no event")?;
    let audit = audit_of(&db.conn, event.id).await?;
    if audit["stage"].as_str() == Some("provisional") {
        return Err("the event was left provisional (its judgement never came)".into());
    }
    row.score = event.risk_score;
    row.in_band = event
        .risk_level
        .as_deref()
        .and_then(|level| level.parse::<Severity>().ok())
        .is_some_and(|level| scenario.expected_bands.contains(&level));
    row.level = event.risk_level;
    row.summary = event.summary;
    row.reasoning = event.reasoning;
    row.fallback = audit["is_fallback"].as_bool();
    row.fallback_reason = audit["fallback_reason"].as_str().map(str::to_owned);
    row.llm_latency_ms = audit["llm_latency_ms"].as_i64();
    row.evidence_score = audit["evidence_score"].as_i64();
    row.llm_adjustment = audit["llm_adjustment"].as_i64();
    Ok(())
}

/// The event's audit row as a JSON object: the harness reads the columns it knows by
/// name, so the audit may gain columns without breaking it.
async fn audit_of(db: &DatabaseConnection, event_id: i32) -> Result<serde_json::Value, Failure> {
    let row = db
        .query_one(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT to_jsonb(a) AS audit FROM event_audits a WHERE a.event_id = $1",
            [event_id.into()],
        ))
        .await?
        .ok_or("the event has no audit row")?;
    Ok(row.try_get("", "audit")?)
}

// ---------------------------------------------------------------------------------
// Figures

#[derive(Debug, Serialize)]
struct Summary {
    scenarios: usize,
    judged: usize,
    errors: usize,
    /// Mann-Whitney: the chance a concerning scenario scores above a routine one.
    auroc: Option<f64>,
    auroc_goal_met: bool,
    in_band: usize,
    in_band_share: f64,
    in_band_goal_met: bool,
    fallbacks: usize,
    fallback_rate: f64,
    latency_p50_ms: Option<f64>,
    latency_p95_ms: Option<f64>,
    latency_mean_ms: Option<f64>,
}

/// Area under the ROC curve of `score` for concerning against routine: the share of
/// (concerning, routine) pairs the score orders rightly, ties counting half.
fn auroc(rows: &[Row]) -> Option<f64> {
    let scores = |concerning: bool| -> Vec<i32> {
        rows.iter()
            .filter(|r| r.concerning == concerning)
            .filter_map(|r| r.score)
            .collect()
    };
    let (positives, negatives) = (scores(true), scores(false));
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for p in &positives {
        for n in &negatives {
            wins += match p.cmp(n) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    Some(wins / (positives.len() * negatives.len()) as f64)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn summarise(rows: &[Row]) -> Summary {
    let judged = rows.iter().filter(|r| r.score.is_some()).count();
    let in_band = rows.iter().filter(|r| r.in_band).count();
    let fallbacks = rows.iter().filter(|r| r.fallback == Some(true)).count();
    let mut latencies: Vec<f64> = rows
        .iter()
        .filter(|r| r.score.is_some())
        .filter_map(|r| r.batch_ms)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let auroc = auroc(rows);
    Summary {
        scenarios: rows.len(),
        judged,
        errors: rows.len() - judged,
        auroc,
        auroc_goal_met: auroc.is_some_and(|a| a >= GOAL_AUROC),
        in_band,
        in_band_share: share(in_band, rows.len()),
        in_band_goal_met: share(in_band, rows.len()) >= GOAL_IN_BAND,
        fallbacks,
        fallback_rate: share(fallbacks, judged),
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p95_ms: percentile(&latencies, 0.95),
        latency_mean_ms: (!latencies.is_empty())
            .then(|| latencies.iter().sum::<f64>() / latencies.len() as f64),
    }
}

// ---------------------------------------------------------------------------------
// Output

fn print_table(mode: Mode, llm: &LlmTarget, timezone: &str, rows: &[Row], summary: &Summary) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0}"));
    println!();
    println!(
        "## mode {} (llm {}, time zone {timezone})",
        mode_name(mode),
        llm.base_url
    );
    println!();
    println!(
        "| scenario | label | expected | score | level | in band | fallback | batch ms | llm ms |"
    );
    println!("| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: |");
    for r in rows {
        let expected: Vec<&str> = r.expected_bands.iter().map(|b| b.as_str()).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            if r.concerning {
                "concerning"
            } else {
                "routine"
            },
            expected.join("/"),
            r.score.map_or("-".to_owned(), |s| s.to_string()),
            r.level.as_deref().unwrap_or("-"),
            yes_no(r.in_band),
            r.fallback.map_or("-", yes_no),
            ms(r.batch_ms),
            r.llm_latency_ms.map_or("-".to_owned(), |v| v.to_string()),
        );
    }
    for r in rows.iter().filter(|r| r.error.is_some()) {
        println!(
            "\nerror in {}: {}",
            r.name,
            r.error.as_deref().unwrap_or_default()
        );
    }
    let met = |b: bool| if b { "met" } else { "missed" };
    println!();
    println!(
        "summary ({}): {} scenarios ({} concerning, {} routine), {} judged, {} errors",
        mode_name(mode),
        summary.scenarios,
        rows.iter().filter(|r| r.concerning).count(),
        rows.iter().filter(|r| !r.concerning).count(),
        summary.judged,
        summary.errors
    );
    let share = |part: f64, n: usize, of: usize| format!("{:.1} % ({n}/{of})", part * 100.0);
    let lines = [
        (
            "AUROC, concerning vs routine",
            summary.auroc.map_or("-".to_owned(), |a| format!("{a:.3}")),
            format!("goal >= {GOAL_AUROC:.2}: {}", met(summary.auroc_goal_met)),
        ),
        (
            "in the expected band",
            share(summary.in_band_share, summary.in_band, summary.scenarios),
            format!(
                "goal >= {:.0} %: {}",
                GOAL_IN_BAND * 100.0,
                met(summary.in_band_goal_met)
            ),
        ),
        (
            "fallback rate",
            share(summary.fallback_rate, summary.fallbacks, summary.judged),
            String::new(),
        ),
        (
            "latency per batch",
            format!(
                "p50 {} ms, p95 {} ms, mean {} ms",
                ms(summary.latency_p50_ms),
                ms(summary.latency_p95_ms),
                ms(summary.latency_mean_ms)
            ),
            String::new(),
        ),
    ];
    for (label, value, goal) in lines {
        println!("{}", format!("  {label:<30} {value:<18} {goal}").trim_end());
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Model => "model",
        Mode::Fallback => "fallback",
    }
}

// ---------------------------------------------------------------------------------
// Command line

#[derive(Debug)]
struct Args {
    modes: Vec<Mode>,
    scenarios: PathBuf,
    json: bool,
    timezone: String,
    llm_url: Option<String>,
    llm_model: Option<String>,
}

fn parse_args() -> Result<Args, Failure> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let mut args = Args {
        modes: vec![Mode::Fallback, Mode::Model],
        scenarios: PathBuf::from(manifest_dir).join("eval/scenarios.json"),
        json: false,
        timezone: "Europe/London".to_owned(),
        llm_url: None,
        llm_model: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = || {
            given
                .next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--mode" => {
                args.modes = match value()?.as_str() {
                    "model" => vec![Mode::Model],
                    "fallback" => vec![Mode::Fallback],
                    "both" => vec![Mode::Fallback, Mode::Model],
                    other => {
                        return Err(
                            format!("--mode {other:?}: expected model, fallback or both").into(),
                        )
                    }
                }
            }
            "--scenarios" => args.scenarios = PathBuf::from(value()?),
            "--timezone" => args.timezone = value()?,
            "--llm-url" => args.llm_url = Some(value()?),
            "--llm-model" => args.llm_model = Some(value()?),
            "--json" => args.json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    Ok(args)
}

/// A local port nothing listens on: the LLM of fallback mode.
fn closed_port_url() -> Result<String, Failure> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    Ok(format!("http://127.0.0.1:{port}/v1"))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = parse_args()?;
    let timezone: chrono_tz::Tz = args
        .timezone
        .parse()
        .map_err(|_| format!("--timezone {:?} is not an IANA time zone", args.timezone))?;
    let window = Settings::default().analysis.cross_camera_window_secs;
    let scenarios = load_scenarios(&args.scenarios, timezone, window)?;
    let mut report = Vec::new();
    for mode in &args.modes {
        let base_url = match (mode, &args.llm_url) {
            (Mode::Fallback, _) => closed_port_url()?,
            (Mode::Model, Some(url)) => url.clone(),
            // Starts the bundled llama.cpp server when none answers (blocking, up to 2 min).
            (Mode::Model, None) => tokio::task::spawn_blocking(hsi_testkit::llm_base_url).await?,
        };
        let llm = LlmTarget {
            mode: *mode,
            base_url,
            model: args.llm_model.clone(),
        };
        eprintln!(
            "judging {} scenarios in {} mode (llm {})",
            scenarios.len(),
            mode_name(*mode),
            llm.base_url
        );
        let mut rows = Vec::with_capacity(scenarios.len());
        for (n, scenario) in scenarios.iter().enumerate() {
            let row = judge(scenario, &llm, &args.timezone).await;
            eprintln!(
                "  [{}/{}] {}: {}",
                n + 1,
                scenarios.len(),
                scenario.name,
                match (&row.error, row.score) {
                    (Some(err), _) => format!("error: {err}"),
                    (None, score) => format!(
                        "score {} ({}){}",
                        score.unwrap_or_default(),
                        row.level.as_deref().unwrap_or("-"),
                        if row.fallback == Some(true) {
                            ", fallback"
                        } else {
                            ""
                        }
                    ),
                }
            );
            rows.push(row);
        }
        let summary = summarise(&rows);
        if !args.json {
            print_table(*mode, &llm, &args.timezone, &rows, &summary);
        }
        report.push(serde_json::json!({
            "mode": mode,
            "llm_base_url": llm.base_url,
            "summary": summary,
            "results": rows,
        }));
    }
    if args.json {
        let (y, m, d) = REFERENCE_MONDAY;
        let document = serde_json::json!({
            "scenarios_file": args.scenarios.display().to_string(),
            "timezone": args.timezone,
            "reference_monday": format!("{y:04}-{m:02}-{d:02}"),
            "goals": {"auroc": GOAL_AUROC, "in_band_share": GOAL_IN_BAND},
            "modes": report,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(concerning: bool, score: i32) -> Row {
        Row {
            name: String::new(),
            description: String::new(),
            concerning,
            expected_bands: vec![],
            score: Some(score),
            level: None,
            in_band: false,
            fallback: None,
            batch_ms: None,
            llm_latency_ms: None,
            fallback_reason: None,
            evidence_score: None,
            llm_adjustment: None,
            summary: None,
            reasoning: None,
            error: None,
        }
    }

    #[test]
    fn auroc_counts_ties_half() {
        assert_eq!(auroc(&[row(true, 80), row(false, 10)]), Some(1.0));
        assert_eq!(auroc(&[row(true, 10), row(false, 80)]), Some(0.0));
        assert_eq!(auroc(&[row(true, 50), row(false, 50)]), Some(0.5));
        // pairs: (60,30) 1, (60,60) 0.5, (40,30) 1, (40,60) 0 -> 2.5 / 4
        assert_eq!(
            auroc(&[row(true, 60), row(true, 40), row(false, 30), row(false, 60)]),
            Some(0.625)
        );
        assert_eq!(auroc(&[row(true, 60)]), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), Some(10.0));
        assert_eq!(percentile(&values, 0.95), Some(19.0));
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
