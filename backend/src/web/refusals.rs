//! What the login rate limits refused: every refusal counted (served as Prometheus text at
//! `/metrics`, to clients on this machine only), and at most one log line per client per minute,
//! so that a client hammering the login form cannot flood the log.

use super::client_ip::ClientIp;
use super::rate_limit::Limited;
use super::{SiteState, WebError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// The budgets a refusal is counted under, as [`Limited::budget`] names them.
const BUDGETS: [&str; 2] = ["per IP", "per account"];

/// The refusals of one site.
#[derive(Debug)]
pub struct Refusals {
    /// Which clients may have a log line now: one a minute each.
    lines: DefaultKeyedRateLimiter<IpAddr>,
    /// Refusals by budget, in the order of [`BUDGETS`].
    counts: [AtomicU64; BUDGETS.len()],
}

impl Default for Refusals {
    fn default() -> Self {
        Self {
            lines: RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN)),
            counts: Default::default(),
        }
    }
}

impl Refusals {
    /// Counts a refused attempt from `client`, and logs it unless this client already had its
    /// line this minute.
    pub fn record(&self, client: IpAddr, limited: Limited) {
        let slot = BUDGETS
            .iter()
            .position(|budget| *budget == limited.budget)
            .unwrap_or(0);
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        if self.lines.check_key(&client).is_ok() {
            tracing::warn!(
                %client,
                budget = limited.budget,
                retry_after_ms = u64::try_from(limited.retry_after.as_millis()).unwrap_or(u64::MAX),
                "login attempt refused: rate limit (one line per client per minute; \
                 all counted in login_attempts_refused_total)"
            );
        }
    }

    /// How many attempts were refused under `budget` since the start.
    pub fn count(&self, budget: &str) -> u64 {
        BUDGETS
            .iter()
            .position(|b| *b == budget)
            .map_or(0, |slot| self.counts[slot].load(Ordering::Relaxed))
    }

    /// Forgets clients whose minute is over, so the map holds only recent ones.
    pub fn forget_idle(&self) {
        self.lines.retain_recent();
        self.lines.shrink_to_fit();
    }

    /// The counters in Prometheus's text format.
    fn prometheus(&self, site: &str) -> String {
        let mut text = String::from(
            "# HELP login_attempts_refused_total Login attempts refused by a rate limit.\n\
             # TYPE login_attempts_refused_total counter\n",
        );
        for (budget, count) in BUDGETS.iter().zip(&self.counts) {
            let count = count.load(Ordering::Relaxed);
            text.push_str(&format!(
                "login_attempts_refused_total{{site=\"{site}\",budget=\"{budget}\"}} {count}\n"
            ));
        }
        text
    }
}

/// `GET /metrics`: the counters, for a scraper on this machine; anyone else is told there is no
/// such page, since the counts say how the site is being attacked.
pub async fn metrics(
    State(state): State<SiteState>,
    ClientIp(client): ClientIp,
) -> Result<Response, WebError> {
    if !client.is_loopback() {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let text = state.refusals.prometheus(state.site.name());
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limited(budget: &'static str) -> Limited {
        Limited {
            budget,
            retry_after: Duration::from_secs(3),
        }
    }

    #[test]
    fn every_refusal_is_counted_by_budget() {
        let refusals = Refusals::default();
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..5 {
            refusals.record(client, limited("per IP"));
        }
        refusals.record(client, limited("per account"));
        assert_eq!(refusals.count("per IP"), 5);
        assert_eq!(refusals.count("per account"), 1);
        let text = refusals.prometheus("Store");
        assert!(
            text.contains("login_attempts_refused_total{site=\"Store\",budget=\"per IP\"} 5\n"),
            "{text}"
        );
    }
}
