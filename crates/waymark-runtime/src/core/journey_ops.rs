//! Journey calls of the admin API, run on the engine thread so that they are ordered with
//! the events and timers they affect.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::Receiver;

use serde_json::{Value, json};
use waymark_engine::model::Journey;
use waymark_engine::validate::validate_journey;
use waymark_store::DocumentWrite;

use super::Core;
use crate::RuntimeError;
use crate::csv::{csv_field, instant};
use crate::journeys::doc::Published;
use crate::journeys::references::{self, Problem};
use crate::journeys::{Definition, JourneyDoc, VersionDoc, VersionStatus, doc, rules};
use crate::owner::Owner;
use crate::runner::{Runner, expand_inputs};

impl Core {
    /// One stored journey.
    pub(crate) fn journey_doc(&self, id: &str) -> Result<JourneyDoc, RuntimeError> {
        let value = self
            .store
            .document(doc::COLLECTION, id)?
            .ok_or_else(|| RuntimeError::not_found("journey", id))?;
        JourneyDoc::from_stored(id, value)
    }

    fn save(&self, journey: &JourneyDoc) -> Result<(), RuntimeError> {
        let body = serde_json::to_value(journey)
            .map_err(|e| RuntimeError::new(500, "corrupt_journey", e.to_string()))?;
        self.store.write_documents(vec![DocumentWrite {
            collection: doc::COLLECTION.into(),
            id: journey.id.clone(),
            body: Some(body),
        }])?;
        Ok(())
    }

    /// Checks a definition made by `owner` (every problem is reported), and answers it read
    /// as the engine's model.
    pub(crate) fn check(
        &self,
        definition: &Value,
        owner: &Owner,
    ) -> Result<Published, RuntimeError> {
        let problems = validate_journey(definition, &self.config.limits());
        if !problems.is_empty() {
            return Err(invalid_definition("invalid_journey", "journey", &problems));
        }
        let checked = Published::check(definition.clone())?;
        self.check_outputs(checked.journey(), owner)?;
        Ok(checked)
    }

    /// Stops runner `i`'s version in every engine at `now`: its users leave (their exits
    /// are delivered).
    pub(crate) fn stop_in_engines(&mut self, i: usize, now: waymark_engine::time::Millis) {
        let indices: Vec<(String, u16)> = self.runners[i]
            .indices
            .iter()
            .map(|(ws, &j)| (ws.clone(), j))
            .collect();
        for (ws, journey) in indices {
            let mut out = Vec::new();
            if let Some(p) = self.partitions.get_mut(&ws) {
                p.engine.stop_journey(journey, now, &mut out);
            }
            self.handle(&ws, &out, false);
        }
    }

