//! `hsi-chaos run [options]`: runs the chaos scenarios and prints one table each;
//! `hsi-chaos service <name>`: runs one pipeline service (how the harness starts them
//! when it is not given the release binaries).

use hsi_chaos::{named, Launcher, Llm, Load, Setup, ALL};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: hsi-chaos run [--files N] [--cameras N] [--rate FILES_PER_S]
                     [--scenarios a,b,...] [--bin-dir DIR] [--llm URL|managed|none]
                     [--pg-restart COMMAND] [--quiet-timeout SECS] [--seed N]
       hsi-chaos first-alert [--photos N] [--interval-ms MS] [--fast-path-confidence C]
                     [--bin-dir DIR] [--llm URL|managed|none]
       hsi-chaos service <file-watcher|detection-worker|batch-aggregator|analysis-worker>
scenarios: baseline, kill-services, redis-restart, redis-flush, postgres-restart,
           llm-restart, webhook-down (default: all), small
environment: HSI_CACHE (models, photos, LLM server), HSI_CHAOS_LOGS (log folder)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("service") => serve(args.get(1).map(String::as_str), &args[args.len().min(2)..]),
        Some("run") => run(&args[1..]),
        Some("first-alert") => first_alert(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve(name: Option<&str>, args: &[String]) -> ExitCode {
    use hsi_core::service_main::run_service_with_args as run;
    use hsi_core::Service;
    match name {
        Some("file-watcher") => run(Service::FileWatcher, args, hsi_file_watcher::run),
        Some("detection-worker") => run(Service::DetectionWorker, args, hsi_detection_worker::run),
        Some("batch-aggregator") => run(Service::BatchAggregator, args, hsi_batch_aggregator::run),
        Some("analysis-worker") => run(Service::AnalysisWorker, args, hsi_analysis_worker::run),
        other => {
            eprintln!("unknown service {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `hsi-chaos first-alert`: the photo-to-first-alert latency table.
fn first_alert(args: &[String]) -> ExitCode {
    let mut plan = hsi_chaos::latency::Plan {
        photos: 50,
        interval: Duration::from_millis(2_500),
        settle: Duration::from_secs(180),
        samples: PathBuf::new(),
        fast_path_confidence: 0.5,
    };
    let mut passed = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned();
        match (flag.as_str(), value.as_deref().map(str::parse::<f64>)) {
            ("--photos", Some(Ok(n))) => plan.photos = n as usize,
            ("--interval-ms", Some(Ok(n))) => plan.interval = Duration::from_millis(n as u64),
            ("--fast-path-confidence", Some(Ok(c))) => plan.fast_path_confidence = c as f32,
            ("--bin-dir" | "--llm", Some(_)) => {
                passed.push(flag.clone());
                passed.extend(value);
            }
            _ => {
                eprintln!("bad option {flag:?} {value:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let options = match options(&passed) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    plan.samples = options.load.photos.clone();
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    eprintln!(
        "==> first-alert latency: {} photos of a person, one camera each, every {} ms",
        plan.photos,
        plan.interval.as_millis()
    );
    match runtime.block_on(hsi_chaos::latency::run(&options.setup, &plan)) {
        Ok(report) => {
            eprintln!("{}", report.table());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("the benchmark could not run: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Logging and the runtime of a run; None (said on stderr) when the runtime cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    hsi_testkit::init_logging();
    tokio::runtime::Runtime::new()
        .map_err(|err| eprintln!("cannot start the runtime: {err}"))
        .ok()
}

struct Options {
    load: Load,
    setup: Setup,
    scenarios: Vec<String>,
    pg_restart: String,
}

fn options(args: &[String]) -> Result<Options, String> {
    let cache =
        PathBuf::from(std::env::var("HSI_CACHE").unwrap_or_else(|_| {
            format!("{}/.cache/hsi", std::env::var("HOME").unwrap_or_default())
        }));
    let mut load = Load {
        files: 1_000,
        cameras: 4,
        empty_every: 10,
        per_second: 6.0,
        quiet_timeout: Duration::from_secs(900),
        photos: cache.join("photos"),
        seed: 0x5eed,
    };
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut setup = Setup {
        launcher: Launcher::Harness(exe),
        model: cache.join("models/centernet-coco80.pt"),
        llm: Llm::Managed {
            python: cache.join("llm-venv/bin/python"),
            model: cache.join("models/smollm2-135m-instruct.gguf"),
        },
        logs: std::env::var("HSI_CHAOS_LOGS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| cache.join("chaos")),
    };
    let mut scenarios: Vec<String> = ALL.iter().map(|s| (*s).to_owned()).collect();
    let mut pg_restart = "pg_ctlcluster --skip-systemctl-redirect \"$(ls /etc/postgresql | sort -V | tail -n 1)\" main restart".to_owned();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().cloned().ok_or(format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<f64>()
                .map_err(|_| format!("{flag}: {text:?} is not a number"))
        };
        match flag.as_str() {
            "--files" => load.files = number(value()?)? as usize,
            "--cameras" => load.cameras = number(value()?)? as usize,
            "--rate" => load.per_second = number(value()?)?,
            "--quiet-timeout" => load.quiet_timeout = Duration::from_secs_f64(number(value()?)?),
            "--seed" => load.seed = number(value()?)? as u64,
            "--scenarios" => {
                scenarios = value()?
                    .split(',')
                    .map(str::trim)
                    .map(str::to_owned)
                    .collect()
            }
            "--bin-dir" => setup.launcher = Launcher::Binaries(PathBuf::from(value()?)),
            "--pg-restart" => pg_restart = value()?,
            "--llm" => {
                setup.llm = match value()?.as_str() {
                    "managed" => setup.llm,
                    "none" => Llm::None,
                    url => Llm::Url(url.to_owned()),
                }
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Options {
        load,
        setup,
        scenarios,
        pg_restart,
    })
}

fn run(args: &[String]) -> ExitCode {
    let options = match options(args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let mut all_passed = true;
    for name in &options.scenarios {
        let mut rng = hsi_chaos::photos::Rng::new(options.load.seed ^ 0xfa17);
        let Some(scenario) = named(name, &mut rng, &options.pg_restart) else {
            eprintln!("unknown scenario {name:?}\n{USAGE}");
            return ExitCode::from(2);
        };
        eprintln!(
            "==> scenario {name}: {} files over {} cameras at {}/s",
            options.load.files, options.load.cameras, options.load.per_second
        );
        match runtime.block_on(hsi_chaos::scenario::run(
            &options.setup,
            &options.load,
            &scenario,
        )) {
            Ok(outcome) => {
                all_passed &= outcome.passed();
                eprintln!("{}", hsi_chaos::report::table(&outcome));
            }
            Err(err) => {
                all_passed = false;
                eprintln!("scenario {name} could not run: {err}");
            }
        }
    }
    if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
