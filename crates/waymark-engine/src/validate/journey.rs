//! Checks of the journey and its entry step (SPEC §6, §7).

use serde_json::Value;

use super::criteria::{Place, has_event_condition};
use super::fields::{Checker, Object, optional};
use super::problems::{describe, field, quote};

const JOURNEY_FIELDS: [&str; 7] = [
    "id",
    "name",
    "description",
    "inputs",
    "entry",
    "settings",
    "version",
];
const ENTRY_FIELDS: [&str; 13] = [
    "id",
    "name",
    "criteria",
    "on",
    "live",
    "historical",
    "reentry",
    "start_at",
    "end_at",
    "connections",
    "branching",
    "timeout",
    "steps",
];

impl<'a> Checker<'a> {
    /// Checks a whole journey document.
    pub(super) fn journey(&mut self, doc: &'a Value) {
        let Some(map) = self.strict_object(doc, "$", "a journey", &JOURNEY_FIELDS) else {
            return;
        };
        self.journey_id = self
            .required(map, "$", "id")
            .and_then(|id| self.non_empty(id, "$.id"));
        self.journey_name = self
            .required(map, "$", "name")
            .and_then(|name| self.non_empty(name, "$.name"));
        if let Some(name) = self.journey_name {
            self.journey_name_limit(name);
        }
        if let Some(description) = optional(map, "description") {
            self.string(description, "$.description");
        }
        if let Some(inputs) = map.get("inputs") {
            self.strings(inputs, "$.inputs");
        }
        if let Some(version) = map.get("version") {
            self.whole_number(version, "$.version", 1, "invalid_version");
        }
        if let Some(entry) = self.required(map, "$", "entry") {
            self.entry(entry, "$.entry");
        }
        if let Some(settings) = map.get("settings") {
            self.settings(settings, "$.settings");
        }
        self.member_steps_exist();
        if let Some(entry) = map.get("entry") {
            self.step_count_limit(entry);
        }
    }

    /// The entry step.
    fn entry(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "the entry step", &ENTRY_FIELDS) else {
            return;
        };
        if let Some(id) = self.identity(map, path)
            && id != "entry"
        {
            let message = format!("the entry step's id must be `entry`, found {}", quote(id));
            self.report(field(path, "id"), "invalid_entry_id", message);
        }
        let criteria = optional(map, "criteria");
        if let Some(criteria) = criteria {
            self.criteria(criteria, &field(path, "criteria"), Place::Entry);
        }
        if let Some(on) = map.get("on") {
            self.entry_on(on, &field(path, "on"), criteria);
        }
        for flag in ["live", "historical"] {
            if let Some(value) = map.get(flag) {
                self.boolean(value, &field(path, flag));
            }
        }
        if let Some(reentry) = map.get("reentry") {
            self.reentry(reentry, &field(path, "reentry"));
        }
        self.entry_window(map, path);
        self.connections(map, path);
        self.children(map, path, 0);
    }

    /// `on`: with `event`, the entry criteria need an event condition to trigger on.
    fn entry_on(&mut self, value: &Value, path: &str, criteria: Option<&Value>) {
        let on = self.choice(
            value,
            path,
            "entry trigger",
            &["qualify", "event"],
            "unknown_entry_on",
        );
        if on == Some("event") && !criteria.is_some_and(has_event_condition) {
            let message = "`on: \"event\"` needs an `event` condition in the entry criteria, or nobody can ever enter";
            self.report(path, "event_entry_without_event", message);
        }
    }

    /// `reentry`: `never`, `after_exit` or `{"cooldown": DURATION}`.
    fn reentry(&mut self, value: &'a Value, path: &str) {
        match value {
            Value::String(_) => {
                self.choice(
                    value,
                    path,
                    "reentry",
                    &["never", "after_exit"],
                    "unknown_reentry",
                );
            }
            Value::Object(map) => {
                self.known_fields(map, path, "a `reentry`", &["cooldown"]);
                if let Some(cooldown) = self.required(map, path, "cooldown") {
                    self.duration(cooldown, &field(path, "cooldown"));
                }
            }
            other => {
                let found = describe(other);
                let message = format!(
                    "expected never, after_exit or {{\"cooldown\": DURATION}}, found {found}"
                );
                self.report(path, "wrong_type", message);
            }
        }
    }

    /// `start_at` and `end_at`: instants, the start before the end.
    fn entry_window(&mut self, map: &'a Object, path: &str) {
        let mut instant = |key: &str| {
            let value = optional(map, key)?;
            self.instant(value, &field(path, key))
        };
        let (start, end) = (instant("start_at"), instant("end_at"));
        if let (Some(start), Some(end)) = (start, end)
            && start >= end
        {
            let message = "`start_at` is not before `end_at`, so nobody can enter; expected start_at < end_at";
            self.report(field(path, "end_at"), "invalid_interval", message);
        }
    }

    /// Every `member_of` reference to this journey names one of its steps.
    fn member_steps_exist(&mut self) {
        let unknown: Vec<(String, &str)> = self
            .member_steps
            .iter()
            .filter(|(_, step)| !self.step_ids.contains_key(step))
            .cloned()
            .collect();
        for (path, step) in unknown {
            let message = format!(
                "`member_of` names step {} that is not in this journey",
                quote(step)
            );
            self.report(path, "unknown_member_step", message);
        }
    }
}
