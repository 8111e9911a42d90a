//! A failed request as one sentence a person can act on.

use super::duration::human_duration;
use std::error::Error as _;
use std::time::Duration;
use url::Url;

/// A reqwest error as one clear sentence: refused, timed out, unresolvable, or the underlying
/// causes in order.
pub(super) fn describe_error(error: &reqwest::Error, url: &Url, timeout: Duration) -> String {
    let target = match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    };
    if error.is_timeout() {
        return format!(
            "timed out: no complete response from {target} within {}",
            human_duration(timeout)
        );
    }
    let mut causes: Vec<String> = Vec::new();
    let mut refused = false;
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        let text = cause.to_string();
        // hyper-util's wrapper ("client error (SendRequest)") names its internals, not the
        // problem; the cause after it does.
        let wrapper = text.starts_with("client error (") && cause.source().is_some();
        if !wrapper && causes.last() != Some(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if refused {
        return format!("connection refused: nothing is listening on {target}");
    }
    let detail = if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    };
    if error.is_connect() {
        format!("cannot connect to {target}: {detail}")
    } else {
        format!("request to {target} failed: {detail}")
    }
}
