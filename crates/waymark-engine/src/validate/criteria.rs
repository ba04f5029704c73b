//! Checks of criteria (SPEC §4): their kinds, fields, operators and operands.

use serde_json::Value;

use super::fields::{Checker, Object, optional};
use super::problems::{describe, field};
use crate::model::{CRITERIA_KINDS, Op};

/// The deepest criteria may nest (`{"all": [...]}`, `{"not": ...}`; the top level is 1).
pub(super) const MAX_CRITERIA_DEPTH: usize = 32;

/// Where criteria sit, which decides whether `"since": "step"` means anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// The entry criteria: there is no step before the entry to count from.
    Entry,
    /// Milestones, exit and goal criteria.
    Elsewhere,
}

/// The count comparisons.
const COUNT_OPS: [&str; 5] = [">=", ">", "=", "<", "<="];

/// What an operator needs as its `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    /// No value at all (`exists`, `not_exists`).
    Nothing,
    /// Any value (`eq`, `neq`).
    Any,
    /// A number or a string, which order (`gt`, `gte`, `lt`, `lte`).
    Ordered,
    /// A string (`starts_with`, `ends_with`).
    Text,
    /// A string, number or boolean (`contains`, `not_contains`).
    Scalar,
    /// An array of candidates (`in`, `not_in`).
    List,
    /// A `[low, high]` pair of numbers or strings (`between`).
    Range,
}

impl Operand {
    /// The operand `op` needs.
    fn of(op: Op) -> Self {
        match op {
            Op::Exists | Op::NotExists => Self::Nothing,
            Op::Eq | Op::Neq => Self::Any,
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => Self::Ordered,
            Op::StartsWith | Op::EndsWith => Self::Text,
            Op::Contains | Op::NotContains => Self::Scalar,
            Op::In | Op::NotIn => Self::List,
            Op::Between => Self::Range,
        }
    }

    /// Whether `value` fits, and if not, what was expected.
    fn accepts(self, value: &Value) -> Result<(), &'static str> {
        let ordered = |v: &Value| v.is_number() || v.is_string();
        let fits = match self {
            Self::Nothing | Self::Any => true,
            Self::Ordered => ordered(value),
            Self::Text => value.is_string(),
            Self::Scalar => ordered(value) || value.is_boolean(),
            Self::List => value.is_array(),
            Self::Range => value
                .as_array()
                .is_some_and(|pair| pair.len() == 2 && pair.iter().all(ordered)),
        };
        let expected = match self {
            Self::Nothing | Self::Any => "",
            Self::Ordered => "a number or a string",
            Self::Text => "a string",
            Self::Scalar => "a string, number or boolean",
            Self::List => "an array",
            Self::Range => "an array of two numbers or strings, [low, high]",
        };
        if fits { Ok(()) } else { Err(expected) }
    }
}

/// The fields each kind of criteria may have.
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "event" => &["event", "where", "count", "within", "between", "since"],
        "trait" => &["trait", "op", "value", "for"],
        "attribute" => &["attribute", "op", "value"],
        "member_of" => &["member_of", "is"],
        "consent" => &["consent", "granted"],
        "all" => &["all"],
        "any" => &["any"],
        "not" => &["not"],
        "everyone" => &["everyone"],
        _ => &["input"],
    }
}

/// Whether criteria contain an `event` condition anywhere (as `on: "event"` needs).
pub(super) fn has_event_condition(criteria: &Value) -> bool {
    fn search(criteria: &Value, depth: usize) -> bool {
        let Some(map) = criteria.as_object().filter(|_| depth <= MAX_CRITERIA_DEPTH) else {
            return false;
        };
        let mut parts = ["all", "any"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_array))
            .flatten()
            .chain(map.get("not"));
        map.contains_key("event") || parts.any(|part| search(part, depth + 1))
    }
    search(criteria, 1)
}

