//! The `hsi-batch-aggregator` binary; all start-up is `hsi_core::service_main`'s.

fn main() -> std::process::ExitCode {
    hsi_core::service_main::run_service(
        hsi_core::Service::BatchAggregator,
        hsi_batch_aggregator::run,
    )
}
