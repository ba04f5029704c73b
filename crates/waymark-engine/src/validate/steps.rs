//! Checks of the steps below the entry: ids, names, types, weights and connections.

use serde_json::Value;

use super::criteria::Place;
use super::fields::{Checker, Object, optional};
use super::problems::{field, quote};

const STEP_FIELDS: [&str; 10] = [
    "id",
    "name",
    "type",
    "criteria",
    "wait",
    "weight",
    "connections",
    "branching",
    "timeout",
    "steps",
];
const STEP_TYPES: [&str; 5] = ["milestone", "remaining", "wait", "send", "exit"];
const CONNECTION_FIELDS: [&str; 5] = ["id", "output", "active", "mode", "traits"];
const CONNECTION_MODES: [&str; 3] = ["event", "identify", "list"];

/// What the sibling rules need to know about a child step.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Child<'a> {
    /// Its id, when valid.
    pub(super) id: Option<&'a str>,
    /// Its type, when valid.
    pub(super) kind: Option<&'static str>,
    /// Whether its guard always holds: `wait`, `send`, `exit`, or a milestone for everyone.
    pub(super) always_passes: bool,
}

/// A field that only one type of step has, and the codes of its two problems.
struct Owned {
    /// The field.
    key: &'static str,
    /// The step type that has it.
    owner: &'static str,
    /// The code when that type lacks it.
    missing: &'static str,
    /// The code when another type has it.
    refused: &'static str,
}

/// Milestones, and only they, have criteria.
const CRITERIA: Owned = Owned {
    key: "criteria",
    owner: "milestone",
    missing: "missing_criteria",
    refused: "criteria_not_allowed",
};

/// Wait steps, and only they, have a wait.
const WAIT: Owned = Owned {
    key: "wait",
    owner: "wait",
    missing: "missing_wait",
    refused: "wait_not_allowed",
};

impl Child<'_> {
    /// The step for a message: its id, or "this step".
    pub(super) fn label(&self) -> String {
        self.id
            .map_or_else(|| "this step".into(), |id| format!("step {}", quote(id)))
    }
}

/// Whether a step of this type and criteria passes its guard at once.
fn passes_at_once(kind: Option<&str>, criteria: Option<&Value>) -> bool {
    let for_everyone = criteria
        .and_then(Value::as_object)
        .is_some_and(|c| c.len() == 1 && c.get("everyone") == Some(&Value::Bool(true)));
    match kind {
        Some("wait" | "send" | "exit") => true,
        Some("milestone") => for_everyone,
        _ => false,
    }
}

