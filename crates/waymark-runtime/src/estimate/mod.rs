//! The audience estimator (SPEC §10): sizes of criteria and of journey steps before they
//! run, from a uniform sample of each workspace's profiles scaled to its population. See
//! `docs/estimator.md` for the method and its rules.

pub(crate) mod checks;
pub(crate) mod evaluate;
mod figure;
pub(crate) mod paths;
#[cfg(test)]
mod proptests;
pub(crate) mod sample;

use serde::{Deserialize, Serialize};
use waymark_engine::model::Criteria;

pub use figure::{Estimate, EstimateError, MIN_MEMBERS, wilson};

/// `POST /api/estimate`'s body: criteria to count in one workspace.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// The workspace whose profiles are counted.
    pub workspace: String,
    /// Inputs (bare ids of the workspace, or `workspace/input`) whose events count; all
    /// when absent or empty.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The criteria.
    pub criteria: Criteria,
}

/// `GET /api/journeys/{id}/estimate`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct JourneyEstimate {
    /// The journey.
    pub id: String,
    /// The version estimated (the latest).
    pub version: u32,
    /// Profiles in the workspaces the journey counts.
    pub population: u64,
    /// Of them, profiles in the sample.
    pub sample: u64,
    /// Every step, entry first, depth first.
    pub steps: Vec<StepEstimate>,
    /// Every milestone with criteria: one estimate per top-level criterion.
    pub milestones: Vec<MilestoneEstimate>,
}

/// One step's audience size.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepEstimate {
    /// The step id.
    pub step: String,
    /// Its estimate, or its real count while a running version has the step.
    pub size: Estimate,
}

/// A milestone's per-criterion estimates.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MilestoneEstimate {
    /// The step id.
    pub step: String,
    /// One estimate per top-level criterion (the parts of a top-level `all`, else the
    /// criteria), in order, each conjoined with the milestone's path.
    pub criteria: Vec<Estimate>,
}

/// `GET /api/journeys/{id}/preview`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Preview {
    /// The journey.
    pub id: String,
    /// Sampled users who meet the entry criteria now (at most 20).
    pub users: Vec<PreviewUser>,
}

/// A sampled user, by identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PreviewUser {
    /// The workspace of the profile.
    pub workspace: String,
    /// The profile key (userId, else anonymousId).
    pub key: String,
    /// Its `userId`.
    pub user_id: Option<String>,
    /// Its first `anonymousId`.
    pub anonymous_id: Option<String>,
}

/// The estimate of a sum over workspaces: figures add (bounds too, which is
/// conservative); an error wins over `~`, `~` over a figure; real counts add.
pub fn combine(sum: Option<Estimate>, next: Estimate) -> Estimate {
    use Estimate::*;
    match (sum, next) {
        (None, e) => e,
        (Some(e @ Error { .. }), _) | (_, e @ Error { .. }) => e,
        (Some(e @ Approximate { .. }), _) | (_, e @ Approximate { .. }) => e,
        (
            Some(Figure {
                estimate,
                low,
                high,
            }),
            Figure {
                estimate: e2,
                low: l2,
                high: h2,
            },
        ) => Figure {
            estimate: estimate + e2,
            low: low + l2,
            high: high + h2,
        },
        (Some(Count { count }), Count { count: c2 }) => Count { count: count + c2 },
        (Some(_), e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_over_workspaces_keep_the_worst_state() {
        let fig = |e| Estimate::Figure {
            estimate: e,
            low: e - 1,
            high: e + 1,
        };
        assert_eq!(
            combine(Some(fig(5)), fig(7)),
            Estimate::Figure {
                estimate: 12,
                low: 10,
                high: 14
            }
        );
        let approx = Estimate::Approximate { approximate: true };
        assert_eq!(combine(Some(fig(5)), approx.clone()), approx);
        let err = Estimate::error("silent_input", "x");
        assert_eq!(combine(Some(approx), err.clone()), err);
    }
}