    /// Connections may name only outputs that exist and that `owner` may use: a workspace's
    /// journey cannot send its users to another workspace's (or the account's) output.
    fn check_outputs(&self, journey: &Journey, owner: &Owner) -> Result<(), RuntimeError> {
        let unknown: Vec<Problem> = rules::outputs_named(journey)
            .into_iter()
            .filter(|o| !self.outputs.get(o).is_some_and(|d| owner.may_use(&d.owner)))
            .map(|output| Problem {
                code: "unknown_output",
                message: format!("a connection names output `{output}`, which does not exist"),
                name: output,
            })
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(references::refusal(unknown))
        }
    }

    /// Refuses a definition that names anything that does not resolve for `owner` (SPEC
    /// §9): checked when a version starts running and when a running one is edited.
    pub(crate) fn check_references(
        &self,
        id: &str,
        journey: &Journey,
        owner: &Owner,
    ) -> Result<(), RuntimeError> {
        let problems = self.reference_problems(id, journey, owner)?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(references::refusal(problems))
        }
    }

    /// Everything a definition of journey (or audience) `id` owned by `owner` names that
    /// does not resolve.
    pub(crate) fn reference_problems(
        &self,
        id: &str,
        journey: &Journey,
        owner: &Owner,
    ) -> Result<Vec<Problem>, RuntimeError> {
        let attributes = self.attributes_everywhere(&self.workspaces_of(journey, owner)?)?;
        Ok(references::problems(
            id,
            journey,
            owner,
            &references::Known {
                outputs: &self.outputs,
                journeys: &self.journey_docs()?,
                audiences: &self.audience_docs()?,
                attributes: &attributes,
                inputs: &self.input_ids()?,
            },
        ))
    }

    /// `POST /api/journeys`: a new draft owned by `owner`.
    pub(crate) fn create_journey(
        &mut self,
        owner: Owner,
        mut definition: Value,
    ) -> Result<JourneyDoc, RuntimeError> {
        let id = definition
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let checked = self.check(&definition, &owner)?;
        references::resolve_inputs(&mut definition, &owner, &self.input_ids()?)?;
        crate::ids::check_id("journey id", &id)?;
        if self.store.document(doc::COLLECTION, &id)?.is_some() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("journey `{id}` already exists"),
            ));
        }
        if self.audience_doc(&id).is_ok() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("audience `{id}` has this id; journeys and audiences share ids"),
            ));
        }
        let mut keys = BTreeMap::new();
        rules::assign_keys(&mut keys, &id, checked.journey());
        let journey = JourneyDoc {
            id,
            versions: vec![draft(1, definition)],
            keys,
            created_at: self.clock.now(),
            owner,
        };
        self.save(&journey)?;
        Ok(journey)
    }

    /// `PATCH /api/journeys/{id}`: see docs/journeys-api.md for what changes in place.
    pub(crate) fn patch_journey(
        &mut self,
        id: &str,
        patch: Value,
    ) -> Result<JourneyDoc, RuntimeError> {
        let mut journey = self.journey_doc(id)?;
        let Value::Object(fields) = patch else {
            return Err(RuntimeError::bad_request(
                "invalid_body",
                "the body must be an object",
            ));
        };
        let latest = journey.latest().clone();
        let mut definition = latest.definition.json().clone();
        for (k, v) in fields {
            definition[k] = v;
        }
        if definition.get("id").and_then(Value::as_str) != Some(id) {
            return Err(RuntimeError::invalid(
                "id_mismatch",
                "a journey's id cannot change",
            ));
        }
        let checked = self.check(&definition, &journey.owner)?;
        references::resolve_inputs(&mut definition, &journey.owner, &self.input_ids()?)?;
        rules::assign_keys(&mut journey.keys, id, checked.journey());
        match latest.status {
            VersionStatus::Draft => journey.latest_mut().definition = Definition::Draft(definition),
            VersionStatus::Published
                if rules::edit_in_place(latest.definition.json(), &definition) =>
            {
                return self.edit_published(journey, definition);
            }
            VersionStatus::Published | VersionStatus::Stopped => {
                let next = latest.version + 1;
                journey.versions.push(draft(next, definition));
            }
        }
        self.save(&journey)?;
        Ok(journey)
    }

    /// An edit a published version takes in place: names, connections, leaf steps.
    fn edit_published(
        &mut self,
        mut journey: JourneyDoc,
        definition: Value,
    ) -> Result<JourneyDoc, RuntimeError> {
        let id = journey.id.clone();
        // Read again: the inputs were resolved after the check.
        let published = Published::check(definition)?;
        let new = published.journey();
        self.check_references(&id, new, &journey.owner)?;
        let old = journey.latest().running_journey()?.clone();
        let added = rules::active_audiences(new) as i64 - rules::active_audiences(&old) as i64;
        if added > 0 {
            self.check_credits(&id, new)?;
        }
        let now = self.clock.now();
        let newly = rules::newly_active(&old, new);
        let stopped = rules::newly_inactive(&old, new);
        let ids = |j: &Journey| -> Vec<String> {
            rules::steps(j).iter().map(|s| s.id.to_string()).collect()
        };
        let same_steps = ids(&old) == ids(new);
        {
            let v = journey.latest_mut();
            v.definition = Definition::Published(Box::new(published));
            for (_, connection) in &newly {
                v.active_since.insert(connection.clone(), now);
            }
        }
        self.save(&journey)?;
        let version = journey.latest().clone();
        self.discard_queued(&id, version.version, &rules::outputs_named(&old), &stopped)?;
        if let Some(i) = self.runner_index(&id, version.version) {
            if same_steps {
                self.runners[i].refresh_connections(&version)?;
            } else {
                self.redefine_runner(i, &journey, &version, false)?;
            }
            for (step, connection) in &newly {
                self.announce_members(i, step, connection);
            }
        }
        self.flush()?;
        Ok(journey)
    }

    pub(crate) fn runner_index(&self, id: &str, version: u32) -> Option<usize> {
        self.runners
            .iter()
            .position(|r| r.journey_id == id && r.version == version)
    }

    /// Refuses when `journey` would take the active audiences past the account's limit.
    pub(crate) fn check_credits(&self, id: &str, journey: &Journey) -> Result<(), RuntimeError> {
        let others: usize = self
            .journey_docs()?
            .iter()
            .filter(|j| j.id != id)
            .filter_map(JourneyDoc::running)
            .map(rules::active_audiences)
            .sum::<usize>()
            + self.audience_credits(id)?;
        let wanted = others + rules::active_audiences(journey);
        let limit = self.config.active_audience_limit;
        if wanted > limit {
            return Err(RuntimeError::conflict(
                "audience_limit_reached",
                format!(
                    "this needs {wanted} active audiences; the account's active_audience_limit is {limit} ({others} in use by other journeys and audiences)"
                ),
            ));
        }
        Ok(())
    }

    /// The workspaces a journey owned by `owner` reads: its inputs' workspaces; with no
    /// input selected, the owner's workspace, or every workspace for the account.
    fn workspaces_of(
        &self,
        journey: &Journey,
        owner: &Owner,
    ) -> Result<BTreeSet<String>, RuntimeError> {
        let selected = &journey.inputs;
        if selected.is_empty() {
            return Ok(match owner.workspace() {
                Some(ws) => BTreeSet::from([ws.to_string()]),
                None => self.store.workspaces()?.into_iter().map(|w| w.id).collect(),
            });
        }
        Ok(expand_inputs(selected, &self.input_ids()?)
            .iter()
            .filter_map(|i| i.split_once('/').map(|(w, _)| w.to_string()))
            .collect())
    }

    /// `POST /api/journeys/{id}/publish`; with the receiver of the version's release when
    /// history is being filled for it in the background.
    pub(crate) fn publish(
        &mut self,
        id: &str,
        historical: bool,
    ) -> Result<(JourneyDoc, Option<Receiver<()>>), RuntimeError> {
        let mut journey = self.journey_doc(id)?;
        match journey.latest().status {
            VersionStatus::Draft => {}
            VersionStatus::Published => {
                return Err(RuntimeError::conflict(
                    "already_published",
                    "the latest version is already published; PATCH it or make a new version",
                ));
            }
            VersionStatus::Stopped => {
                return Err(RuntimeError::conflict(
                    "stopped",
                    "the journey was stopped; make a new version or clone it",
                ));
            }
        }
        let definition = self.check(journey.latest().definition.json(), &journey.owner)?;
        self.check_references(id, definition.journey(), &journey.owner)?;
        self.check_credits(id, definition.journey())?;
        let mine = self.workspaces_of(definition.journey(), &journey.owner)?;
        let limit = self.config.published_journeys_per_workspace;
        for other in self.journey_docs()?.iter().filter(|j| j.id != id) {
            let Some(v) = other.running() else {
                continue;
            };
            let theirs = self.workspaces_of(v, &other.owner)?;
            for ws in mine.intersection(&theirs) {
                let count = self
                    .journey_docs()?
                    .iter()
                    .filter(|j| j.id != id)
                    .filter_map(|j| j.running().map(|v| (v, &j.owner)))
                    .filter(|(v, owner)| self.workspaces_of(v, owner).is_ok_and(|w| w.contains(ws)))
                    .count();
                if count >= limit {
                    return Err(RuntimeError::conflict(
                        "published_journey_limit_reached",
                        format!(
                            "workspace `{ws}` already has {count} published journeys; the limit (published_journeys_per_workspace) is {limit}"
                        ),
                    ));
                }
            }
        }
        let now = self.clock.now();
        for v in journey
            .versions
            .iter_mut()
            .filter(|v| v.status == VersionStatus::Published)
        {
            v.closed_at = Some(now);
            if let Some(i) = self
                .runners
                .iter()
                .position(|r| r.journey_id == id && r.version == v.version)
            {
                self.runners[i].closed_at = Some(now);
                for (ws, &journey) in &self.runners[i].indices {
                    if let Some(p) = self.partitions.get_mut(ws) {
                        p.engine.close_journey_entries(journey, now);
                    }
                }
            }
        }
        journey.latest_mut().publish(definition, now, historical);
        let version = journey.latest().clone();
        // Built first: a definition the engine cannot run is refused before it is saved.
        let runner = Runner::new(&journey, &version, &self.input_ids()?)?;
        let released = self.start_runner(runner)?;
        self.save(&journey)?;
        self.flush()?;
        Ok((journey, released))
    }

    /// `POST /api/journeys/{id}/stop`: every user leaves; exits are delivered.
    pub(crate) fn stop(&mut self, id: &str) -> Result<JourneyDoc, RuntimeError> {
        let mut journey = self.journey_doc(id)?;
        if journey.published().next().is_none() {
            return Err(RuntimeError::conflict(
                "not_published",
                "the journey is not running",
            ));
        }
        let now = self.clock.now();
        for v in journey
            .versions
            .iter_mut()
            .filter(|v| v.status == VersionStatus::Published)
        {
            v.status = VersionStatus::Stopped;
            v.stopped_at = Some(now);
            if let Some(i) = self
                .runners
                .iter()
                .position(|r| r.journey_id == id && r.version == v.version)
            {
                self.stop_in_engines(i, now);
                v.final_stats = Some(self.version_stats(i, "stopped"));
                v.final_tally = Some(self.runners[i].total().saved(&self.runners[i].step_ids));
                self.runners.remove(i);
            }
        }
        self.save(&journey)?;
        self.flush()?;
        Ok(journey)
    }

    /// `POST /api/journeys/{id}/versions`: a draft copy of the latest version.
    pub(crate) fn new_version(&mut self, id: &str) -> Result<JourneyDoc, RuntimeError> {
        let mut journey = self.journey_doc(id)?;
        let latest = journey.latest().clone();
        if latest.status == VersionStatus::Draft {
            return Err(RuntimeError::conflict(
                "draft_exists",
                format!("version {} is still a draft; edit it", latest.version),
            ));
        }
        journey
            .versions
            .push(draft(latest.version + 1, latest.definition.json().clone()));
        self.save(&journey)?;
        Ok(journey)
    }

    /// `POST /api/journeys/{id}/clone`: a draft copy with a new id (so new keys).
    pub(crate) fn clone_journey(
        &mut self,
        id: &str,
        new_id: Option<String>,
    ) -> Result<JourneyDoc, RuntimeError> {
        let source = self.journey_doc(id)?;
        let new_id = match new_id {
            Some(n) => n,
            None => {
                let mut n = 1;
                loop {
                    let candidate = if n == 1 {
                        format!("{id}-copy")
                    } else {
                        format!("{id}-copy-{n}")
                    };
                    if self.store.document(doc::COLLECTION, &candidate)?.is_none() {
                        break candidate;
                    }
                    n += 1;
                }
            }
        };
        let mut definition = source.latest().definition.json().clone();
        definition["id"] = json!(new_id);
        if let Some(name) = definition.get("name").and_then(Value::as_str) {
            let copy: String = format!("{name} (copy)")
                .chars()
                .take(self.config.limits().journey_name_chars)
                .collect();
            definition["name"] = json!(copy);
        }
        // The copy belongs to the source's owner, whose inputs and outputs it names.
        self.create_journey(source.owner.clone(), definition)
    }

    /// `DELETE /api/journeys/{id}`: only a journey with no steps below entry that is not
    /// running.
    pub(crate) fn delete_journey(&mut self, id: &str) -> Result<(), RuntimeError> {
        let journey = self.journey_doc(id)?;
        if journey.published().next().is_some() {
            return Err(RuntimeError::conflict(
                "not_deletable",
                "stop the journey before deleting it",
            ));
        }
        // A draft the engine's model does not read is judged by its JSON's steps.
        let deletable = match journey.latest().definition.model() {
            Ok(latest) => rules::deletable(&latest),
            Err(_) => journey.latest().definition.json()["entry"]["steps"]
                .as_array()
                .is_none_or(Vec::is_empty),
        };
        if !deletable {
            return Err(RuntimeError::conflict(
                "not_deletable",
                "only a journey with no steps below its entry can be deleted; delete its steps first, leaf first",
            ));
        }
        self.store.write_documents(vec![DocumentWrite {
            collection: doc::COLLECTION.into(),
            id: id.to_string(),
            body: None,
        }])?;
        Ok(())
    }

    /// A step's audience as CSV (`key,user_id,anonymous_id,version,entry_number,entered_at`).
    pub(crate) fn audience_csv(&self, id: &str, step: &str) -> Result<String, RuntimeError> {
        let journey = self.journey_doc(id)?;
        let latest = journey.latest().definition.model()?;
        if !rules::steps(&latest).iter().any(|s| s.id == step) {
            return Err(RuntimeError::not_found("step", step));
        }
        let mut csv = String::from("key,user_id,anonymous_id,version,entry_number,entered_at\n");
        for r in self.runners.iter().filter(|r| r.journey_id == id) {
            let Some(index) = r.step_ids.iter().position(|s| s == step) else {
                continue;
            };
            for (ws, &journey) in &r.indices {
                let Some(p) = self.partitions.get(ws) else {
                    continue;
                };
                for m in p.engine.step_members(journey, index as u16) {
                    let key = p.engine.user_key(m.user);
                    let ids = self.ids.user(ws, key);
                    let ids = ids.as_ref();
                    let field = |v: Option<&String>| csv_field(v.map_or("", String::as_str));
                    csv.push_str(&format!(
                        "{},{},{},{},{},{}\n",
                        csv_field(key),
                        field(ids.and_then(|u| u.user_id.as_ref())),
                        field(ids.and_then(|u| u.anonymous_id.as_ref())),
                        r.version,
                        m.entry_number,
                        instant(m.entered_at),
                    ));
                }
            }
        }
        Ok(csv)
    }

    /// Audience credits in use over every running journey.
    pub(crate) fn credits_used(&self) -> Result<usize, RuntimeError> {
        Ok(self
            .journey_docs()?
            .iter()
            .filter_map(JourneyDoc::running)
            .map(rules::active_audiences)
            .sum::<usize>()
            + self.audience_credits("")?)
    }
}

