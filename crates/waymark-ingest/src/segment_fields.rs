//! The fields of a Segment message that normalizing reads, taken out of a parsed object or
//! read straight from JSON text; every other field of a message is ignored. `null` counts
//! as absent throughout normalizing, so an absent field and a `null` one are both `None`.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Fields {
    #[serde(rename = "type")]
    pub(super) kind: Option<Value>,
    #[serde(rename = "messageId")]
    pub(super) message_id: Option<Value>,
    #[serde(rename = "userId")]
    pub(super) user_id: Option<Value>,
    #[serde(rename = "anonymousId")]
    pub(super) anonymous_id: Option<Value>,
    #[serde(rename = "previousId")]
    pub(super) previous_id: Option<Value>,
    #[serde(rename = "groupId")]
    pub(super) group_id: Option<Value>,
    pub(super) timestamp: Option<Value>,
    #[serde(rename = "originalTimestamp")]
    pub(super) original_timestamp: Option<Value>,
    #[serde(rename = "sentAt")]
    pub(super) sent_at: Option<Value>,
    pub(super) context: Option<Value>,
    pub(super) properties: Option<Value>,
    pub(super) traits: Option<Value>,
    pub(super) integrations: Option<Value>,
    pub(super) event: Option<Value>,
    pub(super) name: Option<Value>,
    pub(super) category: Option<Value>,
    /// A history line's input (not part of a wire message; [`Fields::from_map`] leaves it).
    pub(super) input: Option<Value>,
}

impl Fields {
    /// Takes the fields out of a message object.
    pub(super) fn from_map(mut obj: Map<String, Value>) -> Self {
        let mut take = |key: &str| obj.remove(key).filter(|v| !v.is_null());
        Self {
            kind: take("type"),
            message_id: take("messageId"),
            user_id: take("userId"),
            anonymous_id: take("anonymousId"),
            previous_id: take("previousId"),
            group_id: take("groupId"),
            timestamp: take("timestamp"),
            original_timestamp: take("originalTimestamp"),
            sent_at: take("sentAt"),
            context: take("context"),
            properties: take("properties"),
            traits: take("traits"),
            integrations: take("integrations"),
            event: take("event"),
            name: take("name"),
            category: take("category"),
            input: None,
        }
    }
}
