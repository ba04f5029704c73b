//! Event times bounded by the receipt time (SPEC §2): a client with a wrong clock must not
//! place an event in the far future, where it would win every later trait write and lock a
//! trait for good, nor before the products it feeds existed.

use waymark_engine::time::Millis;

/// 2000-01-01T00:00:00Z: earlier times are refused.
pub const EARLIEST: Millis = 946_684_800_000;

/// How far after its receipt an event may be placed: 24 hours.
pub const MAX_AHEAD: Millis = 24 * 3600 * 1000;

/// The event time to keep for `at`, received at `received_at`, and whether it was
/// adjusted: a time more than [`MAX_AHEAD`] after receipt, or before [`EARLIEST`], is
/// replaced by the receipt time.
pub fn bound(at: Millis, received_at: Millis) -> (Millis, bool) {
    if at < EARLIEST || at > received_at.saturating_add(MAX_AHEAD) {
        (received_at, true)
    } else {
        (at, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_outside_the_bounds_become_the_receipt_time() {
        let now = 1_800_000_000_000;
        assert_eq!(bound(now, now), (now, false));
        assert_eq!(bound(now + MAX_AHEAD, now), (now + MAX_AHEAD, false));
        assert_eq!(bound(now + MAX_AHEAD + 1, now), (now, true));
        assert_eq!(bound(EARLIEST, now), (EARLIEST, false));
        assert_eq!(bound(EARLIEST - 1, now), (now, true));
        assert_eq!(bound(i64::MAX, now), (now, true));
        assert_eq!(bound(i64::MIN, now), (now, true));
    }
}