/// The 422 refusing a definition that validation found problems in, every one listed.
pub(crate) fn invalid_definition(
    code: &'static str,
    what: &str,
    problems: &[waymark_engine::validate::Problem],
) -> RuntimeError {
    let first = &problems[0];
    let mut e = RuntimeError::invalid(
        code,
        format!(
            "the {what} has {} problem(s); the first: {} at {}",
            problems.len(),
            first.message,
            first.path
        ),
    );
    e.details = Some(json!(
        problems
            .iter()
            .map(|p| json!({"path": p.path, "code": p.code, "message": p.message}))
            .collect::<Vec<_>>()
    ));
    e
}

/// A draft version, its number stamped in its definition.
fn draft(version: u32, mut definition: Value) -> VersionDoc {
    definition["version"] = json!(version);
    VersionDoc::draft(version, definition)
}

impl Core {
    /// Takes an in-place edit that changes a running version's steps: every engine swaps
    /// the definition keeping users where they are by step id, fills what it adds from
    /// history, and evaluates the version's users under it (`everyone`: every user the
    /// engines hold, those outside it too, when who may enter changed).
    pub(crate) fn redefine_runner(
        &mut self,
        runner: usize,
        journey: &JourneyDoc,
        version: &VersionDoc,
        everyone: bool,
    ) -> Result<(), RuntimeError> {
        let inputs = self.input_ids()?;
        self.runners[runner].redefine(journey, version, &inputs)?;
        let live = self.runners[runner].live.clone();
        let indices: Vec<(String, u16)> = self.runners[runner]
            .indices
            .iter()
            .map(|(ws, &j)| (ws.clone(), j))
            .collect();
        let mut filling = Vec::new();
        for (ws, j) in &indices {
            if let Some(p) = self.partitions.get_mut(ws) {
                let new = p
                    .engine
                    .replace_journey(*j, &live)
                    .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))?;
                filling.push((ws.clone(), new));
            }
        }
        self.backfill(&self.runners[runner].journey_id.clone(), &filling)?;
        for (ws, j) in indices {
            let mut out = Vec::new();
            if let Some(p) = self.partitions.get_mut(&ws) {
                if everyone {
                    p.engine.settle_journey_for_everyone(j, &mut out);
                } else {
                    p.engine.settle_journey(j, &mut out);
                }
            }
            self.handle(&ws, &out, false);
        }
        Ok(())
    }
}
