//! `Server-Timing` for calls to FusionAuth: the apps' responses name each call, its status and
//! duration, so a client (the TUI, a browser's devtools) can show the backend→FusionAuth hop it
//! cannot see on the wire.
//!
//! A middleware opens a per-request scope ([`scope`]); the client records each call into it
//! ([`record`]); the middleware turns them into the header. Outside a scope, nothing is recorded.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

/// One call to FusionAuth.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// e.g. `POST /api/login`.
    pub name: String,
    /// The HTTP status, or `None` when there was no answer (refused, timed out).
    pub status: Option<u16>,
    /// How long it took.
    pub duration: Duration,
}

impl Call {
    /// The `Server-Timing` entry, e.g. `fusionauth;dur=12.3;desc="POST /api/login 200"`.
    pub fn header_entry(&self) -> String {
        let status = self
            .status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        let desc = format!("{} {status}", self.name).replace(['"', '\\'], "");
        format!(
            "fusionauth;dur={:.1};desc=\"{desc}\"",
            self.duration.as_secs_f64() * 1000.0
        )
    }
}

tokio::task_local! {
    static CALLS: RefCell<Vec<Call>>;
}

/// Runs `future` with a fresh call log; returns its output and the calls it made.
pub async fn scope<F: Future>(future: F) -> (F::Output, Vec<Call>) {
    CALLS
        .scope(RefCell::new(Vec::new()), async move {
            let output = future.await;
            let calls = CALLS.with(|calls| calls.take());
            (output, calls)
        })
        .await
}

/// Records a call in the current scope, if any.
pub fn record(call: Call) {
    let _ = CALLS.try_with(|calls| calls.borrow_mut().push(call));
}

/// The header value for `calls` (entries joined by `, `).
pub fn header_value(calls: &[Call]) -> String {
    calls
        .iter()
        .map(Call::header_entry)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_inside_a_scope_are_collected_and_formatted() {
        let ((), calls) = scope(async {
            record(Call {
                name: "POST /api/login".into(),
                status: Some(200),
                duration: Duration::from_micros(12_345),
            });
        })
        .await;
        assert_eq!(
            header_value(&calls),
            r#"fusionauth;dur=12.3;desc="POST /api/login 200""#
        );
        record(Call {
            name: "outside".into(),
            status: None,
            duration: Duration::ZERO,
        });
    }
}
