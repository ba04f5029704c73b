//! The stored record of a journey: its versions, each with its definition and lifecycle
//! times, and the output keys of its steps.
//!
//! A draft's definition is JSON: it is what the user is still editing, and only publishing
//! asks that the engine can run it. A published version's definition is the engine's typed
//! [`Journey`], parsed once, when the version is published or read back from the store, so
//! that the runtime asks its questions of the model the engine runs and never parses it
//! again. The JSON as written is kept beside it: the API shows it (and a new draft starts
//! from it) exactly as the user wrote it, since the typed model written back out would
//! spell every default and absent field. Both are stored in the one format every build
//! wrote: `"definition"` holds the journey JSON, and `"status"` says which it is.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waymark_engine::model::Journey;
use waymark_engine::time::Millis;

use crate::RuntimeError;
use crate::owner::Owner;
use crate::stats::VersionStats;
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

/// A version's journey definition (SPEC §6).
#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    /// A draft's JSON: validated when written, but only publishing asks that it runs.
    Draft(Value),
    /// A published version's, running or stopped since.
    Published(Box<Published>),
}

/// A published definition: the typed journey and the JSON it was read from (only a
/// constructor here pairs them, so the one is always the other read).
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    journey: Journey,
    source: Value,
}

impl Published {
    /// A definition read from its JSON, to publish; a definition the engine's model does
    /// not read is refused with the model's reason.
    pub fn read(source: Value) -> Result<Self, serde_json::Error> {
        let journey = serde_json::from_value(source.clone())?;
        Ok(Self { journey, source })
    }

    /// [`Published::read`], refusing a definition the model does not read as an invalid
    /// journey (422).
    pub fn check(source: Value) -> Result<Self, RuntimeError> {
        Self::read(source).map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))
    }

    /// The typed journey of a version the runtime builds (an audience's), whose JSON is the
    /// model written out.
    pub fn built(journey: Journey) -> Result<Self, serde_json::Error> {
        let source = serde_json::to_value(&journey)?;
        Ok(Self { journey, source })
    }

    /// The journey as the engine's model.
    pub fn journey(&self) -> &Journey {
        &self.journey
    }
}

impl Definition {
    /// The journey JSON: a draft's, or the one a published version was read from.
    pub fn json(&self) -> &Value {
        match self {
            Self::Draft(json) => json,
            Self::Published(p) => &p.source,
        }
    }

    /// The published journey; none for a draft.
    pub fn journey(&self) -> Option<&Journey> {
        match self {
            Self::Draft(_) => None,
            Self::Published(p) => Some(&p.journey),
        }
    }

    /// The journey as the engine's model, whichever the version is: a published one's as
    /// held, a draft's read now. A draft the model does not read is refused as an invalid
    /// journey with the model's reason (the draft's view and validation say more).
    pub fn model(&self) -> Result<Cow<'_, Journey>, RuntimeError> {
        match self {
            Self::Draft(json) => Ok(Cow::Owned(Published::check(json.clone())?.journey)),
            Self::Published(p) => Ok(Cow::Borrowed(&p.journey)),
        }
    }

    /// The journey's display name (a draft may lack one).
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Draft(json) => json.get("name").and_then(Value::as_str),
            Self::Published(p) => Some(&p.journey.name),
        }
    }
}

/// One version of a journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredVersion", into = "StoredVersion")]
pub struct VersionDoc {
    /// 1, 2, …
    pub version: u32,
    /// Lifecycle state.
    pub status: VersionStatus,
    /// The definition: JSON while a draft, typed once published.
    pub definition: Definition,
    /// When it was published.
    pub published_at: Option<Millis>,
    /// Whether publishing evaluated the stored history.
    pub historical: bool,
    /// When a newer version was published: no one enters this one from then on.
    pub closed_at: Option<Millis>,
    /// When it was stopped.
    pub stopped_at: Option<Millis>,
    /// Per connection id: since when it has been active (deliveries of earlier changes are
    /// not sent when history is replayed).
    pub active_since: BTreeMap<String, Millis>,
    /// Its statistics as they stood when it was stopped (a stopped version has no engine
    /// to ask, and its figures must outlive the run).
    pub final_stats: Option<VersionStats>,
    /// What it had counted when it was stopped, for the figures `final_stats` does not
    /// hold (entries over time).
    pub final_tally: Option<SavedTally>,
}

