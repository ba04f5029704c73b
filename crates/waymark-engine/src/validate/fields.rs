//! The validator's state and its generic JSON helpers: objects and their fields, typed
//! values, enumerations and time syntax. Each helper reports what is wrong and, where callers
//! need it, returns the value only when it is right, so they check further only what is
//! well-formed.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::Limits;
use super::problems::{Problem, describe, field, index, quote};
use crate::time::{
    ClockTime, Day, Duration, Millis, SignedDuration, TimeSyntaxError, parse_instant,
    parse_time_zone,
};

/// A JSON object.
pub(super) type Object = Map<String, Value>;

/// Walks one journey document and collects its problems.
pub(super) struct Checker<'a> {
    /// The limits in force.
    pub(super) limits: Limits,
    /// Everything found so far, in the order found.
    pub(super) problems: Vec<Problem>,
    /// The journey's id, once known to be a non-empty string.
    pub(super) journey_id: Option<&'a str>,
    /// The journey's name, once known to be a non-empty string.
    pub(super) journey_name: Option<&'a str>,
    /// Step ids seen (the entry's included), each with the path of its first use.
    pub(super) step_ids: HashMap<&'a str, String>,
    /// Connection ids seen, each with the path of its first use.
    pub(super) connection_ids: HashMap<&'a str, String>,
    /// `member_of` references to steps of this journey: the path and the step id.
    pub(super) member_steps: Vec<(String, &'a str)>,
    /// `member_of` references to standalone audiences: the path and the audience id.
    pub(super) member_audiences: Vec<(String, &'a str)>,
    /// `member_of` references to journeys: the path of the journey id and the id.
    pub(super) member_journeys: Vec<(String, &'a str)>,
    /// `attribute` criteria: the path of the name and the computed attribute's name.
    pub(super) attribute_refs: Vec<(String, &'a str)>,
}

/// The value of an optional field: absent and `null` both mean "not given".
pub(super) fn optional<'a>(map: &'a Object, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

impl<'a> Checker<'a> {
    /// A checker with no findings yet.
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            problems: Vec::new(),
            journey_id: None,
            journey_name: None,
            step_ids: HashMap::new(),
            connection_ids: HashMap::new(),
            member_steps: Vec::new(),
            member_audiences: Vec::new(),
            member_journeys: Vec::new(),
            attribute_refs: Vec::new(),
        }
    }

    /// Records a problem.
    pub(super) fn report(
        &mut self,
        path: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem::new(path, code, message));
    }

    /// Reports a value of the wrong JSON type.
    fn wrong_type(&mut self, value: &Value, path: &str, expected: &str) {
        let found = describe(value);
        self.report(
            path,
            "wrong_type",
            format!("expected {expected}, found {found}"),
        );
    }

    /// The object at `path`; `what` names it in the message when it is not one.
    pub(super) fn object(
        &mut self,
        value: &'a Value,
        path: &str,
        what: &str,
    ) -> Option<&'a Object> {
        let map = value.as_object();
        if map.is_none() {
            self.wrong_type(value, path, &format!("{what} (an object)"));
        }
        map
    }

    /// Reports every field of `map` that is not in `allowed`.
    pub(super) fn known_fields(&mut self, map: &Object, path: &str, what: &str, allowed: &[&str]) {
        for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            let message = format!(
                "unknown field {} in {what} (expected one of {})",
                quote(key),
                allowed.join(", ")
            );
            self.report(field(path, key), "unknown_field", message);
        }
    }

    /// The object at `path`, with its unknown fields reported.
    pub(super) fn strict_object(
        &mut self,
        value: &'a Value,
        path: &str,
        what: &str,
        allowed: &[&str],
    ) -> Option<&'a Object> {
        let map = self.object(value, path, what)?;
        self.known_fields(map, path, what, allowed);
        Some(map)
    }

    /// The value of a required field (`null` included: its type check reports it).
    pub(super) fn required(&mut self, map: &'a Object, path: &str, key: &str) -> Option<&'a Value> {
        let value = map.get(key);
        if value.is_none() {
            self.report(
                field(path, key),
                "missing_field",
                format!("missing required field `{key}`"),
            );
        }
        value
    }

    /// The one field of `keys` that `map` has; reports none or several.
    pub(super) fn exactly_one(
        &mut self,
        map: &Object,
        path: &str,
        what: &str,
        keys: &[&'static str],
    ) -> Option<&'static str> {
        let present: Vec<&'static str> = keys
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect();
        match present.as_slice() {
            [one] => Some(one),
            [] => {
                let message = format!("expected one of {} in {what}, found none", keys.join(", "));
                self.report(path, "missing_field", message);
                None
            }
            several => {
                let message = format!(
                    "expected exactly one of {} in {what}, found {}",
                    keys.join(", "),
                    several.join(", ")
                );
                self.report(path, "conflicting_fields", message);
                None
            }
        }
    }

    /// A string.
    pub(super) fn string(&mut self, value: &'a Value, path: &str) -> Option<&'a str> {
        let text = value.as_str();
        if text.is_none() {
            self.wrong_type(value, path, "a string");
        }
        text
    }

    /// A non-empty string.
    pub(super) fn non_empty(&mut self, value: &'a Value, path: &str) -> Option<&'a str> {
        let text = self.string(value, path)?;
        if text.is_empty() {
            self.report(
                path,
                "empty_value",
                "expected a non-empty string, found an empty one",
            );
            return None;
        }
        Some(text)
    }

    /// `true` or `false`.
    pub(super) fn boolean(&mut self, value: &Value, path: &str) -> Option<bool> {
        let flag = value.as_bool();
        if flag.is_none() {
            self.wrong_type(value, path, "true or false");
        }
        flag
    }

    /// An array.
    pub(super) fn array(&mut self, value: &'a Value, path: &str) -> Option<&'a [Value]> {
        let items = value.as_array().map(Vec::as_slice);
        if items.is_none() {
            self.wrong_type(value, path, "an array");
        }
        items
    }

    /// An array whose every element passes `check` (given the element and its path).
    pub(super) fn each(
        &mut self,
        value: &'a Value,
        path: &str,
        mut check: impl FnMut(&mut Self, &'a Value, &str),
    ) -> Option<&'a [Value]> {
        let items = self.array(value, path)?;
        for (i, item) in items.iter().enumerate() {
            check(self, item, &index(path, i));
        }
        Some(items)
    }

    /// An array of non-empty strings.
    pub(super) fn strings(&mut self, value: &'a Value, path: &str) -> Option<&'a [Value]> {
        self.each(value, path, |checker, item, item_path| {
            checker.non_empty(item, item_path);
        })
    }

    /// A whole number from `min` to `u32::MAX`; `code` names the problem otherwise.
    pub(super) fn whole_number(
        &mut self,
        value: &Value,
        path: &str,
        min: u32,
        code: &'static str,
    ) -> Option<u32> {
        let number = value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= min);
        if number.is_none() {
            let found = describe(value);
            let message = format!(
                "expected a whole number from {min} to {}, found {found}",
                u32::MAX
            );
            self.report(path, code, message);
        }
        number
    }

    /// One of `options`; `what` names the kind of value and `code` the problem otherwise.
    pub(super) fn choice(
        &mut self,
        value: &Value,
        path: &str,
        what: &str,
        options: &[&'static str],
        code: &'static str,
    ) -> Option<&'static str> {
        let Some(text) = value.as_str() else {
            self.wrong_type(
                value,
                path,
                &format!("a {what} (one of {})", options.join(", ")),
            );
            return None;
        };
        let found = options.iter().copied().find(|o| *o == text);
        if found.is_none() {
            let message = format!(
                "unknown {what} {} (expected one of {})",
                quote(text),
                options.join(", ")
            );
            self.report(path, code, message);
        }
        found
    }

    /// Parses a string with `parse`; `code` names the problem when it does not parse.
    fn parsed<T>(
        &mut self,
        value: &'a Value,
        path: &str,
        code: &'static str,
        parse: impl FnOnce(&str) -> Result<T, TimeSyntaxError>,
    ) -> Option<T> {
        let text = self.string(value, path)?;
        match parse(text) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.report(path, code, e.to_string());
                None
            }
        }
    }

    /// A duration (`<n>s`, `<n>m`, `<n>h`, `<n>d`, `<n>w`).
    pub(super) fn duration(&mut self, value: &'a Value, path: &str) {
        // `Duration::parse` splits off the last byte, which panics inside a multi-byte
        // character; a duration is ASCII, so anything else is refused before it gets there.
        self.parsed(value, path, "invalid_duration", |text| {
            if text.is_ascii() {
                Duration::parse(text)
            } else {
                Err(TimeSyntaxError::Duration(text.to_string()))
            }
        });
    }

    /// A duration with an optional leading `-` (`-3d`).
    pub(super) fn signed_duration(&mut self, value: &'a Value, path: &str) {
        self.parsed(value, path, "invalid_duration", |text| {
            if text.is_ascii() {
                SignedDuration::parse(text)
            } else {
                Err(TimeSyntaxError::Duration(text.to_string()))
            }
        });
    }

    /// A clock time, `HH:MM`.
    pub(super) fn clock_time(&mut self, value: &'a Value, path: &str) -> Option<ClockTime> {
        self.parsed(value, path, "invalid_clock_time", ClockTime::parse)
    }

    /// A day of the week.
    pub(super) fn day(&mut self, value: &'a Value, path: &str) {
        self.parsed(value, path, "invalid_day", Day::parse);
    }

    /// An IANA time zone name.
    pub(super) fn time_zone(&mut self, value: &'a Value, path: &str) {
        self.parsed(value, path, "invalid_time_zone", parse_time_zone);
    }

    /// An RFC 3339 instant.
    pub(super) fn instant(&mut self, value: &'a Value, path: &str) -> Option<Millis> {
        self.parsed(value, path, "invalid_instant", |text| {
            parse_instant(text).ok_or_else(|| TimeSyntaxError::Instant(text.to_string()))
        })
    }
}
