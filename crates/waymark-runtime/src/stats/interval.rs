//! Confidence intervals of shares and of their differences, at 95 %: Wilson's score
//! interval for one share (estimates, conversion rates) and Newcombe's hybrid score
//! interval (his method 10, built from two Wilson intervals) for the difference of two
//! independent shares (uplift against control). Both keep their bounds inside the possible
//! range and behave at 0 and at small counts, where the normal approximation does not.

use serde::{Deserialize, Serialize};

/// The z value of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval at 95 % of a share of `k` successes in `n` trials; `(0, 1)`
/// when there are no trials.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// A share with its Wilson interval at 95 %.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rate {
    /// Successes over trials.
    pub rate: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Rate {
    /// `k` of `n`; none without trials.
    pub fn of(k: u64, n: u64) -> Option<Self> {
        (n > 0).then(|| {
            let (low, high) = wilson(k, n);
            Self {
                rate: k as f64 / n as f64,
                low,
                high,
            }
        })
    }
}

/// How much a share differs from a baseline: the difference with Newcombe's hybrid score
/// interval at 95 %, and the ratio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Uplift {
    /// Share minus baseline share.
    pub difference: f64,
    /// Lower bound of the difference.
    pub low: f64,
    /// Upper bound of the difference.
    pub high: f64,
    /// Share over baseline share; none when the baseline is 0.
    pub ratio: Option<f64>,
}

impl Uplift {
    /// `k1` of `n1` against the baseline `k2` of `n2`; none when either has no trials.
    pub fn of(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<Self> {
        if n1 == 0 || n2 == 0 {
            return None;
        }
        let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
        let (l1, u1) = wilson(k1, n1);
        let (l2, u2) = wilson(k2, n2);
        let difference = p1 - p2;
        Some(Self {
            difference,
            low: difference - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
            high: difference + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
            ratio: (p2 > 0.0).then(|| p1 / p2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn wilson_matches_a_value_computed_independently() {
        // statsmodels `proportion_confint(30, 100, method="wilson")`.
        let (low, high) = wilson(30, 100);
        close(low, 0.218_948_852_949_327_56);
        close(high, 0.395_848_546_333_466_67);
    }

    #[test]
    fn newcombe_matches_values_computed_independently() {
        // statsmodels `confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")`.
        let u = Uplift::of(30, 100, 20, 100).unwrap();
        close(u.difference, 0.1);
        close(u.low, -0.020_249_362_153_013_428);
        close(u.high, 0.216_734_354_017_785_93);
        close(u.ratio.unwrap(), 1.5);
        // A baseline of zero conversions: the interval stays defined, the ratio does not.
        let u = Uplift::of(7, 50, 0, 40).unwrap();
        close(u.low, 0.027_542_808_439_195_668);
        close(u.high, 0.261_861_937_105_855_37);
        assert_eq!(u.ratio, None);
    }

    #[test]
    fn no_trials_give_no_figure() {
        assert_eq!(Rate::of(0, 0), None);
        assert_eq!(Uplift::of(1, 2, 0, 0), None);
        assert_eq!(Rate::of(0, 4).map(|r| r.low), Some(0.0));
    }
}
