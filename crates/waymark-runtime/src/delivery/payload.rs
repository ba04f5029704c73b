//! What a delivery task carries: everything needed to rebuild the delivery, so that it can
//! be retried and replayed without the journey that produced it.

use serde::{Deserialize, Serialize};
use waymark_deliver::{Change, ConnectionMode, Delivery, Personalisation, User};
use waymark_engine::time::Millis;
use waymark_store::ProfileId;

/// A delivery as an outbox task holds it (format `delivery.v1`, see [`super::OutboxTask`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryPayload {
    /// Journey id.
    pub journey_id: String,
    /// Journey version.
    pub journey_version: u32,
    /// Step id.
    pub step_id: String,
    /// Step output key.
    pub step_key: String,
    /// Connection id.
    pub connection_id: String,
    /// How the connection sends membership (`event`, `identify` or `list`).
    pub mode: ConnectionMode,
    /// `entered` or `exited`.
    #[serde(with = "change")]
    pub action: Change,
    /// The user's id.
    pub user_id: Option<String>,
    /// The user's anonymous id.
    pub anonymous_id: Option<String>,
    /// Entry number in the journey.
    pub entry_number: u32,
    /// When the membership changed.
    pub at: Millis,
    /// The profile's workspace and id, when known: the worker reads its email and the
    /// named traits when it sends (so the outbox keeps no more personal data than ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<(String, ProfileId)>,
    /// Trait paths the connection names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<String>,
}

impl DeliveryPayload {
    /// From a delivery, with the profile to personalise it from and the traits to add.
    pub fn of(d: &Delivery, profile: Option<(String, ProfileId)>, traits: Vec<String>) -> Self {
        Self {
            journey_id: d.journey_id.clone(),
            journey_version: d.journey_version,
            step_id: d.step_id.clone(),
            step_key: d.step_key.clone(),
            connection_id: d.connection_id.clone(),
            mode: d.mode,
            action: d.action,
            user_id: d.user.user_id.clone(),
            anonymous_id: d.user.anonymous_id.clone(),
            entry_number: d.entry_number,
            at: d.at,
            profile,
            traits,
        }
    }

    /// Back to a delivery (not personalised yet: see [`DeliveryPayload::personalise`]).
    pub fn delivery(&self) -> Delivery {
        Delivery {
            journey_id: self.journey_id.clone(),
            journey_version: self.journey_version,
            step_id: self.step_id.clone(),
            step_key: self.step_key.clone(),
            connection_id: self.connection_id.clone(),
            mode: self.mode,
            action: self.action,
            user: User {
                user_id: self.user_id.clone(),
                anonymous_id: self.anonymous_id.clone(),
            },
            entry_number: self.entry_number,
            at: self.at,
            personalisation: Personalisation::default(),
        }
    }

    /// The email and named traits of `profile` (the one this payload names).
    pub fn personalise(&self, profile: &waymark_store::Profile) -> Personalisation {
        let email = profile
            .identities
            .get("email")
            .cloned()
            .or_else(|| profile.traits.get("email")?.as_str().map(str::to_string));
        let traits = self
            .traits
            .iter()
            .filter_map(|path| Some((path.clone(), trait_at(&profile.traits, path)?.clone())))
            .collect();
        Personalisation { email, traits }
    }
}

/// A trait by path: top-level key first, then dotted segments into objects.
fn trait_at<'a>(
    traits: &'a serde_json::Map<String, serde_json::Value>,
    path: &str,
) -> Option<&'a serde_json::Value> {
    if let Some(v) = traits.get(path) {
        return Some(v);
    }
    let mut parts = path.split('.');
    let mut value = traits.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// A membership change as its name (`entered`, `exited`): the engine's type carries no
/// serde, being no stored format of the engine's own.
mod change {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use waymark_deliver::Change;

    pub(super) fn serialize<S: Serializer>(change: &Change, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(change.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Change, D::Error> {
        match String::deserialize(d)?.as_str() {
            "entered" => Ok(Change::Entered),
            "exited" => Ok(Change::Exited),
            other => Err(D::Error::unknown_variant(other, &["entered", "exited"])),
        }
    }
}
