//! The analysis worker's settings.

use crate::llm::structured::ServerKind;
use hsi_alerts::AlertSettings;
use hsi_core::metrics_export::MetricsSettings;
use hsi_core::settings::{
    validate_internal_grpc, DatabaseSettings, RedisSettings, Secret, SecretUrl, SettingsError,
    Validate,
};
use hsi_core::telemetry::TelemetrySettings;
use hsi_core::SeverityBands;
use hsi_queue::QueueSettings;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Everything the analysis worker reads at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub queue: QueueSettings,
    pub telemetry: TelemetrySettings,
    pub metrics: MetricsSettings,
    pub llm: LlmSettings,
    pub analysis: AnalysisSettings,
    pub alerts: AlertSettings,
    pub grpc: GrpcSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings {
                url: SecretUrl::new("postgres://hsi_analysis_worker@127.0.0.1:5432/hsi"),
                ..DatabaseSettings::default()
            },
            redis: RedisSettings::default(),
            queue: QueueSettings::default(),
            telemetry: TelemetrySettings::default(),
            metrics: MetricsSettings::default(),
            llm: LlmSettings::default(),
            analysis: AnalysisSettings::default(),
            alerts: AlertSettings::default(),
            grpc: GrpcSettings::default(),
        }
    }
}

/// How the LLM is reached (any server speaking OpenAI's chat-completions protocol).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// Up to and including `/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Secret,
    /// Overrides the prompt configuration's temperature when set.
    pub temperature: Option<f32>,
    /// Overrides the prompt configuration's max_tokens when set.
    pub max_tokens: Option<u32>,
    /// Longest one call may take.
    pub timeout_ms: u64,
    /// Attempts per event, the first included.
    pub attempts: u32,
    pub retry_base_ms: u64,
    /// Consecutive failed calls that open the circuit breaker ...
    pub breaker_failures: u32,
    /// ... which then answers "unavailable" without calling for this long.
    pub breaker_open_secs: u64,
    /// Hold the model to the reply schema the way its server enforces it (see
    /// `llm::structured`); off asks for `json_object` only.
    pub structured_output: bool,
    /// The kind of server at `base_url`: `auto` (detected at the first call and after
    /// a rejection), `llama_cpp`, `llama_cpp_python`, `vllm`, `ollama` or `openai`.
    pub server: ServerKind,
    /// How far the LLM may move the evidence score, in points either way (0: the LLM
    /// only writes the summary and reasoning).
    pub max_adjustment: u32,
    /// Send the event's pictures (full frame downscaled, then thumbnails) as image
    /// parts, for vision-language models.
    pub vision: bool,
    /// At most this many pictures per prompt ...
    pub vision_max_images: usize,
    /// ... adding at most this many bytes (base64) to the request ...
    pub vision_max_bytes: usize,
    /// ... each downscaled to at most this many pixels on its longest side.
    pub vision_max_side: u32,
    /// A batch judged while the consumer waits (not a fast-path event, which is judged
    /// off the consumer) skips the LLM when this many calls are already in flight, and
    /// takes its evidence score, so that an overloaded LLM slows judgements, never the
    /// stream and the alerts. 0: always wait for the LLM.
    pub max_waiting: u32,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8089/v1".to_owned(),
            model: "smollm2-135m-instruct".to_owned(),
            api_key: Secret::default(),
            temperature: None,
            max_tokens: None,
            timeout_ms: 30_000,
            attempts: 3,
            retry_base_ms: 500,
            breaker_failures: 5,
            breaker_open_secs: 30,
            structured_output: true,
            server: ServerKind::Auto,
            max_adjustment: 10,
            vision: false,
            vision_max_images: 4,
            vision_max_bytes: 1_500_000,
            vision_max_side: 768,
            max_waiting: 2,
        }
    }
}

