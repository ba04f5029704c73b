//! A runner: one published journey version as the runtime tracks it — its connections,
//! step ids and totals, and where it runs: its index in the engine of each workspace whose
//! events it counts (every version shares those engines, see `core::partitions`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use waymark_engine::model::{Connection, ConnectionMode, Journey};
use waymark_engine::time::Millis;
use waymark_engine::trace::activate_all;
use waymark_engine::{Activation, Engine, Event, Transition};

use crate::RuntimeError;
use crate::journeys::rules;
use crate::journeys::{JourneyDoc, VersionDoc};
use crate::owner::Owner;
use crate::tally::{SavedTally, Tally};

/// One event as the runtime feeds it to runners.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// The workspace.
    pub workspace: String,
    /// Its arrival sequence number in the workspace.
    pub seq: u64,
    /// When the server received it.
    pub received_at: Millis,
    /// The profile key (userId, else first anonymousId).
    pub key: String,
    /// The event, with `input` as `workspace/input`.
    pub event: Event,
}

/// A connection of the running version as the runtime sees it now.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    /// Connection id.
    pub id: String,
    /// Output id.
    pub output: String,
    /// How it sends.
    pub mode: ConnectionMode,
    /// Whether it delivers.
    pub active: bool,
    /// Changes before this instant are not delivered (when it was activated).
    pub active_since: Millis,
    /// Trait paths every message of this connection carries.
    pub traits: Vec<String>,
}

/// One running journey version.
pub struct Runner {
    /// The journey id.
    pub journey_id: String,
    /// The version number.
    pub version: u32,
    /// The definition as the engines run it (every connection active, inputs resolved).
    pub live: Journey,
    /// Its index in the engine of each workspace it counts, by workspace.
    pub indices: BTreeMap<String, u16>,
    /// When the version was published.
    pub published_at: Millis,
    /// Whether publishing evaluated stored history.
    pub historical: bool,
    /// When a newer version closed it to new entrants.
    pub closed_at: Option<Millis>,
    /// Workspaces whose events count (`None`: all).
    pub workspaces: Option<BTreeSet<String>>,
    /// Per step index, per connection index.
    pub connections: Vec<Vec<ConnectionInfo>>,
    /// Step ids by index.
    pub step_ids: Vec<String>,
    /// Each step's parent by index (`None` for the entry).
    pub step_parents: Vec<Option<u16>>,
    /// Output keys by step id.
    pub keys: BTreeMap<String, String>,
    /// What each workspace's engine counted (a partition's checkpoint keeps its part,
    /// which a restart adds back); [`Runner::total`] sums them.
    pub counted: BTreeMap<String, Tally>,
}

impl Runner {
    /// A runner for `version` of `journey`; `inputs` are the `workspace/input` ids that
    /// exist, to resolve bare input ids that definitions stored before write-time
    /// resolution may hold. Refused when the engine cannot run the definition.
    pub fn new(
        journey: &JourneyDoc,
        version: &VersionDoc,
        inputs: &[String],
    ) -> Result<Self, RuntimeError> {
        let (journey_id, keys) = (journey.id.as_str(), &journey.keys);
        let (live, workspaces) = live_journey(version.running_journey()?, &journey.owner, inputs);
        let (step_ids, step_parents) = step_tree(&live)?;
        let mut runner = Self {
            journey_id: journey_id.to_string(),
            version: version.version,
            live,
            indices: BTreeMap::new(),
            published_at: version.published_at.unwrap_or(Millis::MIN),
            historical: version.historical,
            closed_at: version.closed_at,
            workspaces,
            connections: Vec::new(),
            step_ids,
            step_parents,
            keys: keys.clone(),
            counted: BTreeMap::new(),
        };
        runner.refresh_connections(version)?;
        Ok(runner)
    }

    /// How the version joins an engine: at its publication, with or without history.
    pub fn activation(&self) -> Activation {
        Activation {
            at: self.published_at,
            historical: self.historical,
        }
    }

    /// Takes an in-place edit of the running version: its definition, step ids (totals
    /// follow their steps by id) and connections.
    pub fn redefine(
        &mut self,
        journey: &JourneyDoc,
        version: &VersionDoc,
        inputs: &[String],
    ) -> Result<(), RuntimeError> {
        let (live, _) = live_journey(version.running_journey()?, &journey.owner, inputs);
        let (step_ids, step_parents) = step_tree(&live)?;
        let follow = |tally: &Tally| Tally::restored(&tally.saved(&self.step_ids), &step_ids);
        let counted = self
            .counted
            .iter()
            .map(|(ws, t)| (ws.clone(), follow(t)))
            .collect();
        self.counted = counted;
        self.step_ids = step_ids;
        self.step_parents = step_parents;
        self.live = live;
        self.keys = journey.keys.clone();
        self.refresh_connections(version)
    }

