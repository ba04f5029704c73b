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
    /// What to deliver: opaque to the store; its writer versions it (the runtime stores a
    /// task tagged with its format, `waymark_runtime::delivery::OutboxTask`).
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
    /// The ordering key (the user, for deliveries): [`crate::Store::outbox_due`] offers
    /// only the first pending record of each (output, key), so that a later message never
    /// overtakes an earlier one that is still being retried. `None`: no order to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The attempts made, oldest first (the sender keeps at most [`MAX_ATTEMPT_LOG`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempt_log: Vec<Attempt>,
    /// What the record counts toward besides its output (for deliveries: the journey,
    /// version and connection), so that [`crate::Store::outbox_group_counts`] can count one
    /// journey's deliveries to a shared output. Holds no NUL byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The most attempts a record remembers: a record replayed many times keeps its latest.
pub const MAX_ATTEMPT_LOG: usize = 50;

/// One attempt to send a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When the attempt started.
    pub at: Millis,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What came of it.
    pub outcome: AttemptOutcome,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The start of the response body (bounded by the sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Accepted.
    Delivered,
    /// Failed; another attempt is scheduled.
    Retry,
    /// Failed for good (a permanent failure, or the last attempt).
    Dead,
    /// The receiver asked to stop (410): the output was disabled; the delivery waits.
    Disabled,
}

/// Which records [`crate::Store::outbox_list`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxQuery {
    /// Only this output's.
    pub output: Option<String>,
    /// Only in this status.
    pub status: Option<DeliveryStatus>,
    /// Only records with a greater seq (the cursor of the previous page; 0 from the start).
    pub after: u64,
    /// At most this many.
    pub limit: usize,
}

impl OutboxQuery {
    /// Whether a record matches the output and status filters.
    pub(crate) fn matches(&self, record: &OutboxRecord) -> bool {
        self.output.as_ref().is_none_or(|o| &record.output == o)
            && self.status.is_none_or(|s| record.status == s)
    }
}

/// Per group, counts per status name (every status present), where a pending record that
/// has failed at least once counts as `failed` rather than `pending`.
pub type GroupCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// The latest failure recorded for a group's deliveries (SPEC §11: a connection's last
/// error): the `updated_at` and `last_error` of the most recently written record of the
/// group that holds an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupError {
    /// When the record holding it was written.
    pub at: Millis,
    /// The error.
    pub message: String,
}

/// Per group, its [`GroupError`].
pub type GroupErrors = BTreeMap<String, GroupError>;

impl GroupError {
    /// The error `record` holds, as a group's last error.
    pub(crate) fn of(record: &OutboxRecord) -> Option<Self> {
        Some(Self {
            at: record.updated_at,
            message: record.last_error.clone()?,
        })
    }

    /// Whether this error is at least as recent as `other` (ties: the later write wins).
    pub(crate) fn supersedes(&self, other: Option<&GroupError>) -> bool {
        other.is_none_or(|o| self.at >= o.at)
    }
}

/// The name a record counts under in its group's counts.
pub(crate) fn group_status(record: &OutboxRecord) -> &'static str {
    match record.status {
        DeliveryStatus::Pending if record.attempts > 0 => "failed",
        status => status.as_str(),
    }
}

/// Group counts with every name present.
pub(crate) fn zero_group_counts() -> BTreeMap<String, u64> {
    let mut counts = zero_counts();
    counts.insert("failed".into(), 0);
    counts
}

/// Counts per status name, every status present.
pub(crate) fn zero_counts() -> BTreeMap<String, u64> {
    DeliveryStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect()
}
