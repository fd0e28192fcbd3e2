//! `hsi`, the operator's command: one module per command group, each a thin layer over
//! the gateway's REST API or over the gateway's own service functions run against
//! PostgreSQL and Redis directly (see [`connect`]).

pub mod api;
pub mod cameras;
pub mod connect;
pub mod error;
pub mod events;
pub mod keys;
pub mod logs;
pub mod migrate;
pub mod output;
pub mod progress;
pub mod queues;
pub mod refused;
pub mod status;

pub use error::{CliError, CliResult};

use clap::{Args, Parser, Subcommand};
use connect::Target;
use hsi_core::settings::{Secret, SecretUrl};
use output::Output;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Where each command goes:
  gateway API (--api, --key):  cameras, events, logs, keys list|revoke
  PostgreSQL and Redis:         status, queues, dead-letters, refused, keys create, migrate
The direct commands work while the gateway is down. They read the gateway's settings
(HSI_CONFIG or --config, then HSI__DATABASE__URL, HSI__REDIS__URL, HSI__REDIS__KEY_PREFIX),
which --database-url, --redis-url and --redis-prefix override; `migrate` needs the
schema owner's URL. Output is a table; --json prints the API's JSON objects.
Exit codes: 0 done, 1 failed, 2 bad usage or settings, 3 unreachable, 4 key refused,
5 not found, 130 interrupted.";

/// The HSI operator's command.
#[derive(Debug, Parser)]
#[command(name = "hsi", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// The gateway's base URL.
    #[arg(
        long,
        global = true,
        env = "HSI_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub api: String,
    /// API key for the gateway (never printed).
    #[arg(long, global = true, env = "HSI_API_KEY", hide_env_values = true, value_parser = secret)]
    pub key: Option<Secret>,
    /// Gateway settings file (TOML) for the direct connections.
    #[arg(long, global = true, env = "HSI_CONFIG")]
    pub config: Option<PathBuf>,
    /// PostgreSQL URL for the direct commands.
    #[arg(long, global = true, value_parser = secret_url)]
    pub database_url: Option<SecretUrl>,
    /// Redis URL for the direct commands.
    #[arg(long, global = true, value_parser = secret_url)]
    pub redis_url: Option<SecretUrl>,
    /// Prefix of this deployment's Redis keys (default from settings: "hsi:").
    #[arg(long, global = true)]
    pub redis_prefix: Option<String>,
}

fn secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

fn secret_url(text: &str) -> Result<SecretUrl, String> {
    Ok(SecretUrl::new(text))
}

