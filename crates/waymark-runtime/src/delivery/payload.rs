//! What an outbox record carries: everything needed to rebuild the delivery, so that it can
//! be retried and replayed without the journey that produced it.

use serde::{Deserialize, Serialize};
use waymark_deliver::{Change, ConnectionMode, Delivery, User};
use waymark_engine::time::Millis;

/// A delivery as stored in the outbox.
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
    /// `event`, `identify` or `list`.
    pub mode: String,
    /// `entered` or `exited`.
    pub action: String,
    /// The user's id.
    pub user_id: Option<String>,
    /// The user's anonymous id.
    pub anonymous_id: Option<String>,
    /// Entry number in the journey.
    pub entry_number: u32,
    /// When the membership changed.
    pub at: Millis,
}

impl DeliveryPayload {
    /// From a delivery.
    pub fn of(d: &Delivery) -> Self {
        Self {
            journey_id: d.journey_id.clone(),
            journey_version: d.journey_version,
            step_id: d.step_id.clone(),
            step_key: d.step_key.clone(),
            connection_id: d.connection_id.clone(),
            mode: match d.mode {
                ConnectionMode::Event => "event",
                ConnectionMode::Identify => "identify",
                ConnectionMode::List => "list",
            }
            .into(),
            action: d.action.as_str().into(),
            user_id: d.user.user_id.clone(),
            anonymous_id: d.user.anonymous_id.clone(),
            entry_number: d.entry_number,
            at: d.at,
        }
    }

    /// Back to a delivery.
    pub fn delivery(&self) -> Delivery {
        Delivery {
            journey_id: self.journey_id.clone(),
            journey_version: self.journey_version,
            step_id: self.step_id.clone(),
            step_key: self.step_key.clone(),
            connection_id: self.connection_id.clone(),
            mode: match self.mode.as_str() {
                "identify" => ConnectionMode::Identify,
                "list" => ConnectionMode::List,
                _ => ConnectionMode::Event,
            },
            action: if self.action == "exited" {
                Change::Exited
            } else {
                Change::Entered
            },
            user: User {
                user_id: self.user_id.clone(),
                anonymous_id: self.anonymous_id.clone(),
            },
            entry_number: self.entry_number,
            at: self.at,
        }
    }
}
