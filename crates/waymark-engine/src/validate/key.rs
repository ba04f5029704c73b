//! Output keys of steps (SPEC §6).

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// The output key of a step (SPEC §6): `j_o_<journey_slug>__<step_slug>_<6 chars>`.
///
/// - `journey_slug` is the slug of the journey's name and `step_slug` the slug of the step's
///   name. A slug lower-cases ASCII letters, keeps ASCII digits, turns every run of other
///   characters (spaces, punctuation, non-ASCII letters) into one `_`, and drops a leading or
///   trailing `_`; a name with no ASCII letter or digit has an empty slug.
/// - The 6 chars are the first 6 lower-case hex digits (3 bytes) of the SHA-256 of the UTF-8
///   string `<journey id>/<step id>`, so that steps with the same names stay apart.
///
/// `step_key("j1", "Welcome Series", "entry", "Entry")` is `j_o_welcome_series__entry_` and
/// the hash. Names feed the key: a caller that must keep keys across renames (SPEC §6: a new
/// version keeps the keys of the steps whose id it keeps) stores the key once made.
pub fn step_key(journey_id: &str, journey_name: &str, step_id: &str, step_name: &str) -> String {
    let digest = Sha256::digest(format!("{journey_id}/{step_id}").as_bytes());
    let mut key = format!("j_o_{}__{}_", slug(journey_name), slug(step_name));
    for byte in &digest[..3] {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// The output key of a standalone audience: `a_<audience_slug>_<6 chars>`, built as a step's
/// is (the slug of its name; the first 6 hex digits of the SHA-256 of `audience/<id>`), so
/// that it never equals a step's key and two audiences with one name stay apart.
pub fn audience_key(audience_id: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("audience/{audience_id}").as_bytes());
    let mut key = format!("a_{}_", slug(name));
    for byte in &digest[..3] {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// Lower-case ASCII letters and digits, every run of anything else one `_`, none at the ends.
fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('_');
            }
            gap = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    slug
}
