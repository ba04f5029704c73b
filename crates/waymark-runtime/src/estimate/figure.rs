//! One estimate as the API shows it (SPEC §10), and how a count in the sample becomes one:
//! scaled to the population with a Wilson score interval at 95 %.

use serde::Serialize;

pub use crate::stats::interval::wilson;

/// Fewest sample members for a figure: below it, and above none, the answer is `~`
/// (the audience is small relative to the sample, not empty). Ten members keep the
/// interval's width under the estimate's own size, a figure worth showing.
pub const MIN_MEMBERS: u64 = 10;

/// One estimate: a figure with bounds, `~`, a reason it cannot be estimated, or (for a
/// running step) the real count. One shape everywhere: a client tells them apart by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Estimate {
    /// The estimate and its 95 % interval, all in profiles of the whole population.
    Figure {
        /// The estimated number of profiles.
        estimate: u64,
        /// The interval's lower bound.
        low: u64,
        /// The interval's upper bound.
        high: u64,
    },
    /// `~`: too few sample members for a meaningful figure.
    Approximate {
        /// Always `true`.
        approximate: bool,
    },
    /// Why this cannot be estimated.
    Error {
        /// The reason.
        error: EstimateError,
    },
    /// A running step's real audience size, which replaces the estimate.
    Count {
        /// Users in the step's audience now.
        count: u64,
    },
}

/// Why an estimate cannot be made: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EstimateError {
    /// `unknown_input`, `silent_input`, `unknown_attribute`, `unsupported_criteria`,
    /// `invalid_criteria`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

impl Estimate {
    /// An error estimate.
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Estimate::Error {
            error: EstimateError {
                code: code.to_string(),
                message: message.into(),
            },
        }
    }

    /// The estimate for `members` of a uniform sample of `sampled` profiles out of a
    /// population of `population`. A sample that holds the whole population gives the
    /// exact count. Otherwise `~` when `0 < members < MIN_MEMBERS`; else the share scaled
    /// to the population, with the Wilson score interval of the share (95 %), each bound
    /// kept within what the sample proves (at least the members seen, at most the
    /// population less the non-members seen).
    pub fn scaled(members: u64, sampled: u64, population: u64) -> Self {
        let population = population.max(sampled);
        if sampled == population {
            return Estimate::Figure {
                estimate: members,
                low: members,
                high: members,
            };
        }
        if members > 0 && members < MIN_MEMBERS {
            return Estimate::Approximate { approximate: true };
        }
        let (low, high) = wilson(members, sampled);
        let n = population as f64;
        let p = members as f64 / sampled as f64;
        let most = population - (sampled - members);
        Estimate::Figure {
            estimate: ((p * n).round() as u64).clamp(members, most),
            low: ((low * n).floor() as u64).clamp(members, most),
            high: ((high * n).ceil() as u64).clamp(members, most),
        }
    }

    /// The estimate of a share (`0..=1`) of this one (a random split's branch, the users
    /// not held out as control): figures scale, the rest stays.
    pub fn share(self, share: f64) -> Self {
        let f = |v: u64| (v as f64 * share).round() as u64;
        match self {
            Estimate::Figure {
                estimate,
                low,
                high,
            } => Estimate::Figure {
                estimate: f(estimate),
                low: f(low),
                high: f(high),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_population_sample_is_exact() {
        assert_eq!(
            Estimate::scaled(3, 50, 50),
            Estimate::Figure {
                estimate: 3,
                low: 3,
                high: 3
            }
        );
    }

    #[test]
    fn few_members_are_approximate_and_none_is_a_figure() {
        assert_eq!(
            Estimate::scaled(9, 1000, 100_000),
            Estimate::Approximate { approximate: true }
        );
        let Estimate::Figure { estimate, low, .. } = Estimate::scaled(0, 1000, 100_000) else {
            panic!("no figure")
        };
        assert_eq!((estimate, low), (0, 0));
    }

    #[test]
    fn figures_scale_to_the_population_within_what_the_sample_proves() {
        let Estimate::Figure {
            estimate,
            low,
            high,
        } = Estimate::scaled(300, 1000, 10_000)
        else {
            panic!("no figure")
        };
        assert_eq!(estimate, 3000);
        assert!(low < 3000 && high > 3000 && low >= 300 && high <= 9300);
    }

    #[test]
    fn the_json_shapes_are_the_documented_ones() {
        let json = |e: &Estimate| serde_json::to_value(e).unwrap();
        assert_eq!(
            json(&Estimate::scaled(2, 2, 2)),
            serde_json::json!({"estimate": 2, "low": 2, "high": 2})
        );
        assert_eq!(
            json(&Estimate::Approximate { approximate: true }),
            serde_json::json!({"approximate": true})
        );
        assert_eq!(
            json(&Estimate::error("unknown_input", "x")),
            serde_json::json!({"error": {"code": "unknown_input", "message": "x"}})
        );
        assert_eq!(
            json(&Estimate::Count { count: 4 }),
            serde_json::json!({"count": 4})
        );
    }
}
