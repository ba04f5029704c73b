//! Turns the JSON model into the form the state machine runs: steps in pre-order with
//! parent, children and subtree ranges; criteria with interned counters and trait slots.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smallvec::SmallVec;

use crate::audience_order::evaluation_order;
use crate::catalog::{Catalog, CounterSpec};
use crate::model::{
    Audience, Branching, ComputedAttribute, Count, Criteria, EntryOn, Journey, MemberTarget, Op,
    QuietFallback, Reentry, Since, Step, StepKind, Until, Wait,
};
use crate::time::{ClockTime, DailyWindow, DaySet, Millis, parse_time_zone};

/// Index of a step in a compiled journey (the entry is 0; steps are in pre-order).
pub(crate) type StepIndex = u16;

/// A criterion ready to evaluate.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Crit {
    All(Vec<Crit>),
    Any(Vec<Crit>),
    Not(Box<Crit>),
    Const(bool),
    Event {
        counter: u32,
        count: Count,
        within: Option<i64>,
        since: Option<Since>,
    },
    Trait {
        slot: u32,
        op: Op,
        #[serde(with = "crate::wire::optional_value")]
        value: Option<Value>,
        held_for: Option<i64>,
    },
    /// A comparison on a value the engine does not hold (an unknown computed attribute):
    /// missing.
    Missing {
        op: Op,
        #[serde(with = "crate::wire::optional_value")]
        value: Option<Value>,
    },
    /// A comparison on a computed attribute.
    Attribute {
        id: u32,
        op: Op,
        #[serde(with = "crate::wire::optional_value")]
        value: Option<Value>,
    },
    MemberOf {
        journey: u16,
        step: Option<StepIndex>,
        is: bool,
    },
    /// Membership of a standalone audience of the same engine.
    InAudience {
        audience: u16,
        is: bool,
    },
    Consent {
        purpose: u32,
        granted: bool,
    },
    Input(SmallVec<[u32; 2]>),
}

/// What a journey's rules read of a user, so that an event that changes none of it can
/// leave the journey's state machine alone (issue 9: only the criteria an event can change
/// are evaluated again).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Reads {
    /// Event counters, sorted.
    pub(crate) counters: SmallVec<[u32; 4]>,
    /// Trait slots (criteria and trait waits), sorted.
    pub(crate) slots: SmallVec<[u32; 4]>,
    /// Computed attributes, sorted.
    pub(crate) attributes: SmallVec<[u32; 2]>,
    pub(crate) consent: bool,
    /// Which inputs the user has sent from (`input` criteria, or the journey's `inputs`).
    pub(crate) inputs: bool,
    /// Another journey's or audience's membership: it may change in the same instant.
    pub(crate) membership: bool,
}

impl Reads {
    fn sort(&mut self) {
        for list in [&mut self.counters, &mut self.slots] {
            list.sort_unstable();
            list.dedup();
        }
        self.attributes.sort_unstable();
        self.attributes.dedup();
    }
}

/// How a wait step's wait ends.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum WaitRule {
    Duration(i64),
    LocalTime { clock: ClockTime, days: DaySet },
    At(Millis),
    Trait { slot: u32, offset: i64 },
}

/// One step of a compiled journey.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StepNode {
    pub(crate) id: String,
    /// `None` for the entry step.
    pub(crate) kind: Option<StepKind>,
    pub(crate) children: Vec<StepIndex>,
    /// One past the last step of this step's subtree (pre-order).
    pub(crate) subtree_end: StepIndex,
    pub(crate) branching: Branching,
    pub(crate) timeout: Option<i64>,
    pub(crate) guard: Option<Crit>,
    pub(crate) wait: Option<WaitRule>,
    pub(crate) weight: u32,
    pub(crate) connections: Vec<CompiledConnection>,
}

impl StepNode {
    pub(crate) fn is(&self, kind: StepKind) -> bool {
        self.kind == Some(kind)
    }
}

/// A connection as the engine needs it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CompiledConnection {
    pub(crate) id: String,
    pub(crate) active: bool,
}

/// The goal rule.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct GoalRule {
    pub(crate) criteria: Crit,
    pub(crate) within: Option<i64>,
    pub(crate) exit_on_goal: bool,
}

