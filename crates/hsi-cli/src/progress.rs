//! Long operations: a progress bar on standard error, and Ctrl-C that stops them between
//! items (the item under way finishes, so nothing is left half-done; a second Ctrl-C
//! quits at once).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Set once Ctrl-C was pressed.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    /// For tests: answers "interrupted" once this many checks have said no.
    checks_left: Option<Arc<AtomicU64>>,
}

impl Interrupt {
    /// Listens for Ctrl-C from now on, for as long as the runtime lives.
    pub fn listen() -> Self {
        let flag = Self::default();
        let seen = flag.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            seen.flag.store(true, Ordering::SeqCst);
            eprintln!("\ninterrupted: finishing the item under way (Ctrl-C again to quit now)");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(crate::error::exit::INTERRUPTED));
            }
        });
        flag
    }

    /// Acts as if Ctrl-C were pressed after `checks` calls of [`Interrupt::requested`]
    /// (for tests: an interruption at a known point of a long operation).
    pub fn after_checks(checks: u64) -> Self {
        Self {
            flag: Arc::default(),
            checks_left: Some(Arc::new(AtomicU64::new(checks))),
        }
    }

    pub fn requested(&self) -> bool {
        if let Some(left) = &self.checks_left {
            let counted =
                left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if counted.is_err() {
                self.flag.store(true, Ordering::SeqCst);
            }
        }
        self.flag.load(Ordering::SeqCst)
    }
}

/// A bar of `total` items with a message; drawn only when standard error is a terminal
/// and the output is not JSON.
pub fn bar(total: u64, message: &str, hidden: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    // The template is a constant; a bad one is a programming error caught by the tests.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_owned());
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_template_is_valid() {
        assert!(indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})"
        )
        .is_ok());
    }
}
