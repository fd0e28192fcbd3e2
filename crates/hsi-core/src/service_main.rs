//! What every service binary does before and after its own work: read arguments and
//! settings, start tracing and metrics, install signal handlers, run, report.

use crate::metrics_export::{self, MetricsSettings};
use crate::settings::{describe, SettingsLoader, Validate};
use crate::shutdown::install_signal_handlers;
use crate::telemetry::{self, TelemetrySettings};
use crate::Service;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// Settings every service has, besides its own sections.
pub trait ServiceSettings:
    DeserializeOwned + Serialize + Default + Validate + Send + 'static
{
    fn telemetry(&self) -> &TelemetrySettings;
    fn metrics(&self) -> &MetricsSettings;
}

/// Implements [`ServiceSettings`] for a settings struct with `telemetry` and `metrics`
/// fields, as every service's has.
#[macro_export]
macro_rules! impl_service_settings {
    ($settings:ty) => {
        impl $crate::service_main::ServiceSettings for $settings {
            fn telemetry(&self) -> &$crate::telemetry::TelemetrySettings {
                &self.telemetry
            }

            fn metrics(&self) -> &$crate::metrics_export::MetricsSettings {
                &self.metrics
            }
        }
    };
}

/// Exit status for bad arguments or settings (as `sysexits` EX_USAGE would, simplified).
pub const EXIT_BAD_CONFIG: u8 = 2;

/// How long exporting the last spans may delay the exit.
const TELEMETRY_FLUSH_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs a service binary: `--config <file>` (or `HSI_CONFIG`) and `HSI__*` variables
/// give the settings; `--print-settings` prints the effective settings and exits.
pub fn run_service<S, F, Fut, E>(service: Service, run: F) -> ExitCode
where
    S: ServiceSettings,
    F: FnOnce(S, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    run_service_with_args(service, &args, run)
}

/// [`run_service`] with the arguments given rather than the process's (a binary that
/// runs a service as one of its subcommands).
pub fn run_service_with_args<S, F, Fut, E>(service: Service, args: &[String], run: F) -> ExitCode
where
    S: ServiceSettings,
    F: FnOnce(S, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut loader = SettingsLoader::new().file_from_env();
    let mut print_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--config" | "-c" => match rest.next() {
                Some(path) => loader = loader.file(path),
                None => return usage(service, "--config needs a file"),
            },
            "--print-settings" => print_only = true,
            "--help" | "-h" => {
                eprintln!(
                    "usage: hsi-{} [--config FILE] [--print-settings]",
                    service.name()
                );
                eprintln!("settings: defaults, then FILE (or $HSI_CONFIG), then HSI__SECTION__KEY variables");
                return ExitCode::SUCCESS;
            }
            other => return usage(service, &format!("unknown argument {other:?}")),
        }
    }
    let loaded = match loader.load::<S>() {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("{service}: {err}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let settings = loaded.settings;
    if print_only {
        eprintln!("{}", describe(&settings));
        return ExitCode::SUCCESS;
    }
    let telemetry = match telemetry::init(settings.telemetry(), service.binary()) {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("{service}: {err}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    tracing::info!(%service, settings = %describe(&settings), "starting");
    for key in &loaded.unknown_keys {
        tracing::warn!(%service, %key, "ignoring a setting this service does not know");
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "cannot start the async runtime");
            telemetry.shutdown(TELEMETRY_FLUSH_DEADLINE);
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        metrics_export::install(settings.metrics(), service.name())
            .map_err(|err| err.to_string())?;
        let shutdown =
            install_signal_handlers().map_err(|err| format!("cannot listen for signals: {err}"))?;
        run(settings, shutdown).await.map_err(|err| err.to_string())
    });
    let code = match outcome {
        Ok(()) => {
            tracing::info!(%service, "stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(%service, error = %err, "stopped with an error");
            ExitCode::FAILURE
        }
    };
    // Tasks still parked in the runtime close their spans as it drops; then the last
    // spans go out, within a deadline so a collector that is down cannot hold the exit.
    drop(runtime);
    telemetry.shutdown(TELEMETRY_FLUSH_DEADLINE);
    code
}

fn usage(service: Service, problem: &str) -> ExitCode {
    eprintln!("hsi-{}: {problem} (try --help)", service.name());
    ExitCode::from(EXIT_BAD_CONFIG)
}
