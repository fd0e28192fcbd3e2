//! The webhook receiver alerts go to: a real HTTP server on a fixed port that can be
//! taken down and brought back, counting what it receives by idempotency key.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Requests received, by `Idempotency-Key`.
pub type Received = Arc<Mutex<HashMap<String, u32>>>;

/// A receiver that is up or down.
#[derive(Debug)]
pub struct Receiver {
    pub addr: SocketAddr,
    received: Received,
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
            .with_state(self.received.clone());
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

async fn receive(State(received): State<Received>, headers: HeaderMap) -> StatusCode {
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
