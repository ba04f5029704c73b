//! The runtime's settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use waymark_engine::validate::Limits;

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
    /// Per-request timeout of webhook and Segment deliveries, in milliseconds.
    pub delivery_timeout_ms: u64,
    /// CIDRs of private or loopback destinations that outputs may reach anyway.
    pub allow_private: Vec<String>,
    /// How long a rotated-out webhook secret keeps signing beside the new one, in
    /// milliseconds, so that receivers can switch secrets without rejecting messages.
    pub secret_rotation_grace_ms: i64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            active_audience_limit: 10,
            published_journeys_per_workspace: 5,
            max_steps: Limits::default().max_steps,
            timer_grace_ms: 100,
            delivery_timeout_ms: 10_000,
            allow_private: Vec::new(),
            secret_rotation_grace_ms: 24 * 60 * 60 * 1000,
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
