//! End-to-end tests of the pipeline live in `tests/`; this crate has no library code.
//! Its `hsi-any-service` binary runs any one service as a process of its own, for the
//! tests that need the services apart (traces, each with its own `service.name`).
