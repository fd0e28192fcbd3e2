//! Prompts: the configuration the analysis worker judges events with, one per model
//! role (`prompt_configs.model`, an `ai_model_enum` value), and its history
//! (`prompt_versions`). Every change, a rollback too, adds a version and makes it the
//! active one, in one transaction with the configuration row the worker reads
//! (`system_prompt`, `temperature`, `max_tokens`, and the active version's number), so
//! the next judgement uses it. Also: re-analysing an event, which the worker does.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, ts};
use crate::error::{ApiError, ApiResult, Code};
use crate::paging;
use crate::pb::{
    DiffPromptVersionsRequest, EventJudgement, GetActivePromptRequest, ListPromptVersionsRequest,
    ListPromptVersionsResponse, PromptConfig, PromptDiff, PromptFieldChange, PromptVersion,
    ReanalyzeEventRequest, RollbackPromptRequest, UpdatePromptRequest,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, Statement, TransactionTrait, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("GetActivePrompt", Scope::Read),
    ("ListPromptVersions", Scope::Read),
    ("DiffPromptVersions", Scope::Read),
    ("UpdatePrompt", Scope::Admin),
    ("RollbackPrompt", Scope::Admin),
    ("ReanalyzeEvent", Scope::Operator),
];

/// `ai_model_enum`: the model roles a prompt can belong to.
const MODELS: &[&str] = &["nemotron", "florence2", "yolo_world", "xclip", "fashion_clip"];
const PROMPT_MAX: usize = 20_000;
const DESCRIPTION_MAX: usize = 1_000;
/// `prompt_versions.created_by` is a varchar(255).
const CREATED_BY_MAX: usize = 255;
/// Class of the advisory locks that serialise changes of one model's prompt.
const LOCK_CLASS: i32 = 0x4853_4950; // "HSIP"

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

fn check_model(model: &str) -> ApiResult<()> {
    one_of("model", model, MODELS)
}

/// A configuration as `prompt_versions.config_json` holds it (the migration's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Config {
    system_prompt: String,
    temperature: f64,
    max_tokens: i32,
}

impl Config {
    fn check(&self) -> ApiResult<()> {
        bounded("system_prompt", &self.system_prompt, PROMPT_MAX, true)?;
        if !(0.0..=2.0).contains(&self.temperature) {
            return Err(ApiError::invalid(
                "temperature",
                format!("temperature {} is outside 0..2", self.temperature),
            ));
        }
        if !(100..=8192).contains(&self.max_tokens) {
            return Err(ApiError::invalid(
                "max_tokens",
                format!("max_tokens {} is outside 100..8192", self.max_tokens),
            ));
        }
        Ok(())
    }
}

/// A stored version's configuration; fields an old row lacks stay absent.
#[derive(Debug, Default, Deserialize)]
struct StoredConfig {
    system_prompt: Option<String>,
    temperature: Option<f64>,
    max_tokens: Option<i32>,
}

fn stored(config_json: &str) -> StoredConfig {
    serde_json::from_str(config_json).unwrap_or_default()
}

#[derive(Debug, FromQueryResult)]
struct ConfigRow {
    model: String,
    system_prompt: String,
    temperature: f64,
    max_tokens: i32,
    version: i32,
    updated_at: DateTime<Utc>,
    created_by: Option<String>,
    change_description: Option<String>,
}

impl From<ConfigRow> for PromptConfig {
    fn from(row: ConfigRow) -> Self {
        Self {
            model: row.model,
            system_prompt: row.system_prompt,
            temperature: row.temperature,
            max_tokens: row.max_tokens,
            version: row.version,
            updated_at: ts(row.updated_at),
            created_by: row.created_by,
            change_description: row.change_description,
        }
    }
}

async fn active(db: &impl ConnectionTrait, model: &str) -> ApiResult<PromptConfig> {
    ConfigRow::find_by_statement(statement(
        "SELECT c.model, c.system_prompt, c.temperature, c.max_tokens, c.version, c.updated_at, \
         v.created_by, v.change_description FROM prompt_configs c \
         LEFT JOIN LATERAL (SELECT created_by, change_description FROM prompt_versions \
             WHERE model::text = c.model AND version = c.version ORDER BY id DESC LIMIT 1) v ON true \
         WHERE c.model = $1",
        vec![model.into()],
    ))
    .one(db)
    .await?
    .map(PromptConfig::from)
    .ok_or_else(|| ApiError::not_found(format!("a prompt configuration for model {model:?}")))
}

pub async fn get_active(app: &App, _caller: &Caller, req: GetActivePromptRequest) -> ApiResult<PromptConfig> {
    check_model(&req.model)?;
    active(&app.db, &req.model).await
}

