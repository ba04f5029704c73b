//! How the engine's state fields that postcard cannot carry as they are go into a
//! checkpoint (`#[serde(with = ...)]` modules). Postcard is not self-describing, so a
//! `serde_json::Value` (which reads any shape) travels as [`Dynamic`], a tagged mirror of
//! it; a time zone as its IANA name; and the journey and audience definitions, whose
//! criteria are read by hand from JSON objects, as the JSON documents they were published
//! as (small next to the per-user state, and read by the very code that validates them).

use jiff::tz::TimeZone;
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::model::{Filter, Op};
use crate::time::Millis;

/// A JSON value as postcard writes it (a borrowed one on the way out).
#[derive(Serialize)]
enum DynamicRef<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'a str),
    Array(Vec<DynamicRef<'a>>),
    Object(Vec<(&'a str, DynamicRef<'a>)>),
}

/// A JSON value as postcard reads it back (same variants, same order as [`DynamicRef`]).
#[derive(Deserialize)]
enum Dynamic {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    Array(Vec<Dynamic>),
    Object(Vec<(String, Dynamic)>),
}

impl<'a> From<&'a Value> for DynamicRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Self::U64(u),
                (None, Some(i)) => Self::I64(i),
                _ => Self::F64(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Self::Str(s),
            Value::Array(a) => Self::Array(a.iter().map(Self::from).collect()),
            Value::Object(o) => Self::Object(o.iter().map(|(k, v)| (&**k, v.into())).collect()),
        }
    }
}

impl From<Dynamic> for Value {
    fn from(d: Dynamic) -> Self {
        match d {
            Dynamic::Null => Value::Null,
            Dynamic::Bool(b) => Value::Bool(b),
            Dynamic::U64(u) => Value::from(u),
            Dynamic::I64(i) => Value::from(i),
            Dynamic::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Dynamic::Str(s) => Value::String(s),
            Dynamic::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            Dynamic::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

/// `Value`.
pub(crate) mod value {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        DynamicRef::from(v).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Dynamic::deserialize(d).map(Value::from)
    }
}

/// `Option<Value>`.
pub(crate) mod optional_value {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(DynamicRef::from).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(Option::<Dynamic>::deserialize(d)?.map(Value::from))
    }
}

/// `Option<(Millis, Value)>` (first and last values of computed attributes).
pub(crate) mod stamped {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<(Millis, Value)>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|(at, v)| (*at, DynamicRef::from(v)))
            .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<(Millis, Value)>, D::Error> {
        Ok(Option::<(Millis, Dynamic)>::deserialize(d)?.map(|(at, v)| (at, v.into())))
    }
}

/// `Vec<(Millis, Option<Value>)>` (the events inside a computed attribute's window).
pub(crate) mod windowed {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &[(Millis, Option<Value>)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            v.iter()
                .map(|(at, v)| (*at, v.as_ref().map(DynamicRef::from))),
        )
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(Millis, Option<Value>)>, D::Error> {
        Ok(Vec::<(Millis, Option<Dynamic>)>::deserialize(d)?
            .into_iter()
            .map(|(at, v)| (at, v.map(Value::from)))
            .collect())
    }
}

/// `Vec<Filter>` (event filters of counters and computed attributes).
pub(crate) mod filters {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[Filter], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            v.iter()
                .map(|f| (&f.property, f.op, f.value.as_ref().map(DynamicRef::from))),
        )
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Filter>, D::Error> {
        Ok(Vec::<(String, Op, Option<Dynamic>)>::deserialize(d)?
            .into_iter()
            .map(|(property, op, value)| Filter {
                property,
                op,
                value: value.map(Value::from),
            })
            .collect())
    }
}

/// `TimeZone`, by IANA name: the engine only makes zones by name (the settings' time zone,
/// or UTC when there is none).
pub(crate) mod zone {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(tz: &TimeZone, s: S) -> Result<S::Ok, S::Error> {
        tz.iana_name()
            .ok_or_else(|| S::Error::custom("a time zone without an IANA name"))?
            .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeZone, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::get(&name).map_err(|_| D::Error::custom(format!("unknown time zone `{name}`")))
    }
}

/// Journey and audience definitions, as their JSON documents.
pub(crate) mod definitions {
    use super::*;

    pub(crate) fn serialize<S: Serializer, T: Serialize>(
        list: &[T],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let texts = list
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(S::Error::custom)?;
        texts.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| serde_json::from_str(text).map_err(D::Error::custom))
            .collect()
    }
}
