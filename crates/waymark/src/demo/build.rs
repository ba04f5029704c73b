//! Builds one normalized message the way a Segment client on that platform would send it:
//! identifiers, locale, time zone and consent.

use serde_json::{Map, Value, json};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use super::DemoMessage;
use super::persona::{Consent, Persona};

/// Where a message comes from.
#[derive(Debug, Clone, Copy)]
pub struct Device<'a> {
    /// The input id (`ios`, `android` or `web`).
    pub input: &'static str,
    /// The device's or browser's anonymous id.
    pub anonymous_id: &'a str,
    /// Whether the user is logged in (the message carries the `userId`).
    pub identified: bool,
}

/// What a message says: its kind, event name, properties and traits.
#[derive(Debug)]
pub struct Call {
    /// Segment call type.
    pub kind: MessageKind,
    /// The event name criteria see (`None` for `identify`).
    pub name: Option<&'static str>,
    /// Event properties (an object, or `Null`).
    pub properties: Value,
    /// Traits to merge into the profile.
    pub traits: Map<String, Value>,
}

/// The message for a call by `persona` on `device` at `at`, with no message id yet; the
/// consent preferences go into the context when given.
pub fn message(
    persona: &Persona,
    device: Device<'_>,
    consent: Option<Consent>,
    at: Millis,
    call: Call,
) -> DemoMessage {
    let context = context(persona, consent);
    let mut identity = Identity {
        user_id: device.identified.then(|| persona.user_id.clone()),
        anonymous_id: Some(device.anonymous_id.to_owned()),
        ..Identity::default()
    };
    if call.kind == MessageKind::Identify && device.identified {
        identity
            .others
            .push(("email".to_owned(), persona.email.clone()));
    }
    DemoMessage {
        workspace: persona.workspace,
        input: device.input,
        message: Message {
            timestamp_adjusted: false,
            message_id: None,
            kind: call.kind,
            identity,
            event: Event {
                at,
                name: call.name.map(str::to_owned),
                properties: call.properties,
                context,
                traits: call.traits,
                input: Some(device.input.to_owned()),
            },
            received_at: at,
        },
    }
}

/// The message context: locale, time zone and consent preferences on the messages that
/// state consent (see `Timeline::emit`), none on the others. Kept lean
/// (the platform is the message's input): a demo run holds hundreds of thousands of these.
fn context(persona: &Persona, consent: Option<Consent>) -> Value {
    let Some(consent) = consent else {
        return Value::Null;
    };
    json!({
        "locale": persona.zone.locale,
        "timezone": persona.zone.name,
        "consent": {"categoryPreferences": {"email": consent.email, "sms": consent.sms, "push": consent.push}},
    })
}