/// A journey ready to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompiledJourney {
    pub(crate) id: String,
    pub(crate) steps: Vec<StepNode>,
    pub(crate) entry_criteria: Option<Crit>,
    pub(crate) entry_on: EntryOn,
    pub(crate) live: bool,
    pub(crate) reentry: Reentry,
    pub(crate) start_at: Option<Millis>,
    pub(crate) end_at: Option<Millis>,
    /// Counters of the entry criteria's event conditions (chances to enter with `on: event`).
    pub(crate) entry_counters: SmallVec<[u32; 2]>,
    pub(crate) inputs: Option<Vec<u32>>,
    pub(crate) exit: Option<Crit>,
    pub(crate) timeout: Option<i64>,
    pub(crate) goal: Option<GoalRule>,
    pub(crate) control_percent: f64,
    pub(crate) quiet: Option<(DailyWindow, QuietFallback)>,
    pub(crate) frequency_cap: Option<(u32, i64)>,
    #[serde(with = "crate::wire::zone")]
    pub(crate) zone: TimeZone,
    /// What its rules read.
    pub(crate) reads: Reads,
}

impl CompiledJourney {
    /// The journey's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A step's id by index.
    pub fn step_id(&self, step: u16) -> &str {
        &self.steps[usize::from(step)].id
    }

    /// How many steps the journey has (the entry included).
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// A step's parent by index (`None` for the entry).
    pub fn step_parent(&self, step: u16) -> Option<u16> {
        self.steps
            .iter()
            .position(|s| s.children.contains(&step))
            .map(|i| i as u16)
    }

    /// A connection's id by step and connection index.
    pub fn connection_id(&self, step: u16, connection: u16) -> &str {
        &self.steps[usize::from(step)].connections[usize::from(connection)].id
    }

    /// Whether `step` is `ancestor` or lies below it.
    pub(crate) fn in_subtree(&self, ancestor: StepIndex, step: StepIndex) -> bool {
        ancestor <= step && step < self.steps[usize::from(ancestor)].subtree_end
    }
}

/// A standalone audience ready to run: a user is a member exactly while `criteria` hold
/// (and, with `inputs`, once they have sent an event from one of them).
#[derive(Debug, Serialize, Deserialize)]
pub struct CompiledAudience {
    pub(crate) id: String,
    pub(crate) criteria: Crit,
    pub(crate) inputs: Option<Vec<u32>>,
    pub(crate) connections: Vec<CompiledConnection>,
}

impl CompiledAudience {
    /// The audience's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A connection's id by index.
    pub fn connection_id(&self, connection: u16) -> &str {
        &self.connections[usize::from(connection)].id
    }

    /// How many connections the audience has.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }
}

/// Why a set of journeys and audiences could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Two journeys share an id.
    #[error("two journeys have the id `{0}`")]
    DuplicateJourney(String),
    /// More steps than the engine's step index can hold.
    #[error("journey `{0}` has more than 65535 steps")]
    TooManySteps(String),
    /// Two audiences share an id.
    #[error("two audiences have the id `{0}`")]
    DuplicateAudience(String),
    /// Two computed attributes share a name.
    #[error("two computed attributes are named `{0}`")]
    DuplicateAttribute(String),
    /// More journeys or audiences than one engine can index.
    #[error("one engine holds at most {MAX_TARGETS} journeys and {MAX_TARGETS} audiences")]
    TooManyTargets,
}

/// The most journeys, and the most audiences, one engine holds (a transition's target index
/// keeps one bit to tell them apart).
pub const MAX_TARGETS: usize = 0x7fff;

/// Everything one engine runs, compiled against one catalog.
pub(crate) struct Compiled {
    pub(crate) journeys: Vec<CompiledJourney>,
    pub(crate) audiences: Vec<CompiledAudience>,
    /// Audience indices in evaluation order (an audience after those it reads).
    pub(crate) audience_order: Vec<u16>,
}

