//! Checks of the journey-wide `settings` (SPEC §6).

use serde_json::Value;

use super::criteria::Place;
use super::fields::{Checker, optional};
use super::problems::{describe, field};

const SETTINGS_FIELDS: [&str; 7] = [
    "exit",
    "timeout",
    "goal",
    "control_group",
    "quiet_hours",
    "frequency_cap",
    "timezone",
];

/// The largest control group, in percent of entrants.
const MAX_CONTROL_PERCENT: f64 = 50.0;

impl<'a> Checker<'a> {
    /// `settings`.
    pub(super) fn settings(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "settings", &SETTINGS_FIELDS) else {
            return;
        };
        if let Some(exit) = optional(map, "exit") {
            self.criteria(exit, &field(path, "exit"), Place::Elsewhere);
        }
        if let Some(timeout) = optional(map, "timeout") {
            self.duration(timeout, &field(path, "timeout"));
        }
        if let Some(goal) = optional(map, "goal") {
            self.goal(goal, &field(path, "goal"));
        }
        if let Some(control) = optional(map, "control_group") {
            self.control_group(control, &field(path, "control_group"));
        }
        if let Some(quiet) = optional(map, "quiet_hours") {
            self.quiet_hours(quiet, &field(path, "quiet_hours"));
        }
        if let Some(cap) = optional(map, "frequency_cap") {
            self.frequency_cap(cap, &field(path, "frequency_cap"));
        }
        if let Some(zone) = optional(map, "timezone") {
            self.time_zone(zone, &field(path, "timezone"));
        }
    }

    /// `goal`: criteria, an optional window and whether reaching it ends the journey.
    fn goal(&mut self, value: &'a Value, path: &str) {
        let fields = ["criteria", "within", "exit_on_goal"];
        let Some(map) = self.strict_object(value, path, "a goal", &fields) else {
            return;
        };
        if let Some(criteria) = self.required(map, path, "criteria") {
            self.criteria(criteria, &field(path, "criteria"), Place::Elsewhere);
        }
        if let Some(within) = optional(map, "within") {
            self.duration(within, &field(path, "within"));
        }
        if let Some(exit) = map.get("exit_on_goal") {
            self.boolean(exit, &field(path, "exit_on_goal"));
        }
    }

    /// `control_group`: a percentage from 0 to 50.
    fn control_group(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a control group", &["percent"]) else {
            return;
        };
        let Some(percent) = self.required(map, path, "percent") else {
            return;
        };
        let path = field(path, "percent");
        match percent.as_f64() {
            Some(p) if p > MAX_CONTROL_PERCENT => {
                let message = format!("control group over 50 %: found {p}, expected 0 to 50");
                self.report(path, "control_group_too_large", message);
            }
            Some(p) if p < 0.0 => {
                let message = format!("expected a percentage from 0 to 50, found {p}");
                self.report(path, "invalid_percent", message);
            }
            Some(_) => {}
            None => {
                let message = format!(
                    "expected a percentage from 0 to 50, found {}",
                    describe(percent)
                );
                self.report(path, "wrong_type", message);
            }
        }
    }

    /// `quiet_hours`: a daily window that is not empty, and what happens inside it.
    fn quiet_hours(&mut self, value: &'a Value, path: &str) {
        let fields = ["start", "end", "fallback"];
        let Some(map) = self.strict_object(value, path, "quiet hours", &fields) else {
            return;
        };
        let mut clock = |key: &str| {
            let value = self.required(map, path, key)?;
            self.clock_time(value, &field(path, key))
        };
        let (start, end) = (clock("start"), clock("end"));
        if start.is_some() && start == end {
            let message =
                "quiet hours start and end at the same time; expected a window, start != end";
            self.report(field(path, "end"), "empty_quiet_hours", message);
        }
        if let Some(fallback) = self.required(map, path, "fallback") {
            let fallback_path = field(path, "fallback");
            self.choice(
                fallback,
                &fallback_path,
                "fallback",
                &["delay", "skip"],
                "unknown_fallback",
            );
        }
    }

    /// `frequency_cap`: at most `max` sends per `per`.
    fn frequency_cap(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a frequency cap", &["max", "per"]) else {
            return;
        };
        if let Some(max) = self.required(map, path, "max") {
            self.whole_number(max, &field(path, "max"), 1, "invalid_frequency_cap");
        }
        if let Some(per) = self.required(map, path, "per") {
            self.duration(per, &field(path, "per"));
        }
    }
}
