fn main() -> std::process::ExitCode {
    hsi_core::service_main::run_service(hsi_core::Service::AnalysisWorker, hsi_analysis_worker::run)
}
