//! The estimator on the engine thread (SPEC §10): each workspace's sample, made from the
//! stored log the first time an estimate asks for it and kept current from the commit
//! feed after that, and the estimates made over it.

use std::collections::HashMap;
use std::sync::Arc;

use waymark_engine::Event;
use waymark_engine::model::{Audience, ComputedAttribute, Criteria, Journey};
use waymark_store::{Applied, ArrivedEvent, ProfileId};

use super::Core;
use super::history::{event_of, live_event};
use crate::RuntimeError;
use crate::estimate::checks::{Known, qualified};
use crate::estimate::evaluate::{self, Definitions, Target};
use crate::estimate::paths::plan;
use crate::estimate::sample::{Arrival, Observed, Sample};
use crate::estimate::{
    Estimate, JourneyEstimate, MilestoneEstimate, PreviewUser, StepEstimate, combine,
};
use crate::journeys::{Definition, JourneyDoc, references};
use crate::owner::Owner;
use crate::runner::live_journey;

/// Users an entry preview lists at most.
pub const PREVIEW_USERS: usize = 20;

/// The estimator's samples, by workspace (only those an estimate has asked for).
pub(crate) type Samples = HashMap<String, Sample>;

/// One workspace's sample with what the estimates need beside it.
struct Workspace<'a> {
    id: String,
    sample: &'a Sample,
    attributes: Vec<ComputedAttribute>,
    attribute_names: Vec<String>,
    /// The standalone audiences the workspace can read (its own and the account's), for
    /// `member_of` criteria.
    audiences: Vec<Audience>,
    audience_ids: Vec<String>,
    inputs: Vec<String>,
}

impl Core {
    /// The commit feed's hook: a stored event reaches the workspace's sample, if it has one.
    pub(crate) fn sample_arrival(
        &mut self,
        workspace: &str,
        applied: &Applied,
        event: &Event,
        received_at: waymark_engine::time::Millis,
    ) {
        let Some(sample) = self.samples.get_mut(workspace) else {
            return;
        };
        let observed = sample.observe(&Arrival {
            seq: applied.seq,
            profile: applied.profile,
            merged: &applied.merged,
            user_id: applied.user_id.as_deref(),
            anonymous_id: applied.anonymous_id.as_deref(),
            received_at,
            event,
        });
        if observed == Observed::NeedsHistory
            && let Err(e) = self.sample_history(workspace, applied)
        {
            tracing::error!(error = %e, workspace, "a sampled profile's history is unreadable");
        }
    }