impl<'a> Checker<'a> {
    /// Checks criteria at `path`.
    pub(super) fn criteria(&mut self, value: &'a Value, path: &str, place: Place) {
        self.criteria_at(value, path, place, 1);
    }

    /// Checks criteria nested `depth` levels deep.
    fn criteria_at(&mut self, value: &'a Value, path: &str, place: Place, depth: usize) {
        if depth > MAX_CRITERIA_DEPTH {
            let message = format!("criteria nest more than {MAX_CRITERIA_DEPTH} levels deep");
            self.report(path, "criteria_too_deep", message);
            return;
        }
        let Some(map) = self.object(value, path, "criteria") else {
            return;
        };
        let Some(kind) = self.exactly_one(map, path, "criteria", &CRITERIA_KINDS) else {
            return;
        };
        self.known_fields(map, path, &format!("`{kind}` criteria"), fields_of(kind));
        let inner = &map[kind];
        let inner_path = field(path, kind);
        match kind {
            "all" | "any" => {
                self.each(inner, &inner_path, |checker, part, part_path| {
                    checker.criteria_at(part, part_path, place, depth + 1);
                });
            }
            "not" => self.criteria_at(inner, &inner_path, place, depth + 1),
            "everyone" => self.everyone(inner, &inner_path),
            "event" => self.event(map, path, place),
            "trait" => {
                self.non_empty(inner, &inner_path);
                self.comparison(map, path);
                if let Some(held) = optional(map, "for") {
                    self.duration(held, &field(path, "for"));
                }
            }
            "attribute" => {
                if let Some(name) = self.non_empty(inner, &inner_path) {
                    self.attribute_refs.push((inner_path.clone(), name));
                }
                self.comparison(map, path);
            }
            "member_of" => self.member_of(map, path),
            "consent" => {
                self.non_empty(inner, &inner_path);
                if let Some(granted) = self.required(map, path, "granted") {
                    self.boolean(granted, &field(path, "granted"));
                }
            }
            _ => self.input(inner, &inner_path),
        }
    }

    /// `everyone` is always `true`.
    fn everyone(&mut self, value: &Value, path: &str) {
        if value != &Value::Bool(true) {
            let message = format!("`everyone` must be true, found {}", describe(value));
            self.report(path, "invalid_everyone", message);
        }
    }

    /// `input`: a non-empty list of input ids.
    fn input(&mut self, value: &'a Value, path: &str) {
        if self.strings(value, path).is_some_and(<[Value]>::is_empty) {
            self.report(
                path,
                "empty_value",
                "expected at least one input id, found an empty array",
            );
        }
    }

    /// An event condition.
    fn event(&mut self, map: &'a Object, path: &str, place: Place) {
        self.non_empty(&map["event"], &field(path, "event"));
        if let Some(filters) = map.get("where") {
            self.each(filters, &field(path, "where"), Self::filter);
        }
        if let Some(count) = map.get("count") {
            self.count(count, &field(path, "count"));
        }
        let within = optional(map, "within");
        let between = optional(map, "between");
        if within.is_some() && between.is_some() {
            let message = "an event condition takes `within` or `between`, not both";
            self.report(path, "conflicting_fields", message);
        }
        if let Some(within) = within {
            self.duration(within, &field(path, "within"));
        }
        if let Some(between) = between {
            self.between(between, &field(path, "between"));
        }
        if let Some(since) = optional(map, "since") {
            self.since(since, &field(path, "since"), place);
        }
    }

    /// `since`: `entry`, or `step` outside the entry criteria.
    fn since(&mut self, value: &Value, path: &str, place: Place) {
        let since = self.choice(value, path, "`since`", &["entry", "step"], "unknown_since");
        if since == Some("step") && place == Place::Entry {
            let message = "`since: \"step\"` has no step to count from in the entry criteria (use `entry` or leave it out)";
            self.report(path, "since_step_in_entry", message);
        }
    }

