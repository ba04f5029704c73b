//! Output calls of the admin API, run on the engine thread.

use serde_json::Value;
use waymark_store::DocumentWrite;

use super::Core;
use crate::RuntimeError;
use crate::journeys::rules;
use crate::outputs::{self, OutputDoc, OutputKind, RotatedSecret};
use crate::owner::Owner;

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

    /// The stored output.
    pub(crate) fn output_doc(&self, id: &str) -> Result<OutputDoc, RuntimeError> {
        let value = self
            .store
            .document(outputs::COLLECTION, id)?
            .ok_or_else(|| RuntimeError::not_found("output", id))?;
        serde_json::from_value(value)
            .map_err(|e| RuntimeError::new(500, "corrupt_output", e.to_string()))
    }

    /// `POST /api/outputs`, made by `owner`.
    pub(crate) fn create_output(
        &mut self,
        owner: Owner,
        body: Value,
    ) -> Result<OutputDoc, RuntimeError> {
        let doc = OutputDoc::from_body(body, owner, self.clock.now())?;
        if self.store.document(outputs::COLLECTION, &doc.id)?.is_some() {
            return Err(RuntimeError::conflict(
                "already_exists",
                format!("output `{}` already exists", doc.id),
            ));
        }
        self.save_output(&doc)?;
        self.outputs.insert(doc.id.clone(), doc.clone());
        self.workers.restart(&doc);
        Ok(doc)
    }

    /// The output's worker was answered 410: the output is disabled until re-enabled by
    /// PATCH. The engine thread is the only writer of output documents, so this cannot
    /// lose a concurrent edit.
    pub(crate) fn disable_output(&mut self, id: &str, reason: &str) {
        let Ok(mut doc) = self.output_doc(id) else {
            return;
        };
        doc.disabled = true;
        doc.disabled_reason = Some(format!("the receiver asked to stop: {reason}"));
        match self.save_output(&doc) {
            Ok(()) => {
                self.outputs.insert(doc.id.clone(), doc.clone());
                self.workers.restart(&doc);
            }
            Err(e) => tracing::error!(output = %id, error = %e, "cannot disable the output"),
        }
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
            if matches!(k.as_str(), "id" | "kind" | "owner") && merged.get(&k) != Some(&v) {
                return Err(RuntimeError::invalid(
                    "invalid_output",
                    format!("an output's `{k}` cannot change"),
                ));
            }
            if matches!(
                k.as_str(),
                "secret" | "write_key" | "previous_secret" | "previous_secret_until"
            ) {
                return Err(RuntimeError::invalid(
                    "use_rotate",
                    format!("`{k}` changes only by POST /api/outputs/{id}/rotate"),
                ));
            }
            if matches!(k.as_str(), "created_at" | "disabled_reason") {
                return Err(RuntimeError::invalid(
                    "invalid_output",
                    format!("`{k}` is set by the server"),
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
        self.workers.restart(&doc);
        Ok(doc)
    }

    /// `POST /api/outputs/{id}/rotate`: a new webhook secret (given as `secret`, or made
    /// here) or Segment write key (`write_key`, required). The old webhook secret keeps
    /// signing beside the new one for the configured grace period.
    pub(crate) fn rotate_output(
        &mut self,
        id: &str,
        body: Value,
    ) -> Result<OutputDoc, RuntimeError> {
        let mut doc = self.output_doc(id)?;
        let given = |field: &str| -> Result<Option<String>, RuntimeError> {
            match body.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(RuntimeError::bad_request(
                    "invalid_body",
                    format!("`{field}` must be a string"),
                )),
            }
        };
        match &mut doc.kind {
            OutputKind::Webhook(webhook) => {
                let secret = given("secret")?.unwrap_or_else(outputs::new_webhook_secret);
                webhook.previous = Some(RotatedSecret {
                    secret: std::mem::replace(&mut webhook.secret, secret),
                    until: self.clock.now() + self.config.secret_rotation_grace_ms,
                });
            }
            OutputKind::Segment(segment) => {
                segment.write_key = given("write_key")?.ok_or_else(|| {
                    RuntimeError::bad_request(
                        "invalid_body",
                        "rotating a Segment output needs the new `write_key`",
                    )
                })?;
            }
            OutputKind::File(_) | OutputKind::List => {
                return Err(RuntimeError::invalid(
                    "no_secret",
                    format!("output `{id}` has no secret to rotate"),
                ));
            }
        }
        doc.check()?;
        self.save_output(&doc)?;
        self.outputs.insert(doc.id.clone(), doc.clone());
        self.workers.restart(&doc);
        Ok(doc)
    }

    /// `DELETE /api/outputs/{id}`: refused while a journey's connection names it.
    pub(crate) fn delete_output(&mut self, id: &str) -> Result<(), RuntimeError> {
        self.output_doc(id)?;
        for j in self.journey_docs()? {
            // A draft the engine's model does not read names no output.
            let names = |v: &crate::journeys::VersionDoc| {
                v.definition
                    .model()
                    .is_ok_and(|d| rules::outputs_named(&d).iter().any(|o| o == id))
            };
            if j.versions.iter().any(names) {
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
        self.workers.stop(id);
        Ok(())
    }
}
