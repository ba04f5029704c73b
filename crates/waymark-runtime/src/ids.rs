//! Identifier rules for journeys and outputs.

use crate::RuntimeError;

/// Ids are 1–64 characters of `[A-Za-z0-9_-]`, so that they fit in URLs as they are.
pub fn check_id(what: &str, id: &str) -> Result<(), RuntimeError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::invalid(
            "invalid_id",
            format!("{what} `{id}` must be 1-64 characters of letters, digits, `_` and `-`"),
        ))
    }
}
