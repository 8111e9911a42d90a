//! The default `tui` and `tui flow` show for `--timeout`, written from the engine's request bound
//! itself, so `--help` cannot disagree with what runs. (The session flags take the backend's
//! own default texts, `SessionPolicy::DEFAULT_*`.)

use crate::engine::DEFAULT_TIMEOUT;
use std::sync::LazyLock;
use std::time::Duration;

/// `--timeout`: the engine's bound on each request.
pub static TIMEOUT: LazyLock<String> = LazyLock::new(|| as_flag(DEFAULT_TIMEOUT));

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
