//! The retry policy as pure functions: what a response means, and when to try again.
//!
//! The default schedule follows Standard Webhooks (wire.md §5): attempts go out
//! immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h; a
//! delivery that fails its tenth attempt is dead. Each output may have its own
//! [`RetryPolicy`]. Each wait is drawn with full jitter, uniformly in `[0, nominal]`, from a
//! random number the caller supplies, so tests are deterministic.

use std::time::Duration;

/// What to do with a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered (2xx).
    Success,
    /// Try again later: timeouts, connection errors, 408, 429 and 5xx. `after` is the
    /// receiver's `Retry-After`, capped at [`MAX_RETRY_AFTER`], when it sent one.
    Retry {
        /// The least time to wait, if the receiver said.
        after: Option<Duration>,
    },
    /// The receiver asked to be disabled (410 Gone): disable the output.
    Disable,
    /// Permanent failure (3xx, other 4xx, an invalid message or a refused destination):
    /// park the delivery as dead without retrying.
    Fail,
}

/// The longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The nominal wait before each attempt; the first goes out immediately.
pub const SCHEDULE: [Duration; 10] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// Classifies an HTTP status, with the response's `Retry-After` header if any, at `now`.
pub fn classify_status(status: u16, retry_after: Option<&str>, now: jiff::Timestamp) -> Verdict {
    match status {
        200..=299 => Verdict::Success,
        410 => Verdict::Disable,
        408 | 429 | 500..=599 => Verdict::Retry {
            after: retry_after.and_then(|value| parse_retry_after(value, now)),
        },
        _ => Verdict::Fail,
    }
}

/// Parses a `Retry-After` value, delay-seconds or an HTTP-date, into a wait from `now`,
/// capped at [`MAX_RETRY_AFTER`]; a date in the past means no wait. `None` if unparseable.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
        let millis = at.as_millisecond().saturating_sub(now.as_millisecond());
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// When to retry a delivery, and when to give up on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The nominal wait after each failed attempt: the first entry after the first attempt,
    /// and so on; the last entry repeats when there are more attempts than entries.
    pub waits: Vec<Duration>,
    /// Attempts in all (at least 1): a delivery that fails its last attempt is dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// The Standard Webhooks schedule: ten attempts.
    fn default() -> Self {
        Self {
            waits: SCHEDULE[1..].to_vec(),
            max_attempts: SCHEDULE.len() as u32,
        }
    }
}

