//! A runner: one published journey version's engine, fed with events in arrival order.
//! Built by replaying stored history (on publish and at start-up), so its state — and its
//! timers — are a function of the durable event log and the version's lifecycle times.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use waymark_engine::model::{ConnectionMode, Journey};
use waymark_engine::time::Millis;
use waymark_engine::trace::activate_all;
use waymark_engine::{Engine, Event, Transition};

use crate::RuntimeError;
use crate::journeys::rules;
use crate::journeys::{JourneyDoc, VersionDoc};
use crate::owner::Owner;

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

/// Totals of one step since the runner was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepTotals {
    /// Entries into the step's audience.
    pub entered: u64,
    /// Exits from it.
    pub exited: u64,
}

/// One running journey version.
pub struct Runner {
    /// The journey id.
    pub journey_id: String,
    /// The version number.
    pub version: u32,
    /// The engine, holding this version only (journey index 0).
    pub engine: Engine,
    /// When the version was published.
    pub published_at: Millis,
    /// Whether publishing evaluated stored history.
    pub historical: bool,
    /// Workspaces whose events count (`None`: all).
    pub workspaces: Option<BTreeSet<String>>,
    /// Per step index, per connection index.
    pub connections: Vec<Vec<ConnectionInfo>>,
    /// Step ids by index.
    pub step_ids: Vec<String>,
    /// Output keys by step id.
    pub keys: BTreeMap<String, String>,
    /// Step totals by index.
    pub totals: Vec<StepTotals>,
    /// Journey entries, exits, control and goal counts.
    pub journey_totals: JourneyTotals,
    /// Highest arrival number applied, per workspace.
    watermark: HashMap<String, u64>,
    /// Whether the first event at or after publication was seen (history before it only
    /// feeds profiles).
    started: bool,
}

/// Journey-level totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JourneyTotals {
    /// Entries.
    pub entered: u64,
    /// Exits.
    pub exited: u64,
    /// Users held out as control.
    pub control: u64,
    /// Goal conversions.
    pub goal: u64,
}

