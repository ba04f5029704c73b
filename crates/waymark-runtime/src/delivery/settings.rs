//! Per-output delivery settings (SPEC §8): what an output document may set, and the values
//! its worker runs with once the deployment's defaults ([`RuntimeConfig`]) fill the gaps.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use waymark_deliver::retry::RetryPolicy;

use crate::RuntimeError;
use crate::config::RuntimeConfig;

/// A wait written `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w`, as journeys write durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub waymark_engine::time::Duration);

impl Wait {
    /// As a std duration.
    pub fn duration(self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.millis()).unwrap_or(0))
    }
}

impl Serialize for Wait {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Wait {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        waymark_engine::time::Duration::deserialize(d).map(Wait)
    }
}

/// What an output sets for itself; every field falls back to the deployment's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// Requests in flight at once, across users (one user's messages stay in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Most requests per second (fractions allowed); unlimited when neither sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_second: Option<f64>,
    /// The wait after each failed attempt, first to last; the last repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_waits: Option<Vec<Wait>>,
    /// Attempts in all before a delivery is parked as dead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Whole-request timeout, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Failed attempts in a row (timeouts, 5xx, connection errors) that pause the whole
    /// output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_after_failures: Option<u32>,
}

/// Bounds that keep a setting from hurting the server or the receiver.
const MAX_CONCURRENCY: u32 = 1024;
const MAX_ATTEMPTS: u32 = 100;
const TIMEOUT_MS: std::ops::RangeInclusive<u64> = 100..=300_000;

impl DeliverySettings {
    /// Whether nothing is set (the document then omits the field).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Refuses values out of bounds, naming the field.
    pub fn check(&self) -> Result<(), RuntimeError> {
        let bad = |field: &str, rule: &str| {
            Err(RuntimeError::invalid(
                "invalid_output",
                format!("delivery.{field} must be {rule}"),
            ))
        };
        if self
            .concurrency
            .is_some_and(|n| n == 0 || n > MAX_CONCURRENCY)
        {
            return bad("concurrency", "between 1 and 1024");
        }
        if self
            .rate_per_second
            .is_some_and(|r| !r.is_finite() || r <= 0.0)
        {
            return bad("rate_per_second", "a positive number");
        }
        if self
            .max_attempts
            .is_some_and(|n| n == 0 || n > MAX_ATTEMPTS)
        {
            return bad("max_attempts", "between 1 and 100");
        }
        if self.timeout_ms.is_some_and(|t| !TIMEOUT_MS.contains(&t)) {
            return bad("timeout_ms", "between 100 and 300000");
        }
        if self.pause_after_failures == Some(0) {
            return bad("pause_after_failures", "at least 1");
        }
        Ok(())
    }

    /// The settings a worker runs with.
    pub fn resolve(&self, config: &RuntimeConfig) -> Settings {
        let waits = self
            .retry_waits
            .as_ref()
            .unwrap_or(&config.delivery_retry_waits);
        Settings {
            concurrency: self
                .concurrency
                .unwrap_or(config.delivery_concurrency)
                .max(1) as usize,
            interval: self
                .rate_per_second
                .or(config.delivery_rate_per_second)
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            retry: RetryPolicy {
                waits: waits.iter().map(|w| w.duration()).collect(),
                max_attempts: self.max_attempts.unwrap_or(config.delivery_max_attempts),
            },
            timeout: Duration::from_millis(self.timeout_ms.unwrap_or(config.delivery_timeout_ms)),
            pause_after_failures: self
                .pause_after_failures
                .unwrap_or(config.delivery_pause_after_failures)
                .max(1),
        }
    }
}

/// What a worker runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The least time between two requests (from the rate limit), if any.
    pub interval: Option<Duration>,
    /// When to retry and when to give up.
    pub retry: RetryPolicy,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Failures in a row that pause the output.
    pub pause_after_failures: u32,
}

/// The Standard Webhooks waits (after the first attempt: 5 s … 24 h), as config writes them.
pub fn default_retry_waits() -> Vec<Wait> {
    RetryPolicy::default()
        .waits
        .iter()
        .map(|d| {
            Wait(waymark_engine::time::Duration::from_millis(
                i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_the_gaps() {
        let config = RuntimeConfig::default();
        let s = DeliverySettings::default().resolve(&config);
        assert_eq!(s.concurrency, 16);
        assert_eq!(s.interval, None);
        assert_eq!(s.retry, RetryPolicy::default());
        assert_eq!(s.timeout, Duration::from_millis(config.delivery_timeout_ms));
        assert_eq!(s.pause_after_failures, 5);

        let own: DeliverySettings = serde_json::from_value(json!({
            "concurrency": 4, "rate_per_second": 2.0, "retry_waits": ["1s", "1m"],
            "max_attempts": 3, "timeout_ms": 500, "pause_after_failures": 2,
        }))
        .unwrap();
        own.check().unwrap();
        let s = own.resolve(&config);
        assert_eq!(s.concurrency, 4);
        assert_eq!(s.interval, Some(Duration::from_millis(500)));
        assert_eq!(
            s.retry.waits,
            [Duration::from_secs(1), Duration::from_secs(60)]
        );
        assert_eq!(s.retry.max_attempts, 3);
        assert_eq!(s.timeout, Duration::from_millis(500));
        assert_eq!(s.pause_after_failures, 2);
        assert_eq!(
            serde_json::to_value(&own).unwrap()["retry_waits"],
            json!(["1s", "1m"])
        );
    }

    #[test]
    fn out_of_bounds_values_are_refused() {
        for bad in [
            json!({"concurrency": 0}),
            json!({"concurrency": 5000}),
            json!({"rate_per_second": 0}),
            json!({"rate_per_second": -1.5}),
            json!({"max_attempts": 0}),
            json!({"timeout_ms": 10}),
            json!({"pause_after_failures": 0}),
        ] {
            let s: DeliverySettings = serde_json::from_value(bad.clone()).unwrap();
            let err = s.check().unwrap_err();
            assert_eq!(err.code, "invalid_output", "{bad}");
        }
        assert!(
            serde_json::from_value::<DeliverySettings>(json!({"retry_waits": ["soon"]})).is_err()
        );
        assert!(serde_json::from_value::<DeliverySettings>(json!({"speed": 1})).is_err());
    }
}