impl VersionDoc {
    /// A new draft version.
    pub fn draft(version: u32, definition: Value) -> Self {
        Self {
            version,
            status: VersionStatus::Draft,
            definition: Definition::Draft(definition),
            published_at: None,
            historical: false,
            closed_at: None,
            stopped_at: None,
            active_since: BTreeMap::new(),
            final_stats: None,
            final_tally: None,
        }
    }

    /// Publishes this version at `now` with `definition`, its draft's definition as read
    /// (and checked) to publish it: from now on it holds the typed journey.
    pub fn publish(&mut self, definition: Published, now: Millis, historical: bool) {
        self.definition = Definition::Published(Box::new(definition));
        self.status = VersionStatus::Published;
        self.published_at = Some(now);
        self.historical = historical;
    }

    /// The published journey of a version the runtime runs; an error naming the version
    /// when it is a draft (a draft never runs).
    pub fn running_journey(&self) -> Result<&Journey, RuntimeError> {
        self.definition.journey().ok_or_else(|| {
            RuntimeError::new(
                500,
                "not_published",
                format!("version {} is a draft, which does not run", self.version),
            )
        })
    }
}

/// A version as the store holds it: the journey JSON under `definition`, read as a draft's
/// or a published version's by `status`. Every build has written this shape; the fields
/// later builds added read as their defaults from records written before them.
#[derive(Serialize, Deserialize)]
struct StoredVersion {
    version: u32,
    status: VersionStatus,
    definition: Value,
    #[serde(default)]
    published_at: Option<Millis>,
    #[serde(default)]
    historical: bool,
    #[serde(default)]
    closed_at: Option<Millis>,
    #[serde(default)]
    stopped_at: Option<Millis>,
    #[serde(default)]
    active_since: BTreeMap<String, Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    final_stats: Option<VersionStats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    final_tally: Option<SavedTally>,
}

impl TryFrom<StoredVersion> for VersionDoc {
    type Error = String;

    fn try_from(v: StoredVersion) -> Result<Self, Self::Error> {
        let definition = match v.status {
            VersionStatus::Draft => Definition::Draft(v.definition),
            VersionStatus::Published | VersionStatus::Stopped => {
                let published = Published::read(v.definition)
                    .map_err(|e| format!("version {}: {e}", v.version))?;
                Definition::Published(Box::new(published))
            }
        };
        Ok(Self {
            version: v.version,
            status: v.status,
            definition,
            published_at: v.published_at,
            historical: v.historical,
            closed_at: v.closed_at,
            stopped_at: v.stopped_at,
            active_since: v.active_since,
            final_stats: v.final_stats,
            final_tally: v.final_tally,
        })
    }
}

impl From<VersionDoc> for StoredVersion {
    fn from(v: VersionDoc) -> Self {
        let definition = match v.definition {
            Definition::Draft(json) => json,
            Definition::Published(p) => p.source,
        };
        Self {
            version: v.version,
            status: v.status,
            definition,
            published_at: v.published_at,
            historical: v.historical,
            closed_at: v.closed_at,
            stopped_at: v.stopped_at,
            active_since: v.active_since,
            final_stats: v.final_stats,
            final_tally: v.final_tally,
        }
    }
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

