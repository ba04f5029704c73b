//! The runtime's settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use waymark_engine::validate::Limits;

use crate::delivery::settings::{Wait, default_retry_waits};

/// Journey limits and delivery settings (SPEC §9; each configurable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Steps with an active connection, over every published journey.
    pub active_audience_limit: usize,
    /// Published journeys per workspace.
    pub published_journeys_per_workspace: usize,
    /// Steps per journey (waits do not count).
    pub max_steps: usize,
    /// Timers fire this long after they are due, so that events received just before the
    /// due instant but still on their way to the engine apply first (the order a replay of
    /// the log gives).
    pub timer_grace_ms: i64,
    /// Per-request timeout of webhook and Segment deliveries, in milliseconds (an output's
    /// `delivery.timeout_ms` overrides it).
    pub delivery_timeout_ms: u64,
    /// Requests each output keeps in flight at once, across users (`delivery.concurrency`).
    pub delivery_concurrency: u32,
    /// Requests per second each output may make; unlimited when unset
    /// (`delivery.rate_per_second`).
    pub delivery_rate_per_second: Option<f64>,
    /// Waits after each failed attempt, the last repeating (`delivery.retry_waits`);
    /// Standard Webhooks' schedule by default.
    pub delivery_retry_waits: Vec<Wait>,
    /// Attempts in all before a delivery is dead (`delivery.max_attempts`).
    pub delivery_max_attempts: u32,
    /// Failed attempts in a row that pause a whole output (`delivery.pause_after_failures`).
    pub delivery_pause_after_failures: u32,
    /// CIDRs of private or loopback destinations that outputs may reach anyway.
    pub allow_private: Vec<String>,
    /// How long a rotated-out webhook secret keeps signing beside the new one, in
    /// milliseconds, so that receivers can switch secrets without rejecting messages.
    pub secret_rotation_grace_ms: i64,
    /// How often each partition's checkpoint is written while its state moves, in
    /// milliseconds (also on graceful shutdown); 0 writes one on shutdown only. A start
    /// replays only the log after the checkpoints, so this bounds the replay at start-up.
    pub checkpoint_interval_ms: i64,
    /// Profiles each workspace's estimator sample holds at most (SPEC §10).
    pub estimate_sample_size: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            active_audience_limit: 10,
            published_journeys_per_workspace: 5,
            max_steps: Limits::default().max_steps,
            timer_grace_ms: 100,
            delivery_timeout_ms: 10_000,
            delivery_concurrency: 16,
            delivery_rate_per_second: None,
            delivery_retry_waits: default_retry_waits(),
            delivery_max_attempts: 10,
            delivery_pause_after_failures: 5,
            allow_private: Vec::new(),
            secret_rotation_grace_ms: 24 * 60 * 60 * 1000,
            checkpoint_interval_ms: 60_000,
            estimate_sample_size: 10_000,
        }
    }
}

impl RuntimeConfig {
    /// The validation limits for journeys.
    pub fn limits(&self) -> Limits {
        Limits {
            max_steps: self.max_steps,
            ..Limits::default()
        }
    }

    /// The HTTP settings of outputs.
    pub fn http(&self) -> waymark_deliver::http::HttpConfig {
        waymark_deliver::http::HttpConfig {
            timeout: Duration::from_millis(self.delivery_timeout_ms),
            allow_private: self.allow_private.clone(),
        }
    }
}
