//! A fast reading of the common history line: one pass over the bytes that fills the
//! message's [`Fields`] directly, with none of serde's generic machinery. It accepts only
//! what it can read exactly as the full parse ([`super::parse_history_line`]'s serde path)
//! would, and gives up (`None`) on anything else, which then takes the full parse: a string
//! with an escape, a repeated message field, a non-string call type or time, a nesting
//! deeper than [`MAX_DEPTH`], and any text that is not plain JSON. Numbers are handed to
//! serde_json itself, so that every float reads to the same bits.
//!
//! The event time gets the same treatment ([`instant`]): the usual `YYYY-MM-DDTHH:MM:SSZ`
//! (with an optional fraction) is computed directly, anything else is left to
//! [`parse_instant`].

use std::borrow::Cow;

use serde_json::{Map, Value};
use waymark_engine::time::{Millis, parse_instant};

use super::fields::{Fields, Text};
use crate::cursor::Cursor;

/// Deeper values are left to the full parse (serde_json stops at 128).
const MAX_DEPTH: usize = 64;

/// Reads the fields of a message line into `f` (empty on entry); `false` when the full
/// parse must read it (`f` is then left half filled).
pub(super) fn fields<'a>(line: &'a str, f: &mut Fields<'a>) -> bool {
    read(line, f).is_some()
}

fn read<'a>(line: &'a str, f: &mut Fields<'a>) -> Option<()> {
    let mut p = Parser {
        text: line,
        cursor: Cursor::new(line.as_bytes()),
    };
    let mut seen = 0u32;
    p.ws();
    p.eat(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let key = p.plain_string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            match key {
                "type" => set(&mut seen, 1, &mut f.kind, p.text_field()?)?,
                "timestamp" => set(&mut seen, 2, &mut f.timestamp, p.text_field()?)?,
                "originalTimestamp" => {
                    set(&mut seen, 3, &mut f.original_timestamp, p.text_field()?)?
                }
                "sentAt" => set(&mut seen, 4, &mut f.sent_at, p.text_field()?)?,
                "messageId" => set(&mut seen, 5, &mut f.message_id, p.value_field()?)?,
                "userId" => set(&mut seen, 6, &mut f.user_id, p.value_field()?)?,
                "anonymousId" => set(&mut seen, 7, &mut f.anonymous_id, p.value_field()?)?,
                "previousId" => set(&mut seen, 8, &mut f.previous_id, p.value_field()?)?,
                "groupId" => set(&mut seen, 9, &mut f.group_id, p.value_field()?)?,
                "context" => set(&mut seen, 10, &mut f.context, p.value_field()?)?,
                "properties" => set(&mut seen, 11, &mut f.properties, p.value_field()?)?,
                "traits" => set(&mut seen, 12, &mut f.traits, p.value_field()?)?,
                "integrations" => set(&mut seen, 13, &mut f.integrations, p.value_field()?)?,
                "event" => set(&mut seen, 14, &mut f.event, p.value_field()?)?,
                "name" => set(&mut seen, 15, &mut f.name, p.value_field()?)?,
                "category" => set(&mut seen, 16, &mut f.category, p.value_field()?)?,
                "input" => set(&mut seen, 17, &mut f.input, p.value_field()?)?,
                _ => {
                    p.value(0)?;
                }
            }
            p.ws();
            match p.take()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == p.b.len()).then_some(())
}

/// A message field read once: the full parse refuses a repeated one (even after a `null`),
/// so a second sighting gives up. `found` is `None` for `null`, which reads as absent.
fn set<T>(seen: &mut u32, bit: u32, field: &mut Option<T>, found: Option<T>) -> Option<()> {
    if *seen & (1 << bit) != 0 {
        return None;
    }
    *seen |= 1 << bit;
    *field = found;
    Some(())
}

struct Parser<'a> {
    text: &'a str,
    cursor: Cursor<'a>,
}

impl<'a> std::ops::Deref for Parser<'a> {
    type Target = Cursor<'a>;
    fn deref(&self) -> &Cursor<'a> {
        &self.cursor
    }
}

impl std::ops::DerefMut for Parser<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.cursor
    }
}

impl<'a> Parser<'a> {
    /// A string without escapes or control characters, borrowed from the line.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let len = self.b[start..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if self.b[start + len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        // Quotes are ASCII: both ends are character boundaries.
        self.text.get(start..start + len)
    }

    /// A field read as text: a plain string, borrowed; `null` as absent (`Some(None)`).
    fn text_field(&mut self) -> Option<Option<Text<'a>>> {
        match self.peek()? {
            b'"' => Some(Some(Text::Str(Cow::Borrowed(self.plain_string()?)))),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// A field read as any value; `null` as absent (`Some(None)`).
    fn value_field(&mut self) -> Option<Option<Value>> {
        match self.value(0)? {
            Value::Null => Some(None),
            v => Some(Some(v)),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// One JSON value at nesting `depth`.
    fn value(&mut self, depth: usize) -> Option<Value> {
        match self.peek()? {
            b'"' => Some(Value::String(self.plain_string()?.to_string())),
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                let mut map = Map::new();
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Object(map));
                }
                loop {
                    self.ws();
                    let key = self.plain_string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    let value = self.value(depth + 1)?;
                    // A repeated key: the last one wins, as in the full parse.
                    map.insert(key.to_string(), value);
                    self.ws();
                    match self.take()? {
                        b',' => {}
                        b'}' => return Some(Value::Object(map)),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.take()? {
                        b',' => {}
                        b']' => return Some(Value::Array(items)),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A number, checked against JSON's grammar here and read by serde_json.
    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.take()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.some_digits()?;
        }
        let text = &self.text[start..self.i];
        // A whole number that fits: what serde_json makes of it, without calling it.
        if text.len() <= 18 && !text.contains(['.', 'e', 'E']) {
            let n: i64 = text.parse().ok()?;
            return match n {
                0.. if !text.starts_with('-') => Some(Value::from(n as u64)),
                ..0 => Some(Value::from(n)),
                // `-0` reads as a float in serde_json.
                _ => serde_json::from_str(text).ok(),
            };
        }
        serde_json::from_str(text).ok()
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }
}

/// [`parse_instant`], computed directly for `YYYY-MM-DDTHH:MM:SS[.f]Z` from 1970 to 9998.
pub(super) fn instant(text: &str) -> Option<Millis> {
    fast_instant(text.as_bytes()).or_else(|| parse_instant(text))
}

fn fast_instant(b: &[u8]) -> Option<Millis> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |at: usize, len: usize| -> Option<i64> {
        b[at..at + len].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let millis = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let mut ms = 0;
            for i in 0..3 {
                let digit = match fraction.get(i) {
                    Some(c) if c.is_ascii_digit() => i64::from(c - b'0'),
                    Some(_) => return None,
                    None => 0,
                };
                ms = ms * 10 + digit;
            }
            if !fraction.iter().all(u8::is_ascii_digit) {
                return None;
            }
            ms
        }
        _ => return None,
    };
    if !(1970..=9998).contains(&year)
        || !(1..=12).contains(&month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days_in_month {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (March-based years).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[path = "fast_history_tests.rs"]
mod tests;
