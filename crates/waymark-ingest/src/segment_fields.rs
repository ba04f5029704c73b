//! The fields of a Segment message that normalizing reads, taken out of a parsed object or
//! read straight from JSON text; every other field of a message is ignored. `null` counts
//! as absent throughout normalizing, so an absent field and a `null` one are both `None`.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Fields<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Text<'a>>,
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
    #[serde(borrow)]
    pub(super) timestamp: Option<Text<'a>>,
    #[serde(rename = "originalTimestamp", borrow)]
    pub(super) original_timestamp: Option<Text<'a>>,
    #[serde(rename = "sentAt", borrow)]
    pub(super) sent_at: Option<Text<'a>>,
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

impl Fields<'static> {
    /// Takes the fields out of a message object.
    pub(super) fn from_map(mut obj: Map<String, Value>) -> Self {
        let mut take = |key: &str| obj.remove(key).filter(|v| !v.is_null());
        Self {
            kind: take("type").map(Text::from_value),
            message_id: take("messageId"),
            user_id: take("userId"),
            anonymous_id: take("anonymousId"),
            previous_id: take("previousId"),
            group_id: take("groupId"),
            timestamp: take("timestamp").map(Text::from_value),
            original_timestamp: take("originalTimestamp").map(Text::from_value),
            sent_at: take("sentAt").map(Text::from_value),
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

/// A field that is read as text (the call type, times): a string is kept as it is in the
/// line, borrowed when it has no escapes, so that reading it allocates nothing; any other
/// JSON is kept whole, for the error that names it.
#[derive(Debug)]
pub(super) enum Text<'a> {
    Str(Cow<'a, str>),
    Json(Value),
}

impl Text<'_> {
    fn from_value(value: Value) -> Self {
        match value {
            Value::String(s) => Text::Str(Cow::Owned(s)),
            other => Text::Json(other),
        }
    }

    /// A view of a JSON value (for fields outside a message, such as an envelope's).
    pub(super) fn of(value: &Value) -> Text<'_> {
        match value {
            Value::String(s) => Text::Str(Cow::Borrowed(s)),
            other => Text::Json(other.clone()),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'a>, E> {
        Ok(Text::Json(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
        Ok(Text::Json(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
        Ok(Text::Json(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'a>, E> {
        Ok(Text::Json(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
        Ok(Text::Json(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'a>, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Text::Json)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'a>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Text::Json)
    }
}
