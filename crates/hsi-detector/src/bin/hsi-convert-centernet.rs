//! `hsi-convert-centernet --model <centernet.json> --out <file.pt>`: converts the TF.js
//! CenterNet graph model into TorchScript and verifies the written file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use hsi_detector::tfjs::export_torchscript;

const USAGE: &str = "usage: hsi-convert-centernet --model <centernet.json> --out <file.pt>";

fn parse_args() -> Result<(PathBuf, PathBuf), String> {
    let mut model = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    match (model, out) {
        (Some(model), Some(out)) => Ok((model, out)),
        _ => Err(USAGE.to_string()),
    }
}

fn main() -> ExitCode {
    let (model, out) = match parse_args() {
        Ok(paths) => paths,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    // The converter writes a temporary file beside the output, so its folder must exist.
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            eprintln!(
                "hsi-convert-centernet: cannot create {}: {e}",
                parent.display()
            );
            return ExitCode::FAILURE;
        }
    }
    match export_torchscript(&model, &out) {
        Ok(report) => {
            eprintln!(
                "wrote {} (input [N, 3, {}, {}] float 0..255 -> detections [N, 100, 6], {} weight tensors as parameters); \
                 reloaded module matches the interpreter on a batch of {} (max diff {:.2e}) in {:.1}s",
                report.out_path.display(),
                report.input_hw[0],
                report.input_hw[1],
                report.lifted_tensors,
                report.verify_batch,
                report.max_abs_diff,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "hsi-convert-centernet: converting {} failed: {e}",
                model.display()
            );
            ExitCode::FAILURE
        }
    }
}
