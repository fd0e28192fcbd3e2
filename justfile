# Recipes for the common tasks; each calls a script in scripts/.

default:
    @just --list

# Install and start what this machine lacks (PostgreSQL, Redis, libtorch, models).
bootstrap:
    scripts/bootstrap

# Format check, clippy and the whole test suite, as CI runs them.
test *ARGS:
    scripts/test {{ARGS}}

# Run the pipeline on the sample photos and print the events.
demo:
    scripts/demo

# Benchmarks (detection throughput and per-stage latency).
bench *ARGS:
    scripts/bench {{ARGS}}

# API benchmark: a release gateway over 1,000,000 synthetic events, REST (wrk) and gRPC
# (or: just bench-api --events 20000 --duration 3).
bench-api *ARGS:
    scripts/bench-api {{ARGS}}

# Console benchmark: the timeline over 10,000 synthetic events in headless Chromium,
# desktop and phone (or: just bench-console --keep).
bench-console *ARGS:
    scripts/bench-console {{ARGS}}

# The chaos suite: faults injected while photos flow; one table per scenario.
chaos *ARGS:
    scripts/chaos {{ARGS}}

# Apply the migrations to the local database (or: just migrate status).
migrate *ARGS="up":
    bash -c 'source scripts/lib/common.sh && cargo run --quiet -p hsi-migrations -- {{ARGS}}'

fmt:
    cargo fmt --all

clippy:
    bash -c 'source scripts/lib/common.sh && cargo clippy --workspace --all-targets -- -D warnings'
