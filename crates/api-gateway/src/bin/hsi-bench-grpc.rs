//! A small gRPC load generator for `scripts/bench-api`: N clients, each on its own
//! connection, call one method of `hsi.v1.api.EventService` back to back for D seconds
//! with requests drawn at random from a file (one JSON request per line, in the REST
//! body form of the message), then throughput and p50/p99 latency are printed.
//!
//! ```text
//! HSI_BENCH_API_KEY=hsi_... hsi-bench-grpc --addr http://127.0.0.1:50051 \
//!     --method ListEvents --requests list.jsonl --clients 16 --duration 10
//! ```
//!
//! The last line is machine-readable: `RESULT method=... clients=... requests=...
//! errors=... rps=... p50_ms=... p99_ms=...`.

use hsi_api_gateway::pb::event_service_client::EventServiceClient;
use hsi_api_gateway::pb::{GetEventRequest, ListEventsRequest, SearchEventsRequest};
use rand::Rng as _;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

const USAGE: &str = "usage: hsi-bench-grpc --addr URL --method ListEvents|SearchEvents|GetEvent \
                     --requests FILE [--clients N] [--duration SECS] [--timeout SECS]\n\
                     the API key is read from HSI_BENCH_API_KEY";

#[derive(Debug)]
struct Options {
    addr: String,
    method: String,
    requests: String,
    clients: usize,
    duration: Duration,
    timeout: Duration,
    key: String,
}

/// The requests of one method, parsed once.
#[derive(Debug)]
enum Requests {
    List(Vec<ListEventsRequest>),
    Search(Vec<SearchEventsRequest>),
    Get(Vec<GetEventRequest>),
}

impl Requests {
    fn parse(method: &str, text: &str) -> Result<Self, String> {
        match method {
            "ListEvents" => parse_lines(text).map(Self::List),
            "SearchEvents" => parse_lines(text).map(Self::Search),
            "GetEvent" => parse_lines(text).map(Self::Get),
            other => Err(format!(
                "unknown method {other:?}; one of ListEvents, SearchEvents, GetEvent"
            )),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::List(all) => all.len(),
            Self::Search(all) => all.len(),
            Self::Get(all) => all.len(),
        }
    }
}

fn parse_lines<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|err| format!("line {}: {err}: {line}", n + 1))
        })
        .collect()
}

/// What one client measured.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: BTreeMap<String, (u64, String)>,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("hsi-bench-grpc: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hsi-bench-grpc: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hsi-bench-grpc: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: Vec<String>) -> Result<Options, String> {
    let mut options = Options {
        addr: "http://127.0.0.1:50051".to_owned(),
        method: String::new(),
        requests: String::new(),
        clients: 1,
        duration: Duration::from_secs(10),
        timeout: Duration::from_secs(10),
        key: std::env::var("HSI_BENCH_API_KEY").unwrap_or_default(),
    };
    let mut rest = args.into_iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--addr" => options.addr = value()?,
            "--method" => options.method = value()?,
            "--requests" => options.requests = value()?,
            "--clients" => options.clients = number(&arg, &value()?)?,
            "--duration" => options.duration = Duration::from_secs_f64(seconds(&arg, &value()?)?),
            "--timeout" => options.timeout = Duration::from_secs_f64(seconds(&arg, &value()?)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.method.is_empty() || options.requests.is_empty() {
        return Err("--method and --requests are required".to_owned());
    }
    if options.clients == 0 {
        return Err("--clients must be at least 1".to_owned());
    }
    Ok(options)
}

fn number(flag: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{flag} {text:?} is not a whole number"))
}

fn seconds(flag: &str, text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .ok_or_else(|| format!("{flag} {text:?} is not a positive number of seconds"))
}

