//! Computed attribute calls of the admin API (SPEC §5), run on the engine thread: a
//! definition made, changed or removed reaches the workspace's engine at once, and the
//! users' values are rebuilt from the workspace's stored events before the call answers.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use waymark_engine::validate::validate_attribute;
use waymark_store::{ArrivedEvent, DocumentWrite};

use super::Core;
use super::history::live_event;
use super::journey_ops::invalid_definition;
use crate::RuntimeError;
use crate::attributes::{self, AttributeDoc};

impl Core {
    /// A workspace's computed attributes, by name.
    pub(crate) fn attribute_docs(
        &self,
        workspace: &str,
    ) -> Result<Vec<AttributeDoc>, RuntimeError> {
        Ok(self
            .store
            .documents(&attributes::collection(workspace))?
            .into_iter()
            .filter_map(|(name, v)| match AttributeDoc::from_stored(&name, v) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    tracing::error!(workspace, attribute = %name, error = %e, "corrupt computed attribute left out");
                    None
                }
            })
            .collect())
    }

    /// One computed attribute of a workspace.
    pub(crate) fn attribute_doc(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<AttributeDoc, RuntimeError> {
        self.store
            .document(&attributes::collection(workspace), name)?
            .map(|v| AttributeDoc::from_stored(name, v))
            .transpose()?
            .ok_or_else(|| RuntimeError::not_found("computed attribute", name))
    }

    /// The attribute names defined in every one of `workspaces` (what criteria reading
    /// them may name).
    pub(crate) fn attributes_everywhere(
        &self,
        workspaces: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, RuntimeError> {
        let mut common: Option<BTreeSet<String>> = None;
        for ws in workspaces {
            let names: BTreeSet<String> = self
                .attribute_docs(ws)?
                .iter()
                .map(|a| a.name().to_string())
                .collect();
            common = Some(match common {
                None => names,
                Some(c) => c.intersection(&names).cloned().collect(),
            });
        }
        Ok(common.unwrap_or_default())
    }

    fn save_attribute(&self, doc: &AttributeDoc) -> Result<(), RuntimeError> {
        let body = serde_json::to_value(doc)
            .map_err(|e| RuntimeError::new(500, "corrupt_attribute", e.to_string()))?;
        self.store.write_documents(vec![DocumentWrite {
            collection: attributes::collection(&doc.workspace),
            id: doc.name().to_string(),
            body: Some(body),
        }])?;
        Ok(())
    }

    fn check_attribute(&self, definition: &Value) -> Result<(), RuntimeError> {
        let problems = validate_attribute(definition, &self.config.limits());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(invalid_definition(
                "invalid_attribute",
                "computed attribute",
                &problems,
            ))
        }
    }

    /// `POST /api/workspaces/{ws}/attributes`: defined, and filled from the workspace's
    /// stored events, before the call answers.
    pub(crate) fn create_attribute(
        &mut self,
        workspace: &str,
        definition: Value,
    ) -> Result<AttributeDoc, RuntimeError> {
        if self.store.workspace(workspace)?.is_none() {
            return Err(RuntimeError::not_found("workspace", workspace));
        }
        self.check_attribute(&definition)?;
        let name = definition["name"].as_str().unwrap_or_default().to_string();
        crate::ids::check_id("computed attribute name", &name)?;
        if self.attribute_doc(workspace, &name).is_ok() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("computed attribute `{name}` already exists in workspace `{workspace}`"),
            ));
        }
        let now = self.clock.now();
        let doc = AttributeDoc {
            workspace: workspace.to_string(),
            definition,
            created_at: now,
            updated_at: now,
        };
        let model = doc.model()?;
        self.save_attribute(&doc)?;
        match self.partitions.get_mut(workspace) {
            Some(p) => {
                let id = p
                    .engine
                    .add_attribute(&model)
                    .map_err(|e| RuntimeError::invalid("invalid_attribute", e.to_string()))?;
                self.fill_attribute(workspace, id, &model.event)?;
            }
            // The workspace's engine is made now, with its attributes, so that profiles
            // show the values even before a journey runs there.
            None => self.ensure_partition(workspace)?,
        }
        Ok(doc)
    }

    /// `PATCH /api/workspaces/{ws}/attributes/{name}`: a new definition under the same
    /// name; values are rebuilt from history, and every journey and audience reading it
    /// evaluates its users again at once.
    pub(crate) fn patch_attribute(
        &mut self,
        workspace: &str,
        name: &str,
        patch: Value,
    ) -> Result<AttributeDoc, RuntimeError> {
        let mut doc = self.attribute_doc(workspace, name)?;
        let Value::Object(fields) = patch else {
            return Err(RuntimeError::bad_request(
                "invalid_body",
                "the body must be an object",
            ));
        };
        for (k, v) in fields {
            doc.definition[k] = v;
        }
        if doc.name() != name {
            return Err(RuntimeError::invalid(
                "id_mismatch",
                "a computed attribute's name cannot change; define a new one",
            ));
        }
        self.check_attribute(&doc.definition)?;
        let model = doc.model()?;
        doc.updated_at = self.clock.now();
        self.save_attribute(&doc)?;
        let Some(id) = self
            .partitions
            .get(workspace)
            .and_then(|p| p.engine.attribute_id(name))
        else {
            return Ok(doc);
        };
        if let Some(p) = self.partitions.get_mut(workspace) {
            p.engine.redefine_attribute(id, &model);
        }
        self.fill_attribute(workspace, id, &model.event)?;
        let readers: Vec<u16> = self
            .runners
            .iter()
            .filter(|r| reads_attribute(&r.live, name))
            .filter_map(|r| r.indices.get(workspace).copied())
            .collect();
        let mut out = Vec::new();
        if let Some(p) = self.partitions.get_mut(workspace) {
            for j in readers {
                p.engine.settle_journey_for_everyone(j, &mut out);
            }
        }
        self.handle(workspace, &out, false);
        self.flush()?;
        Ok(doc)
    }

    /// `DELETE /api/workspaces/{ws}/attributes/{name}`: refused while a running journey or
    /// an audience of the workspace reads it.
    pub(crate) fn delete_attribute(
        &mut self,
        workspace: &str,
        name: &str,
    ) -> Result<(), RuntimeError> {
        self.attribute_doc(workspace, name)?;
        let readers: Vec<String> = self
            .runners
            .iter()
            .filter(|r| r.accepts(workspace) && reads_attribute(&r.live, name))
            .map(|r| format!("`{}`", r.journey_id))
            .collect();
        if !readers.is_empty() {
            return Err(RuntimeError::conflict(
                "attribute_in_use",
                format!(
                    "computed attribute `{name}` is read by {}; change or stop them first",
                    readers.join(", ")
                ),
            ));
        }
        if let Some(p) = self.partitions.get_mut(workspace)
            && let Some(id) = p.engine.attribute_id(name)
        {
            p.engine.remove_attribute(id);
        }
        self.store.write_documents(vec![DocumentWrite {
            collection: attributes::collection(workspace),
            id: name.to_string(),
            body: None,
        }])?;
        Ok(())
    }

    /// Folds the workspace's stored `event`s the engine has applied (up to its watermark:
    /// later ones reach it live) into attribute `id` of its engine.
    pub(super) fn fill_attribute(
        &mut self,
        workspace: &str,
        id: u32,
        event: &str,
    ) -> Result<(), RuntimeError> {
        let store = Arc::clone(&self.store);
        let Some(p) = self.partitions.get_mut(workspace) else {
            return Ok(());
        };
        let applied = p.watermark;
        store.for_each_event_named(workspace, &[event.to_string()], &mut |a: ArrivedEvent| {
            if a.seq > applied {
                return;
            }
            if let Some((e, _)) = live_event(workspace, a) {
                p.engine.backfill_attribute(&e.key, &e.event, &[id]);
            }
        })?;
        Ok(())
    }
}

/// Whether a journey's criteria read computed attribute `name`.
fn reads_attribute(journey: &waymark_engine::model::Journey, name: &str) -> bool {
    let mut found = false;
    crate::journeys::references::each_criterion(journey, &mut |c| {
        found |= matches!(c, waymark_engine::model::Criteria::Attribute(a) if a.attribute == name);
    });
    found
}
