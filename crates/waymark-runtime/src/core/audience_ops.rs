//! Standalone audience calls of the admin API (SPEC §6), run on the engine thread like the
//! journey calls: an audience runs as a one-step journey (see `crate::audiences`), so these
//! calls keep its stored record and its runner in step.

use std::sync::mpsc::Receiver;

use serde_json::{Value, json};
use waymark_engine::validate::{audience_key, validate_audience};
use waymark_store::DocumentWrite;

use super::Core;
use super::journey_ops::invalid_definition;
use crate::RuntimeError;
use crate::audiences::{AudienceDoc, COLLECTION};
use crate::journeys::{references, rules};
use crate::owner::Owner;
use crate::runner::Runner;
use crate::stats::{DeliveryFigures, VersionStats};

/// One member of an audience, as the members API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceMember {
    /// The workspace of the member's profile.
    pub workspace: String,
    /// The profile key (userId, else anonymousId).
    pub key: String,
    /// The profile's userId, when known.
    pub user_id: Option<String>,
    /// The profile's anonymousId, when known.
    pub anonymous_id: Option<String>,
    /// Which membership this is (1 the first time the user joined).
    pub entry_number: u32,
    /// When it joined.
    pub entered_at: waymark_engine::time::Millis,
}

/// The figures of an audience's running engine.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceFigures {
    /// Its figures as a one-step journey version's (the step is the audience).
    pub stats: VersionStats,
    /// Its deliveries per connection and per output.
    pub deliveries: DeliveryFigures,
}

