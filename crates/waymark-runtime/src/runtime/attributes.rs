//! Computed attributes (SPEC §5) and a profile's computed view through the runtime handle:
//! every call runs on the engine thread. Callers check that the token reaches the
//! workspace before calling.

use serde_json::{Value, json};
use waymark_store::TokenScope;

use super::Runtime;
use crate::RuntimeError;
use crate::attributes::AttributeDoc;
use crate::core::ProfileState;
use crate::view;

impl Runtime {
    /// A workspace's computed attributes.
    pub fn attributes(&self, workspace: &str) -> Result<Vec<Value>, RuntimeError> {
        let workspace = workspace.to_string();
        self.call(move |core| {
            Ok(core
                .attribute_docs(&workspace)?
                .iter()
                .map(attribute_view)
                .collect())
        })
    }

    /// One computed attribute.
    pub fn attribute(&self, workspace: &str, name: &str) -> Result<Value, RuntimeError> {
        let (workspace, name) = (workspace.to_string(), name.to_string());
        self.call(move |core| Ok(attribute_view(&core.attribute_doc(&workspace, &name)?)))
    }

    /// Defines a computed attribute; its values are filled from stored history before
    /// this answers.
    pub fn create_attribute(
        &self,
        workspace: &str,
        definition: Value,
    ) -> Result<Value, RuntimeError> {
        let workspace = workspace.to_string();
        self.call(move |core| {
            Ok(attribute_view(
                &core.create_attribute(&workspace, definition)?,
            ))
        })
    }

    /// Changes a computed attribute's definition (not its name).
    pub fn patch_attribute(
        &self,
        workspace: &str,
        name: &str,
        patch: Value,
    ) -> Result<Value, RuntimeError> {
        let (workspace, name) = (workspace.to_string(), name.to_string());
        self.call(move |core| {
            Ok(attribute_view(
                &core.patch_attribute(&workspace, &name, patch)?,
            ))
        })
    }

    /// Removes a computed attribute nothing running reads.
    pub fn delete_attribute(&self, workspace: &str, name: &str) -> Result<(), RuntimeError> {
        let (workspace, name) = (workspace.to_string(), name.to_string());
        self.call(move |core| core.delete_attribute(&workspace, &name))
    }

    /// What the engines know of the profile whose key (userId, else anonymousId) is `key`:
    /// computed attributes, and the audiences and journeys a caller with `scope` may see.
    pub fn profile_state(
        &self,
        scope: &TokenScope,
        workspace: &str,
        key: &str,
    ) -> Result<ProfileState, RuntimeError> {
        let (scope, workspace, key) = (scope.clone(), workspace.to_string(), key.to_string());
        self.call(move |core| core.profile_state(&scope, &workspace, &key))
    }
}

fn attribute_view(doc: &AttributeDoc) -> Value {
    let mut out = doc.definition.clone();
    out["workspace"] = json!(doc.workspace);
    out["created_at"] = view::instant(Some(doc.created_at));
    out["updated_at"] = view::instant(Some(doc.updated_at));
    out
}
