//! Refused logins take the same time whatever the reason (docs/security.md, "Identical login
//! failures, timing included").
//!
//! The pages are already identical; what could still differ is how long FusionAuth took to say
//! no. A real FusionAuth may answer "locked" or "no such user" before it hashes the password,
//! and a wrong password only after; a client timing the answers would learn which accounts
//! exist. So every refusal is held until a floor before it is answered:
//!
//! floor = max(the configured minimum, the slowest `/api/login` answer of the last ten minutes),
//! at most two seconds.
//!
//! The slowest recent answer, of any outcome, is the natural choice: a refusal then takes as
//! long as the slowest thing FusionAuth does (a password hash), and an attacker cannot pull the
//! floor down by flooding fast refusals, since a maximum over a time window only rises until
//! the window moves on. The cost is that one slow answer (a cold connection, a pause) slows
//! refusals for up to ten minutes, by at most the two-second cap. The configured minimum
//! covers a freshly started site that has not seen a slow answer yet.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a slow answer keeps the floor up.
const WINDOW: Duration = Duration::from_secs(600);
/// One slot per minute of the window: memory is fixed however many logins there are.
const SLOT: Duration = Duration::from_secs(60);
const SLOTS: usize = (WINDOW.as_secs() / SLOT.as_secs()) as usize;
/// The floor never exceeds this, whatever FusionAuth did.
pub const CEILING: Duration = Duration::from_secs(2);

/// The floor of one site's refusals, learnt from its FusionAuth answers.
#[derive(Debug)]
pub struct RefusalTiming {
    minimum: Duration,
    started: Instant,
    /// Per minute since `started` (slot = minute % SLOTS): that minute and its slowest answer.
    slots: Mutex<[(u64, Duration); SLOTS]>,
}

impl RefusalTiming {
    /// Refusals take at least `minimum` (and at least the slowest recent answer).
    pub fn new(minimum: Duration) -> Self {
        Self {
            minimum,
            started: Instant::now(),
            slots: Mutex::new([(u64::MAX, Duration::ZERO); SLOTS]),
        }
    }

    fn minute(&self, at: Instant) -> u64 {
        let elapsed = at.saturating_duration_since(self.started);
        elapsed.as_secs() / SLOT.as_secs()
    }

    /// Records how long a login took from the request's start until FusionAuth answered.
    pub fn record(&self, took: Duration) {
        let minute = self.minute(Instant::now());
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut slots[slot_index(minute)];
        if slot.0 != minute {
            *slot = (minute, Duration::ZERO);
        }
        slot.1 = slot.1.max(took);
    }

    /// How long a refusal takes at least, from the request's start.
    pub fn floor(&self) -> Duration {
        let now = self.minute(Instant::now());
        let oldest = now.saturating_sub(SLOTS as u64 - 1);
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slowest = slots
            .iter()
            .filter(|(minute, _)| (oldest..=now).contains(minute))
            .map(|(_, took)| *took)
            .max()
            .unwrap_or_default();
        self.minimum.max(slowest).min(CEILING)
    }

    /// Waits until the floor has passed since `started`.
    pub async fn hold(&self, started: Instant) {
        tokio::time::sleep_until((started + self.floor()).into()).await;
    }
}

fn slot_index(minute: u64) -> usize {
    usize::try_from(minute % SLOTS as u64).expect("below SLOTS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_the_slowest_recent_answer_or_the_minimum() {
        let timing = RefusalTiming::new(Duration::from_millis(5));
        assert_eq!(timing.floor(), Duration::from_millis(5));
        timing.record(Duration::from_millis(30));
        timing.record(Duration::from_millis(2));
        assert_eq!(timing.floor(), Duration::from_millis(30));
        timing.record(Duration::from_secs(60));
        assert_eq!(timing.floor(), CEILING);
    }

    #[test]
    fn old_answers_leave_the_window() {
        let timing = RefusalTiming::new(Duration::ZERO);
        timing.record(Duration::from_millis(40));
        assert_eq!(timing.floor(), Duration::from_millis(40));
        // The same record seen eleven minutes later (the clock's origin moved back instead).
        let Some(earlier) = timing.started.checked_sub(Duration::from_secs(11 * 60)) else {
            return;
        };
        let later = RefusalTiming {
            started: earlier,
            ..timing
        };
        assert_eq!(later.floor(), Duration::ZERO);
    }

    #[tokio::test]
    async fn hold_waits_out_the_floor() {
        let timing = RefusalTiming::new(Duration::from_millis(50));
        let started = Instant::now();
        timing.hold(started).await;
        assert!(started.elapsed() >= Duration::from_millis(50));
        // Already past it: no wait.
        let late = Instant::now() - Duration::from_millis(80);
        let before = Instant::now();
        timing.hold(late).await;
        assert!(before.elapsed() < Duration::from_millis(40));
    }

    /// `timing` as it would be `minutes` later: the clock's origin moved back instead.
    fn later(timing: RefusalTiming, minutes: u64) -> Option<RefusalTiming> {
        let started = timing
            .started
            .checked_sub(Duration::from_secs(minutes * 60))?;
        Some(RefusalTiming { started, ..timing })
    }

    #[test]
    fn a_slow_answer_holds_the_floor_for_the_whole_window() {
        let timing = RefusalTiming::new(Duration::ZERO);
        timing.record(Duration::from_millis(40));
        // Five minutes on, faster answers do not pull the floor down.
        let Some(timing) = later(timing, 5) else {
            return;
        };
        timing.record(Duration::from_millis(3));
        assert_eq!(timing.floor(), Duration::from_millis(40));
        // Nine minutes on it still counts; ten minutes on it has left the window.
        let Some(timing) = later(timing, 4) else {
            return;
        };
        assert_eq!(timing.floor(), Duration::from_millis(40));
        let Some(timing) = later(timing, 1) else {
            return;
        };
        assert_eq!(timing.floor(), Duration::from_millis(3));
    }

    #[test]
    fn a_new_minute_does_not_forget_the_last_ones_slow_answer() {
        let timing = RefusalTiming::new(Duration::ZERO);
        timing.record(Duration::from_millis(40));
        let Some(timing) = later(timing, 1) else {
            return;
        };
        timing.record(Duration::from_millis(3));
        assert_eq!(timing.floor(), Duration::from_millis(40));
    }
}
