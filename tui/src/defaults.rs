//! The defaults `tui` and `tui flow` show for their flags, each written from the one value the
//! code uses (the backend's session policy, the engine's request bound), so `--help` cannot
//! disagree with what runs.

use crate::engine::DEFAULT_TIMEOUT;
use backend::stack::SessionPolicy;
use std::sync::LazyLock;
use std::time::Duration;

/// `--timeout`: the engine's bound on each request.
pub static TIMEOUT: LazyLock<String> = LazyLock::new(|| as_flag(DEFAULT_TIMEOUT));

/// `tui --idle-timeout`: the backend's idle timeout.
pub static IDLE_TIMEOUT: LazyLock<String> =
    LazyLock::new(|| as_flag(SessionPolicy::default().idle_timeout));

/// `tui --rotation-interval`: the backend's.
pub static ROTATION_INTERVAL: LazyLock<String> =
    LazyLock::new(|| as_flag(SessionPolicy::default().rotation_interval));

/// `tui --rotation-grace`: the backend's.
pub static ROTATION_GRACE: LazyLock<String> =
    LazyLock::new(|| as_flag(SessionPolicy::default().rotation_grace));

/// `duration` as a flag takes it (`30m`, `500ms`): in the largest unit that holds it whole, so
/// [`shared::duration::parse_duration`] reads back the same value.
fn as_flag(duration: Duration) -> String {
    let ms = duration.as_millis();
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
    ];
    match units
        .iter()
        .find(|(size, _)| ms > 0 && ms.is_multiple_of(*size))
    {
        Some((size, unit)) => format!("{}{unit}", ms / size),
        None => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::duration::parse_duration;

    #[test]
    fn flag_defaults_read_back_as_the_values_they_stand_for() {
        assert_eq!(*TIMEOUT, "10s");
        assert_eq!(*IDLE_TIMEOUT, "30m");
        assert_eq!(*ROTATION_INTERVAL, "15m");
        assert_eq!(*ROTATION_GRACE, "30s");
        for duration in [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_secs(90),
            Duration::from_secs(2 * 3600),
            Duration::from_secs(86_400),
        ] {
            assert_eq!(parse_duration(&as_flag(duration)), Ok(duration));
        }
    }
}
