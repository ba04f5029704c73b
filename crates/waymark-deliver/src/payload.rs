//! The Segment-spec message for a delivery (wire.md §3, SPEC §8).

use crate::delivery::Delivery;
use serde_json::{Map, Value, json};
use waymark_engine::Change;
use waymark_engine::model::ConnectionMode;

/// Why a delivery has no message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// `list` connections change a list Waymark keeps; nothing is sent.
    #[error("a list-mode delivery has no message")]
    ListMode,
    /// The instant cannot be written as an RFC 3339 timestamp.
    #[error("instant {0} ms is out of range")]
    Instant(i64),
}

/// The message for a delivery: `track` `Audience Entered`/`Audience Exited` in `event` mode,
/// `identify` with a boolean trait in `identify` mode.
///
/// Both carry the user's ids, `messageId` ([`Delivery::message_id`]), `timestamp` (RFC 3339,
/// milliseconds, UTC) and `context.personas` with `computation_class: "journey_step"`,
/// `computation_key` (the step key), `computation_id` (`<journey id>/<step id>`), and the
/// journey id, step id and version. The user's email, when known, and the traits the
/// connection names go where Segment keeps a user's traits: an `identify`'s `traits`, a
/// `track`'s `context.traits`.
pub fn message(delivery: &Delivery) -> Result<Value, PayloadError> {
    let key = delivery.step_key.as_str();
    let member = delivery.action == Change::Entered;
    let timestamp = jiff::Timestamp::from_millisecond(delivery.at)
        .map_err(|_| PayloadError::Instant(delivery.at))?;
    let mut message = Map::new();
    let mut personal = delivery.personalisation.traits.clone();
    if let Some(email) = &delivery.personalisation.email {
        personal.insert("email".into(), email.as_str().into());
    }
    match delivery.mode {
        ConnectionMode::Event => {
            message.insert("type".into(), "track".into());
            let event = match delivery.action {
                Change::Entered => "Audience Entered",
                Change::Exited => "Audience Exited",
            };
            message.insert("event".into(), event.into());
            let mut properties = Map::new();
            properties.insert("audience_key".into(), key.into());
            properties.insert(key.into(), member.into());
            message.insert("properties".into(), properties.into());
        }
        ConnectionMode::Identify => {
            message.insert("type".into(), "identify".into());
            let mut traits = std::mem::take(&mut personal);
            traits.insert(key.into(), member.into());
            message.insert("traits".into(), traits.into());
        }
        ConnectionMode::List => return Err(PayloadError::ListMode),
    }
    if let Some(id) = &delivery.user.user_id {
        message.insert("userId".into(), id.as_str().into());
    }
    if let Some(id) = &delivery.user.anonymous_id {
        message.insert("anonymousId".into(), id.as_str().into());
    }
    message.insert("messageId".into(), delivery.message_id().into());
    message.insert("timestamp".into(), timestamp.to_string().into());
    let mut context = json!({"personas": {
        "computation_class": "journey_step",
        "computation_key": key,
        "computation_id": format!("{}/{}", delivery.journey_id, delivery.step_id),
        "journey_id": delivery.journey_id,
        "step_id": delivery.step_id,
        "version": delivery.journey_version,
    }});
    if !personal.is_empty() {
        context["traits"] = personal.into();
    }
    message.insert("context".into(), context);
    Ok(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::tests::sample;

    #[test]
    fn track_entered() {
        let d = sample(ConnectionMode::Event, Change::Entered);
        insta::assert_json_snapshot!(message(&d).unwrap());
    }

    #[test]
    fn track_exited() {
        let d = sample(ConnectionMode::Event, Change::Exited);
        let m = message(&d).unwrap();
        assert_eq!(m["event"], "Audience Exited");
        assert_eq!(m["properties"][&d.step_key], false);
    }

    #[test]
    fn identify_exited() {
        let mut d = sample(ConnectionMode::Identify, Change::Exited);
        d.user.anonymous_id = None;
        insta::assert_json_snapshot!(message(&d).unwrap());
    }

    #[test]
    fn email_and_named_traits_ride_along() {
        let mut d = sample(ConnectionMode::Event, Change::Entered);
        d.personalisation.email = Some("ada@example.com".into());
        d.personalisation.traits.insert("plan".into(), json!("pro"));
        let m = message(&d).unwrap();
        assert_eq!(
            m["context"]["traits"],
            json!({"email": "ada@example.com", "plan": "pro"})
        );
        assert_eq!(
            m["messageId"],
            sample(ConnectionMode::Event, Change::Entered).message_id()
        );
        d.mode = ConnectionMode::Identify;
        let m = message(&d).unwrap();
        assert_eq!(m["traits"]["email"], "ada@example.com");
        assert_eq!(m["traits"]["plan"], "pro");
        assert_eq!(m["traits"][&d.step_key], true);
        assert!(m["context"].get("traits").is_none());
    }

    #[test]
    fn list_mode_has_no_message() {
        let d = sample(ConnectionMode::List, Change::Entered);
        assert_eq!(message(&d), Err(PayloadError::ListMode));
    }

    #[test]
    fn out_of_range_instant_is_an_error() {
        let mut d = sample(ConnectionMode::Event, Change::Entered);
        d.at = i64::MAX;
        assert_eq!(message(&d), Err(PayloadError::Instant(i64::MAX)));
    }
}