impl Runner {
    /// A runner for `version` of `journey`; `inputs` are the `workspace/input` ids that
    /// exist, to resolve bare input ids that definitions stored before write-time
    /// resolution may hold.
    pub fn new(
        journey: &JourneyDoc,
        version: &VersionDoc,
        inputs: &[String],
    ) -> Result<Self, RuntimeError> {
        let (journey_id, keys) = (journey.id.as_str(), &journey.keys);
        let (journey, workspaces) = live_journey(&version.definition, &journey.owner, inputs)?;
        let mut engine = Engine::new(std::slice::from_ref(&journey))
            .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))?;
        if let Some(closed) = version.closed_at {
            engine.close_entries(closed);
        }
        let compiled = engine.journey(0);
        let step_ids: Vec<String> = (0..compiled.step_count() as u16)
            .map(|i| compiled.step_id(i).to_string())
            .collect();
        let mut runner = Self {
            journey_id: journey_id.to_string(),
            version: version.version,
            published_at: version.published_at.unwrap_or(Millis::MIN),
            historical: version.historical,
            workspaces,
            connections: Vec::new(),
            totals: vec![StepTotals::default(); step_ids.len()],
            step_ids,
            keys: keys.clone(),
            journey_totals: JourneyTotals::default(),
            watermark: HashMap::new(),
            started: false,
            engine,
        };
        runner.refresh_connections(version);
        Ok(runner)
    }

    /// Re-reads connections (ids, outputs, modes, active flags) from the version.
    pub fn refresh_connections(&mut self, version: &VersionDoc) {
        let by_id: HashMap<&str, &serde_json::Map<String, Value>> =
            rules::steps(&version.definition)
                .into_iter()
                .map(|s| (s.id, s.step))
                .collect();
        self.connections = self
            .step_ids
            .iter()
            .map(|id| {
                by_id
                    .get(id.as_str())
                    .and_then(|s| s.get("connections"))
                    .and_then(Value::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(|c| connection_info(c, version))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
    }

    /// Whether events of this workspace count.
    pub fn accepts(&self, workspace: &str) -> bool {
        self.workspaces
            .as_ref()
            .is_none_or(|w| w.contains(workspace))
    }

    /// Applies one live event, unless a replay already applied it (by arrival number).
    pub fn feed(&mut self, e: &LiveEvent, out: &mut Vec<Transition>) {
        if !self.accepts(&e.workspace) {
            return;
        }
        if self
            .watermark
            .get(&e.workspace)
            .is_some_and(|m| e.seq <= *m)
        {
            return;
        }
        self.watermark.insert(e.workspace.clone(), e.seq);
        self.replay(e, out);
    }

    /// After a replay of `history`: live events up to what it held are not applied again.
    pub fn finish_replay(&mut self, history: &[LiveEvent]) {
        for e in history {
            let mark = self.watermark.entry(e.workspace.clone()).or_insert(e.seq);
            *mark = (*mark).max(e.seq);
        }
    }

    /// Applies one event of the log: before publication it only feeds profiles (event
    /// conditions see it only with `historical`); from publication on it runs the journey.
    pub fn replay(&mut self, e: &LiveEvent, out: &mut Vec<Transition>) {
        if !self.accepts(&e.workspace) {
            return;
        }
        if e.received_at < self.published_at {
            if self.historical {
                self.engine.observe(&e.key, &e.event);
            } else {
                let profile_only = Event {
                    name: None,
                    ..e.event.clone()
                };
                self.engine.observe(&e.key, &profile_only);
            }
            return;
        }
        self.start(out);
        self.engine.advance_to(e.received_at, out);
        self.engine.apply(&e.key, &e.event, out);
    }

    /// Whether the publication instant has come by `at` and the runner has not started.
    pub fn due_to_start(&self, at: Millis) -> bool {
        !self.started && at >= self.published_at
    }

    /// Publication: with `historical`, everyone who qualifies on stored history enters at
    /// the publication instant. Runs once, before the first event after publication or at
    /// the end of a replay.
    pub fn start(&mut self, out: &mut Vec<Transition>) {
        if self.started {
            return;
        }
        self.started = true;
        if self.historical {
            self.engine.settle_everyone(self.published_at, out);
        } else {
            self.engine.advance_to(self.published_at, out);
        }
    }

    /// Counts transitions into the totals.
    pub fn count(&mut self, transitions: &[Transition]) {
        use waymark_engine::{Change, TransitionKind};
        for t in transitions {
            match t.kind {
                TransitionKind::Step { step, change } => {
                    if let Some(s) = self.totals.get_mut(usize::from(step)) {
                        match change {
                            Change::Entered => s.entered += 1,
                            Change::Exited => s.exited += 1,
                        }
                    }
                }
                TransitionKind::Journey(Change::Entered) => self.journey_totals.entered += 1,
                TransitionKind::Journey(Change::Exited) => self.journey_totals.exited += 1,
                TransitionKind::Control => self.journey_totals.control += 1,
                TransitionKind::Goal => self.journey_totals.goal += 1,
                TransitionKind::Delivery { .. } => {}
            }
        }
    }
}

fn connection_info(c: &Value, version: &VersionDoc) -> Option<ConnectionInfo> {
    let id = c.get("id")?.as_str()?.to_string();
    let mode = match c.get("mode")?.as_str()? {
        "event" => ConnectionMode::Event,
        "identify" => ConnectionMode::Identify,
        "list" => ConnectionMode::List,
        _ => return None,
    };
    Some(ConnectionInfo {
        output: c.get("output")?.as_str()?.to_string(),
        mode,
        active: c.get("active").and_then(Value::as_bool) == Some(true),
        active_since: version
            .active_since
            .get(&id)
            .copied()
            .unwrap_or(Millis::MIN),
        traits: c
            .get("traits")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        id,
    })
}

/// The definition as the live engine runs it: every connection active (the runtime decides
/// per delivery), and bare input ids expanded to `workspace/input` ids within what `owner`
/// sees. Also the workspaces whose events count: its inputs' workspaces; with no input
/// selected, the owner's workspace (`None`, every workspace, for the account).
pub fn live_journey(
    definition: &Value,
    owner: &Owner,
    inputs: &[String],
) -> Result<(Journey, Option<BTreeSet<String>>), RuntimeError> {
    let mut journey: Journey = serde_json::from_value(definition.clone())
        .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))?;
    activate_all(&mut journey);
    if journey.inputs.is_empty() {
        let own = owner.workspace().map(|ws| BTreeSet::from([ws.to_string()]));
        return Ok((journey, own));
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
    Ok((journey, Some(workspaces)))
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