async fn run(options: Options) -> Result<(), String> {
    let text = std::fs::read_to_string(&options.requests)
        .map_err(|err| format!("cannot read {}: {err}", options.requests))?;
    let requests = Arc::new(Requests::parse(&options.method, &text)?);
    if requests.len() == 0 {
        return Err(format!("{} holds no request", options.requests));
    }
    let auth: MetadataValue<_> = format!("Bearer {}", options.key)
        .parse()
        .map_err(|_| "HSI_BENCH_API_KEY is not a valid header value".to_owned())?;
    let endpoint = Endpoint::from_shared(options.addr.clone())
        .map_err(|err| format!("bad --addr {:?}: {err}", options.addr))?
        .timeout(options.timeout)
        .tcp_nodelay(true);
    // Every client on its own connection, as separate callers would be; all connected
    // before the clock starts.
    let mut channels = Vec::with_capacity(options.clients);
    for _ in 0..options.clients {
        let channel = endpoint
            .connect()
            .await
            .map_err(|err| format!("cannot connect to {}: {err}", options.addr))?;
        channels.push(channel);
    }
    let started = Instant::now();
    let deadline = started + options.duration;
    let tasks: Vec<_> = channels
        .into_iter()
        .map(|channel| {
            let requests = requests.clone();
            let auth = auth.clone();
            tokio::spawn(client(channel, requests, auth, deadline))
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task
            .await
            .map_err(|err| format!("a client failed: {err}"))?;
        total.latencies_us.extend(tally.latencies_us);
        for (code, (count, message)) in tally.errors {
            let entry = total.errors.entry(code).or_insert((0, message));
            entry.0 += count;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    report(&options, total, elapsed)
}

async fn client(
    channel: Channel,
    requests: Arc<Requests>,
    auth: MetadataValue<tonic::metadata::Ascii>,
    deadline: Instant,
) -> Tally {
    let mut client = EventServiceClient::new(channel);
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let pick = rand::rng().random_range(0..requests.len());
        let began = Instant::now();
        let outcome = match requests.as_ref() {
            Requests::List(all) => client
                .list_events(with_key(all[pick].clone(), &auth))
                .await
                .map(drop),
            Requests::Search(all) => client
                .search_events(with_key(all[pick].clone(), &auth))
                .await
                .map(drop),
            Requests::Get(all) => client.get_event(with_key(all[pick], &auth)).await.map(drop),
        };
        let took = began.elapsed();
        match outcome {
            Ok(()) => tally.latencies_us.push(took.as_micros() as u64),
            Err(status) => {
                let entry = tally
                    .errors
                    .entry(format!("{:?}", status.code()))
                    .or_insert((0, status.message().to_owned()));
                entry.0 += 1;
            }
        }
    }
    tally
}

fn with_key<T>(message: T, auth: &MetadataValue<tonic::metadata::Ascii>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", auth.clone());
    request
}

/// The `p`th percentile of sorted latencies, in milliseconds (nearest rank).
fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    sorted_us[rank.clamp(1, sorted_us.len()) - 1] as f64 / 1000.0
}

fn report(options: &Options, mut total: Tally, elapsed: f64) -> Result<(), String> {
    total.latencies_us.sort_unstable();
    let ok = total.latencies_us.len() as u64;
    let errors: u64 = total.errors.values().map(|(count, _)| count).sum();
    for (code, (count, message)) in &total.errors {
        eprintln!("hsi-bench-grpc: {count} x {code} (first: {message})");
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "RESULT method={} clients={} requests={} errors={} duration_s={:.2} rps={:.1} p50_ms={:.2} p99_ms={:.2}",
        options.method,
        options.clients,
        ok,
        errors,
        elapsed,
        ok as f64 / elapsed,
        percentile_ms(&total.latencies_us, 50.0),
        percentile_ms(&total.latencies_us, 99.0),
    )
    .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&sorted, 50.0), 50.0);
        assert_eq!(percentile_ms(&sorted, 99.0), 99.0);
        assert_eq!(percentile_ms(&[2500], 99.0), 2.5);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    #[test]
    fn requests_are_read_as_rest_bodies() {
        let parsed = Requests::parse(
            "ListEvents",
            "{\"camera_ids\":[\"front_door\"],\"risk_levels\":[\"high\"],\"limit\":50}\n\n{\"cursor\":\"abc\"}\n",
        )
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(Requests::parse("GetEvent", "{\"idd\":1}").is_err());
        assert!(Requests::parse("DeleteEvent", "{}").is_err());
    }
}
