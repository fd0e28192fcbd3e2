fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("api-key") {
        return hsi_api_gateway::cli::api_key(&args[1..]);
    }
    hsi_core::service_main::run_service_with_args(
        hsi_core::Service::Gateway,
        &args,
        hsi_api_gateway::run,
    )
}
