//! Output calls of the admin API, run on the engine thread.

use serde_json::Value;
use waymark_store::DocumentWrite;

use super::Core;
use crate::RuntimeError;
use crate::journeys::rules;
use crate::outputs::{self, OutputDoc};

impl Core {
    fn save_output(&self, doc: &OutputDoc) -> Result<(), RuntimeError> {
        let body = serde_json::to_value(doc)
            .map_err(|e| RuntimeError::new(500, "corrupt_output", e.to_string()))?;
        self.store.write_documents(vec![DocumentWrite {
            collection: outputs::COLLECTION.into(),
            id: doc.id.clone(),
            body: Some(body),
        }])?;
        Ok(())
    }

    /// The stored output (the worker may have disabled it since the engine thread last
    /// looked).
    pub(crate) fn output_doc(&self, id: &str) -> Result<OutputDoc, RuntimeError> {
        let value = self
            .store
            .document(outputs::COLLECTION, id)?
            .ok_or_else(|| RuntimeError::not_found("output", id))?;
        serde_json::from_value(value)
            .map_err(|e| RuntimeError::new(500, "corrupt_output", e.to_string()))
    }

    /// `POST /api/outputs`.
    pub(crate) fn create_output(&mut self, body: Value) -> Result<OutputDoc, RuntimeError> {
        let doc = OutputDoc::from_body(body, self.clock.now())?;
        if self.store.document(outputs::COLLECTION, &doc.id)?.is_some() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("output `{}` already exists", doc.id),
            ));
        }
        self.save_output(&doc)?;
        self.outputs.insert(doc.id.clone(), doc.clone());
        Ok(doc)
    }

    /// `PATCH /api/outputs/{id}`: fields merged; the id and kind stay.
    pub(crate) fn patch_output(
        &mut self,
        id: &str,
        patch: Value,
    ) -> Result<OutputDoc, RuntimeError> {
        let current = self.output_doc(id)?;
        let Value::Object(fields) = patch else {
            return Err(RuntimeError::bad_request(
                "invalid_body",
                "the body must be an object",
            ));
        };
        let mut merged = serde_json::to_value(&current)
            .map_err(|e| RuntimeError::new(500, "corrupt_output", e.to_string()))?;
        for (k, v) in fields {
            if (k == "id" || k == "kind") && merged.get(&k) != Some(&v) {
                return Err(RuntimeError::invalid(
                    "invalid_output",
                    format!("an output's `{k}` cannot change"),
                ));
            }
            merged[k] = v;
        }
        let mut doc: OutputDoc = serde_json::from_value(merged)
            .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
        if !doc.disabled {
            doc.disabled_reason = None;
        }
        doc.check()?;
        self.save_output(&doc)?;
        self.outputs.insert(doc.id.clone(), doc.clone());
        Ok(doc)
    }

    /// `DELETE /api/outputs/{id}`: refused while a journey's connection names it.
    pub(crate) fn delete_output(&mut self, id: &str) -> Result<(), RuntimeError> {
        self.output_doc(id)?;
        for j in self.journey_docs()? {
            if j.versions
                .iter()
                .any(|v| rules::outputs_named(&v.definition).iter().any(|o| o == id))
            {
                return Err(RuntimeError::conflict(
                    "output_in_use",
                    format!("journey `{}` has a connection to output `{id}`", j.id),
                ));
            }
        }
        self.store.write_documents(vec![DocumentWrite {
            collection: outputs::COLLECTION.into(),
            id: id.to_string(),
            body: None,
        }])?;
        self.outputs.remove(id);
        Ok(())
    }
}
