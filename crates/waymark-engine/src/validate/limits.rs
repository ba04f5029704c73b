//! The configurable limits of SPEC §9 and their checks.

use super::fields::Checker;
use super::key::step_key;
use super::problems::field;

/// Configurable limits (SPEC §9) with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most steps a journey may have (default 20).
    ///
    /// Counting rule: every step but `wait` steps counts 1 — the entry, milestones,
    /// `remaining` paths (the children of a split), `send` and `exit` steps. SPEC §9 lists
    /// "entry 1, milestone 1, split children each 1, send 1; waits do not count"; `exit`
    /// and `remaining` steps are audiences with keys of their own, so they count too.
    pub max_steps: usize,
    /// The longest journey name, in characters (Unicode scalar values, not bytes; default 73).
    pub journey_name_chars: usize,
    /// The longest step name, the entry's included, in characters (default 170).
    pub step_name_chars: usize,
    /// The longest step output key ([`super::step_key`]), in characters (default 255).
    pub key_chars: usize,
}

impl Default for Limits {
    /// SPEC §9's defaults: 20 steps, names of 73 and 170 characters, keys of 255.
    fn default() -> Self {
        Self {
            max_steps: 20,
            journey_name_chars: 73,
            step_name_chars: 170,
            key_chars: 255,
        }
    }
}

impl Checker<'_> {
    /// The journey's name is not too long.
    pub(super) fn journey_name_limit(&mut self, name: &str) {
        let (chars, limit) = (name.chars().count(), self.limits.journey_name_chars);
        if chars > limit {
            let message =
                format!("the journey name is {chars} characters long; the limit is {limit}");
            self.report("$.name", "journey_name_too_long", message);
        }
    }

    /// A step's name, at `path`, is not too long.
    pub(super) fn step_name_limit(&mut self, name: &str, path: &str) {
        let (chars, limit) = (name.chars().count(), self.limits.step_name_chars);
        if chars > limit {
            let message = format!("the step name is {chars} characters long; the limit is {limit}");
            self.report(path, "step_name_too_long", message);
        }
    }

    /// The output key of the step at `path` is not too long.
    pub(super) fn key_limit(&mut self, id: &str, name: &str, path: &str) {
        let (Some(journey_id), Some(journey_name)) = (self.journey_id, self.journey_name) else {
            return;
        };
        let chars = step_key(journey_id, journey_name, id, name).chars().count();
        let limit = self.limits.key_chars;
        if chars > limit {
            let message = format!(
                "the step's output key would be {chars} characters long; the limit is {limit} (shorten the journey or step name)"
            );
            self.report(field(path, "name"), "key_too_long", message);
        }
    }

    /// The journey has no more steps than allowed.
    pub(super) fn step_count_limit(&mut self) {
        let (count, limit) = (self.counted_steps, self.limits.max_steps);
        if count > limit {
            let message = format!(
                "the journey has {count} steps; the limit is {limit} (wait steps do not count)"
            );
            self.report("$.entry", "too_many_steps", message);
        }
    }
}
