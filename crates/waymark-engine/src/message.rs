//! A normalized inbound message: who it is about, what kind of call it was, and the event.
//! Every wire format (Segment, mParticle, imports) is turned into this.

use crate::event::Event;
use crate::time::Millis;

/// The call types every wire format maps onto (Segment's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Traits about a user.
    Identify,
    /// A named event.
    Track,
    /// A web page view (`Page Viewed`).
    Page,
    /// A mobile screen view (`Screen Viewed`).
    Screen,
    /// Membership of a group or account.
    Group,
    /// Two identifiers of one user (`previousId` → `userId`).
    Alias,
}

impl MessageKind {
    /// The lower-case name (`track`, `identify`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Identify => "identify",
            MessageKind::Track => "track",
            MessageKind::Page => "page",
            MessageKind::Screen => "screen",
            MessageKind::Group => "group",
            MessageKind::Alias => "alias",
        }
    }

    /// Parses a lower-case call name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "identify" => MessageKind::Identify,
            "track" => MessageKind::Track,
            "page" => MessageKind::Page,
            "screen" => MessageKind::Screen,
            "group" => MessageKind::Group,
            "alias" => MessageKind::Alias,
            _ => return None,
        })
    }
}

/// The identifiers a message carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The app's own user id.
    pub user_id: Option<String>,
    /// A device or browser id.
    pub anonymous_id: Option<String>,
    /// For `alias`: the identifier being merged into `user_id`.
    pub previous_id: Option<String>,
    /// Other identifiers as (type, value): `email`, mParticle identities, `mpid`.
    pub others: Vec<(String, String)>,
}

impl Identity {
    /// The profile key used by simulation and the API: the `userId`, else the `anonymousId`.
    pub fn profile_key(&self) -> Option<&str> {
        self.user_id.as_deref().or(self.anonymous_id.as_deref())
    }
}

/// One normalized inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The sender's id for deduplication (`messageId`, mParticle `source_message_id`).
    pub message_id: Option<String>,
    /// The call type.
    pub kind: MessageKind,
    /// Who it is about.
    pub identity: Identity,
    /// What the engine sees (`event.at` is the corrected event time).
    pub event: Event,
    /// The client's time was outside the bounds of SPEC §2 (more than 24 hours after
    /// receipt, or before 2000) and `event.at` is the receipt time instead.
    pub timestamp_adjusted: bool,
    /// When the server received it.
    pub received_at: Millis,
}
