//! Logs as text, for tests that check what is logged (and what never is: passwords, raw
//! session ids).

use std::sync::{Arc, Mutex, PoisonError};

/// What the app logs on this thread, as text. A `#[tokio::test]` runs the servers on the test's
/// own thread, so a thread-local subscriber sees everything they log.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

/// Logs are captured while this lives.
pub struct Capturing {
    _default: tracing::subscriber::DefaultGuard,
    _second: tracing::Dispatch,
}

impl Logs {
    /// Captures what this thread logs, at every level down to DEBUG, while the guard lives.
    pub fn capture(&self) -> Capturing {
        let logs = self.clone();
        let default = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_writer(move || logs.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .finish(),
        );
        // tracing decides once, globally, whether a log statement is wanted; while a single
        // dispatcher exists it asks only the current thread's, so a statement first reached
        // on another test's thread would be switched off for good. With two registered it
        // asks both.
        Capturing {
            _default: default,
            _second: tracing::Dispatch::new(tracing_subscriber::registry()),
        }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
