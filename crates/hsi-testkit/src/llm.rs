//! The real LLM the tests talk to: llama-cpp-python's OpenAI-compatible server running
//! SmolLM2-135M-Instruct (installed by scripts/bootstrap). One server is shared by every
//! test process: the first test that needs it starts it, under a file lock, and it
//! keeps running until scripts/test stops it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Port of the shared test server (`HSI_TEST_LLM_PORT` overrides).
pub const DEFAULT_LLM_PORT: u16 = 18089;

fn port() -> u16 {
    std::env::var("HSI_TEST_LLM_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_LLM_PORT)
}

/// True when `GET /v1/models` answers 200 on the port.
fn answers(port: u16) -> bool {
    let Ok(mut stream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream
        .write_all(b"GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

/// Base URL (`http://127.0.0.1:PORT/v1`) of a running SmolLM2 server, starting one if
/// none answers. `HSI_TEST_LLM_URL` points the tests at another server instead.
pub fn llm_base_url() -> String {
    if let Ok(url) = std::env::var("HSI_TEST_LLM_URL") {
        return url;
    }
    let port = port();
    if !answers(port) {
        start_shared_server(port);
    }
    format!("http://127.0.0.1:{port}/v1")
}

// The server is deliberately not waited for: it must outlive this test process and is
// stopped by scripts/test, so there is no child to reap here.
#[allow(clippy::zombie_processes)]
fn start_shared_server(port: u16) {
    let cache = crate::cache_dir();
    let lock_path = cache.join("llm-server.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("llm lock file");
    lock.lock().expect("take the llm lock");
    if answers(port) {
        return; // another test process started it while we waited
    }
    let python = cache.join("llm-venv/bin/python");
    let model: PathBuf = cache.join("models/smollm2-135m-instruct.gguf");
    assert!(
        python.is_file() && model.exists(),
        "the LLM server is not installed ({}): run scripts/bootstrap",
        model.display()
    );
    let log = std::fs::File::create(cache.join("llm-server.log")).expect("llm log");
    let child = Command::new(&python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--n_ctx",
            "2048",
            "--verbose",
            "false",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        // Its own process group: it outlives this test process and is stopped by scripts/test.
        .process_group(0)
        .spawn()
        .expect("start the llama.cpp server");
    std::fs::write(cache.join("llm-server.pid"), child.id().to_string()).expect("pid file");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if answers(port) {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "the LLM server did not answer on port {port} within 120 s; see {}",
        cache.join("llm-server.log").display()
    );
}
