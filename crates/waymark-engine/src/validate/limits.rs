//! The configurable limits of SPEC §9 and their checks.

use serde_json::Value;

use super::fields::Checker;
use super::key::step_key;
use super::problems::field;

/// Configurable limits (SPEC §9) with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most steps a journey may have (default 20), counted by [`counted_steps`].
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
    pub(super) fn step_count_limit(&mut self, entry: &Value) {
        let (count, limit) = (counted_steps(entry), self.limits.max_steps);
        if count > limit {
            let message = format!(
                "the journey has {count} steps as Segment counts them; the limit is {limit} (waits, exits and timeout paths do not count; a true/false split counts 1)"
            );
            self.report("$.entry", "too_many_steps", message);
        }
    }
}

/// How many steps a journey has toward the limit, as Segment counts them (SPEC §9): the
/// entry 1; a milestone (or send) under `wait` or `live` branching 1, and under `live` the
/// remaining-user path too (it is a milestone audience of its own there); a true/false
/// split — `decide` over one milestone and one `remaining` — 1 in all; any other split
/// (`decide`, `all`, `random`) 1 per child; waits, exits and a `wait` step's timeout
/// `remaining` 0. Reads the raw JSON, so that an invalid journey still gets a count.
pub fn counted_steps(entry: &Value) -> usize {
    1 + below(entry)
}

fn below(step: &Value) -> usize {
    let children: Vec<&Value> = step
        .get("steps")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    fn kind(step: &Value) -> &str {
        step.get("type").and_then(Value::as_str).unwrap_or("")
    }
    let branching = step
        .get("branching")
        .and_then(Value::as_str)
        .unwrap_or("wait");
    let own = match branching {
        "decide"
            if children.len() == 2
                && kind(children[0]) == "milestone"
                && kind(children[1]) == "remaining" =>
        {
            1
        }
        "decide" | "all" | "random" => children.len(),
        _ => children
            .iter()
            .filter(|c| match kind(c) {
                "milestone" | "send" => true,
                "remaining" => branching == "live",
                _ => false,
            })
            .count(),
    };
    own + children.iter().map(|c| below(c)).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::counted_steps;

    fn milestone(id: &str) -> serde_json::Value {
        json!({"id": id, "type": "milestone"})
    }

    #[test]
    fn a_true_false_split_counts_one() {
        let entry = json!({"branching": "decide", "steps": [
            milestone("t"), {"id": "f", "type": "remaining"}]});
        assert_eq!(counted_steps(&entry), 2);
    }

    #[test]
    fn other_splits_count_each_child() {
        for branching in ["decide", "all", "random"] {
            let entry = json!({"branching": branching, "steps": [
                milestone("a"), milestone("b"), {"id": "r", "type": "remaining"}]});
            assert_eq!(counted_steps(&entry), 4, "{branching}");
        }
    }

    #[test]
    fn waits_exits_and_timeout_paths_count_nothing() {
        let entry = json!({"steps": [{"id": "w", "type": "wait", "steps": [
            {"id": "m", "type": "milestone", "timeout": "1d", "steps": [
                {"id": "s", "type": "send"}, {"id": "x", "type": "exit"}]},
            {"id": "r", "type": "remaining", "steps": [{"id": "x2", "type": "exit"}]}]}]});
        // entry, the milestone, the send.
        assert_eq!(counted_steps(&entry), 3);
    }

    #[test]
    fn live_milestones_count_with_their_remaining_path() {
        let entry = json!({"branching": "live", "steps": [
            milestone("a"), milestone("b"), {"id": "r", "type": "remaining"}]});
        assert_eq!(counted_steps(&entry), 4);
    }
}
