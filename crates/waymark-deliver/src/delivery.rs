//! One membership change on its way to one output, and its deterministic message id.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use waymark_engine::Change;
use waymark_engine::model::ConnectionMode;
use waymark_engine::time::Millis;

/// One step membership change that one active connection must hear of.
///
/// Everything needed to build the message is here, so a delivery can be stored, retried
/// and replayed without the journey that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The journey's id.
    pub journey_id: String,
    /// The journey version that decided the change.
    pub journey_version: u32,
    /// The step's id.
    pub step_id: String,
    /// The step's output key (`waymark_engine::validate::step_key`).
    pub step_key: String,
    /// The connection's id on that step.
    pub connection_id: String,
    /// How the connection sends membership.
    pub mode: ConnectionMode,
    /// Entered or exited.
    pub action: Change,
    /// Whom it is about.
    pub user: User,
    /// The user's entry number in the journey (1 for the first entry).
    pub entry_number: u32,
    /// When the change happened (milliseconds since the epoch).
    pub at: Millis,
    /// What the message carries so that downstream tools can personalise.
    pub personalisation: Personalisation,
}

/// The user's email when known, and the traits the connection names (SPEC §8). Not part
/// of the message id: a retry with fresher traits is still the same message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Personalisation {
    /// The profile's email (its `email` identity, else its `email` trait).
    pub email: Option<String>,
    /// The named traits' current values, by path as the connection writes it.
    pub traits: serde_json::Map<String, serde_json::Value>,
}

/// The identifiers a message carries for its user; at least one is expected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// The known user id, if any.
    pub user_id: Option<String>,
    /// The anonymous id, if any.
    pub anonymous_id: Option<String>,
}

impl Delivery {
    /// The delivery's message id: `wm-` and 32 hex digits of a SHA-256 over the journey id,
    /// version, step id, connection id, user ids, entry number and action.
    ///
    /// The same delivery always yields the same id, so a retry or a replay is recognisable
    /// downstream (it is the Segment `messageId` and the `webhook-id`). Every field is
    /// length-prefixed, so no two different deliveries hash the same bytes. The connection
    /// is included so that two connections of one step that reach the same destination (one
    /// in `event` mode, one in `identify` mode) are not deduplicated into one message.
    pub fn message_id(&self) -> String {
        let user = |id: &Option<String>| match id {
            Some(id) => format!("+{id}"),
            None => "-".to_string(),
        };
        hashed_id(&[
            b"waymark-delivery-v1",
            self.journey_id.as_bytes(),
            &self.journey_version.to_be_bytes(),
            self.step_id.as_bytes(),
            self.connection_id.as_bytes(),
            user(&self.user.user_id).as_bytes(),
            user(&self.user.anonymous_id).as_bytes(),
            &self.entry_number.to_be_bytes(),
            self.action.as_str().as_bytes(),
        ])
    }
}

/// `wm-` and 32 hex digits of a SHA-256 over the fields, each length-prefixed so that no
/// two different field lists hash the same bytes.
pub fn hashed_id(fields: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for bytes in fields {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(3 + 32);
    id.push_str("wm-");
    for byte in &digest[..16] {
        // Writing to a String cannot fail.
        let _ = write!(id, "{byte:02x}");
    }
    id
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A delivery for tests: `u1` entering step `s1` of journey `j1`.
    pub(crate) fn sample(mode: ConnectionMode, action: Change) -> Delivery {
        Delivery {
            journey_id: "j1".into(),
            journey_version: 3,
            step_id: "s1".into(),
            step_key: waymark_engine::validate::step_key(
                "j1",
                "First purchase",
                "s1",
                "Opened email",
            ),
            connection_id: "c1".into(),
            mode,
            action,
            user: User {
                user_id: Some("u1".into()),
                anonymous_id: Some("a1".into()),
            },
            entry_number: 1,
            at: 1_763_812_009_961,
            personalisation: Personalisation::default(),
        }
    }

    #[test]
    fn message_id_is_deterministic_and_well_formed() {
        let d = sample(ConnectionMode::Event, Change::Entered);
        let id = d.message_id();
        assert_eq!(id, d.clone().message_id());
        assert_eq!(id.len(), 35);
        assert!(id.starts_with("wm-"));
        assert!(
            id[3..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn message_id_ignores_the_instant_and_the_key() {
        let d = sample(ConnectionMode::Event, Change::Entered);
        let mut later = d.clone();
        later.at += 60_000;
        later.step_key = "renamed".into();
        assert_eq!(d.message_id(), later.message_id());
    }

    #[test]
    fn message_id_changes_with_every_identifying_field() {
        let d = sample(ConnectionMode::Event, Change::Entered);
        let variants: Vec<Delivery> = vec![
            Delivery {
                journey_id: "j2".into(),
                ..d.clone()
            },
            Delivery {
                journey_version: 4,
                ..d.clone()
            },
            Delivery {
                step_id: "s2".into(),
                ..d.clone()
            },
            Delivery {
                connection_id: "c2".into(),
                ..d.clone()
            },
            Delivery {
                action: Change::Exited,
                ..d.clone()
            },
            Delivery {
                entry_number: 2,
                ..d.clone()
            },
            Delivery {
                user: User {
                    user_id: None,
                    anonymous_id: Some("a1".into()),
                },
                ..d.clone()
            },
            // The same characters split differently between the two ids.
            Delivery {
                user: User {
                    user_id: Some("u1a".into()),
                    anonymous_id: Some("1".into()),
                },
                ..d.clone()
            },
            // A user id that equals another user's anonymous id.
            Delivery {
                user: User {
                    user_id: None,
                    anonymous_id: Some("u1".into()),
                },
                ..d.clone()
            },
        ];
        let mut ids: Vec<String> = variants.iter().map(Delivery::message_id).collect();
        ids.push(d.message_id());
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
