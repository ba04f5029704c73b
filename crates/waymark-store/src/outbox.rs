//! The outbox's records: durable deliveries waiting for (or done with) an output.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waymark_engine::time::Millis;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Delivered.
    Delivered,
    /// Given up on after too many failures.
    Dead,
    /// Dropped without delivery (its profile was deleted, or an operator said so).
    Discarded,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Dead,
        DeliveryStatus::Discarded,
    ];

    /// The status's name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
            DeliveryStatus::Discarded => "discarded",
        }
    }
}

/// One delivery to one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// The unique delivery id.
    pub id: String,
    /// The output it goes to.
    pub output: String,
    /// Assigned by the store when the record is added: increasing across the outbox.
    pub seq: u64,
    /// What to deliver (opaque to the store).
    pub payload: Value,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When to try next (meaningful while pending).
    pub next_attempt_at: Millis,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: Millis,
    /// When it last changed.
    pub updated_at: Millis,
}

/// Counts per status name, every status present.
pub(crate) fn zero_counts() -> BTreeMap<String, u64> {
    DeliveryStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect()
}
