//! Computed attributes as views read them: a user's values at an instant (the profile page),
//! and the attribute names.

use serde_json::Value;

use super::Engine;
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
        self.catalog.attributes.iter().map(|a| a.name.as_str())
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