#[derive(Debug, FromQueryResult)]
struct CurrentRow {
    system_prompt: String,
    temperature: f64,
    max_tokens: i32,
    version: i32,
}

/// Makes `config` the active configuration of `model` as a new version; one
/// transaction, serialised per model.
async fn write_version(
    app: &App,
    caller: &Caller,
    model: &str,
    description: Option<String>,
    merge: impl FnOnce(Option<Config>) -> ApiResult<Config>,
) -> ApiResult<PromptConfig> {
    let txn = app.db.begin().await?;
    txn.execute(statement(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))::text",
        vec![LOCK_CLASS.into(), model.into()],
    ))
    .await?;
    let current = CurrentRow::find_by_statement(statement(
        "SELECT system_prompt, temperature, max_tokens, version FROM prompt_configs WHERE model = $1",
        vec![model.into()],
    ))
    .one(&txn)
    .await?;
    let last_config_version = current.as_ref().map_or(0, |row| row.version);
    let config = merge(current.map(|row| Config {
        system_prompt: row.system_prompt,
        temperature: row.temperature,
        max_tokens: row.max_tokens,
    }))?;
    config.check()?;
    let version = next_version(&txn, model, last_config_version).await?;
    let created_by: String = caller.name.chars().take(CREATED_BY_MAX).collect();
    let config_json = serde_json::to_string(&config)
        .map_err(|err| ApiError::internal(format!("cannot encode the configuration: {err}")))?;
    txn.execute(statement(
        "UPDATE prompt_versions SET is_active = false WHERE model = $1::ai_model_enum AND is_active",
        vec![model.into()],
    ))
    .await?;
    txn.execute(statement(
        "INSERT INTO prompt_versions (model, version, created_by, config_json, change_description, is_active) \
         VALUES ($1::ai_model_enum, $2, $3, $4, $5, true)",
        vec![model.into(), version.into(), created_by.into(), config_json.into(), description.into()],
    ))
    .await?;
    txn.execute(statement(
        "INSERT INTO prompt_configs (model, system_prompt, temperature, max_tokens, version) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model) DO UPDATE SET \
         system_prompt = EXCLUDED.system_prompt, temperature = EXCLUDED.temperature, \
         max_tokens = EXCLUDED.max_tokens, version = EXCLUDED.version",
        vec![
            model.into(),
            config.system_prompt.clone().into(),
            config.temperature.into(),
            config.max_tokens.into(),
            version.into(),
        ],
    ))
    .await?;
    let answer = active(&txn, model).await?;
    txn.commit().await?;
    Ok(answer)
}

/// One above every version the model has had, in either table.
async fn next_version(txn: &DatabaseTransaction, model: &str, config_version: i32) -> ApiResult<i32> {
    let row = txn
        .query_one(statement(
            "SELECT coalesce(max(version), 0) AS last FROM prompt_versions WHERE model = $1::ai_model_enum",
            vec![model.into()],
        ))
        .await?;
    let last: i32 = match row {
        Some(row) => row.try_get("", "last")?,
        None => 0,
    };
    Ok(last.max(config_version) + 1)
}

fn check_description(description: Option<&str>) -> ApiResult<()> {
    match description {
        Some(text) => bounded("change_description", text, DESCRIPTION_MAX, false),
        None => Ok(()),
    }
}

pub async fn update(app: &App, caller: &Caller, req: UpdatePromptRequest) -> ApiResult<PromptConfig> {
    // The prompt itself can be long; the audit trail keeps its size, not its text.
    let entry = Entry::new("prompt.update", "prompt").id(&req.model).details(json!({
        "system_prompt_chars": req.system_prompt.as_ref().map(|p| p.chars().count()),
        "temperature": req.temperature,
        "max_tokens": req.max_tokens,
        "change_description": req.change_description,
    }));
    audited(&app.db, caller, entry, async {
        check_model(&req.model)?;
        check_description(req.change_description.as_deref())?;
        if req.system_prompt.is_none() && req.temperature.is_none() && req.max_tokens.is_none() {
            return Err(ApiError::invalid(
                "system_prompt",
                "nothing to change: give system_prompt, temperature or max_tokens",
            ));
        }
        let description = req.change_description.clone();
        write_version(app, caller, &req.model, description, |current| {
            let system_prompt = match (&req.system_prompt, &current) {
                (Some(prompt), _) => prompt.clone(),
                (None, Some(current)) => current.system_prompt.clone(),
                (None, None) => {
                    return Err(ApiError::invalid(
                        "system_prompt",
                        format!("model {:?} has no configuration yet; give its system_prompt", req.model),
                    ))
                }
            };
            Ok(Config {
                system_prompt,
                temperature: req.temperature.or(current.as_ref().map(|c| c.temperature)).unwrap_or(0.7),
                max_tokens: req.max_tokens.or(current.as_ref().map(|c| c.max_tokens)).unwrap_or(2048),
            })
        })
        .await
    })
    .await
}

