//! Computed attributes (SPEC §5) and a profile's computed view through the runtime handle:
//! every call runs on the engine thread. Callers check that the token reaches the
//! workspace before calling.

use serde_json::Value;
use waymark_store::TokenScope;

use super::Runtime;
use crate::RuntimeError;
use crate::attributes::AttributeDoc;
use crate::core::ProfileState;

impl Runtime {
    /// A workspace's computed attributes.
    pub fn attributes(&self, workspace: &str) -> Result<Vec<AttributeDoc>, RuntimeError> {
        let workspace = workspace.to_string();
        self.call(move |core| core.attribute_docs(&workspace))
    }

    /// One computed attribute.
    pub fn attribute(&self, workspace: &str, name: &str) -> Result<AttributeDoc, RuntimeError> {
        let (workspace, name) = (workspace.to_string(), name.to_string());
        self.call(move |core| core.attribute_doc(&workspace, &name))
    }

    /// Defines a computed attribute; its values are filled from stored history before
    /// this answers.
    pub fn create_attribute(
        &self,
        workspace: &str,
        definition: Value,
    ) -> Result<AttributeDoc, RuntimeError> {
        let workspace = workspace.to_string();
        self.call(move |core| core.create_attribute(&workspace, definition))
    }

    /// Changes a computed attribute's definition (not its name).
    pub fn patch_attribute(
        &self,
        workspace: &str,
        name: &str,
        patch: Value,
    ) -> Result<AttributeDoc, RuntimeError> {
        let (workspace, name) = (workspace.to_string(), name.to_string());
        self.call(move |core| core.patch_attribute(&workspace, &name, patch))
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