    /// A property filter of an event condition or a computed attribute.
    pub(super) fn filter(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a filter", &["property", "op", "value"])
        else {
            return;
        };
        if let Some(property) = self.required(map, path, "property") {
            self.non_empty(property, &field(path, "property"));
        }
        self.comparison(map, path);
    }

    /// The `count` of an event condition.
    fn count(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a count", &["op", "value"]) else {
            return;
        };
        if let Some(op) = self.required(map, path, "op") {
            self.choice(
                op,
                &field(path, "op"),
                "count comparison",
                &COUNT_OPS,
                "unknown_count_op",
            );
        }
        if let Some(n) = self.required(map, path, "value") {
            self.whole_number(n, &field(path, "value"), 0, "invalid_count_value");
        }
    }

    /// The fixed interval of an event condition.
    fn between(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a `between`", &["from", "to"]) else {
            return;
        };
        let from = self
            .required(map, path, "from")
            .and_then(|v| self.instant(v, &field(path, "from")));
        let to = self
            .required(map, path, "to")
            .and_then(|v| self.instant(v, &field(path, "to")));
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            self.report(
                path,
                "invalid_interval",
                "`from` is after `to`; expected from <= to",
            );
        }
    }

    /// `op` and `value` of a trait, attribute or filter comparison.
    fn comparison(&mut self, map: &'a Object, path: &str) {
        let names = Op::ALL.map(|(_, name)| name);
        let op_path = field(path, "op");
        let Some(name) = self
            .required(map, path, "op")
            .and_then(|op| self.choice(op, &op_path, "operator", &names, "unknown_operator"))
        else {
            return;
        };
        let Some((op, _)) = Op::ALL.into_iter().find(|(_, n)| *n == name) else {
            return;
        };
        let operand = Operand::of(op);
        let value_path = field(path, "value");
        match optional(map, "value") {
            None if operand != Operand::Nothing => {
                self.report(
                    value_path,
                    "missing_value",
                    format!("`{name}` needs a `value`"),
                );
            }
            Some(_) if operand == Operand::Nothing => {
                self.report(
                    value_path,
                    "unexpected_value",
                    format!("`{name}` takes no `value`"),
                );
            }
            Some(value) => {
                if let Err(expected) = operand.accepts(value) {
                    let message = format!("`{name}` needs {expected}, found {}", describe(value));
                    self.report(value_path, "invalid_operand", message);
                }
            }
            None => {}
        }
    }

    /// `member_of`: a step of a journey, or a standalone audience.
    fn member_of(&mut self, map: &'a Object, path: &str) {
        if let Some(is) = map.get("is") {
            self.boolean(is, &field(path, "is"));
        }
        let target_path = field(path, "member_of");
        let what = "a `member_of` target";
        let Some(target) = self.object(&map["member_of"], &target_path, what) else {
            return;
        };
        self.known_fields(target, &target_path, what, &["journey", "step", "audience"]);
        if target.contains_key("audience") {
            if target.contains_key("journey") || target.contains_key("step") {
                let message =
                    "`member_of` names a `journey` and `step`, or an `audience`, not both";
                self.report(&target_path, "conflicting_fields", message);
                return;
            }
            let audience_path = field(&target_path, "audience");
            if let Some(id) = self.non_empty(&target["audience"], &audience_path) {
                self.member_audiences.push((audience_path, id));
            }
            return;
        }
        let journey = self
            .required(target, &target_path, "journey")
            .and_then(|j| self.non_empty(j, &field(&target_path, "journey")));
        let step_path = field(&target_path, "step");
        let step = self
            .required(target, &target_path, "step")
            .and_then(|s| self.non_empty(s, &step_path));
        if let Some(step) = step
            && journey.is_some()
            && journey == self.journey_id
        {
            self.member_steps.push((step_path, step));
        }
        if let Some(journey) = journey {
            self.member_journeys
                .push((field(&target_path, "journey"), journey));
        }
    }
}