/// Compiles journeys and audiences against one catalog that holds the computed attributes
/// their criteria may read; `member_of` may refer to any journey or audience
/// (`{"audience": ID}` names a standalone audience, else a journey with that id).
pub(crate) fn compile_all(
    journeys: &[Journey],
    audiences: &[Audience],
    attributes: &[ComputedAttribute],
    catalog: &mut Catalog,
) -> Result<Compiled, CompileError> {
    for (i, a) in attributes.iter().enumerate() {
        if attributes[..i].iter().any(|o| o.name == a.name) {
            return Err(CompileError::DuplicateAttribute(a.name.clone()));
        }
        catalog.attribute(a);
    }
    if journeys.len() > MAX_TARGETS || audiences.len() > MAX_TARGETS {
        return Err(CompileError::TooManyTargets);
    }
    for (i, j) in journeys.iter().enumerate() {
        if journeys[..i].iter().any(|o| o.id == j.id) {
            return Err(CompileError::DuplicateJourney(j.id.clone()));
        }
    }
    let mut by_id = std::collections::HashMap::new();
    for (i, a) in audiences.iter().enumerate() {
        if by_id.insert(a.id.as_str(), i).is_some() {
            return Err(CompileError::DuplicateAudience(a.id.clone()));
        }
    }
    let compiled_journeys = journeys
        .iter()
        .map(|j| Compiler::new(catalog, journeys, audiences).journey(j))
        .collect::<Result<Vec<_>, _>>()?;
    let compiled_audiences: Vec<CompiledAudience> = audiences
        .iter()
        .map(|a| Compiler::new(catalog, journeys, audiences).audience(a))
        .collect();
    let deps: Vec<Vec<usize>> = audiences
        .iter()
        .map(|a| {
            let mut on = Vec::new();
            a.criteria.visit(&mut |c| {
                if let Criteria::MemberOf(m) = c
                    && let MemberTarget::Audience { audience } = &m.target
                    && let Some(&i) = by_id.get(audience.as_str())
                {
                    on.push(i);
                }
            });
            on
        })
        .collect();
    let (order, _) = evaluation_order(&deps);
    Ok(Compiled {
        journeys: compiled_journeys,
        audiences: compiled_audiences,
        audience_order: order.into_iter().map(|a| a as u16).collect(),
    })
}

/// Compiles one more journey against the catalog of an engine that may already hold
/// users: `all` and `audiences` are what `member_of` may name (the journey among them);
/// its counters count events received from `counting_from` on; no existing counter is
/// made to keep more events.
pub(crate) fn compile_added(
    journey: &Journey,
    all: &[Journey],
    audiences: &[Audience],
    catalog: &mut Catalog,
    counting_from: Option<Millis>,
) -> Result<CompiledJourney, CompileError> {
    let mut compiler = Compiler::new(catalog, all, audiences);
    compiler.counting_from = counting_from;
    compiler.may_raise = false;
    compiler.journey(journey)
}

struct Compiler<'a> {
    catalog: &'a mut Catalog,
    all: &'a [Journey],
    audiences: &'a [Audience],
    inputs: Option<Vec<u32>>,
    /// Counters made count only events received from then on.
    counting_from: Option<Millis>,
    /// Whether an existing counter may be made to keep more events (not once users hold
    /// hits of it).
    may_raise: bool,
    /// What the criteria compiled so far read.
    reads: Reads,
}

impl<'a> Compiler<'a> {
    fn new(catalog: &'a mut Catalog, all: &'a [Journey], audiences: &'a [Audience]) -> Self {
        Self {
            catalog,
            all,
            audiences,
            inputs: None,
            counting_from: None,
            may_raise: true,
            reads: Reads::default(),
        }
    }

    fn set_inputs(&mut self, inputs: &[String]) {
        if !inputs.is_empty() {
            self.inputs = Some(
                inputs
                    .iter()
                    .map(|i| self.catalog.inputs.intern(i))
                    .collect(),
            );
        }
    }

    fn audience(mut self, a: &Audience) -> CompiledAudience {
        self.set_inputs(&a.inputs);
        CompiledAudience {
            id: a.id.clone(),
            criteria: self.crit(&a.criteria, None),
            connections: connections(&a.connections),
            inputs: self.inputs,
        }
    }

