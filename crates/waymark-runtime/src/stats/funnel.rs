//! A funnel along a path of a journey's tree (SPEC §11): entries into each step of the path
//! and the conversion from the step before and from the first. Each step must lie below
//! the one before it (not necessarily a child: a funnel may skip steps), so the path is
//! one a user can walk and every figure is a share of the figure before.

use serde::Serialize;

use super::version::{VersionStats, share};
use crate::RuntimeError;

/// `GET /api/journeys/{id}/funnel`: entries along a path of one version.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Funnel {
    /// The journey id.
    pub id: String,
    /// The version the figures are of.
    pub version: u32,
    /// The path's steps, in order.
    pub steps: Vec<FunnelStep>,
}

/// One step of a funnel.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FunnelStep {
    /// Step id.
    pub step: String,
    /// Step name.
    pub name: Option<String>,
    /// Entries into the step's audience.
    pub entered: u64,
    /// Entries here over entries into the previous step of the path (none for the first,
    /// or when that one has none).
    pub conversion_from_previous: Option<f64>,
    /// Entries here over entries into the first step of the path.
    pub conversion_from_first: Option<f64>,
}

/// The funnel along `path` (step ids) in `stats`; `name` gives a step's name.
pub fn funnel(
    stats: &VersionStats,
    path: &[String],
    name: impl Fn(&str) -> Option<String>,
) -> Result<Vec<FunnelStep>, RuntimeError> {
    if path.is_empty() {
        return Err(RuntimeError::invalid(
            "invalid_funnel_path",
            "`path` names no step: give step ids separated by commas",
        ));
    }
    let find = |id: &str| {
        stats
            .steps
            .iter()
            .find(|s| s.step == id)
            .ok_or_else(|| RuntimeError::not_found("step", id))
    };
    let mut out: Vec<FunnelStep> = Vec::with_capacity(path.len());
    for id in path {
        let step = find(id)?;
        if let Some(previous) = out.last()
            && !is_below(stats, &step.step, &previous.step)
        {
            return Err(RuntimeError::invalid(
                "invalid_funnel_path",
                format!(
                    "step `{}` is not below `{}`: each step of a funnel must lie below the one before it",
                    step.step, previous.step
                ),
            ));
        }
        let first = out.first().map_or(step.entered, |f| f.entered);
        out.push(FunnelStep {
            step: step.step.clone(),
            name: name(&step.step),
            entered: step.entered,
            conversion_from_previous: out.last().and_then(|p| share(step.entered, p.entered)),
            conversion_from_first: (!out.is_empty())
                .then(|| share(step.entered, first))
                .flatten(),
        });
    }
    Ok(out)
}

/// Whether `step` lies strictly below `ancestor`.
fn is_below(stats: &VersionStats, step: &str, ancestor: &str) -> bool {
    let parent = |id: &str| {
        stats
            .steps
            .iter()
            .find(|s| s.step == id)
            .and_then(|s| s.parent.clone())
    };
    let mut at = parent(step);
    // Bounded by the number of steps, in case a stored parent chain were circular.
    for _ in 0..stats.steps.len() {
        match at {
            Some(p) if p == ancestor => return true,
            Some(p) => at = parent(&p),
            None => return false,
        }
    }
    false
}