    /// Reads back the whole history of a profile that joined a sample late.
    fn sample_history(&mut self, workspace: &str, applied: &Applied) -> Result<(), RuntimeError> {
        let Some(key) = applied.key() else {
            return Ok(());
        };
        let events = self
            .store
            .events(workspace, key, usize::MAX)?
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.received_at, event_of(workspace, e)))
            .collect();
        if let Some(sample) = self.samples.get_mut(workspace) {
            sample.set_history(applied.profile, events);
        }
        Ok(())
    }

    /// The commit feed's hook: a deleted profile leaves the workspace's sample.
    pub(crate) fn sample_forget(&mut self, workspace: &str, profile: ProfileId) {
        if let Some(sample) = self.samples.get_mut(workspace) {
            sample.forget(profile);
        }
    }

    /// The workspace's sample, made from its stored log when it has none yet.
    fn ensure_sample(&mut self, workspace: &str) -> Result<(), RuntimeError> {
        if self.samples.contains_key(workspace) {
            return Ok(());
        }
        let mut sample = Sample::new(self.config.estimate_sample_size);
        let store = Arc::clone(&self.store);
        store.for_each_event_by_arrival(workspace, &mut |a: ArrivedEvent| {
            let profile = a.profile;
            let Some((live, (_, _, user))) = live_event(workspace, a) else {
                return;
            };
            sample.observe(&Arrival {
                seq: live.seq,
                profile,
                merged: &[],
                user_id: user.user_id.as_deref(),
                anonymous_id: user.anonymous_id.as_deref(),
                received_at: live.received_at,
                event: &live.event,
            });
        })?;
        self.samples.insert(workspace.to_string(), sample);
        Ok(())
    }

    /// The workspace's sample, attributes and inputs.
    fn estimate_workspace(&mut self, workspace: &str) -> Result<Workspace<'_>, RuntimeError> {
        if self.store.workspace(workspace)?.is_none() {
            return Err(RuntimeError::not_found("workspace", workspace));
        }
        self.ensure_sample(workspace)?;
        let attributes = self
            .attribute_docs(workspace)?
            .iter()
            .map(|a| a.model())
            .collect::<Result<Vec<_>, _>>()?;
        let prefix = format!("{workspace}/");
        let mut inputs = self.input_ids()?;
        inputs.retain(|i| i.starts_with(&prefix));
        let audiences: Vec<Audience> = self
            .audience_docs()?
            .iter()
            .filter(|a| match &a.owner {
                Owner::Account => true,
                Owner::Workspace(w) => w == workspace,
            })
            .filter_map(|a| a.model())
            .collect();
        Ok(Workspace {
            id: workspace.to_string(),
            sample: &self.samples[workspace],
            attribute_names: attributes.iter().map(|a| a.name.clone()).collect(),
            attributes,
            audience_ids: audiences.iter().map(|a| a.id.clone()).collect(),
            audiences,
            inputs,
        })
    }

    /// `POST /api/estimate`: how many of the workspace's profiles meet `criteria` now,
    /// counting only events from `inputs` (bare or `workspace/input` ids; all when empty).
    pub(crate) fn estimate_criteria(
        &mut self,
        workspace: &str,
        inputs: &[String],
        criteria: Criteria,
    ) -> Result<Estimate, RuntimeError> {
        let now = self.clock.now();
        let ws = self.estimate_workspace(workspace)?;
        let known = ws.known();
        let inputs: Vec<String> = inputs.iter().map(|i| known.qualify(i)).collect();
        if let Some(problem) = inputs.iter().find_map(|i| known.input_problem(i)) {
            return Ok(problem);
        }
        let criteria = qualified(&known, criteria);
        if let Some(problem) = known.problem(&criteria) {
            return Ok(problem);
        }
        let target = Target { inputs, criteria };
        let counts =
            evaluate::counts(ws.sample, &[target], &ws.definitions(), now).map_err(invalid)?;
        Ok(evaluate::scaled(ws.sample, &counts).remove(0))
    }

    /// `GET /api/journeys/{id}/estimate`: the latest version's steps and milestone criteria
    /// estimated in every workspace the journey counts, summed; steps a running version
    /// has show its real count.
    pub(crate) fn estimate_journey(
        &mut self,
        doc: &JourneyDoc,
    ) -> Result<JourneyEstimate, RuntimeError> {
        let now = self.clock.now();
        let version = doc.latest();
        let (journey, workspaces) = self.journey_workspaces(doc)?;
        let (steps, criteria) = plan(&journey);
        let mut step_sizes: Vec<Option<Estimate>> = vec![None; steps.len()];
        let mut criteria_sizes: Vec<Option<Estimate>> = vec![None; criteria.len()];
        let (mut population, mut sampled) = (0, 0);
        for ws in &workspaces {
            let ws = self.estimate_workspace(ws)?;
            population += ws.sample.population() as u64;
            sampled += ws.sample.len() as u64;
            let targets: Vec<(&Target, f64)> = steps
                .iter()
                .map(|s| (&s.target, s.share))
                .chain(criteria.iter().map(|c| (&c.target, c.share)))
                .collect();
            let sizes = ws.estimates(&targets, now)?;
            let (for_steps, for_criteria) = sizes.split_at(steps.len());
            for (sum, e) in step_sizes.iter_mut().zip(for_steps) {
                *sum = Some(combine(sum.take(), e.clone()));
            }
            for (sum, e) in criteria_sizes.iter_mut().zip(for_criteria) {
                *sum = Some(combine(sum.take(), e.clone()));
            }
        }
        let running = self.running_counts(&doc.id);
        let empty = || Estimate::scaled(0, 0, 0);
        let steps_out: Vec<StepEstimate> = steps
            .iter()
            .zip(step_sizes)
            .map(|(s, size)| StepEstimate {
                size: running
                    .get(&s.step)
                    .map(|&count| Estimate::Count { count })
                    .unwrap_or_else(|| size.unwrap_or_else(empty)),
                step: s.step.clone(),
            })
            .collect();
        let mut milestones: Vec<MilestoneEstimate> = Vec::new();
        for (c, size) in criteria.iter().zip(criteria_sizes) {
            let size = size.unwrap_or_else(empty);
            match milestones.last_mut() {
                Some(m) if m.step == c.step => m.criteria.push(size),
                _ => milestones.push(MilestoneEstimate {
                    step: c.step.clone(),
                    criteria: vec![size],
                }),
            }
        }
        Ok(JourneyEstimate {
            id: doc.id.clone(),
            version: version.version,
            population,
            sample: sampled,
            steps: steps_out,
            milestones,
        })
    }

    /// `POST /api/journeys/{id}/estimate`: [`Core::estimate_journey`] of an edited, unsaved
    /// definition of the journey (the canvas while the user types), so that the editor
    /// shows figures by the same rules as the saved journey's. Refused like an edit that
    /// does not validate.
    pub(crate) fn estimate_draft(
        &mut self,
        id: &str,
        mut definition: serde_json::Value,
    ) -> Result<JourneyEstimate, RuntimeError> {
        let mut doc = self.journey_doc(id)?;
        definition["id"] = serde_json::json!(id);
        self.check(&definition, &doc.owner)?;
        references::resolve_inputs(&mut definition, &doc.owner, &self.input_ids()?)?;
        doc.latest_mut().definition = Definition::Draft(definition);
        self.estimate_journey(&doc)
    }

    /// `GET /api/journeys/{id}/preview`: up to [`PREVIEW_USERS`] sampled users who meet
    /// the latest version's entry criteria now, by workspace then key.
    pub(crate) fn preview_journey(
        &mut self,
        doc: &JourneyDoc,
    ) -> Result<Vec<PreviewUser>, RuntimeError> {
        let now = self.clock.now();
        let (journey, workspaces) = self.journey_workspaces(doc)?;
        let (steps, _) = plan(&journey);
        let mut users = Vec::new();
        for ws in &workspaces {
            let ws = self.estimate_workspace(ws)?;
            let known = ws.known();
            let mut entry = steps[0].target.clone();
            entry.criteria = qualified(&known, entry.criteria);
            if known.problem(&entry.criteria).is_some() {
                continue;
            }
            let left = PREVIEW_USERS - users.len();
            let found = evaluate::matching(ws.sample, &entry, &ws.definitions(), now, left)
                .map_err(invalid)?;
            users.extend(found.into_iter().map(|m| PreviewUser {
                workspace: ws.id.clone(),
                key: m.key.clone(),
                user_id: m.user_id.clone(),
                anonymous_id: m.anonymous_id.clone(),
            }));
            if users.len() >= PREVIEW_USERS {
                break;
            }
        }
        Ok(users)
    }

    /// The latest version as the engine reads it, and the workspaces it counts.
    fn journey_workspaces(&self, doc: &JourneyDoc) -> Result<(Journey, Vec<String>), RuntimeError> {
        let latest = doc.latest().definition.model()?;
        let (journey, workspaces) = live_journey(&latest, &doc.owner, &self.input_ids()?);
        let workspaces = match workspaces {
            Some(w) => w.into_iter().collect(),
            None => self.store.workspaces()?.into_iter().map(|w| w.id).collect(),
        };
        Ok((journey, workspaces))
    }

    /// Real audience sizes by step id, from the newest running version of the journey.
    fn running_counts(&self, journey: &str) -> HashMap<String, u64> {
        let Some(i) = self.runners.iter().rposition(|r| r.journey_id == journey) else {
            return HashMap::new();
        };
        let stats = self.version_stats(i, "running");
        stats
            .steps
            .into_iter()
            .map(|s| (s.step, s.audience))
            .collect()
    }
}

