//! The stored record of a journey: its versions, each with its definition and lifecycle
//! times, and the output keys of its steps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waymark_engine::time::Millis;

use crate::RuntimeError;
use crate::owner::Owner;
use crate::tally::SavedTally;

/// The collection journeys are stored in.
pub const COLLECTION: &str = "journeys";

/// Where a version is in its lifecycle (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Editable; evaluates and sends nothing.
    Draft,
    /// Running.
    Published,
    /// Stopped: its users left.
    Stopped,
}

/// One version of a journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDoc {
    /// 1, 2, …
    pub version: u32,
    /// Lifecycle state.
    pub status: VersionStatus,
    /// The journey JSON (SPEC §6) of this version.
    pub definition: Value,
    /// When it was published.
    #[serde(default)]
    pub published_at: Option<Millis>,
    /// Whether publishing evaluated the stored history.
    #[serde(default)]
    pub historical: bool,
    /// When a newer version was published: no one enters this one from then on.
    #[serde(default)]
    pub closed_at: Option<Millis>,
    /// When it was stopped.
    #[serde(default)]
    pub stopped_at: Option<Millis>,
    /// Per connection id: since when it has been active (deliveries of earlier changes are
    /// not sent when history is replayed).
    #[serde(default)]
    pub active_since: BTreeMap<String, Millis>,
    /// Its statistics as they stood when it was stopped (a stopped version has no engine
    /// to ask, and its figures must outlive the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_stats: Option<Value>,
    /// What it had counted when it was stopped, for the figures `final_stats` does not
    /// hold (entries over time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_tally: Option<SavedTally>,
}

/// A journey with all its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JourneyDoc {
    /// The journey id.
    pub id: String,
    /// Versions, oldest first; the last one is the one edits reach.
    pub versions: Vec<VersionDoc>,
    /// Output keys by step id, made once and kept across versions and renames.
    pub keys: BTreeMap<String, String>,
    /// When it was created.
    pub created_at: Millis,
    /// Who owns it: a workspace's token reaches only its workspace's journeys.
    #[serde(default)]
    pub owner: Owner,
}

impl JourneyDoc {
    /// A journey as read back from the store. A record that does not parse, or that has
    /// no version (every journey gets one when made), is corrupt: it is answered as an
    /// error naming it, never a panic.
    pub fn from_stored(id: &str, value: Value) -> Result<Self, RuntimeError> {
        let corrupt = |why: String| {
            RuntimeError::new(
                500,
                "corrupt_journey",
                format!("the stored journey `{id}` is unreadable: {why}"),
            )
        };
        let doc: JourneyDoc = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        if doc.versions.is_empty() {
            return Err(corrupt("it has no version".into()));
        }
        Ok(doc)
    }

    /// The latest version.
    pub fn latest(&self) -> &VersionDoc {
        // A journey always has at least one version (made on creation).
        &self.versions[self.versions.len() - 1]
    }

    /// The latest version, to change.
    pub fn latest_mut(&mut self) -> &mut VersionDoc {
        let last = self.versions.len() - 1;
        &mut self.versions[last]
    }

    /// The version with this number.
    pub fn version(&self, number: u32) -> Option<&VersionDoc> {
        self.versions.iter().find(|v| v.version == number)
    }

    /// The status the journey shows: published while any version runs; stopped when a
    /// version ran and none runs now, even with a newer draft waiting (the view shows that
    /// draft beside it); a draft only when no version ever ran.
    pub fn status(&self) -> VersionStatus {
        if self
            .versions
            .iter()
            .any(|v| v.status == VersionStatus::Published)
        {
            VersionStatus::Published
        } else if self
            .versions
            .iter()
            .any(|v| v.status == VersionStatus::Stopped)
        {
            VersionStatus::Stopped
        } else {
            VersionStatus::Draft
        }
    }

    /// The draft version waiting to be published, if the latest is one.
    pub fn draft_version(&self) -> Option<u32> {
        let latest = self.latest();
        (latest.status == VersionStatus::Draft).then_some(latest.version)
    }

    /// The published versions.
    pub fn published(&self) -> impl Iterator<Item = &VersionDoc> {
        self.versions
            .iter()
            .filter(|v| v.status == VersionStatus::Published)
    }
}
