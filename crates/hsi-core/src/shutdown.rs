//! Graceful shutdown: the first SIGTERM or SIGINT asks every task to drain; a second one
//! exits at once.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Exit status used when a second signal cuts the drain short (128 + SIGINT).
pub const FORCED_EXIT_CODE: i32 = 130;

/// Starts listening for SIGTERM and SIGINT and returns the token that the first one
/// cancels. A second signal exits the process immediately with [`FORCED_EXIT_CODE`].
pub fn install_signal_handlers() -> std::io::Result<CancellationToken> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let (sender, receiver) = mpsc::channel(2);
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            if sender.send(name).await.is_err() {
                break;
            }
        }
    });
    let token = CancellationToken::new();
    tokio::spawn(escalate(token.clone(), receiver, || {
        std::process::exit(FORCED_EXIT_CODE)
    }));
    Ok(token)
}

/// Cancels `token` on the first signal received and calls `force_exit` on the second.
async fn escalate<F: FnOnce()>(
    token: CancellationToken,
    mut signals: mpsc::Receiver<&'static str>,
    force_exit: F,
) {
    let Some(first) = signals.recv().await else {
        return;
    };
    tracing::info!(
        signal = first,
        "shutdown requested, draining in-flight work"
    );
    token.cancel();
    if let Some(second) = signals.recv().await {
        tracing::warn!(
            signal = second,
            "second signal received, exiting without draining"
        );
        force_exit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn first_signal_cancels_and_second_forces_exit() {
        let token = CancellationToken::new();
        let (sender, receiver) = mpsc::channel(2);
        let exited = Arc::new(AtomicBool::new(false));
        let exited_flag = exited.clone();
        let task = tokio::spawn(escalate(token.clone(), receiver, move || {
            exited_flag.store(true, Ordering::SeqCst)
        }));

        tokio::task::yield_now().await;
        assert!(!token.is_cancelled(), "nothing happens before a signal");

        sender.send("SIGTERM").await.expect("listener alive");
        token.cancelled().await;
        assert!(
            !exited.load(Ordering::SeqCst),
            "the first signal only drains"
        );

        sender.send("SIGINT").await.expect("listener alive");
        task.await.expect("escalation finishes");
        assert!(exited.load(Ordering::SeqCst), "the second signal exits");
    }

    #[tokio::test]
    async fn a_closed_listener_never_cancels() {
        let token = CancellationToken::new();
        let (sender, receiver) = mpsc::channel::<&'static str>(1);
        drop(sender);
        escalate(token.clone(), receiver, || panic!("must not exit")).await;
        assert!(!token.is_cancelled());
    }
}
