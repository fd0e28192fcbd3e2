fn main() -> std::process::ExitCode {
    hsi_core::service_main::run_service(
        hsi_core::Service::DetectionWorker,
        hsi_detection_worker::run,
    )
}