    fn journey(mut self, j: &Journey) -> Result<CompiledJourney, CompileError> {
        self.set_inputs(&j.inputs);
        let mut steps = Vec::new();
        let entry = &j.entry;
        steps.push(StepNode {
            id: entry.id.clone(),
            kind: None,
            children: Vec::new(),
            subtree_end: 0,
            branching: entry.branching,
            timeout: entry.timeout.map(|d| d.millis()),
            guard: None,
            wait: None,
            weight: 0,
            connections: connections(&entry.connections),
        });
        let children = self.steps(&entry.steps, &mut steps);
        steps[0].children = children;
        if steps.len() > usize::from(u16::MAX) {
            return Err(CompileError::TooManySteps(j.id.clone()));
        }
        steps[0].subtree_end = steps.len() as StepIndex;

        let entry_criteria = entry.criteria.as_ref().map(|c| self.crit(c, None));
        let mut entry_counters = SmallVec::new();
        if let Some(c) = &entry_criteria {
            collect_counters(c, &mut entry_counters);
        }
        let s = &j.settings;
        let zone = s
            .timezone
            .as_deref()
            .and_then(|name| parse_time_zone(name).ok())
            .unwrap_or(TimeZone::UTC);
        let mut compiled = CompiledJourney {
            id: j.id.clone(),
            steps,
            entry_criteria,
            entry_on: entry.on,
            live: entry.live,
            reentry: entry.reentry,
            start_at: entry.start_at,
            end_at: entry.end_at,
            entry_counters,
            exit: s.exit.as_ref().map(|c| self.crit(c, Some(Since::Entry))),
            timeout: s.timeout.map(|d| d.millis()),
            goal: s.goal.as_ref().map(|g| GoalRule {
                criteria: self.crit(&g.criteria, Some(Since::Entry)),
                within: g.within.map(|d| d.millis()),
                exit_on_goal: g.exit_on_goal,
            }),
            control_percent: s.control_group.map_or(0.0, |c| c.percent),
            quiet: s.quiet_hours.map(|q| {
                (
                    DailyWindow {
                        start: q.start,
                        end: q.end,
                    },
                    q.fallback,
                )
            }),
            frequency_cap: s.frequency_cap.map(|f| (f.max, f.per.millis())),
            zone,
            inputs: self.inputs,
            reads: Reads::default(),
        };
        self.reads.inputs |= compiled.inputs.is_some();
        self.reads.sort();
        compiled.reads = self.reads;
        Ok(compiled)
    }

    /// Appends `list` and its descendants in pre-order; returns the indices of `list`.
    fn steps(&mut self, list: &[Step], out: &mut Vec<StepNode>) -> Vec<StepIndex> {
        let mut indices = Vec::with_capacity(list.len());
        for step in list {
            let index = out.len();
            indices.push(index as StepIndex);
            let node = StepNode {
                id: step.id.clone(),
                kind: Some(step.kind),
                children: Vec::new(),
                subtree_end: 0,
                branching: step.branching,
                timeout: step.timeout.map(|d| d.millis()),
                guard: step.criteria.as_ref().map(|c| self.crit(c, None)),
                wait: step.wait.as_ref().map(|w| self.wait(w)),
                weight: step.weight.unwrap_or(0),
                connections: connections(&step.connections),
            };
            out.push(node);
            let children = self.steps(&step.steps, out);
            out[index].children = children;
            out[index].subtree_end = out.len().min(usize::from(u16::MAX)) as StepIndex;
        }
        indices
    }

    fn wait(&mut self, wait: &Wait) -> WaitRule {
        match wait {
            Wait::Duration(d) => WaitRule::Duration(d.millis()),
            Wait::Until(Until::LocalTime { time, days }) => WaitRule::LocalTime {
                clock: *time,
                days: DaySet::of(days),
            },
            Wait::Until(Until::At { at }) => WaitRule::At(*at),
            Wait::Until(Until::Trait { path, offset }) => {
                let slot = self.catalog.trait_slot(path);
                self.reads.slots.push(slot);
                WaitRule::Trait {
                    slot,
                    offset: offset.map_or(0, |d| d.millis()),
                }
            }
        }
    }

    /// Compiles criteria; `default_since` applies to event conditions without `since`.
    fn crit(&mut self, c: &Criteria, default_since: Option<Since>) -> Crit {
        let crit = self.compile_crit(c, default_since);
        let reads = &mut self.reads;
        match &crit {
            Crit::Event { counter, .. } => reads.counters.push(*counter),
            Crit::Trait { slot, .. } => reads.slots.push(*slot),
            Crit::Attribute { id, .. } => reads.attributes.push(*id),
            Crit::MemberOf { .. } | Crit::InAudience { .. } => reads.membership = true,
            Crit::Consent { .. } => reads.consent = true,
            Crit::Input(_) => reads.inputs = true,
            Crit::All(_) | Crit::Any(_) | Crit::Not(_) | Crit::Const(_) | Crit::Missing { .. } => {}
        }
        crit
    }

