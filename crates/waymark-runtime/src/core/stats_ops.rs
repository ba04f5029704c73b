//! Statistics calls of the admin API (SPEC §11): a journey's figures per version, a funnel
//! along a path, and entries over time. Running versions are read from the engines and the
//! runners' tallies; stopped ones from what they kept when they stopped.

use waymark_engine::StepCounts;

use super::Core;
use crate::RuntimeError;
use crate::journeys::{JourneyDoc, VersionDoc, rules};
use crate::stats::JourneyStats;
use crate::stats::entries::{self, Bucket, Entries, VersionEntries};
use crate::stats::funnel::{Funnel, funnel};
use crate::stats::version::{StepConnection, StepNow, StepTree, VersionStats};
use crate::tally::Tally;

impl Core {
    /// One running version's figures: who is where (summed over the engines it runs in)
    /// and what its runner counted. `state` says whether they are live.
    pub(crate) fn version_stats(&self, runner: usize, state: &str) -> VersionStats {
        let r = &self.runners[runner];
        let mut counts = vec![StepCounts::default(); r.step_ids.len()];
        let (mut within, mut control) = (0, 0);
        for (ws, &journey) in &r.indices {
            let Some(p) = self.partitions.get(ws) else {
                continue;
            };
            for (sum, c) in counts.iter_mut().zip(p.engine.step_counts(journey)) {
                sum.at += c.at;
                sum.audience += c.audience;
            }
            let (w, c) = p.engine.journey_counts(journey);
            within += w;
            control += c;
        }
        let now = counts
            .iter()
            .zip(&r.connections)
            .map(|(c, connections)| StepNow {
                at: c.at,
                audience: c.audience,
                connections: connections
                    .iter()
                    .map(|c| StepConnection {
                        id: c.id.clone(),
                        output: c.output.clone(),
                        active: c.active,
                    })
                    .collect(),
            })
            .collect();
        let tree = StepTree {
            ids: &r.step_ids,
            keys: r.step_ids.iter().map(|s| r.keys.get(s).cloned()).collect(),
            parents: &r.step_parents,
        };
        VersionStats::build(r.version, state, (within, control), tree, now, &r.total())
    }

    /// A version's figures: live when it runs, as kept when it stopped; none for a version
    /// that never ran.
    fn figures(&self, id: &str, v: &VersionDoc) -> Option<VersionStats> {
        match self.runner_index(id, v.version) {
            Some(i) => Some(self.version_stats(i, "running")),
            None => v.final_stats.clone(),
        }
    }

    /// `GET /api/journeys/{id}/stats`: every version's figures, oldest first (SPEC §11:
    /// statistics outlive the run). Delivery counts are per output the latest version names.
    pub(crate) fn stats(&self, id: &str) -> Result<JourneyStats, RuntimeError> {
        let journey = self.journey_doc(id)?;
        let versions = journey
            .versions
            .iter()
            .filter_map(|v| self.figures(id, v))
            .collect();
        // A draft the engine's model does not read names no output.
        let named = journey
            .latest()
            .definition
            .model()
            .map(|latest| rules::outputs_named(&latest))
            .unwrap_or_default();
        Ok(JourneyStats {
            id: id.to_string(),
            versions,
            deliveries: self.delivery_stats(id, &named)?,
        })
    }

    /// `GET /api/journeys/{id}/funnel`: entries along `path` in `version` (default: the
    /// newest version with figures).
    pub(crate) fn funnel(
        &self,
        id: &str,
        path: &[String],
        version: Option<u32>,
    ) -> Result<Funnel, RuntimeError> {
        let journey = self.journey_doc(id)?;
        let (doc, stats) = self.version_with_figures(&journey, version)?;
        // A version with figures ran, so it holds its journey.
        let names = doc
            .definition
            .journey()
            .map(rules::steps)
            .unwrap_or_default();
        let name = |step: &str| {
            names
                .iter()
                .find(|s| s.id == step)
                .map(|s| s.name.to_string())
        };
        Ok(Funnel {
            id: id.to_string(),
            version: stats.version,
            steps: funnel(&stats, path, name)?,
        })
    }

    /// `GET /api/journeys/{id}/entries`: every version's entries over time (or `version`'s).
    pub(crate) fn entries(
        &self,
        id: &str,
        bucket: Bucket,
        version: Option<u32>,
    ) -> Result<Entries, RuntimeError> {
        let journey = self.journey_doc(id)?;
        let mut versions = Vec::new();
        for v in journey
            .versions
            .iter()
            .filter(|v| version.is_none_or(|n| n == v.version))
        {
            let tally = match (self.runner_index(id, v.version), &v.final_tally) {
                (Some(i), _) => self.runners[i].total(),
                (None, Some(saved)) => Tally::restored(saved, &[]),
                (None, None) => continue,
            };
            versions.push(VersionEntries {
                version: v.version,
                series: entries::series(&tally.hours, bucket)?,
            });
        }
        if let Some(n) = version
            && versions.is_empty()
        {
            return Err(RuntimeError::not_found(
                "version with figures",
                &n.to_string(),
            ));
        }
        Ok(Entries {
            id: id.to_string(),
            bucket,
            versions,
        })
    }

    fn version_with_figures<'a>(
        &self,
        journey: &'a JourneyDoc,
        version: Option<u32>,
    ) -> Result<(&'a VersionDoc, VersionStats), RuntimeError> {
        journey
            .versions
            .iter()
            .rev()
            .filter(|v| version.is_none_or(|n| n == v.version))
            .find_map(|v| Some((v, self.figures(&journey.id, v)?)))
            .ok_or_else(|| {
                let which = version.map_or("any".to_string(), |n| n.to_string());
                RuntimeError::not_found("version with figures", &which)
            })
    }
}