fn name_and_url(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, url)) if !name.is_empty() && url.starts_with("http") => {
            Ok((name.to_owned(), url.to_owned()))
        }
        _ => Err(format!(
            "{text:?} is not NAME=URL (like detection-worker=http://127.0.0.1:9101/metrics)"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Health of every service, PostgreSQL, Redis and the queues [PostgreSQL, Redis; the
    /// gateway's /readyz]. Exits 0 only when everything serves.
    Status {
        /// Also scrape a service's Prometheus endpoint (repeatable).
        #[arg(long = "metrics", value_name = "NAME=URL", value_parser = name_and_url)]
        metrics: Vec<(String, String)>,
    },
    /// Length, pending and dead letters of every stream [Redis].
    Queues,
    /// Messages the workers gave up on: list, show, requeue [Redis; requeue is audited in
    /// PostgreSQL].
    #[command(subcommand)]
    DeadLetters(DeadLetters),
    /// Files the file-watcher refused or abandoned, newest first [PostgreSQL].
    Refused {
        #[arg(long)]
        camera: Option<String>,
        /// A refusal reason (too_small, undecodable_image, not_processed, ...).
        #[arg(long)]
        reason: Option<String>,
        /// Recorded at or after (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Cameras: list, rename, disable, enable [gateway API].
    #[command(subcommand)]
    Cameras(Cameras),
    /// Events: list, search, tail live [gateway API].
    #[command(subcommand)]
    Events(Events),
    /// The services' warnings and errors, newest first: filter and search [gateway API].
    Logs {
        /// Full text over message, service, level and camera (web-search syntax).
        text: Option<String>,
        /// The lowest level shown.
        #[arg(long, value_parser = ["debug", "info", "warning", "error", "critical"])]
        level: Option<String>,
        /// Only this service (file-watcher, detection-worker, batch-aggregator,
        /// analysis-worker, api-gateway).
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        event: Option<i32>,
        /// Logged at or after (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// API keys: create [PostgreSQL], list and revoke [gateway API].
    #[command(subcommand)]
    Keys(Keys),
    /// The database schema: up, status [PostgreSQL, as the schema owner].
    #[command(subcommand)]
    Migrate(Migrate),
}

#[derive(Debug, Subcommand)]
pub enum DeadLetters {
    /// The oldest dead letters of each stream.
    List {
        /// files, detections or batches (default: all three).
        #[arg(long)]
        stream: Option<String>,
        /// Most shown per stream.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One dead letter with its error and its decoded message.
    Show {
        id: String,
        /// The stream, when the id alone is ambiguous.
        #[arg(long)]
        stream: Option<String>,
    },
    /// Put one dead letter, or all of them (with a progress bar; Ctrl-C stops safely
    /// between steps), back on its stream.
    Requeue {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long)]
        stream: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Cameras {
    /// Every camera with its activity.
    List {
        /// Include disabled cameras.
        #[arg(long)]
        all: bool,
    },
    /// Give a camera a display name.
    Rename { id: String, name: String },
    /// Stop queueing a camera's files (a soft delete, undone by `enable`).
    Disable { id: String },
    /// Queue a disabled camera's files again.
    Enable { id: String },
}

/// Filters of `events list` and `events search`.
#[derive(Debug, Args)]
pub struct EventArgs {
    /// Only this camera (repeatable).
    #[arg(long = "camera")]
    cameras: Vec<String>,
    /// Only this risk level: low, medium, high, critical (repeatable).
    #[arg(long = "risk")]
    risks: Vec<String>,
    /// Started at or after (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

impl EventArgs {
    fn filter(&self) -> events::EventFilter {
        events::EventFilter {
            cameras: self.cameras.clone(),
            risk_levels: self.risks.clone(),
            since: self.since.clone(),
            limit: self.limit,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Events {
    /// Events, newest first.
    List(EventArgs),
    /// Full-text search over summaries and reasoning.
    Search {
        text: String,
        #[command(flatten)]
        filter: EventArgs,
    },
    /// Print new events as they are judged, until Ctrl-C.
    Tail {
        /// Start after this event id (catch up on what was missed).
        #[arg(long)]
        after: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Keys {
    /// Make a key; it is printed once. Works before any key exists.
    Create {
        name: String,
        #[arg(long, value_parser = ["read", "operator", "admin"])]
        scope: String,
    },
    /// Every key (not the secrets).
    List {
        /// Include revoked keys.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a key at once.
    Revoke { id: i32 },
}

#[derive(Debug, Subcommand)]
pub enum Migrate {
    /// Apply every pending migration.
    Up,
    /// Which migrations are applied and which are pending.
    Status,
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> CliResult<()> {
    let Global {
        json,
        api,
        key,
        config,
        database_url,
        redis_url,
        redis_prefix,
    } = cli.global;
    let out = Output { json };
    let target = Target {
        api,
        key,
        config,
        database_url,
        redis_url,
        redis_prefix,
    };
    match cli.command {
        Command::Status { metrics } => status::status(&target, out, &metrics).await,
        Command::Queues => queues::queues(&target, out).await,
        Command::DeadLetters(action) => dead_letters(&target, out, action).await,
        Command::Refused {
            camera,
            reason,
            since,
            limit,
        } => {
            let filter = refused::RefusedFilter {
                camera,
                reason,
                since,
                limit,
            };
            refused::refused(&target, out, filter).await
        }
        Command::Cameras(action) => {
            let api = target.api()?;
            match action {
                Cameras::List { all } => cameras::list(&api, out, all).await,
                Cameras::Rename { id, name } => cameras::rename(&api, out, &id, &name).await,
                Cameras::Disable { id } => cameras::disable(&api, out, &id).await,
                Cameras::Enable { id } => cameras::enable(&api, out, &id).await,
            }
        }
        Command::Events(action) => {
            let api = target.api()?;
            match action {
                Events::List(filter) => events::list(&api, out, &filter.filter()).await,
                Events::Search { text, filter } => {
                    events::search(&api, out, &text, &filter.filter()).await
                }
                Events::Tail { after } => events::tail(&api, out, after).await,
            }
        }
        Command::Logs {
            text,
            level,
            service,
            camera,
            event,
            since,
            limit,
        } => {
            let filter = logs::LogFilter {
                q: text,
                level,
                service,
                camera,
                event,
                since,
                limit,
            };
            logs::logs(&target.api()?, out, &filter).await
        }
        Command::Keys(Keys::Create { name, scope }) => {
            keys::create(&target, out, &name, &scope).await
        }
        Command::Keys(Keys::List { all }) => keys::list(&target.api()?, out, all).await,
        Command::Keys(Keys::Revoke { id }) => keys::revoke(&target.api()?, out, id).await,
        Command::Migrate(Migrate::Up) => migrate::up(&target, out).await,
        Command::Migrate(Migrate::Status) => migrate::status(&target, out).await,
    }
}

async fn dead_letters(target: &Target, out: Output, action: DeadLetters) -> CliResult<()> {
    match action {
        DeadLetters::List { stream, limit } => {
            queues::list(target, out, stream.as_deref(), limit).await
        }
        DeadLetters::Show { id, stream } => queues::show(target, out, stream.as_deref(), &id).await,
        DeadLetters::Requeue {
            id: Some(id),
            stream,
            ..
        } => queues::requeue_one(target, out, stream.as_deref(), &id).await,
        DeadLetters::Requeue {
            id: None, stream, ..
        } => {
            let interrupt = progress::Interrupt::listen();
            queues::requeue_all(target, out, stream.as_deref(), &interrupt).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn requeue_takes_an_id_or_all_but_not_both() {
        assert!(Cli::try_parse_from(["hsi", "dead-letters", "requeue"]).is_err());
        assert!(Cli::try_parse_from(["hsi", "dead-letters", "requeue", "1-0", "--all"]).is_err());
        assert!(Cli::try_parse_from(["hsi", "dead-letters", "requeue", "--all"]).is_ok());
    }

    #[test]
    fn metrics_endpoints_are_name_equals_url() {
        assert_eq!(
            name_and_url("dw=http://h:1/metrics").unwrap(),
            ("dw".to_owned(), "http://h:1/metrics".to_owned())
        );
        assert!(name_and_url("http://h:1/metrics").is_err());
    }
}
