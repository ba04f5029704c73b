//! Checks of what a wait step waits for (SPEC §6): a duration or an `until`.

use serde_json::Value;

use super::fields::{Checker, optional};
use super::problems::field;

impl<'a> Checker<'a> {
    /// What a wait step waits for: `{"duration"}` or `{"until"}`.
    pub(super) fn wait(&mut self, value: &'a Value, path: &str) {
        let kinds = ["duration", "until"];
        let Some(map) = self.strict_object(value, path, "a wait", &kinds) else {
            return;
        };
        match self.exactly_one(map, path, "a wait", &kinds) {
            Some("duration") => {
                self.duration(&map["duration"], &field(path, "duration"));
            }
            Some(_) => self.until(&map["until"], &field(path, "until")),
            None => {}
        }
    }

    /// The end of a wait: `{time, days?}`, `{at}` or `{trait, offset?}`.
    fn until(&mut self, value: &'a Value, path: &str) {
        let what = "an `until`";
        let Some(map) = self.object(value, path, what) else {
            return;
        };
        let form = self.exactly_one(map, path, what, &["time", "at", "trait"]);
        let allowed: &[&str] = match form {
            Some("time") => &["time", "days"],
            Some("at") => &["at"],
            Some(_) => &["trait", "offset"],
            None => &["time", "days", "at", "trait", "offset"],
        };
        self.known_fields(map, path, what, allowed);
        match form {
            Some("time") => {
                self.clock_time(&map["time"], &field(path, "time"));
                if let Some(days) = map.get("days") {
                    self.each(days, &field(path, "days"), Self::day);
                }
            }
            Some("at") => {
                self.instant(&map["at"], &field(path, "at"));
            }
            Some(_) => {
                self.non_empty(&map["trait"], &field(path, "trait"));
                if let Some(offset) = optional(map, "offset") {
                    self.signed_duration(offset, &field(path, "offset"));
                }
            }
            None => {}
        }
    }
}
