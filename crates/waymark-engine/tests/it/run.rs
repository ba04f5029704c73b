//! Running a scenario on the engine, and what the checks need to know about the journey.

use std::fmt;

use waymark_engine::model::{Branching, Connection, Criteria, Journey, Step, StepKind, Wait};
use waymark_engine::time::Duration;
use waymark_engine::time::{Millis, format_instant};
use waymark_engine::trace::TraceLine;
use waymark_engine::{Engine, Event, Transition};

use crate::generators::{Scenario, T0};
use crate::json;

/// The journey's steps in the engine's order (pre-order, the entry first), from the model.
pub struct Tree {
    pub ids: Vec<String>,
    /// Parent index of each step (`None` for the entry).
    pub parent: Vec<Option<usize>>,
    /// Step kind (`None` for the entry).
    pub kind: Vec<Option<StepKind>>,
    /// Whether each connection of each step is active.
    pub active: Vec<Vec<bool>>,
    /// How each step's children are chosen.
    pub branching: Vec<Branching>,
    /// Children of each step, left to right.
    pub children: Vec<Vec<usize>>,
    /// Weight of each step (0 when it has none).
    pub weight: Vec<u32>,
    /// What each wait step waits for.
    pub wait: Vec<Option<Wait>>,
    /// Each milestone's criteria.
    pub criteria: Vec<Option<Criteria>>,
    /// Each step's timeout (with `wait` branching).
    pub timeout: Vec<Option<Duration>>,
}

impl Tree {
    pub fn of(journey: &Journey) -> Self {
        fn walk(tree: &mut Tree, steps: &[Step], parent: usize) {
            for s in steps {
                let here = tree.push(
                    &s.id,
                    Some(parent),
                    Some(s.kind),
                    &s.connections,
                    s.branching,
                );
                tree.weight[here] = s.weight.unwrap_or(0);
                tree.wait[here] = s.wait.clone();
                tree.criteria[here] = s.criteria.clone();
                tree.timeout[here] = s.timeout;
                tree.children[parent].push(here);
                walk(tree, &s.steps, here);
            }
        }
        let mut tree = Tree {
            ids: Vec::new(),
            parent: Vec::new(),
            kind: Vec::new(),
            active: Vec::new(),
            branching: Vec::new(),
            children: Vec::new(),
            weight: Vec::new(),
            wait: Vec::new(),
            criteria: Vec::new(),
            timeout: Vec::new(),
        };
        let e = &journey.entry;
        tree.push(&e.id, None, None, &e.connections, e.branching);
        tree.timeout[0] = e.timeout;
        walk(&mut tree, &e.steps, 0);
        tree
    }

    fn push(
        &mut self,
        id: &str,
        parent: Option<usize>,
        kind: Option<StepKind>,
        c: &[Connection],
        branching: Branching,
    ) -> usize {
        self.ids.push(id.to_string());
        self.parent.push(parent);
        self.kind.push(kind);
        self.active.push(c.iter().map(|c| c.active).collect());
        self.branching.push(branching);
        self.children.push(Vec::new());
        self.weight.push(0);
        self.wait.push(None);
        self.criteria.push(None);
        self.timeout.push(None);
        self.ids.len() - 1
    }

    /// Whether `step` lies strictly below `ancestor`.
    pub fn is_below(&self, step: usize, ancestor: usize) -> bool {
        let mut at = self.parent[step];
        while let Some(p) = at {
            if p == ancestor {
                return true;
            }
            at = self.parent[p];
        }
        false
    }
}

/// The transitions of one run, with the engine that decided them.
pub struct Run {
    pub engine: Engine,
    pub transitions: Vec<Transition>,
    pub tree: Tree,
}

/// Runs the journey as given (connections active or not, as generated): the events in
/// order up to `until`, then the timers due by `until`, as `simulate` does.
pub fn run_journey(journey: &Journey, events: &[(String, Event)], until: Millis) -> Run {
    let mut engine = Engine::new(std::slice::from_ref(journey)).expect("a single journey compiles");
    let mut transitions = Vec::new();
    for (key, event) in events {
        if event.at > until {
            break;
        }
        engine.apply(key, event, &mut transitions);
    }
    engine.advance_to(until, &mut transitions);
    let tree = Tree::of(journey);
    for (i, id) in tree.ids.iter().enumerate() {
        assert_eq!(
            engine.journey(0).step_id(i as u16),
            id,
            "step order differs from pre-order"
        );
    }
    Run {
        engine,
        transitions,
        tree,
    }
}

pub fn run(s: &Scenario) -> Run {
    run_journey(&s.journey, &s.events, s.until)
}

impl Run {
    /// The trace line of `t` (`None`: a transition statistics count and the trace omits).
    pub fn line(&self, t: &Transition) -> Option<TraceLine> {
        TraceLine::of(&self.engine, t)
    }

    /// A transition as text: its trace line, or its kind when it has none.
    pub fn text(&self, t: &Transition) -> String {
        self.line(t).map_or_else(
            || format!("{:?} user {} entry {}", t.kind, t.user, t.entry),
            |line| serde_json::to_string(&line).unwrap(),
        )
    }

    /// The whole run as trace lines (numbered), for failure messages.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.transitions.iter().enumerate() {
            let line = self.text(t);
            out.push_str(&format!("  #{i:<3} {line}\n"));
        }
        out
    }

    /// A failure at transition `k`.
    pub fn fail(&self, k: usize, message: impl fmt::Display) -> String {
        let line = self
            .transitions
            .get(k)
            .map(|t| self.text(t))
            .unwrap_or_default();
        format!(
            "{message}\n  at #{k}: {line}\ntransitions:\n{}",
            self.render()
        )
    }
}

impl fmt::Debug for Scenario {
    /// The journey as JSON, the events as Segment messages and `--until`: what
    /// `waymark simulate` needs to replay the case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "journey.json:")?;
        writeln!(f, "{}", json::journey(&self.journey))?;
        writeln!(f, "events.ndjson ({} events):", self.events.len())?;
        for (user, e) in &self.events {
            writeln!(f, "{}", json::segment_message(user, e))?;
        }
        writeln!(
            f,
            "--until {} (T0 + {} min)",
            format_instant(self.until),
            (self.until - T0) / 60_000
        )
    }
}