/// How batches are judged.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisSettings {
    /// Consumer group every replica joins.
    pub group: String,
    /// Batches judged at once.
    pub concurrency: usize,
    /// Score edges of the risk levels (29/59/84).
    pub severity: SeverityBands,
    /// How far back activity on other cameras is reported.
    pub cross_camera_window_secs: u64,
    /// Detections listed in a prompt (the rest are summarised).
    pub max_detections_in_prompt: usize,
    /// The prompt configuration to use (`prompt_configs.model`).
    pub prompt_model: String,
    /// Redis pub/sub channel (after the key prefix) new events are announced on.
    pub events_channel: String,
    /// The home's IANA time zone: what "night" means, and the times the judge reads.
    pub timezone: String,
    /// A fast-path batch is written at once on its evidence score, and rules that fire
    /// on the fast path alert before the LLM answers; the judgement then revises the
    /// event and those alerts. Off: every batch waits for its judgement.
    pub two_stage: bool,
    /// Fast-path judgements waiting for a judge, at most; beyond, the consumer judges.
    pub judgement_queue: usize,
    /// A provisional event older than this is judged by whichever worker's sweep sees it
    /// (its worker stopped between the stages) ...
    pub provisional_grace_secs: u64,
    /// ... looked for this often.
    pub provisional_sweep_secs: u64,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            group: "analysis-worker".to_owned(),
            concurrency: 4,
            severity: SeverityBands::default(),
            cross_camera_window_secs: 300,
            max_detections_in_prompt: 40,
            prompt_model: "nemotron".to_owned(),
            events_channel: "events".to_owned(),
            timezone: "UTC".to_owned(),
            two_stage: true,
            judgement_queue: 1_000,
            provisional_grace_secs: 120,
            provisional_sweep_secs: 30,
        }
    }
}

/// The gRPC API (re-analyse, prompt preview, health).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcSettings {
    /// Unset turns the API off. Loopback by default; any other address needs `token`.
    pub listen: Option<SocketAddr>,
    /// The shared token callers must present (`authorization: Bearer <token>`).
    pub token: Secret,
}

impl Default for GrpcSettings {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 50062))),
            token: Secret::default(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        self.queue.validate("queue")?;
        self.alerts.validate("alerts")?;
        validate_internal_grpc("grpc", self.grpc.listen, &self.grpc.token)?;
        self.analysis
            .severity
            .validate()
            .map_err(|err| SettingsError::invalid("analysis.severity", err))?;
        let llm = &self.llm;
        if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) {
            return Err(SettingsError::invalid(
                "llm.base_url",
                format!("{:?} is not an http(s) URL", llm.base_url),
            ));
        }
        if let Some(t) = llm.temperature.filter(|t| !(0.0..=2.0).contains(t)) {
            return Err(SettingsError::invalid(
                "llm.temperature",
                format!("{t} is outside 0..=2"),
            ));
        }
        if llm.max_adjustment > 50 {
            return Err(SettingsError::invalid(
                "llm.max_adjustment",
                format!("{} is more than 50 points", llm.max_adjustment),
            ));
        }
        if llm.vision_max_side < 64 {
            return Err(SettingsError::invalid(
                "llm.vision_max_side",
                format!("{} is under 64 pixels", llm.vision_max_side),
            ));
        }
        for (key, value) in [
            ("llm.vision_max_images", llm.vision_max_images as u64),
            ("llm.vision_max_bytes", llm.vision_max_bytes as u64),
            ("llm.timeout_ms", llm.timeout_ms),
            ("llm.attempts", u64::from(llm.attempts)),
            ("llm.breaker_failures", u64::from(llm.breaker_failures)),
            ("analysis.concurrency", self.analysis.concurrency as u64),
            (
                "analysis.max_detections_in_prompt",
                self.analysis.max_detections_in_prompt as u64,
            ),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        if self.analysis.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(SettingsError::invalid(
                "analysis.timezone",
                format!("{:?} is not an IANA time zone", self.analysis.timezone),
            ));
        }
        if self.analysis.group.trim().is_empty() {
            return Err(SettingsError::invalid(
                "analysis.group",
                "must not be empty",
            ));
        }
        Ok(())
    }
}

hsi_core::impl_service_settings!(Settings);
