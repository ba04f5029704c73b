//! Entries over time (SPEC §11): a version's entries per UTC hour or day, with control
//! apart, as a dense series from the first bucket with an entry to the last (a chart draws
//! the empty buckets between as zeros, not as a line across them).

use std::collections::BTreeMap;

use serde::Serialize;
use waymark_engine::time::{Millis, format_instant};

use crate::RuntimeError;
use crate::tally::{HOUR_MS, HourEntries};

/// The most buckets one series holds: a year and more of hours, or decades of days.
pub const MAX_BUCKETS: usize = 10_000;

/// How entries are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// Per UTC hour.
    Hour,
    /// Per UTC day.
    Day,
}

impl Bucket {
    /// `hour` or `day`.
    pub fn parse(s: &str) -> Result<Self, RuntimeError> {
        match s {
            "hour" => Ok(Self::Hour),
            "day" => Ok(Self::Day),
            other => Err(RuntimeError::invalid(
                "invalid_bucket",
                format!("`bucket` is `hour` or `day`, not `{other}`"),
            )),
        }
    }

    fn millis(self) -> Millis {
        match self {
            Self::Hour => HOUR_MS,
            Self::Day => 24 * HOUR_MS,
        }
    }
}

/// Entries in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EntryPoint {
    /// The bucket's start (RFC 3339, UTC).
    pub at: String,
    /// Entries outside control.
    pub entered: u64,
    /// Entries held out as control.
    pub control: u64,
}

/// `GET /api/journeys/{id}/entries`: entries over time per version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entries {
    /// The journey id.
    pub id: String,
    /// How entries are grouped.
    pub bucket: Bucket,
    /// Per version with figures, oldest first.
    pub versions: Vec<VersionEntries>,
}

/// One version's entries over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VersionEntries {
    /// The version number.
    pub version: u32,
    /// Buckets from the first with an entry to the last.
    pub series: Vec<EntryPoint>,
}

/// The dense series of `hours` grouped by `bucket`.
pub fn series(
    hours: &BTreeMap<Millis, HourEntries>,
    bucket: Bucket,
) -> Result<Vec<EntryPoint>, RuntimeError> {
    let size = bucket.millis();
    let mut grouped: BTreeMap<Millis, HourEntries> = BTreeMap::new();
    for (hour, e) in hours {
        let sum = grouped.entry(hour.div_euclid(size) * size).or_default();
        sum.entered += e.entered;
        sum.control += e.control;
    }
    let (Some(&first), Some(&last)) = (grouped.keys().next(), grouped.keys().next_back()) else {
        return Ok(Vec::new());
    };
    let count = (last - first) / size + 1;
    if count > MAX_BUCKETS as Millis {
        return Err(RuntimeError::invalid(
            "too_many_buckets",
            format!(
                "entries span {count} buckets, more than {MAX_BUCKETS}: ask for a larger `bucket`"
            ),
        ));
    }
    Ok((0..count)
        .map(|i| {
            let at = first + i * size;
            let e = grouped.get(&at).copied().unwrap_or_default();
            EntryPoint {
                at: format_instant(at),
                entered: e.entered - e.control,
                control: e.control,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(list: &[(Millis, u64, u64)]) -> BTreeMap<Millis, HourEntries> {
        list.iter()
            .map(|&(h, entered, control)| (h * HOUR_MS, HourEntries { entered, control }))
            .collect()
    }

    #[test]
    fn hours_are_dense_between_the_first_and_the_last() {
        let s = series(&hours(&[(1, 3, 1), (4, 2, 0)]), Bucket::Hour).unwrap();
        let counts: Vec<(u64, u64)> = s.iter().map(|p| (p.entered, p.control)).collect();
        assert_eq!(counts, [(2, 1), (0, 0), (0, 0), (2, 0)]);
        assert_eq!(s[0].at, "1970-01-01T01:00:00Z");
    }

    #[test]
    fn days_add_up_their_hours() {
        let s = series(&hours(&[(1, 3, 1), (23, 1, 0), (24, 5, 5)]), Bucket::Day).unwrap();
        let counts: Vec<(u64, u64)> = s.iter().map(|p| (p.entered, p.control)).collect();
        assert_eq!(counts, [(3, 1), (0, 5)]);
        assert_eq!(s[1].at, "1970-01-02T00:00:00Z");
    }

    #[test]
    fn a_series_too_long_is_refused_and_an_empty_one_is_empty() {
        let long = hours(&[(0, 1, 0), (MAX_BUCKETS as Millis, 1, 0)]);
        assert_eq!(
            series(&long, Bucket::Hour).unwrap_err().code,
            "too_many_buckets"
        );
        assert_eq!(series(&long, Bucket::Day).unwrap().len(), 417);
        assert!(series(&BTreeMap::new(), Bucket::Day).unwrap().is_empty());
    }
}
