//! Parsing untrusted JSON bodies: nesting is checked by an iterative scan before serde sees
//! the bytes, so hostile input cannot overflow the stack, and a key that repeats within an
//! object is refused rather than letting the last one silently win (a body that says two
//! different things cannot be read as a whole, SPEC §2).
//!
//! Batches are read in two steps: the body's top level as raw JSON text per key
//! ([`raw_object`], [`raw_array`]), then each message from its own text ([`parse_str`]), so
//! that a message's size is measured as received, the same on every path.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use crate::IngestError;

/// Marks serde errors raised for a repeated key, so they can be told from bad syntax.
const DUPLICATE: &str = "duplicate key ";

/// The body as UTF-8 text (a leading byte order mark dropped), its depth checked.
pub(crate) fn text(json: &[u8], max_depth: usize) -> Result<&str, IngestError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    check_depth(json, max_depth)?;
    std::str::from_utf8(json).map_err(|e| IngestError::InvalidJson(e.to_string()))
}

/// Parses text already checked by [`text`] (or a part of such text) into a value.
pub(crate) fn parse_str(json: &str) -> Result<Value, IngestError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = StrictValue.deserialize(&mut de).map_err(error)?;
    de.end().map_err(error)?;
    Ok(value)
}

/// The members of a JSON object as raw text, in order; `None` when `json` is not an object.
pub(crate) fn raw_object(json: &str) -> Result<Option<Vec<(String, &RawValue)>>, IngestError> {
    let raw: &RawValue = serde_json::from_str(json).map_err(error)?;
    if !raw.get().starts_with('{') {
        return Ok(None);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let members = de.deserialize_map(RawMembers).map_err(error)?;
    Ok(Some(members))
}

/// The items of a JSON array as raw text; `None` when `raw` is not an array.
pub(crate) fn raw_array(raw: &RawValue) -> Result<Option<Vec<&RawValue>>, IngestError> {
    if !raw.get().starts_with('[') {
        return Ok(None);
    }
    serde_json::from_str(raw.get()).map(Some).map_err(error)
}

/// A serde error as an ingestion error: a repeated key, nesting serde itself refuses, or
/// bad JSON.
fn error(e: serde_json::Error) -> IngestError {
    let text = e.to_string();
    if let Some(rest) = text.strip_prefix(DUPLICATE) {
        IngestError::DuplicateKey(rest.to_string())
    } else if text.starts_with("recursion limit exceeded") {
        // serde_json stops at 128 levels on its own: only reachable when max_depth ≥ 128.
        IngestError::TooDeep { limit: 128 }
    } else {
        IngestError::InvalidJson(text)
    }
}

/// Fails when an object or array opens more than `max_depth` levels deep (brackets inside
/// strings do not count). Malformed JSON is left for the parser to report.
fn check_depth(json: &[u8], max_depth: usize) -> Result<(), IngestError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(IngestError::TooDeep { limit: max_depth });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A [`Value`] that refuses repeated keys in any object.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if obj.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}`{key}`")));
            }
            let value = map.next_value_seed(StrictValue)?;
            obj.insert(key, value);
        }
        Ok(Value::Object(obj))
    }
}

/// An object's members as raw text, refusing repeated keys.
struct RawMembers;

impl<'de> Visitor<'de> for RawMembers {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}`{key}`")));
            }
            members.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(json: &[u8], max_depth: usize) -> Result<Value, IngestError> {
        parse_str(text(json, max_depth)?)
    }

    #[test]
    fn depth_counts_containers_not_brackets_in_strings() {
        assert!(parse(br#"{"a":[{"b":"[[[[{{{{\"]]"}]}"#, 3).is_ok());
        assert_eq!(
            parse(br#"{"a":[{"b":[]}]}"#, 3).unwrap_err().code(),
            "too_deep"
        );
        assert!(parse(b"[[]]", 2).is_ok());
        assert_eq!(parse(b"[[[]]]", 2).unwrap_err().code(), "too_deep");
        assert_eq!(parse(b"42", 0).unwrap(), json!(42));
    }

    #[test]
    fn bom_is_ignored_and_garbage_is_invalid_json() {
        assert_eq!(parse(b"\xEF\xBB\xBF{}", 4).unwrap(), json!({}));
        for bad in [&b""[..], b"{", b"nul", b"{\"a\":1}x", b"\"\xff\"", b"1e400"] {
            assert_eq!(parse(bad, 4).unwrap_err().code(), "invalid_json", "{bad:?}");
        }
    }

    #[test]
    fn serde_recursion_limit_is_reported_as_too_deep() {
        let deep = "[".repeat(10_000);
        let err = parse(deep.as_bytes(), 1_000_000).unwrap_err();
        assert_eq!(err.code(), "too_deep");
    }

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        for bad in [
            r#"{"writeKey":"a","writeKey":"b"}"#,
            r#"{"a":{"x":1,"x":1}}"#,
            r#"[{"userId":"u","userId":{"a":1}}]"#,
        ] {
            let err = parse(bad.as_bytes(), 8).unwrap_err();
            assert_eq!(err.code(), "duplicate_key", "{bad}");
        }
        let err = raw_object(r#"{"batch":[],"batch":[]}"#).unwrap_err();
        assert_eq!(err.code(), "duplicate_key");
        assert!(err.to_string().contains("`batch`"), "{err}");
        assert_eq!(
            parse(br#"{"a":{"x":1},"b":{"x":1}}"#, 8).unwrap(),
            json!({"a":{"x":1},"b":{"x":1}})
        );
    }

    #[test]
    fn raw_members_keep_the_text_as_received() {
        let members = raw_object(r#"{"batch": [ {"a": 1} ,{"b":2}], "k" : "v"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(members[0].0, "batch");
        let items = raw_array(members[0].1).unwrap().unwrap();
        assert_eq!(items[0].get(), r#"{"a": 1}"#);
        assert_eq!(items[1].get(), r#"{"b":2}"#);
        assert!(raw_object("[1]").unwrap().is_none());
        assert!(raw_array(members[1].1).unwrap().is_none());
    }
}