impl Core {
    /// Every stored audience, deleted ones (tombstones) included; an unreadable one is
    /// logged and left out.
    pub(crate) fn audience_records(&self) -> Result<Vec<AudienceDoc>, RuntimeError> {
        Ok(self
            .store
            .documents(COLLECTION)?
            .into_iter()
            .filter_map(|(id, v)| match AudienceDoc::from_stored(&id, v) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    tracing::error!(audience = %id, error = %e, "corrupt audience left out");
                    None
                }
            })
            .collect())
    }

    /// Every audience that exists (not deleted).
    pub(crate) fn audience_docs(&self) -> Result<Vec<AudienceDoc>, RuntimeError> {
        let mut all = self.audience_records()?;
        all.retain(|a| a.deleted_at.is_none());
        Ok(all)
    }

    /// One audience that exists.
    pub(crate) fn audience_doc(&self, id: &str) -> Result<AudienceDoc, RuntimeError> {
        self.store
            .document(COLLECTION, id)?
            .map(|v| AudienceDoc::from_stored(id, v))
            .transpose()?
            .filter(|a| a.deleted_at.is_none())
            .ok_or_else(|| RuntimeError::not_found("audience", id))
    }

    fn save_audience(&self, audience: &AudienceDoc) -> Result<(), RuntimeError> {
        let body = serde_json::to_value(audience)
            .map_err(|e| RuntimeError::new(500, "corrupt_audience", e.to_string()))?;
        self.store.write_documents(vec![DocumentWrite {
            collection: COLLECTION.into(),
            id: audience.id.clone(),
            body: Some(body),
        }])?;
        Ok(())
    }

    /// Checks an audience definition made by `owner` — its shape, then everything it names
    /// (outputs, inputs, journeys' steps, other audiences) — every problem reported.
    fn check_audience(&self, doc: &AudienceDoc) -> Result<(), RuntimeError> {
        let problems = validate_audience(&doc.definition, &self.config.limits());
        if !problems.is_empty() {
            return Err(invalid_definition(
                "invalid_audience",
                "audience",
                &problems,
            ));
        }
        let (_, version) = doc.as_journey()?;
        self.check_references(&doc.id, version.running_journey()?, &doc.owner)
    }

    /// `POST /api/audiences`: the audience starts at once, its members found in stored
    /// history, and its active connections hear of each of them; with the receiver of its
    /// release when history is being filled for it in the background.
    pub(crate) fn create_audience(
        &mut self,
        owner: Owner,
        mut definition: Value,
    ) -> Result<(AudienceDoc, Option<Receiver<()>>), RuntimeError> {
        if !definition.is_object() {
            return Err(RuntimeError::bad_request(
                "invalid_body",
                "the body must be an audience object",
            ));
        }
        if definition.get("id").is_none() {
            definition["id"] = json!(self.free_audience_id(&definition)?);
        }
        let id = definition["id"].as_str().unwrap_or_default().to_string();
        crate::ids::check_id("audience id", &id)?;
        if self.journey_doc(&id).is_ok() || self.audience_doc(&id).is_ok() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("a journey or an audience with id `{id}` already exists"),
            ));
        }
        references::resolve_inputs(&mut definition, &owner, &self.input_ids()?)?;
        let generation = self
            .audience_records()?
            .iter()
            .find(|a| a.id == id)
            .map_or(1, |old| old.generation + 1);
        let now = self.clock.now();
        let name = definition["name"].as_str().unwrap_or_default().to_string();
        let mut audience = AudienceDoc {
            key: audience_key(&id, &name),
            id,
            definition,
            owner,
            created_at: now,
            updated_at: now,
            active_since: Default::default(),
            generation,
            deleted_at: None,
        };
        self.check_audience(&audience)?;
        let (_, version) = audience.as_journey()?;
        let typed = version.running_journey()?;
        self.check_credits(&audience.id, typed)?;
        for (_, connection) in rules::active_connections(typed) {
            audience.active_since.insert(connection, now);
        }
        let (journey, version) = audience.as_journey()?;
        // Built first: a definition the engine cannot run is refused before it is saved.
        let runner = Runner::new(&journey, &version, &self.input_ids()?)?;
        let released = self.start_runner(runner)?;
        self.save_audience(&audience)?;
        self.flush()?;
        Ok((audience, released))
    }

    /// An id for an audience made without one: its name's slug, numbered when taken.
    fn free_audience_id(&self, definition: &Value) -> Result<String, RuntimeError> {
        let name = definition.get("name").and_then(Value::as_str).unwrap_or("");
        let mut base: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        base.truncate(56);
        if base.is_empty() {
            base = "audience".into();
        }
        let taken = |id: &str| self.journey_doc(id).is_ok() || self.audience_doc(id).is_ok();
        let mut id = base.clone();
        let mut n = 2;
        while taken(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        Ok(id)
    }

    /// `PATCH /api/audiences/{id}`: name, description, criteria and connections change in
    /// place (members are evaluated again at once under new criteria; a connection made
    /// active hears of the current members, one made inactive loses what it has queued);
    /// inputs and the id do not.
    pub(crate) fn patch_audience(
        &mut self,
        id: &str,
        patch: Value,
    ) -> Result<AudienceDoc, RuntimeError> {
        let mut audience = self.audience_doc(id)?;
        let Value::Object(fields) = patch else {
            return Err(RuntimeError::bad_request(
                "invalid_body",
                "the body must be an object",
            ));
        };
        let old = audience.clone();
        for (k, v) in fields {
            audience.definition[k] = v;
        }
        if audience.definition.get("id").and_then(Value::as_str) != Some(id) {
            return Err(RuntimeError::invalid(
                "id_mismatch",
                "an audience's id cannot change",
            ));
        }
        let mut inputs = audience.definition.clone();
        references::resolve_inputs(&mut inputs, &audience.owner, &self.input_ids()?)?;
        audience.definition["inputs"] = inputs.get("inputs").cloned().unwrap_or(json!([]));
        if audience.definition["inputs"]
            != old.definition.get("inputs").cloned().unwrap_or(json!([]))
        {
            return Err(RuntimeError::conflict(
                "inputs_fixed",
                "an audience's inputs cannot change; make a new audience with the inputs you want",
            ));
        }
        self.check_audience(&audience)?;
        let (_, old_version) = old.as_journey()?;
        let (_, new_version) = audience.as_journey()?;
        let (old_def, new_def) = (
            old_version.running_journey()?,
            new_version.running_journey()?,
        );
        if rules::active_audiences(new_def) > rules::active_audiences(old_def) {
            self.check_credits(id, new_def)?;
        }
        let now = self.clock.now();
        let newly = rules::newly_active(old_def, new_def);
        let stopped = rules::newly_inactive(old_def, new_def);
        for (_, connection) in &newly {
            audience.active_since.insert(connection.clone(), now);
        }
        audience.updated_at = now;
        self.save_audience(&audience)?;
        let (journey, version) = audience.as_journey()?;
        self.discard_queued(
            id,
            version.version,
            &rules::outputs_named(old_def),
            &stopped,
        )?;
        if let Some(i) = self.runner_index(id, version.version) {
            if old.definition.get("criteria") == audience.definition.get("criteria") {
                let inputs = self.input_ids()?;
                self.runners[i].redefine(&journey, &version, &inputs)?;
            } else {
                self.redefine_runner(i, &journey, &version, true)?;
            }
            for (step, connection) in &newly {
                self.announce_members(i, step, connection);
            }
        }
        self.flush()?;
        Ok(audience)
    }

    /// `DELETE /api/audiences/{id}`: refused while a running journey or another audience
    /// names it; otherwise its members leave (their exits are delivered, so that
    /// destinations do not keep them) and only a tombstone remains.
    pub(crate) fn delete_audience(&mut self, id: &str) -> Result<(), RuntimeError> {
        let mut audience = self.audience_doc(id)?;
        let mut users: Vec<String> = self
            .journey_docs()?
            .iter()
            .filter(|j| {
                j.published()
                    .filter_map(|v| v.definition.journey())
                    .any(|v| references::names_audience(v, id))
            })
            .map(|j| format!("journey `{}`", j.id))
            .collect();
        for a in self.audience_docs()?.iter().filter(|a| a.id != id) {
            let (_, version) = a.as_journey()?;
            if references::names_audience(version.running_journey()?, id) {
                users.push(format!("audience `{}`", a.id));
            }
        }
        if !users.is_empty() {
            return Err(RuntimeError::conflict(
                "audience_in_use",
                format!(
                    "audience `{id}` is named by {}; change or stop them first",
                    users.join(", ")
                ),
            ));
        }
        if let Some(i) = self.runner_index(id, audience.generation) {
            self.stop_in_engines(i, self.clock.now());
            self.runners.remove(i);
        }
        audience.deleted_at = Some(self.clock.now());
        self.save_audience(&audience)?;
        self.flush()
    }

    /// An audience's figures: its size now, joins and leaves since the runtime started,
    /// and each connection with its delivery counts.
    pub(crate) fn audience_stats(
        &self,
        audience: &AudienceDoc,
    ) -> Result<Option<AudienceFigures>, RuntimeError> {
        let Some(i) = self.runner_index(&audience.id, audience.generation) else {
            return Ok(None);
        };
        let (_, version) = audience.as_journey()?;
        let named = rules::outputs_named(version.running_journey()?);
        Ok(Some(AudienceFigures {
            stats: self.version_stats(i, "running"),
            deliveries: self.delivery_stats(&audience.id, &named)?,
        }))
    }

    /// An audience's members now, by workspace then profile key.
    pub(crate) fn audience_members(
        &self,
        audience: &AudienceDoc,
    ) -> Result<Vec<AudienceMember>, RuntimeError> {
        let Some(i) = self.runner_index(&audience.id, audience.generation) else {
            return Ok(Vec::new());
        };
        let mut members = Vec::new();
        for (ws, &journey) in &self.runners[i].indices {
            let Some(p) = self.partitions.get(ws) else {
                continue;
            };
            for m in p.engine.step_members(journey, 0) {
                let key = p.engine.user_key(m.user).to_string();
                let ids = self.ids.user(ws, &key);
                let ids = ids.as_ref();
                members.push(AudienceMember {
                    workspace: ws.clone(),
                    user_id: ids.and_then(|u| u.user_id.clone()),
                    anonymous_id: ids.and_then(|u| u.anonymous_id.clone()),
                    key,
                    entry_number: m.entry_number,
                    entered_at: m.entered_at,
                });
            }
        }
        members.sort_by(|a, b| (&a.workspace, &a.key).cmp(&(&b.workspace, &b.key)));
        Ok(members)
    }

    /// Audience credits the standalone audiences use (one per audience with an active
    /// connection, as for a step), leaving out `except`.
    pub(crate) fn audience_credits(&self, except: &str) -> Result<usize, RuntimeError> {
        let mut credits = 0;
        for a in self.audience_docs()?.iter().filter(|a| a.id != except) {
            let (_, version) = a.as_journey()?;
            credits += rules::active_audiences(version.running_journey()?);
        }
        Ok(credits)
    }
}
