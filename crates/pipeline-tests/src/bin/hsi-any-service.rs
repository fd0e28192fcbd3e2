//! `hsi-any-service <service> [service args]`: runs one of the five services behind the
//! same start-up code as its own binary (settings, telemetry, signals), so tests can run
//! each service as a process of its own: the binaries of other packages cannot be named
//! from this package's tests.

use hsi_core::service_main::run_service_with_args as run;
use hsi_core::Service;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = &args[args.len().min(1)..];
    match args.first().map(String::as_str) {
        Some("file-watcher") => run(Service::FileWatcher, rest, hsi_file_watcher::run),
        Some("detection-worker") => run(Service::DetectionWorker, rest, hsi_detection_worker::run),
        Some("batch-aggregator") => run(Service::BatchAggregator, rest, hsi_batch_aggregator::run),
        Some("analysis-worker") => run(Service::AnalysisWorker, rest, hsi_analysis_worker::run),
        Some("gateway") => run(Service::Gateway, rest, hsi_api_gateway::run),
        other => {
            eprintln!("usage: hsi-any-service <file-watcher|detection-worker|batch-aggregator|analysis-worker|gateway> [--config FILE]; got {other:?}");
            ExitCode::from(2)
        }
    }
}
