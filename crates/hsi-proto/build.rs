//! Compiles proto/hsi/v1/*.proto with protox (pure Rust, so no protoc is needed).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: the cargo target
    // directory is shared between checkouts (~/.cache/hsi/target), and a build-script
    // binary compiled in one clone is reused by the next, whose path differs (or whose
    // first clone has been deleted).
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "hsi/v1/queue.proto",
        "hsi/v1/detector.proto",
        "hsi/v1/analysis.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    let descriptors = protox::compile(files, [&root])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
