//! Delivery figures in a journey's or an audience's statistics (SPEC §11): counts per
//! status for each connection and for each output, counting only that journey's
//! deliveries (an output may be shared), and each connection's last error.

use std::collections::BTreeMap;

use waymark_store::{GroupCounts, GroupError, GroupErrors};

use super::StepConnection;

/// The statuses a delivery count always shows, at zero when none has it.
const STATUSES: [&str; 5] = ["pending", "failed", "delivered", "dead", "discarded"];

/// One journey's deliveries, per output it names, from the outbox's group counters (a
/// group is `journey/version/connection`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryFigures {
    /// The journey (or audience) id the groups start with.
    pub journey: String,
    /// Per output: counts per status of each group.
    pub counts: BTreeMap<String, GroupCounts>,
    /// Per output: the latest failure of each group.
    pub errors: BTreeMap<String, GroupErrors>,
}

/// A connection's deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionDeliveries<'a> {
    /// Counts per status (every status at zero when it delivered nothing).
    pub counts: BTreeMap<String, u64>,
    /// Its latest failure, if any.
    pub last_error: Option<&'a GroupError>,
}

impl DeliveryFigures {
    /// The deliveries of `connection` in `version`.
    pub fn of(&self, version: u32, connection: &StepConnection) -> ConnectionDeliveries<'_> {
        let group = format!("{}/{version}/{}", self.journey, connection.id);
        let output = connection.output.as_str();
        ConnectionDeliveries {
            counts: self
                .counts
                .get(output)
                .and_then(|g| g.get(&group))
                .cloned()
                .unwrap_or_else(zero),
            last_error: self.errors.get(output).and_then(|e| e.get(&group)),
        }
    }

    /// Counts per status for each output, summed over the journey's groups.
    pub fn by_output(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.counts
            .iter()
            .map(|(output, groups)| {
                let mut total: BTreeMap<String, u64> = BTreeMap::new();
                for per_status in groups.values() {
                    for (status, n) in per_status {
                        *total.entry(status.clone()).or_default() += n;
                    }
                }
                if total.is_empty() {
                    total = zero();
                }
                (output.clone(), total)
            })
            .collect()
    }
}

/// Every status at zero.
fn zero() -> BTreeMap<String, u64> {
    STATUSES.iter().map(|s| (s.to_string(), 0)).collect()
}