impl<'a> Checker<'a> {
    /// `id` and `name` of the entry or a step, with their uniqueness and limits; the id.
    pub(super) fn identity(&mut self, map: &'a Object, path: &str) -> Option<&'a str> {
        let id_path = field(path, "id");
        let id = self
            .required(map, path, "id")
            .and_then(|id| self.non_empty(id, &id_path));
        let name_path = field(path, "name");
        let name = self
            .required(map, path, "name")
            .and_then(|n| self.non_empty(n, &name_path));
        if let Some(id) = id {
            if let Some(first) = self.step_ids.get(id) {
                let message = format!("step id {} is already used at {first}", quote(id));
                self.report(id_path, "duplicate_step_id", message);
            } else {
                self.step_ids.insert(id, path.to_string());
            }
        }
        if let Some(name) = name {
            self.step_name_limit(name, &name_path);
        }
        if let (Some(id), Some(name)) = (id, name) {
            self.key_limit(id, name, path);
        }
        id
    }

    /// A step below the entry, `depth` levels down, whose parent branches by `parent`
    /// (`None` when the parent's branching is invalid).
    pub(super) fn step(
        &mut self,
        value: &'a Value,
        path: &str,
        depth: usize,
        parent: Option<&str>,
    ) -> Child<'a> {
        let Some(map) = self.strict_object(value, path, "a step", &STEP_FIELDS) else {
            return Child::default();
        };
        let id = self.identity(map, path);
        let type_path = field(path, "type");
        let kind = self.required(map, path, "type").and_then(|t| {
            self.choice(t, &type_path, "step type", &STEP_TYPES, "unknown_step_type")
        });
        let criteria = optional(map, "criteria");
        self.owned_field(kind, &CRITERIA, criteria, path);
        if let Some(criteria) = criteria {
            self.criteria(criteria, &field(path, "criteria"), Place::Elsewhere);
        }
        let wait = optional(map, "wait");
        self.owned_field(kind, &WAIT, wait, path);
        if let Some(wait) = wait {
            self.wait(wait, &field(path, "wait"));
        }
        self.weight(optional(map, "weight"), path, parent);
        self.connections(map, path);
        if kind == Some("exit")
            && map
                .get("steps")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty())
        {
            let message = "an exit step cannot have children: users leave the journey there";
            self.report(field(path, "steps"), "exit_with_children", message);
        }
        self.children(map, path, depth);
        Child {
            id,
            kind,
            always_passes: passes_at_once(kind, criteria),
        }
    }

    /// A field that belongs to one type of step: required on it, refused on the others.
    fn owned_field(
        &mut self,
        kind: Option<&str>,
        owned: &Owned,
        value: Option<&Value>,
        path: &str,
    ) {
        let Some(kind) = kind else {
            return;
        };
        let Owned { key, owner, .. } = owned;
        let path = field(path, key);
        if kind == *owner && value.is_none() {
            self.report(path, owned.missing, format!("a {owner} step needs `{key}`"));
        } else if kind != *owner && value.is_some() {
            let message = format!("only {owner} steps take `{key}`, not a {kind} step");
            self.report(path, owned.refused, message);
        }
    }

    /// `weight`: required on every child of a `random` step, refused elsewhere.
    fn weight(&mut self, value: Option<&Value>, path: &str, parent: Option<&str>) {
        let path = field(path, "weight");
        match (parent, value) {
            (Some("random"), Some(weight)) => {
                self.whole_number(weight, &path, 1, "invalid_weight");
            }
            (Some("random"), None) => {
                let message =
                    "a child of a `random` step needs a `weight`, a whole number of at least 1";
                self.report(path, "missing_weight", message);
            }
            (Some(branching), Some(_)) => {
                let message = format!(
                    "`weight` only applies to children of a `random` step; this parent's branching is `{branching}`"
                );
                self.report(path, "weight_not_allowed", message);
            }
            _ => {}
        }
    }

    /// `connections` of the entry or a step.
    pub(super) fn connections(&mut self, map: &'a Object, path: &str) {
        let Some(list) = map.get("connections") else {
            return;
        };
        self.each(list, &field(path, "connections"), Self::connection);
    }

    /// One connection; its id is unique within the journey.
    fn connection(&mut self, value: &'a Value, path: &str) {
        let Some(map) = self.strict_object(value, path, "a connection", &CONNECTION_FIELDS) else {
            return;
        };
        let id_path = field(path, "id");
        if let Some(id) = self
            .required(map, path, "id")
            .and_then(|id| self.non_empty(id, &id_path))
        {
            if let Some(first) = self.connection_ids.get(id) {
                let message = format!("connection id {} is already used at {first}", quote(id));
                self.report(id_path, "duplicate_connection_id", message);
            } else {
                self.connection_ids.insert(id, path.to_string());
            }
        }
        if let Some(output) = self.required(map, path, "output") {
            self.non_empty(output, &field(path, "output"));
        }
        if let Some(active) = self.required(map, path, "active") {
            self.boolean(active, &field(path, "active"));
        }
        if let Some(traits) = map.get("traits") {
            self.strings(traits, &field(path, "traits"));
        }
        if let Some(mode) = self.required(map, path, "mode") {
            let mode_path = field(path, "mode");
            self.choice(
                mode,
                &mode_path,
                "connection mode",
                &CONNECTION_MODES,
                "unknown_connection_mode",
            );
        }
    }
}