impl RetryPolicy {
    /// How long to wait before the next attempt, given how many attempts were already made
    /// and the receiver's `Retry-After`; `None` when the delivery is dead.
    ///
    /// The wait is full jitter over the nominal wait — `random` (any uniformly distributed
    /// `u64`) picks a point in `[0, nominal]` at millisecond resolution — and never less
    /// than `after`.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        after: Option<Duration>,
        random: u64,
    ) -> Option<Duration> {
        if attempts_made >= self.max_attempts.max(1) {
            return None;
        }
        let index = usize::try_from(attempts_made.max(1) - 1).ok()?;
        let nominal = self
            .waits
            .get(index)
            .or(self.waits.last())
            .copied()
            .unwrap_or(Duration::ZERO);
        let span = u64::try_from(nominal.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(random % span.saturating_add(1));
        Some(jittered.max(after.unwrap_or(Duration::ZERO)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    fn retry(after: Option<u64>) -> Verdict {
        Verdict::Retry {
            after: after.map(Duration::from_secs),
        }
    }

    #[test]
    fn statuses() {
        for status in [200, 201, 204, 299] {
            assert_eq!(
                classify_status(status, None, now()),
                Verdict::Success,
                "{status}"
            );
        }
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert_eq!(
                classify_status(status, None, now()),
                retry(None),
                "{status}"
            );
        }
        assert_eq!(classify_status(410, None, now()), Verdict::Disable);
        for status in [100, 301, 302, 304, 400, 401, 403, 404, 413, 422] {
            assert_eq!(
                classify_status(status, None, now()),
                Verdict::Fail,
                "{status}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(classify_status(429, Some("2"), now()), retry(Some(2)));
        assert_eq!(classify_status(503, Some(" 120 "), now()), retry(Some(120)));
        assert_eq!(
            classify_status(429, Some("86400"), now()),
            retry(Some(3600))
        );
        let date = "Sun, 22 Nov 2026 12:01:30 GMT";
        assert_eq!(classify_status(429, Some(date), now()), retry(Some(90)));
        let past = "Sun, 22 Nov 2026 11:00:00 GMT";
        assert_eq!(classify_status(429, Some(past), now()), retry(Some(0)));
        let far = "Mon, 23 Nov 2026 12:00:00 GMT";
        assert_eq!(classify_status(429, Some(far), now()), retry(Some(3600)));
        assert_eq!(classify_status(429, Some("soon"), now()), retry(None));
        assert_eq!(classify_status(429, Some("-5"), now()), retry(None));
        // Retry-After on a permanent failure changes nothing.
        assert_eq!(classify_status(400, Some("2"), now()), Verdict::Fail);
    }

    fn next_delay(attempts_made: u32, after: Option<Duration>, random: u64) -> Option<Duration> {
        RetryPolicy::default().next_delay(attempts_made, after, random)
    }

    #[test]
    fn schedule_and_dead() {
        // The largest random value lands on the nominal wait.
        let top = |n: u32| {
            let span = SCHEDULE[n as usize].as_millis() as u64 + 1;
            next_delay(n, None, span - 1)
        };
        assert_eq!(top(1), Some(Duration::from_secs(5)));
        assert_eq!(top(9), Some(Duration::from_secs(24 * 3600)));
        assert_eq!(next_delay(10, None, 0), None);
        assert_eq!(next_delay(u32::MAX, None, 0), None);
    }

    #[test]
    fn a_policy_of_its_own() {
        let policy = RetryPolicy {
            waits: vec![Duration::from_secs(1), Duration::from_secs(2)],
            max_attempts: 4,
        };
        let top = |n: u32, nominal: u64| policy.next_delay(n, None, nominal * 1000);
        assert_eq!(top(1, 1), Some(Duration::from_secs(1)));
        assert_eq!(top(2, 2), Some(Duration::from_secs(2)));
        // The last wait repeats until the attempts run out.
        assert_eq!(top(3, 2), Some(Duration::from_secs(2)));
        assert_eq!(top(4, 2), None);
        let once = RetryPolicy {
            waits: Vec::new(),
            max_attempts: 1,
        };
        assert_eq!(once.next_delay(1, None, 7), None);
        let no_waits = RetryPolicy {
            waits: Vec::new(),
            max_attempts: 3,
        };
        assert_eq!(no_waits.next_delay(1, None, 7), Some(Duration::ZERO));
    }

    #[test]
    fn full_jitter_is_deterministic_and_bounded() {
        // A fixed xorshift sequence stands in for the worker's RNG.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for attempts in 1..10 {
            let nominal = SCHEDULE[attempts as usize];
            let r = random();
            let delay = next_delay(attempts, None, r).unwrap();
            assert!(delay <= nominal, "{attempts}: {delay:?}");
            assert_eq!(next_delay(attempts, None, r), Some(delay));
        }
        assert_eq!(
            next_delay(1, None, 2_500),
            Some(Duration::from_millis(2_500))
        );
    }

    #[test]
    fn retry_after_is_a_floor() {
        let after = Some(Duration::from_secs(2));
        assert_eq!(next_delay(1, after, 0), Some(Duration::from_secs(2)));
        assert_eq!(next_delay(1, after, 4_000), Some(Duration::from_secs(4)));
        // Still dead after the last attempt, whatever the receiver says.
        assert_eq!(next_delay(10, after, 0), None);
    }
}
