//! Delivery figures in a journey's statistics (SPEC §11): per connection, and per output,
//! counting only that journey's deliveries (an output may be shared with other journeys),
//! from the outbox's group counters; and each connection's last error.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use waymark_store::{GroupCounts, GroupErrors};

use super::{Core, LIST_PREFIX};
use crate::RuntimeError;
use crate::outputs::OutputKind;

impl Core {
    /// Adds `deliveries` (counts per status) to every connection of every version in
    /// `versions` (the stats' version objects), and answers the journey's counts per output.
    pub(crate) fn delivery_stats(
        &self,
        journey: &str,
        outputs: &[String],
        versions: &mut [Value],
    ) -> Result<Value, RuntimeError> {
        let prefix = format!("{journey}/");
        let mut groups: BTreeMap<&str, GroupCounts> = BTreeMap::new();
        let mut errors: BTreeMap<&str, GroupErrors> = BTreeMap::new();
        for output in outputs {
            let counts = match self.outputs.get(output) {
                Some(o) if o.kind == OutputKind::List => self.list_counts(journey, output)?,
                _ => {
                    errors.insert(output, self.store.outbox_group_errors(output, &prefix)?);
                    self.store.outbox_group_counts(output, &prefix)?
                }
            };
            groups.insert(output, counts);
        }
        for version in versions.iter_mut() {
            let number = version["version"].as_u64().unwrap_or(0);
            let Some(steps) = version["steps"].as_array_mut() else {
                continue;
            };
            for step in steps {
                let Some(connections) = step["connections"].as_array_mut() else {
                    continue;
                };
                for c in connections {
                    let output = c["output"].as_str().unwrap_or_default().to_string();
                    let group = format!("{journey}/{number}/{}", c["id"].as_str().unwrap_or(""));
                    let counts = groups
                        .get(output.as_str())
                        .and_then(|g| g.get(&group))
                        .map_or_else(zero, |counts| json!(counts));
                    let last_error = errors
                        .get(output.as_str())
                        .and_then(|e| e.get(&group))
                        .map_or(Value::Null, |e| {
                            json!({"at": crate::view::instant(Some(e.at)), "message": e.message})
                        });
                    c["deliveries"] = counts;
                    c["last_error"] = last_error;
                }
            }
        }
        let mut by_output = serde_json::Map::new();
        for (output, counts) in groups {
            let mut total: BTreeMap<String, u64> = BTreeMap::new();
            for per_status in counts.values() {
                for (status, n) in per_status {
                    *total.entry(status.clone()).or_default() += n;
                }
            }
            by_output.insert(
                output.to_string(),
                if total.is_empty() {
                    zero()
                } else {
                    json!(total)
                },
            );
        }
        Ok(Value::Object(by_output))
    }
}

impl Core {
    /// A list output's memberships held for `journey`, as delivered counts per group (a
    /// list has no outbox: what it delivered is what it holds). Memberships name their
    /// step, so the group is found through the connections of each running version.
    fn list_counts(&self, journey: &str, output: &str) -> Result<GroupCounts, RuntimeError> {
        let mut held: BTreeMap<String, u64> = BTreeMap::new();
        for (_, member) in self.store.documents(&format!("{LIST_PREFIX}{output}"))? {
            if member["journey_id"] == journey
                && let Some(step) = member["step_id"].as_str()
            {
                *held.entry(step.to_string()).or_default() += 1;
            }
        }
        let mut out = GroupCounts::new();
        for r in self.runners.iter().filter(|r| r.journey_id == journey) {
            for (step, connections) in r.step_ids.iter().zip(&r.connections) {
                for c in connections.iter().filter(|c| c.output == output) {
                    let mut counts: BTreeMap<String, u64> =
                        ["pending", "failed", "dead", "discarded"]
                            .iter()
                            .map(|s| (s.to_string(), 0))
                            .collect();
                    counts.insert("delivered".into(), held.get(step).copied().unwrap_or(0));
                    out.insert(format!("{journey}/{}/{}", r.version, c.id), counts);
                }
            }
        }
        Ok(out)
    }
}

/// Every status at zero.
fn zero() -> Value {
    json!({"pending": 0, "failed": 0, "delivered": 0, "dead": 0, "discarded": 0})
}