    /// Re-reads connections (ids, outputs, modes, active flags) from the published version.
    pub fn refresh_connections(&mut self, version: &VersionDoc) -> Result<(), RuntimeError> {
        let steps = rules::steps(version.running_journey()?);
        let by_id: HashMap<&str, &[Connection]> =
            steps.iter().map(|s| (s.id, s.connections)).collect();
        self.connections = self
            .step_ids
            .iter()
            .map(|id| {
                by_id
                    .get(id.as_str())
                    .map(|list| list.iter().map(|c| connection_info(c, version)).collect())
                    .unwrap_or_default()
            })
            .collect();
        Ok(())
    }

    /// Whether events of this workspace count.
    pub fn accepts(&self, workspace: &str) -> bool {
        self.workspaces
            .as_ref()
            .is_none_or(|w| w.contains(workspace))
    }

    /// Everything counted, over every workspace.
    pub fn total(&self) -> Tally {
        let mut sum = Tally::new(self.step_ids.len());
        for tally in self.counted.values() {
            sum.merge(tally);
        }
        sum
    }

    /// Counts transitions of one workspace's engine into the totals.
    pub fn count(&mut self, workspace: &str, transitions: &[Transition]) {
        let steps = self.step_ids.len();
        self.counted
            .entry(workspace.to_string())
            .or_insert_with(|| Tally::new(steps))
            .add(transitions);
    }

    /// Adds back what a workspace's engine had counted when its checkpoint was written
    /// (steps by id; a step since removed is left out, as an edit leaves it out).
    pub fn restore_tally(&mut self, workspace: &str, saved: &SavedTally) {
        let tally = Tally::restored(saved, &self.step_ids);
        self.counted.insert(workspace.to_string(), tally);
    }
}

/// Step ids and parents in the engine's order, from an engine that compiles the definition
/// alone.
type StepTree = (Vec<String>, Vec<Option<u16>>);

fn step_tree(live: &Journey) -> Result<StepTree, RuntimeError> {
    let engine = Engine::new(std::slice::from_ref(live))
        .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))?;
    let compiled = engine.journey(0);
    let steps = 0..compiled.step_count() as u16;
    Ok((
        steps
            .clone()
            .map(|i| compiled.step_id(i).to_string())
            .collect(),
        steps.map(|i| compiled.step_parent(i)).collect(),
    ))
}

fn connection_info(c: &Connection, version: &VersionDoc) -> ConnectionInfo {
    ConnectionInfo {
        id: c.id.clone(),
        output: c.output.clone(),
        mode: c.mode,
        active: c.active,
        active_since: version
            .active_since
            .get(&c.id)
            .copied()
            .unwrap_or(Millis::MIN),
        traits: c.traits.clone(),
    }
}

/// The definition as the live engine runs it: every connection active (the runtime decides
/// per delivery), and bare input ids expanded to `workspace/input` ids within what `owner`
/// sees. Also the workspaces whose events count: its inputs' workspaces; with no input
/// selected, the owner's workspace (`None`, every workspace, for the account).
pub fn live_journey(
    journey: &Journey,
    owner: &Owner,
    inputs: &[String],
) -> (Journey, Option<BTreeSet<String>>) {
    let mut journey = journey.clone();
    activate_all(&mut journey);
    if journey.inputs.is_empty() {
        let own = owner.workspace().map(|ws| BTreeSet::from([ws.to_string()]));
        return (journey, own);
    }
    let visible: Vec<String> = inputs
        .iter()
        .filter(|i| {
            owner
                .workspace()
                .is_none_or(|ws| i.split_once('/').is_some_and(|(w, _)| w == ws))
        })
        .cloned()
        .collect();
    let mut expanded = expand_inputs(&journey.inputs, &visible);
    expanded.retain(|i| owner.workspace().is_none_or(|_| visible.contains(i)));
    let workspaces = expanded
        .iter()
        .filter_map(|i| i.split_once('/').map(|(ws, _)| ws.to_string()))
        .collect();
    journey.inputs = expanded;
    (journey, Some(workspaces))
}

/// `workspace/input` ids for a journey's input list: a qualified id stays, a bare id names
/// that input in every workspace that has one.
pub fn expand_inputs(selected: &[String], existing: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in selected {
        if s.contains('/') {
            out.push(s.clone());
        } else {
            out.extend(
                existing
                    .iter()
                    .filter(|e| e.split_once('/').is_some_and(|(_, id)| id == s))
                    .cloned(),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}
