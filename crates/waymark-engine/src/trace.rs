//! The NDJSON trace of SPEC §12 and the simulation run that produces it.

use serde::Serialize;

use crate::compile::CompileError;
use crate::engine::Engine;
use crate::event::Event;
use crate::model::{ComputedAttribute, Journey, Step};
use crate::time::{Millis, format_instant};
use crate::transition::{Target, Transition, TransitionKind};

/// One trace line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TraceLine {
    /// RFC 3339 instant.
    pub at: String,
    /// The profile key.
    pub user: String,
    /// `step`, `journey` or `delivery`; `audience` for a standalone audience's changes.
    pub kind: &'static str,
    /// Audience id (audience lines, and deliveries of an audience's connections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Step id (step and delivery lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Connection id (delivery lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// `entered` / `exited` / `control` / `goal` (step and journey lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
    /// `entered` / `exited` (delivery lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
}

impl TraceLine {
    /// The line for a transition decided by `engine`; `None` for the transitions that exist
    /// for statistics only ([`TransitionKind::Converted`]).
    pub fn of(engine: &Engine, t: &Transition) -> Option<Self> {
        let mut line = TraceLine {
            at: format_instant(t.at),
            user: engine.user_key(t.user).to_string(),
            kind: "journey",
            audience: None,
            step: None,
            connection: None,
            change: None,
            action: None,
        };
        let journey = match t.target() {
            Target::Journey(j) => engine.journey(j),
            Target::Audience(a) => {
                let audience = engine.audience(a);
                line.audience = Some(audience.id().to_string());
                match t.kind {
                    TransitionKind::Delivery {
                        connection, action, ..
                    } => {
                        line.kind = "delivery";
                        line.connection = Some(audience.connection_id(connection).to_string());
                        line.action = Some(action.as_str());
                    }
                    TransitionKind::Journey(change) => {
                        line.kind = "audience";
                        line.change = Some(change.as_str());
                    }
                    _ => line.kind = "audience",
                }
                return Some(line);
            }
        };
        match t.kind {
            TransitionKind::Step { step, change } => {
                line.kind = "step";
                line.step = Some(journey.step_id(step).to_string());
                line.change = Some(change.as_str());
            }
            TransitionKind::Journey(change) => line.change = Some(change.as_str()),
            TransitionKind::Control => line.change = Some("control"),
            TransitionKind::Goal => line.change = Some("goal"),
            TransitionKind::Converted { .. } => return None,
            TransitionKind::Delivery {
                step,
                connection,
                action,
            } => {
                line.kind = "delivery";
                line.step = Some(journey.step_id(step).to_string());
                line.connection = Some(journey.connection_id(step, connection).to_string());
                line.action = Some(action.as_str());
            }
        }
        Some(line)
    }
}

/// A dry run (SPEC §12): the journey as published before the first event with every
/// connection active; events applied in time order (ties in the order given); timers due by
/// `until` (default: the last event's time) fire. Events after `until` are not applied.
pub fn simulate(
    journey: &Journey,
    events: Vec<(String, Event)>,
    until: Option<Millis>,
) -> Result<Vec<TraceLine>, CompileError> {
    simulate_with_attributes(journey, &[], events, until)
}

/// [`simulate`] with computed attributes that the journey's `attribute` criteria read.
pub fn simulate_with_attributes(
    journey: &Journey,
    attributes: &[ComputedAttribute],
    mut events: Vec<(String, Event)>,
    until: Option<Millis>,
) -> Result<Vec<TraceLine>, CompileError> {
    let mut journey = journey.clone();
    activate_all(&mut journey);
    let mut engine = Engine::with_definitions(std::slice::from_ref(&journey), &[], attributes)?;
    events.sort_by_key(|(_, e)| e.at);
    let until = until.or(events.last().map(|(_, e)| e.at));
    let mut transitions = Vec::new();
    for (key, event) in &events {
        if until.is_some_and(|u| event.at > u) {
            break;
        }
        engine.apply(key, event, &mut transitions);
    }
    if let Some(u) = until {
        engine.advance_to(u, &mut transitions);
    }
    Ok(transitions
        .iter()
        .filter_map(|t| TraceLine::of(&engine, t))
        .collect())
}

/// Marks every connection of the journey active (simulation, and live runs whose runtime
/// decides per delivery whether a connection is active).
pub fn activate_all(journey: &mut Journey) {
    fn steps(list: &mut [Step]) {
        for s in list {
            s.connections.iter_mut().for_each(|c| c.active = true);
            steps(&mut s.steps);
        }
    }
    journey
        .entry
        .connections
        .iter_mut()
        .for_each(|c| c.active = true);
    steps(&mut journey.entry.steps);
}
