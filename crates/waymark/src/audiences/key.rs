//! The profile key of one NDJSON message without parsing the rest of it: every reading
//! thread looks at every line to find the lines its partition owns, so this scan must cost
//! far less than a full parse. It reads `userId` and `anonymousId` exactly as ingestion
//! does (a non-empty string, or a number as its decimal text; `null` and `""` are none)
//! and skips everything else without allocating.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use waymark_ingest::cursor::Cursor;

/// The identifiers at the top level of a message.
#[derive(Deserialize)]
struct Ids<'a> {
    #[serde(rename = "userId", default, borrow)]
    user_id: Option<Id<'a>>,
    #[serde(rename = "anonymousId", default, borrow)]
    anonymous_id: Option<Id<'a>>,
}

/// One identifier's value; any other JSON type fails the scan (the full parse then says
/// why).
enum Id<'a> {
    Text(Cow<'a, str>),
    Number(String),
    Null,
}

impl<'a> Id<'a> {
    fn into_key(self) -> Option<Cow<'a, str>> {
        match self {
            Id::Text(t) if !t.is_empty() => Some(t),
            Id::Number(n) => Some(Cow::Owned(n)),
            Id::Text(_) | Id::Null => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor(std::marker::PhantomData))
    }
}

struct IdVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for IdVisitor<'a> {
    type Value = Id<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Id<'a>, E> {
        Ok(Id::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id<'a>, E> {
        Ok(Id::Text(Cow::Owned(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id<'a>, E> {
        Ok(Id::Number(serde_json::Number::from(v).to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id<'a>, E> {
        Ok(Id::Number(serde_json::Number::from(v).to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id<'a>, E> {
        serde_json::Number::from_f64(v)
            .map(|n| Id::Number(n.to_string()))
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Id<'a>, E> {
        Ok(Id::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Id<'a>, E> {
        Ok(Id::Null)
    }
}

/// The profile key of a message line (its `userId`, else its `anonymousId`), when the
/// line is a JSON object whose identifiers read cleanly. `None` when they do not (not JSON,
/// no identifier, an identifier of another type, a repeated key): the caller then parses
/// the line in full, which finds the key or the error to report.
pub fn profile_key(line: &str) -> Option<Cow<'_, str>> {
    // A derived struct also reads from an array, by position: only objects are messages.
    if !line.starts_with('{') {
        return None;
    }
    let ids: Ids<'_> = serde_json::from_str(line).ok()?;
    ids.user_id
        .and_then(Id::into_key)
        .or_else(|| ids.anonymous_id.and_then(Id::into_key))
}

/// The profile key of a message line as raw bytes, by a byte scan of its top level that
/// neither allocates nor decodes: a `userId` that is a non-empty string without escapes,
/// else such an `anonymousId`. `None` whenever anything is unusual (an escape, a number, a
/// key given twice before the answer, text that is not a JSON object): the caller then
/// asks the full parse. It stops at the first usable `userId`, so the rest of the line is
/// not checked: whoever uses the answer must check it against the full parse's key.
pub fn scan_key(line: &[u8]) -> Option<&[u8]> {
    let mut s = Scan(Cursor::new(line));
    s.ws();
    s.eat(b'{')?;
    s.ws();
    if s.peek() == Some(b'}') {
        return None;
    }
    let mut user: Option<Option<&[u8]>> = None;
    let mut anonymous: Option<Option<&[u8]>> = None;
    loop {
        s.ws();
        let name = s.plain_string()?;
        s.ws();
        s.eat(b':')?;
        s.ws();
        match name {
            b"userId" => {
                if user.is_some() {
                    return None;
                }
                let id = s.id()?;
                if id.is_some() {
                    return id;
                }
                user = Some(id);
            }
            b"anonymousId" => {
                if anonymous.is_some() {
                    return None;
                }
                anonymous = Some(s.id()?);
            }
            _ => s.skip_value()?,
        }
        s.ws();
        match s.take()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    anonymous.flatten()
}

/// The profile-key grammar over a line's bytes.
struct Scan<'a>(Cursor<'a>);

impl<'a> std::ops::Deref for Scan<'a> {
    type Target = Cursor<'a>;
    fn deref(&self) -> &Cursor<'a> {
        &self.0
    }
}

impl std::ops::DerefMut for Scan<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<'a> Scan<'a> {
    /// A string without escapes (its contents); `None` at an escape or a non-string.
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.b[self.i..];
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[end] != b'"' {
            return None;
        }
        self.i += end + 1;
        Some(&rest[..end])
    }

    /// An identifier: `Some(Some(text))` for a non-empty plain string, `Some(None)` for
    /// `null` or `""`, `None` for anything else (left to the full parse).
    fn id(&mut self) -> Option<Option<&'a [u8]>> {
        match self.peek()? {
            b'"' => self.plain_string().map(|s| (!s.is_empty()).then_some(s)),
            b'n' => {
                let rest = &self.b[self.i..];
                if rest.starts_with(b"null") {
                    self.i += 4;
                    Some(None)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Skips one value (not validated beyond its extent).
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => self.skip_string()?,
                        b'{' | b'[' => {
                            depth += 1;
                            self.i += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.i += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        _ => self.i += 1,
                    }
                }
            }
            _ => {
                let start = self.i;
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.i += 1;
                }
                (self.i > start).then_some(())
            }
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let rest = &self.b[self.i..];
            let at = memchr::memchr2(b'"', b'\\', rest)?;
            self.i += at + 1;
            if rest[at] == b'"' {
                return Some(());
            }
            // An escape: skip the escaped byte too.
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{profile_key, scan_key};

    fn key(line: &str) -> Option<String> {
        profile_key(line).map(|k| k.into_owned())
    }

    #[test]
    fn user_id_wins_then_anonymous_id() {
        let line =
            r#"{"type":"track","anonymousId":"a1","userId":"u1","properties":{"userId":"x"}}"#;
        assert_eq!(key(line).as_deref(), Some("u1"));
        assert_eq!(
            key(r#"{"anonymousId":"a1","userId":""}"#).as_deref(),
            Some("a1")
        );
        assert_eq!(
            key(r#"{"anonymousId":"a1","userId":null}"#).as_deref(),
            Some("a1")
        );
    }

    #[test]
    fn numbers_and_escapes_read_as_ingestion_reads_them() {
        assert_eq!(key(r#"{"userId":42}"#).as_deref(), Some("42"));
        assert_eq!(key(r#"{"userId":-7}"#).as_deref(), Some("-7"));
        assert_eq!(key(r#"{"userId":1.5}"#).as_deref(), Some("1.5"));
        assert_eq!(key(r#"{"userId":"a\"b\u00e9"}"#).as_deref(), Some("a\"bé"));
    }

    #[test]
    fn anything_unclear_is_left_to_the_full_parse() {
        assert_eq!(key("not json"), None);
        assert_eq!(key(r#"{"type":"track"}"#), None);
        assert_eq!(key(r#"{"userId":{"a":1}}"#), None);
        assert_eq!(key(r#"{"userId":"u1","userId":"u2"}"#), None);
        assert_eq!(key(r#"[1,2]"#), None);
    }

    #[test]
    fn the_byte_scan_finds_plain_keys_and_leaves_the_rest() {
        let scan = |l: &str| scan_key(l.as_bytes()).map(|k| String::from_utf8(k.to_vec()).unwrap());
        let line = r#"{"type":"track","properties":{"userId":"x","a":["}",{"b":"\"}"}]},"anonymousId":"a1","userId":"u1"}"#;
        assert_eq!(scan(line).as_deref(), Some("u1"));
        assert_eq!(
            scan(r#" { "anonymousId" : "a1" , "userId" : null } "#).as_deref(),
            Some("a1")
        );
        assert_eq!(
            scan(r#"{"anonymousId":"a1","userId":""}"#).as_deref(),
            Some("a1")
        );
        assert_eq!(
            scan(r#"{"n":-1.5e3,"t":true,"anonymousId":"a1"}"#).as_deref(),
            Some("a1")
        );
        for unclear in [
            r#"{"userId":42}"#,
            r#"{"userId":"a\"b"}"#,
            r#"{"user\u0049d":"u"}"#,
            r#"{"anonymousId":"a","anonymousId":"b"}"#,
            r#"{"type":"track"}"#,
            r#"{}"#,
            "[1]",
            "",
            r#"{"userId":{"a":1}}"#,
        ] {
            assert_eq!(scan(unclear), None, "{unclear}");
        }
    }
}