    fn compile_crit(&mut self, c: &Criteria, default_since: Option<Since>) -> Crit {
        match c {
            Criteria::All(parts) => {
                Crit::All(parts.iter().map(|p| self.crit(p, default_since)).collect())
            }
            Criteria::Any(parts) => {
                Crit::Any(parts.iter().map(|p| self.crit(p, default_since)).collect())
            }
            Criteria::Not(inner) => Crit::Not(Box::new(self.crit(inner, default_since))),
            Criteria::Everyone => Crit::Const(true),
            Criteria::Event(e) => {
                let spec = CounterSpec {
                    name: self.catalog.event_names.intern(&e.event),
                    filters: e.filters.clone(),
                    between: e.between.map(|b| (b.from, b.to)),
                    inputs: self.inputs.clone(),
                    capacity: e.count.events_needed(),
                    counting_from: self.counting_from,
                };
                Crit::Event {
                    counter: self.catalog.counter_with(spec, self.may_raise),
                    count: e.count,
                    within: e.within.map(|d| d.millis()),
                    since: e.since.or(default_since),
                }
            }
            Criteria::Trait(t) => Crit::Trait {
                slot: self.catalog.trait_slot(&t.path),
                op: t.op,
                value: t.value.clone(),
                held_for: t.held_for.map(|d| d.millis()),
            },
            Criteria::Attribute(a) => match self.catalog.attribute_id(&a.attribute) {
                Some(id) => Crit::Attribute {
                    id,
                    op: a.op,
                    value: a.value.clone(),
                },
                None => Crit::Missing {
                    op: a.op,
                    value: a.value.clone(),
                },
            },
            Criteria::MemberOf(m) => self.member_of(&m.target, m.is),
            Criteria::Consent(c) => Crit::Consent {
                purpose: self.catalog.purposes.intern(&c.consent),
                granted: c.granted,
            },
            Criteria::Input(ids) => {
                Crit::Input(ids.iter().map(|i| self.catalog.inputs.intern(i)).collect())
            }
        }
    }

    fn member_of(&mut self, target: &MemberTarget, is: bool) -> Crit {
        let (journey_id, step_id) = match target {
            MemberTarget::Step { journey, step } => (journey.as_str(), Some(step.as_str())),
            MemberTarget::Audience { audience } => {
                if let Some(a) = self.audiences.iter().position(|a| a.id == *audience) {
                    return Crit::InAudience {
                        audience: a as u16,
                        is,
                    };
                }
                // No standalone audience has the id: a journey's audience as a whole.
                (audience.as_str(), None)
            }
        };
        // The latest version when an engine holds several versions of one journey.
        let Some(j) = self.all.iter().rposition(|j| j.id == journey_id) else {
            return Crit::Const(!is);
        };
        let step = match step_id {
            None => None,
            Some(id) => match step_index(&self.all[j], id) {
                Some(index) => Some(index),
                None => return Crit::Const(!is),
            },
        };
        Crit::MemberOf {
            journey: j as u16,
            step,
            is,
        }
    }
}

/// The pre-order index of a step id in a journey.
fn step_index(journey: &Journey, id: &str) -> Option<StepIndex> {
    fn walk(steps: &[Step], id: &str, next: &mut StepIndex) -> Option<StepIndex> {
        for s in steps {
            let here = *next;
            *next += 1;
            if s.id == id {
                return Some(here);
            }
            if let Some(found) = walk(&s.steps, id, next) {
                return Some(found);
            }
        }
        None
    }
    if journey.entry.id == id {
        return Some(0);
    }
    walk(&journey.entry.steps, id, &mut 1)
}

fn connections(list: &[crate::model::Connection]) -> Vec<CompiledConnection> {
    list.iter()
        .map(|c| CompiledConnection {
            id: c.id.clone(),
            active: c.active,
        })
        .collect()
}

fn collect_counters(c: &Crit, out: &mut SmallVec<[u32; 2]>) {
    match c {
        Crit::All(parts) | Crit::Any(parts) => parts.iter().for_each(|p| collect_counters(p, out)),
        Crit::Not(inner) => collect_counters(inner, out),
        Crit::Event { counter, .. } if !out.contains(counter) => out.push(*counter),
        _ => {}
    }
}
