//! Computed attributes as views read them (a user's values at an instant, for the profile
//! page; the attribute names), and as a workspace defines, redefines and removes them while
//! the engine runs: each change is followed by a backfill of the users' values from stored
//! history ([`Engine::backfill_attribute`]).

use serde_json::Value;

use super::Engine;
use crate::compile::CompileError;
use crate::event::Event;
use crate::model::ComputedAttribute;
use crate::time::Millis;

/// One computed attribute's value for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeValue<'a> {
    /// The attribute's name.
    pub name: &'a str,
    /// Its value (`None`: missing, e.g. `min` with no events).
    pub value: Option<Value>,
}

impl Engine {
    /// The names of the engine's computed attributes, by id.
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.catalog
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// The id of the computed attribute with this name.
    pub fn attribute_id(&self, name: &str) -> Option<u32> {
        self.catalog.attribute_id(name)
    }

    /// Adds a computed attribute to the running engine; every user's value starts empty:
    /// fold their stored events in with [`Engine::backfill_attribute`]. Criteria compiled
    /// after this read it.
    pub fn add_attribute(&mut self, attribute: &ComputedAttribute) -> Result<u32, CompileError> {
        self.debug_assert_settled();
        if self.catalog.attribute_id(&attribute.name).is_some() {
            return Err(CompileError::DuplicateAttribute(attribute.name.clone()));
        }
        Ok(self.catalog.attribute(attribute))
    }

    /// Gives attribute `id` a new definition (its name stays): every user's value starts
    /// empty again, to be filled with [`Engine::backfill_attribute`].
    pub fn redefine_attribute(&mut self, id: u32, attribute: &ComputedAttribute) {
        self.debug_assert_settled();
        self.catalog.redefine_attribute(id, attribute);
        for user in &mut self.users {
            user.profile.reset_attribute(id, &self.catalog);
        }
    }

    /// Removes attribute `id`: events no longer fold into it and its name is free again.
    pub fn remove_attribute(&mut self, id: u32) {
        self.debug_assert_settled();
        for user in &mut self.users {
            user.profile.reset_attribute(id, &self.catalog);
        }
        self.catalog.retire_attribute(id);
    }

    /// Folds a stored event of user `key` into the attributes `ids` only (a backfill):
    /// nothing is evaluated and the clock does not move.
    pub fn backfill_attribute(&mut self, key: &str, event: &Event, ids: &[u32]) {
        self.debug_assert_settled();
        let names = self.catalog.attributes_named(event);
        if !ids.iter().any(|id| names.contains(id)) {
            return;
        }
        let user = self.user_index(key);
        let profile = &mut self.users[user as usize].profile;
        for &id in ids {
            if self.catalog.attributes_named(event).contains(&id) {
                profile.fold_attribute(id, event, &self.catalog);
            }
        }
    }

    /// A user's computed attributes at `at` (at or after the events applied to them), in
    /// definition order; `None` when the key names nobody.
    pub fn attribute_values(&self, key: &str, at: Millis) -> Option<Vec<AttributeValue<'_>>> {
        let user = *self.index.get(key.as_bytes())?;
        let profile = &self.users[user as usize].profile;
        let specs = &self.catalog.attributes;
        Some(
            specs
                .iter()
                .enumerate()
                .filter(|(_, spec)| !spec.name.is_empty())
                .map(|(id, spec)| AttributeValue {
                    name: &spec.name,
                    value: profile.attribute(id as u32, specs, at),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
#[path = "engine_attributes_tests.rs"]
mod tests;