#[derive(Debug, FromQueryResult)]
struct VersionRow {
    version: i32,
    is_active: bool,
    created_at: DateTime<Utc>,
    created_by: Option<String>,
    change_description: Option<String>,
    config_json: String,
}

impl From<VersionRow> for PromptVersion {
    fn from(row: VersionRow) -> Self {
        let config = stored(&row.config_json);
        Self {
            version: row.version,
            is_active: row.is_active,
            created_at: ts(row.created_at),
            created_by: row.created_by,
            change_description: row.change_description,
            system_prompt: config.system_prompt.unwrap_or_default(),
            temperature: config.temperature,
            max_tokens: config.max_tokens,
        }
    }
}

const SELECT_VERSION: &str = "SELECT version, is_active, created_at, created_by, change_description, \
    config_json FROM prompt_versions WHERE model = $1::ai_model_enum";

pub async fn list_versions(
    app: &App,
    _caller: &Caller,
    req: ListPromptVersionsRequest,
) -> ApiResult<ListPromptVersionsResponse> {
    check_model(&req.model)?;
    let limit = paging::limit(req.limit)?;
    let before = paging::decode::<i32>(&req.cursor)?.unwrap_or(i32::MAX);
    let sql = format!("{SELECT_VERSION} AND version < $2 ORDER BY version DESC, id DESC LIMIT $3");
    let rows = VersionRow::find_by_statement(statement(
        &sql,
        vec![req.model.clone().into(), before.into(), i64::try_from(limit + 1).unwrap_or(i64::MAX).into()],
    ))
    .all(&app.db)
    .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| last.version);
    Ok(ListPromptVersionsResponse {
        versions: rows.into_iter().map(PromptVersion::from).collect(),
        next_cursor,
        has_more,
    })
}

async fn version(app: &App, model: &str, field: &str, version: i32) -> ApiResult<VersionRow> {
    if version < 1 {
        return Err(ApiError::invalid(field, format!("{field} {version} is not a version (they start at 1)")));
    }
    let sql = format!("{SELECT_VERSION} AND version = $2 ORDER BY id DESC LIMIT 1");
    VersionRow::find_by_statement(statement(&sql, vec![model.into(), version.into()]))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("version {version} of model {model:?}'s prompt")))
}

/// A unified line diff, empty when the texts are equal.
fn unified_diff(from: &str, to: &str, from_label: &str, to_label: &str) -> String {
    if from == to {
        return String::new();
    }
    similar::TextDiff::configure()
        // Prompts are bounded, but a diff must not hold a request up whatever the input.
        .timeout(std::time::Duration::from_secs(1))
        .diff_lines(from, to)
        .unified_diff()
        .context_radius(3)
        .header(from_label, to_label)
        .to_string()
}

fn scalar_changes(from: &StoredConfig, to: &StoredConfig) -> Vec<PromptFieldChange> {
    let mut changes = Vec::new();
    if from.temperature != to.temperature {
        changes.push(PromptFieldChange {
            field: "temperature".to_owned(),
            from: from.temperature.map(|t| t.to_string()),
            to: to.temperature.map(|t| t.to_string()),
        });
    }
    if from.max_tokens != to.max_tokens {
        changes.push(PromptFieldChange {
            field: "max_tokens".to_owned(),
            from: from.max_tokens.map(|t| t.to_string()),
            to: to.max_tokens.map(|t| t.to_string()),
        });
    }
    changes
}

pub async fn diff(app: &App, _caller: &Caller, req: DiffPromptVersionsRequest) -> ApiResult<PromptDiff> {
    check_model(&req.model)?;
    let from = version(app, &req.model, "from_version", req.from_version).await?;
    let to = version(app, &req.model, "to_version", req.to_version).await?;
    let (from_config, to_config) = (stored(&from.config_json), stored(&to.config_json));
    Ok(PromptDiff {
        system_prompt_diff: unified_diff(
            from_config.system_prompt.as_deref().unwrap_or_default(),
            to_config.system_prompt.as_deref().unwrap_or_default(),
            &format!("{} version {}", req.model, req.from_version),
            &format!("{} version {}", req.model, req.to_version),
        ),
        changes: scalar_changes(&from_config, &to_config),
        model: req.model,
        from_version: req.from_version,
        to_version: req.to_version,
    })
}

