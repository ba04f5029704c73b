//! Delivery figures in a journey's statistics (SPEC §11), read from the outbox's group
//! counters (a list output's from the memberships it holds).

use std::collections::BTreeMap;

use waymark_store::GroupCounts;

use super::{Core, LIST_PREFIX};
use crate::RuntimeError;
use crate::outputs::OutputKind;
use crate::stats::DeliveryFigures;

impl Core {
    /// The deliveries of `journey` to each of `outputs`: counts per connection group and
    /// each group's last error.
    pub(crate) fn delivery_stats(
        &self,
        journey: &str,
        outputs: &[String],
    ) -> Result<DeliveryFigures, RuntimeError> {
        let prefix = format!("{journey}/");
        let mut figures = DeliveryFigures {
            journey: journey.to_string(),
            ..DeliveryFigures::default()
        };
        for output in outputs {
            let counts = match self.outputs.get(output) {
                Some(o) if o.kind == OutputKind::List => self.list_counts(journey, output)?,
                _ => {
                    let errors = self.store.outbox_group_errors(output, &prefix)?;
                    figures.errors.insert(output.clone(), errors);
                    self.store.outbox_group_counts(output, &prefix)?
                }
            };
            figures.counts.insert(output.clone(), counts);
        }
        Ok(figures)
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
