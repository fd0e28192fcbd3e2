//! The webhook receiver alerts go to: a real HTTP server on a fixed port that can be
//! taken down and brought back, counting what it receives by idempotency key.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::JoinHandle;

/// Requests received, by `Idempotency-Key`.
pub type Received = Arc<Mutex<HashMap<String, u32>>>;

/// Every body received, with when it arrived (for latency measurements).
pub type Bodies = Arc<Mutex<Vec<(Instant, Value)>>>;

#[derive(Debug, Clone, Default)]
struct Shared {
    received: Received,
    bodies: Bodies,
}

/// A receiver that is up or down.
#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    received: Received,
    bodies: Bodies,
    server: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Starts a receiver on a free port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut receiver = Self {
            addr,
            received: Received::default(),
            bodies: Bodies::default(),
            server: None,
        };
        receiver.serve(listener);
        Ok(receiver)
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(Shared {
                received: self.received.clone(),
                bodies: self.bodies.clone(),
            });
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Takes the receiver down: connections to it are refused until [`Receiver::up`].
    pub fn down(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Brings it back on the same address.
    pub async fn up(&mut self) -> std::io::Result<()> {
        if self.server.is_some() {
            return Ok(());
        }
        // The old socket may linger for a moment after the abort.
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(err) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %err, "webhook receiver port still busy");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(err) => return Err(err),
            }
        };
        self.serve(listener);
        Ok(())
    }

    /// How often each idempotency key was received.
    pub fn received(&self) -> HashMap<String, u32> {
        self.received
            .lock()
            .map(|received| received.clone())
            .unwrap_or_default()
    }
}

/// Every JSON body received so far, with its arrival time.
impl Receiver {
    pub fn bodies(&self) -> Vec<(Instant, Value)> {
        self.bodies
            .lock()
            .map(|bodies| bodies.clone())
            .unwrap_or_default()
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    if let (Ok(value), Ok(mut bodies)) = (serde_json::from_slice(&body), shared.bodies.lock()) {
        bodies.push((at, value));
    }
    let received = shared.received;
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(none)")
        .to_owned();
    if let Ok(mut received) = received.lock() {
        *received.entry(key).or_default() += 1;
    }
    StatusCode::NO_CONTENT
}
