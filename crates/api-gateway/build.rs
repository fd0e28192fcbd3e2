//! Compiles the public API (proto/hsi/v1/api/*.proto) with protox, keeps its
//! descriptor set for gRPC reflection, and derives serde and OpenAPI schemas on every
//! message so REST speaks the same types as gRPC.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not baked in when it is compiled: the cargo target
    // directory is shared between checkouts (~/.cache/hsi/target), and a build-script
    // binary compiled in one clone is reused by the next, whose path differs (or whose
    // first clone has been deleted).
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let dir = root.join("hsi/v1/api");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".proto"))
        .map(|name| format!("hsi/v1/api/{name}"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    let descriptors = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("gateway_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    let mut config = tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .type_attribute(
            ".hsi.v1.api",
            "#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)] \
             #[serde(default, deny_unknown_fields)]",
        );
    // Requests of GET routes arrive as query strings: they document themselves as
    // query parameters.
    for file in &descriptors.file {
        for message in &file.message_type {
            let name = message.name();
            if (name.starts_with("List") || name.starts_with("Search")) && name.ends_with("Request")
            {
                config = config.type_attribute(
                    format!(".hsi.v1.api.{name}"),
                    "#[derive(utoipa::IntoParams)] #[into_params(parameter_in = Query)]",
                );
            }
        }
    }
    config.compile_fds(descriptors)?;
    Ok(())
}