impl Workspace<'_> {
    fn known(&self) -> Known<'_> {
        Known {
            workspace: &self.id,
            inputs: &self.inputs,
            attributes: &self.attribute_names,
            audiences: &self.audience_ids,
            sample: self.sample,
        }
    }

    fn definitions(&self) -> Definitions<'_> {
        Definitions {
            attributes: &self.attributes,
            audiences: &self.audiences,
        }
    }

    /// Each target's estimate (scaled by its share), or the reason it has none.
    fn estimates(
        &self,
        targets: &[(&Target, f64)],
        now: i64,
    ) -> Result<Vec<Estimate>, RuntimeError> {
        let known = self.known();
        let mut out: Vec<Option<Estimate>> = vec![None; targets.len()];
        let mut runnable = Vec::new();
        for (i, (t, _)) in targets.iter().enumerate() {
            let t = Target {
                inputs: t
                    .inputs
                    .iter()
                    .filter(|i| i.starts_with(&format!("{}/", self.id)))
                    .cloned()
                    .collect(),
                criteria: qualified(&known, t.criteria.clone()),
            };
            let problem = t
                .inputs
                .iter()
                .find_map(|i| known.input_problem(i))
                .or_else(|| known.problem(&t.criteria));
            match problem {
                Some(p) => out[i] = Some(p),
                None => runnable.push((i, t)),
            }
        }
        let list: Vec<Target> = runnable.iter().map(|(_, t)| t.clone()).collect();
        let counts =
            evaluate::counts(self.sample, &list, &self.definitions(), now).map_err(invalid)?;
        for ((i, _), e) in runnable.iter().zip(evaluate::scaled(self.sample, &counts)) {
            out[*i] = Some(e.share(targets[*i].1));
        }
        Ok(out
            .into_iter()
            .map(|e| e.unwrap_or_else(|| Estimate::scaled(0, 0, 0)))
            .collect())
    }
}

fn invalid(e: waymark_engine::CompileError) -> RuntimeError {
    RuntimeError::invalid("invalid_criteria", e.to_string())
}
