//! The lifecycle rules of SPEC §9: which edits a published version takes in place,
//! audience status and credits, deletion, and output keys.
//!
//! The questions are asked of the engine's typed [`Journey`]: a published version holds
//! one, and a draft is read as one when it is examined. Only [`edit_in_place`] compares
//! JSON: it weighs an edit as the user wrote it against the JSON the running version was
//! published from, so that a field written out where it was left out before is a change.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use waymark_engine::model::{Connection, Journey, Step};
use waymark_engine::validate::step_key;

/// A step of a journey with its parent's id (`None` for the entry).
#[derive(Debug, Clone)]
pub struct StepRef<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its display name.
    pub name: &'a str,
    /// Its parent's id.
    pub parent: Option<&'a str>,
    /// Its connections.
    pub connections: &'a [Connection],
}

/// Every step of a journey (the entry first), in pre-order.
pub fn steps(journey: &Journey) -> Vec<StepRef<'_>> {
    let entry = &journey.entry;
    let mut out = vec![StepRef {
        id: &entry.id,
        name: &entry.name,
        parent: None,
        connections: &entry.connections,
    }];
    for child in &entry.steps {
        walk(child, &entry.id, &mut out);
    }
    out
}

fn walk<'a>(step: &'a Step, parent: &'a str, out: &mut Vec<StepRef<'a>>) {
    out.push(StepRef {
        id: &step.id,
        name: &step.name,
        parent: Some(parent),
        connections: &step.connections,
    });
    for child in &step.steps {
        walk(child, &step.id, out);
    }
}

/// Adds the output key of every step that has none yet (SPEC §6: keys are made once and
/// kept by later versions for the step ids they keep).
pub fn assign_keys(keys: &mut BTreeMap<String, String>, journey_id: &str, journey: &Journey) {
    for s in steps(journey) {
        if !keys.contains_key(s.id) {
            keys.insert(
                s.id.to_string(),
                step_key(journey_id, &journey.name, s.id, s.name),
            );
        }
    }
}

/// Audience status per step id: `active` (an active connection on it), `calculating` (one
/// below it), else `estimated`.
pub fn audience_statuses(journey: &Journey) -> BTreeMap<String, &'static str> {
    let all = steps(journey);
    let mut status: BTreeMap<String, &'static str> = all
        .iter()
        .map(|s| (s.id.to_string(), "estimated"))
        .collect();
    let parent_of: BTreeMap<&str, Option<&str>> = all.iter().map(|s| (s.id, s.parent)).collect();
    for s in &all {
        if s.connections.iter().any(|c| c.active) {
            status.insert(s.id.to_string(), "active");
            let mut up = s.parent;
            while let Some(p) = up {
                if status.get(p) == Some(&"estimated") {
                    status.insert(p.to_string(), "calculating");
                }
                up = parent_of.get(p).copied().flatten();
            }
        }
    }
    status
}

/// Audience credits a journey uses: its steps with an active connection.
pub fn active_audiences(journey: &Journey) -> usize {
    steps(journey)
        .iter()
        .filter(|s| s.connections.iter().any(|c| c.active))
        .count()
}

/// Connections that are active in `new` but were not in `old`: `(step id, connection id)`.
pub fn newly_active(old: &Journey, new: &Journey) -> Vec<(String, String)> {
    let was: Vec<(String, String)> = active_connections(old);
    active_connections(new)
        .into_iter()
        .filter(|c| !was.contains(c))
        .collect()
}

/// Connections active in `old` and not in `new` (deactivated or removed):
/// `(step id, connection id)`.
pub fn newly_inactive(old: &Journey, new: &Journey) -> Vec<(String, String)> {
    newly_active(new, old)
}

/// Every active connection: `(step id, connection id)`.
pub fn active_connections(journey: &Journey) -> Vec<(String, String)> {
    steps(journey)
        .iter()
        .flat_map(|s| {
            s.connections
                .iter()
                .filter(|c| c.active)
                .map(|c| (s.id.to_string(), c.id.clone()))
        })
        .collect()
}

