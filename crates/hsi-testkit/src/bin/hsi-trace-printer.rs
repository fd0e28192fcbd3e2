//! `hsi-trace-printer [HOST:PORT]`: a minimal OTLP trace receiver (default
//! 127.0.0.1:4317) that prints each trace as a tree of spans once no span has arrived for
//! it for two seconds, and again, marked, if more arrive later. For the demo and for a
//! machine without a tracing backend; it keeps every span in memory, so it is not a
//! collector for production.

use hsi_testkit::otlp::{span_tree, OtlpReceiver, ReceivedSpan};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long a trace must be quiet before it is printed.
const QUIET: Duration = Duration::from_secs(2);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4317".to_owned());
    let receiver = match OtlpReceiver::start_on(&addr).await {
        Ok(receiver) => receiver,
        Err(err) => {
            eprintln!("hsi-trace-printer: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let _ = writeln!(
        std::io::stdout(),
        "listening for OTLP traces on {} (telemetry.otlp_endpoint)",
        receiver.endpoint
    );
    // Per trace: spans seen at the last look, when that count last changed, and how
    // many were printed.
    let mut seen: HashMap<String, (usize, Instant, usize)> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        let mut traces: BTreeMap<String, Vec<ReceivedSpan>> = BTreeMap::new();
        for span in receiver.spans() {
            traces.entry(span.trace_id.clone()).or_default().push(span);
        }
        let mut out = std::io::stdout().lock();
        for (trace_id, spans) in traces {
            let entry = seen.entry(trace_id).or_insert((0, Instant::now(), 0));
            if spans.len() != entry.0 {
                *entry = (spans.len(), Instant::now(), entry.2);
                continue;
            }
            if entry.2 < spans.len() && entry.1.elapsed() >= QUIET {
                let again = if entry.2 > 0 {
                    "(more spans arrived) "
                } else {
                    ""
                };
                let _ = writeln!(out, "{again}{}", span_tree(&spans).trim_end());
                let _ = out.flush();
                entry.2 = spans.len();
            }
        }
    }
}