pub async fn rollback(app: &App, caller: &Caller, req: RollbackPromptRequest) -> ApiResult<PromptConfig> {
    let entry = Entry::new("prompt.rollback", "prompt").id(&req.model).details(json!({
        "version": req.version, "change_description": req.change_description,
    }));
    audited(&app.db, caller, entry, async {
        check_model(&req.model)?;
        check_description(req.change_description.as_deref())?;
        let old = version(app, &req.model, "version", req.version).await?;
        let config = stored(&old.config_json);
        let description = req
            .change_description
            .clone()
            .unwrap_or_else(|| format!("rollback to version {}", req.version));
        let unreadable = || {
            ApiError::new(
                Code::FailedPrecondition,
                format!("version {} of model {:?} holds no system_prompt; it cannot be restored", req.version, req.model),
            )
        };
        let system_prompt = config.system_prompt.clone().ok_or_else(unreadable)?;
        write_version(app, caller, &req.model, Some(description), |current| {
            Ok(Config {
                system_prompt,
                // Old versions without a setting keep the current one.
                temperature: config.temperature.or(current.as_ref().map(|c| c.temperature)).unwrap_or(0.7),
                max_tokens: config.max_tokens.or(current.as_ref().map(|c| c.max_tokens)).unwrap_or(2048),
            })
        })
        .await
    })
    .await
}

/// Asks the analysis worker to judge an event again; it writes the new judgement.
pub async fn reanalyze(app: &App, caller: &Caller, req: ReanalyzeEventRequest) -> ApiResult<EventJudgement> {
    let entry = Entry::new("event.reanalyze", "event").id(req.event_id);
    audited(&app.db, caller, entry, async {
        let id = i32::try_from(req.event_id)
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::invalid("event_id", format!("{} is not an event id", req.event_id)))?;
        let exists = app
            .db
            .query_one(statement("SELECT 1 AS one FROM events WHERE id = $1", vec![id.into()]))
            .await?;
        if exists.is_none() {
            return Err(ApiError::not_found(format!("event {id}")));
        }
        let request = app.internal_request(hsi_proto::v1::ReanalyzeEventRequest {
            event_id: i64::from(id),
        });
        let judgement = app
            .analysis_client()
            .reanalyze_event(request)
            .await
            .map_err(|status| worker_error(app, id, status))?
            .into_inner();
        Ok(EventJudgement {
            event_id: judgement.event_id,
            risk_score: judgement.risk_score,
            risk_level: judgement.risk_level,
            summary: judgement.summary,
            reasoning: judgement.reasoning,
            is_fallback: judgement.is_fallback,
            fallback_reason: Some(judgement.fallback_reason).filter(|r| !r.is_empty()),
            model: judgement.model,
            prompt_version: judgement.prompt_version,
            latency_ms: judgement.latency_ms,
        })
    })
    .await
}

/// The worker's refusals pass through; a worker that cannot be reached or failed is
/// unavailable, said so plainly.
fn worker_error(app: &App, event_id: i32, status: tonic::Status) -> ApiError {
    use tonic::Code as G;
    match status.code() {
        G::InvalidArgument | G::NotFound | G::FailedPrecondition | G::DeadlineExceeded | G::ResourceExhausted => {
            ApiError::from(status)
        }
        _ => {
            tracing::warn!(event_id, code = ?status.code(), error = %status.message(), "analysis worker call failed");
            ApiError::unavailable(format!(
                "the analysis worker ({}) could not re-analyse event {event_id}: {}; try again later",
                app.settings.services.analysis_worker,
                status.message()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_are_unified_and_empty_when_equal() {
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "v1", "v2");
        assert!(diff.starts_with("--- v1\n+++ v2\n"), "{diff}");
        assert!(diff.contains("-b\n+B\n"), "{diff}");
        assert_eq!(unified_diff("same", "same", "v1", "v2"), "");
    }

    #[test]
    fn configs_are_checked_naming_the_field() {
        let good = Config { system_prompt: "judge".into(), temperature: 0.2, max_tokens: 512 };
        assert!(good.check().is_ok());
        let cases = [
            (Config { temperature: 2.5, ..good.clone() }, "temperature"),
            (Config { temperature: f64::NAN, ..good.clone() }, "temperature"),
            (Config { max_tokens: 99, ..good.clone() }, "max_tokens"),
            (Config { system_prompt: " ".into(), ..good.clone() }, "system_prompt"),
            (Config { system_prompt: "x".repeat(PROMPT_MAX + 1), ..good.clone() }, "system_prompt"),
        ];
        for (config, field) in cases {
            assert_eq!(config.check().unwrap_err().field.as_deref(), Some(field));
        }
    }

    #[test]
    fn stored_configs_read_leniently() {
        let config = stored(r#"{"system_prompt": "x", "temperature": 0.2}"#);
        assert_eq!(config.system_prompt.as_deref(), Some("x"));
        assert_eq!(config.max_tokens, None);
        assert!(stored("not json").system_prompt.is_none());
        let changes = scalar_changes(&stored(r#"{"temperature": 0.2, "max_tokens": 5}"#), &config);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["max_tokens"]);
    }
}
