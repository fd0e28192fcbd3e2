//! The small chaos run of the test suite: about a hundred files through the four
//! services as separate processes, each service SIGKILLed once while they flow, then
//! Redis flushed; once quiet, nothing may be lost and nothing duplicated. The judge is
//! the rule-based scorer (no LLM server), so the run measures the plumbing.

use hsi_chaos::{named, Launcher, Llm, Load, Setup};
use std::path::PathBuf;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_files_survive_a_kill_of_each_service_and_a_redis_flush() {
    hsi_testkit::init_logging();
    let logs = tempfile::tempdir().expect("log folder");
    let setup = Setup {
        launcher: Launcher::Harness(PathBuf::from(env!("CARGO_BIN_EXE_hsi-chaos"))),
        model: hsi_testkit::centernet_model(),
        llm: Llm::None,
        logs: logs.path().to_path_buf(),
    };
    let load = Load {
        files: 100,
        cameras: 3,
        empty_every: 10,
        per_second: 4.0,
        quiet_timeout: Duration::from_secs(240),
        photos: hsi_testkit::photo("person.jpg")
            .parent()
            .expect("photos folder")
            .to_path_buf(),
        seed: 7,
    };
    let mut rng = hsi_chaos::photos::Rng::new(11);
    let scenario = named("small", &mut rng, "true").expect("the small scenario");
    let outcome = hsi_chaos::scenario::run(&setup, &load, &scenario)
        .await
        .expect("the scenario runs");
    let table = hsi_chaos::report::table(&outcome);
    eprintln!("{table}");
    let keep = logs.keep();
    let f = &outcome.figures;
    assert!(
        outcome.time_to_quiet.is_some(),
        "never went quiet (logs in {})\n{table}",
        keep.display()
    );
    assert_eq!(outcome.faults.len(), 5, "{table}");
    assert_eq!(f.accepted as u64, f.files_in, "{table}");
    assert_eq!(f.processed_once, f.accepted, "{table}");
    assert_eq!(
        (f.never_processed, f.detections_in_no_event, f.alerts_lost),
        (0, 0, 0),
        "lost work (logs in {})\n{table}",
        keep.display()
    );
    assert_eq!(
        (f.detections_duplicated, f.detections_in_two_events),
        (0, 0),
        "duplicated work (logs in {})\n{table}",
        keep.display()
    );
    assert!(f.detections > 0 && f.events > 0, "{table}");
    assert_eq!(f.alerts_delivered, f.alerts_due, "{table}");
    assert!(outcome.crashes.is_empty(), "{:?}", outcome.crashes);
    let _ = std::fs::remove_dir_all(keep);
}