/// Every output a journey's connections name.
pub fn outputs_named(journey: &Journey) -> Vec<String> {
    let mut out: Vec<String> = steps(journey)
        .iter()
        .flat_map(|s| s.connections)
        .map(|c| c.output.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a journey may be deleted: nothing below its entry.
pub fn deletable(journey: &Journey) -> bool {
    journey.entry.steps.is_empty()
}

/// Whether `new` differs from `old` only in what a published version may change in place:
/// name, description, connections, added leaf steps, and removed leaf steps that had no
/// connections.
pub fn edit_in_place(old: &Value, new: &Value) -> bool {
    let (Some(old_top), Some(new_top)) = (old.as_object(), new.as_object()) else {
        return false;
    };
    if without(old_top, &["name", "description", "entry", "version"])
        != without(new_top, &["name", "description", "entry", "version"])
    {
        return false;
    }
    match (
        old.get("entry").and_then(Value::as_object),
        new.get("entry").and_then(Value::as_object),
    ) {
        (Some(a), Some(b)) => same_tree(a, b),
        _ => false,
    }
}

/// A JSON step's children.
fn children(step: &Map<String, Value>) -> impl Iterator<Item = &Map<String, Value>> {
    step.get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// A JSON step's connections.
fn connections(step: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    step.get("connections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The object without some keys.
fn without(object: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    object
        .iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn same_tree(old: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    const FREE: &[&str] = &["name", "connections", "steps"];
    if without(old, FREE) != without(new, FREE) {
        return false;
    }
    let id = |s: &Map<String, Value>| s.get("id").and_then(Value::as_str).map(str::to_string);
    let old_kids: Vec<&Map<String, Value>> = children(old).collect();
    let new_kids: Vec<&Map<String, Value>> = children(new).collect();
    let is_leaf = |s: &Map<String, Value>| children(s).next().is_none();
    // Removed children: leaves without connections.
    for o in &old_kids {
        if !new_kids.iter().any(|n| id(n) == id(o))
            && (!is_leaf(o) || connections(o).next().is_some())
        {
            return false;
        }
    }
    // Added children: leaves.
    for n in &new_kids {
        if !old_kids.iter().any(|o| id(o) == id(n)) && !is_leaf(n) {
            return false;
        }
    }
    // The kept children keep their order and are unchanged below.
    let kept_old: Vec<&&Map<String, Value>> = old_kids
        .iter()
        .filter(|o| new_kids.iter().any(|n| id(n) == id(o)))
        .collect();
    let kept_new: Vec<&&Map<String, Value>> = new_kids
        .iter()
        .filter(|n| old_kids.iter().any(|o| id(o) == id(n)))
        .collect();
    kept_old.len() == kept_new.len()
        && kept_old
            .iter()
            .zip(&kept_new)
            .all(|(o, n)| id(o) == id(n) && same_tree(o, n))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn journey() -> Value {
        json!({
            "id": "j", "name": "J",
            "entry": {"id": "entry", "name": "Entry", "criteria": {"everyone": true},
                "connections": [{"id": "c0", "output": "o", "active": false, "mode": "event"}],
                "steps": [
                    {"id": "m", "name": "M", "type": "milestone",
                     "criteria": {"event": "A"},
                     "connections": [{"id": "c1", "output": "o", "active": true, "mode": "event"}],
                     "steps": [{"id": "leaf", "name": "Leaf", "type": "send"}]}
                ]}
        })
    }

    /// A journey JSON read as the engine's model.
    fn typed(json: &Value) -> Journey {
        serde_json::from_value(json.clone()).unwrap()
    }

    #[test]
    fn statuses_and_credits() {
        let j = typed(&journey());
        let s = audience_statuses(&j);
        assert_eq!(s["entry"], "calculating");
        assert_eq!(s["m"], "active");
        assert_eq!(s["leaf"], "estimated");
        assert_eq!(active_audiences(&j), 1);
        assert_eq!(outputs_named(&j), vec!["o".to_string()]);
        assert_eq!(
            active_connections(&j),
            vec![("m".to_string(), "c1".to_string())]
        );
        assert!(!deletable(&j));
        let mut bare = journey();
        bare["entry"]["steps"] = json!([]);
        assert!(deletable(&typed(&bare)));
    }

    #[test]
    fn steps_come_in_pre_order_with_their_parents() {
        let j = typed(&journey());
        let all: Vec<(&str, Option<&str>)> = steps(&j).iter().map(|s| (s.id, s.parent)).collect();
        assert_eq!(
            all,
            vec![("entry", None), ("m", Some("entry")), ("leaf", Some("m"))]
        );
    }

    #[test]
    fn renames_and_connections_are_in_place() {
        let mut new = journey();
        new["name"] = json!("Renamed");
        new["entry"]["steps"][0]["name"] = json!("M2");
        new["entry"]["connections"][0]["active"] = json!(true);
        assert!(edit_in_place(&journey(), &new));
        assert_eq!(
            newly_active(&typed(&journey()), &typed(&new)),
            vec![("entry".to_string(), "c0".to_string())]
        );
        assert_eq!(
            newly_inactive(&typed(&new), &typed(&journey())),
            vec![("entry".to_string(), "c0".to_string())]
        );
    }

    #[test]
    fn leaves_may_come_and_go() {
        let mut added = journey();
        added["entry"]["steps"][0]["steps"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "new", "name": "New", "type": "send"}));
        assert!(edit_in_place(&journey(), &added));
        let mut removed = journey();
        removed["entry"]["steps"][0]["steps"] = json!([]);
        assert!(edit_in_place(&journey(), &removed));
        // A step with connections, or with children, may not be removed in place.
        let mut gone = journey();
        gone["entry"]["steps"] = json!([]);
        assert!(!edit_in_place(&journey(), &gone));
    }

    #[test]
    fn other_changes_need_a_version() {
        let mut criteria = journey();
        criteria["entry"]["steps"][0]["criteria"] = json!({"event": "B"});
        assert!(!edit_in_place(&journey(), &criteria));
        let mut settings = journey();
        settings["settings"] = json!({"timeout": "1d"});
        assert!(!edit_in_place(&journey(), &settings));
    }

    #[test]
    fn keys_are_made_once() {
        let mut keys = BTreeMap::new();
        assign_keys(&mut keys, "j", &typed(&journey()));
        assert_eq!(keys.len(), 3);
        let before = keys["m"].clone();
        let mut renamed = journey();
        renamed["entry"]["steps"][0]["name"] = json!("Other");
        assign_keys(&mut keys, "j", &typed(&renamed));
        assert_eq!(keys["m"], before);
        assert!(before.starts_with("j_o_j__m_"));
    }
}
