//! The outbox record's payload as stored: a typed task tagged with its format, so that a
//! build decodes only what it knows and refuses, by name, a record another build wrote in a
//! format it does not (the store keeps the payload as opaque JSON).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::payload::DeliveryPayload;

/// The field that names a stored task's format.
const TAG: &str = "task";

/// The formats this build reads and writes.
const KNOWN: &[&str] = &["delivery.v1"];

/// What one outbox record asks a worker to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "task")]
pub enum OutboxTask {
    /// Send one membership change (format `delivery.v1`).
    #[serde(rename = "delivery.v1")]
    DeliveryV1(DeliveryPayload),
}

/// Why a stored payload is not a task this build can run.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// Written in a format this build does not know (a newer build's, or not a task).
    #[error("outbox task format {found} is not one this build knows ({})", KNOWN.join(", "))]
    UnknownFormat {
        /// The format the record names, as JSON.
        found: String,
    },
    /// The format is known but the body does not match it.
    #[error("outbox task does not match its format: {0}")]
    Body(#[from] serde_json::Error),
}

impl OutboxTask {
    /// The stored form: the task's fields with its format under `task`.
    pub fn encode(&self) -> Value {
        // A task holds only strings, numbers and lists: it always serialises.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// Reads a stored payload. Records written before tasks named their format (no `task`
    /// field) hold exactly the fields of `delivery.v1`, and decode as that.
    pub fn decode(payload: &Value) -> Result<Self, TaskError> {
        match payload.get(TAG) {
            None => Ok(Self::DeliveryV1(DeliveryPayload::deserialize(payload)?)),
            Some(Value::String(format)) if KNOWN.contains(&format.as_str()) => {
                Ok(Self::deserialize(payload)?)
            }
            Some(other) => Err(TaskError::UnknownFormat {
                found: other.to_string(),
            }),
        }
    }

    /// The delivery it sends.
    pub fn delivery(&self) -> &DeliveryPayload {
        match self {
            Self::DeliveryV1(payload) => payload,
        }
    }
}

impl From<DeliveryPayload> for OutboxTask {
    fn from(payload: DeliveryPayload) -> Self {
        Self::DeliveryV1(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use waymark_engine::Change;
    use waymark_engine::model::ConnectionMode;

    fn payload() -> DeliveryPayload {
        DeliveryPayload {
            journey_id: "j".into(),
            journey_version: 2,
            step_id: "s".into(),
            step_key: "j_s_1a2b3c".into(),
            connection_id: "c".into(),
            mode: ConnectionMode::Identify,
            action: Change::Exited,
            user_id: Some("u1".into()),
            anonymous_id: None,
            entry_number: 1,
            at: 1_000,
            profile: Some(("ws".into(), 7)),
            traits: vec!["plan".into()],
        }
    }

    #[test]
    fn a_task_round_trips_through_its_stored_form() {
        let task = OutboxTask::from(payload());
        let stored = task.encode();
        assert_eq!(stored["task"], "delivery.v1");
        assert_eq!(stored["mode"], "identify");
        assert_eq!(stored["action"], "exited");
        assert_eq!(stored["profile"], json!(["ws", 7]));
        assert_eq!(OutboxTask::decode(&stored).unwrap(), task);
    }

    #[test]
    fn a_record_written_before_formats_decodes_as_v1() {
        let mut stored = OutboxTask::from(payload()).encode();
        stored.as_object_mut().unwrap().remove("task");
        assert_eq!(
            OutboxTask::decode(&stored).unwrap(),
            OutboxTask::DeliveryV1(payload())
        );
    }

    #[test]
    fn an_unknown_format_is_refused_by_name() {
        let mut stored = OutboxTask::from(payload()).encode();
        stored["task"] = json!("delivery.v2");
        let err = OutboxTask::decode(&stored).unwrap_err();
        assert!(matches!(err, TaskError::UnknownFormat { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "outbox task format \"delivery.v2\" is not one this build knows (delivery.v1)"
        );
        stored["task"] = json!(1);
        assert!(matches!(
            OutboxTask::decode(&stored),
            Err(TaskError::UnknownFormat { .. })
        ));
    }

    #[test]
    fn a_known_format_with_a_bad_body_is_refused() {
        let mut stored = OutboxTask::from(payload()).encode();
        stored["action"] = json!("wandered");
        assert!(matches!(
            OutboxTask::decode(&stored),
            Err(TaskError::Body(_))
        ));
    }
}