    /// The journey of the newest published version, the one new users enter.
    pub fn running(&self) -> Option<&Journey> {
        self.published().last()?.definition.journey()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Every journey the shared scenarios and the examples hold: valid definitions that
    /// use most of the model.
    fn definitions() -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["../shared/scenarios", "tests/scenarios"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(entry.unwrap().path().join("journey.json"));
            }
        }
        for entry in std::fs::read_dir(root.join("examples/demo/journeys")).unwrap() {
            files.push(entry.unwrap().path());
        }
        files.push(root.join("examples/welcome/journey.json"));
        files.sort();
        files
            .iter()
            .filter(|f| f.exists())
            .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
            .collect()
    }

    fn stored(doc: &JourneyDoc) -> Value {
        serde_json::to_value(doc).unwrap()
    }

    fn journey(versions: Vec<VersionDoc>) -> JourneyDoc {
        JourneyDoc {
            id: "j".into(),
            versions,
            keys: BTreeMap::new(),
            created_at: 1,
            owner: Owner::Account,
        }
    }

    #[test]
    fn a_published_version_written_and_read_back_is_equal() {
        let all = definitions();
        assert!(all.len() > 10, "only {} definitions found", all.len());
        for definition in all {
            let mut version = VersionDoc::draft(1, definition.clone());
            version.publish(Published::read(definition.clone()).unwrap(), 5, true);
            let doc = journey(vec![version]);
            let written = stored(&doc);
            // Stored as the JSON as written, under `definition`, as every build stored it.
            assert_eq!(written["versions"][0]["definition"], definition);
            assert_eq!(written["versions"][0]["status"], json!("published"));
            let read = JourneyDoc::from_stored("j", written).unwrap();
            assert_eq!(read, doc);
            let typed: Journey = serde_json::from_value(definition).unwrap();
            assert_eq!(read.versions[0].definition.journey(), Some(&typed));
        }
    }

    #[test]
    fn a_draft_stays_json_even_when_it_would_not_run() {
        let broken = json!({"id": "j", "entry": {"id": "entry", "wat": 1}});
        let doc = journey(vec![VersionDoc::draft(1, broken.clone())]);
        let read = JourneyDoc::from_stored("j", stored(&doc)).unwrap();
        assert_eq!(read.latest().definition, Definition::Draft(broken));
        assert_eq!(read.latest().definition.name(), None);
        let err = read.latest().definition.model().unwrap_err();
        assert_eq!(err.code, "invalid_journey");
        assert_eq!(
            read.latest().running_journey().unwrap_err().code,
            "not_published"
        );
    }

    /// A record as the first build that kept figures wrote it (commit 1999903): a stopped
    /// version with untyped `final_stats`, before conversions and parents were counted,
    /// and without `final_tally`.
    #[test]
    fn a_record_written_by_an_early_build_reads() {
        let old = json!({
            "id": "j",
            "created_at": 1000,
            "keys": {"entry": "j_o_j__entry_1a2b3c"},
            "versions": [{
                "version": 1,
                "status": "stopped",
                "definition": {
                    "id": "j", "name": "J", "version": 1,
                    "entry": {"id": "entry", "name": "Entry", "criteria": {"event": "Signed Up"},
                              "connections": [{"id": "c", "output": "o", "active": true, "mode": "event"}]}
                },
                "published_at": 2000,
                "historical": false,
                "closed_at": null,
                "stopped_at": 3000,
                "active_since": {"c": 2000},
                "final_stats": {
                    "version": 1, "state": "stopped", "in_journey": 0, "control": 0,
                    "entered": 4, "exited": 4, "goal": 0,
                    "steps": [{"step": "entry", "key": "j_o_j__entry_1a2b3c", "at": 0,
                               "audience": 0, "entered": 4, "exited": 4,
                               "connections": [{"id": "c", "output": "o", "active": true}]}]
                }
            }, {
                "version": 2,
                "status": "draft",
                "definition": {"id": "j", "name": "J", "version": 2, "entry": {"id": "entry"}}
            }]
        });
        let doc = JourneyDoc::from_stored("j", old.clone()).unwrap();
        assert_eq!(doc.owner, Owner::default());
        let stopped = &doc.versions[0];
        assert_eq!(stopped.status, VersionStatus::Stopped);
        let typed = stopped.definition.journey().unwrap();
        assert_eq!(typed.entry.connections[0].output, "o");
        assert_eq!(stopped.definition.json(), &old["versions"][0]["definition"]);
        let stats = stopped.final_stats.as_ref().unwrap();
        assert_eq!((stats.version, stats.entered, stats.exited), (1, 4, 4));
        assert_eq!(stats.conversion, None);
        assert_eq!(stats.steps[0].parent, None);
        assert_eq!(stats.steps[0].goals, 0);
        assert_eq!(stats.steps[0].connections[0].output, "o");
        assert_eq!(stopped.final_tally, None);
        assert!(matches!(doc.versions[1].definition, Definition::Draft(_)));
        // Written again it keeps the shape, and reads back the same.
        let again = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            again["versions"][0]["definition"],
            old["versions"][0]["definition"]
        );
        assert_eq!(
            again["versions"][0]["final_stats"]["steps"][0]["entered"],
            json!(4)
        );
        assert_eq!(JourneyDoc::from_stored("j", again).unwrap(), doc);
    }

    #[test]
    fn a_published_version_that_does_not_read_is_an_error_naming_it() {
        let mut record = stored(&journey(vec![VersionDoc::draft(
            3,
            json!({"id": "j", "name": "J", "entry": {"id": "entry", "name": "E"}}),
        )]));
        record["versions"][0]["status"] = json!("published");
        record["versions"][0]["definition"]["entry"]["unknown"] = json!(true);
        let err = JourneyDoc::from_stored("j", record).unwrap_err();
        assert_eq!(err.code, "corrupt_journey");
        assert!(err.message.contains("`j`"), "{err}");
        assert!(err.message.contains("version 3"), "{err}");
    }
}
