//! Journey validation: every problem in a journey document, each with its JSON path.
//!
//! [`validate_journey`] walks the raw JSON rather than the typed model, so that it reports
//! every problem, not just the first, and never panics or overflows the stack whatever the
//! input. [`load_journey`] parses text, validates it and returns the typed
//! [`crate::model::Journey`].
//!
//! What is checked, with the problem codes (each problem's path points at the offending
//! value, or where a missing field belongs):
//!
//! - JSON shape: `wrong_type`, `missing_field` (also criteria, waits and `until`s that have
//!   none of their kind's keys), `unknown_field` (anywhere; the message lists the allowed
//!   fields), `conflicting_fields` (several kinds at once, `within` with `between`,
//!   `member_of` with both a step and an audience), `empty_value` (ids, names, event names,
//!   paths, properties, input lists). `null` counts as absent for optional fields.
//! - Ids: `invalid_entry_id` (the entry's id is `entry`), `duplicate_step_id` (the entry
//!   included), `duplicate_connection_id` (across the journey).
//! - Enumerations: `unknown_step_type`, `unknown_branching`, `unknown_operator`,
//!   `unknown_count_op`, `unknown_since`, `unknown_entry_on`, `unknown_reentry`,
//!   `unknown_connection_mode`, `unknown_fallback`.
//! - Numbers: `invalid_count_value` (0 or more), `invalid_weight`, `invalid_frequency_cap`,
//!   `invalid_version` (1 or more), `invalid_percent`, `control_group_too_large` (over 50).
//! - Time syntax: `invalid_duration`, `invalid_clock_time`, `invalid_day`,
//!   `invalid_time_zone`, `invalid_instant`; `invalid_interval` (`between.from` after `to`,
//!   `start_at` not before `end_at`); `empty_quiet_hours` (start equals end).
//! - Criteria: `invalid_everyone` (`everyone` is `true`), `missing_value`, `unexpected_value`
//!   (`exists` / `not_exists` take none), `invalid_operand` (the value's type does not suit
//!   the operator), `since_step_in_entry`, `unknown_member_step` (a `member_of` this journey
//!   names a step it lacks), `criteria_too_deep` (over 32 levels).
//! - Entry: `event_entry_without_event` (`on: "event"` with no event condition to trigger).
//! - Steps: `missing_criteria`, `criteria_not_allowed` (milestones only), `missing_wait`,
//!   `wait_not_allowed` (waits only), `missing_weight`, `weight_not_allowed` (children of
//!   `random` steps only), `timeout_not_allowed` (`wait` branching only),
//!   `remaining_not_last`, `duplicate_remaining`, `remaining_without_timeout` (under `wait`
//!   branching), `remaining_under_random`, `exit_with_children`, `unreachable_step` (under
//!   `wait`, `decide` or `live` branching, a child after one that always passes — a `wait`,
//!   `send` or `exit` step or a milestone for `{"everyone": true}`; under `all`, a
//!   `remaining` child beside one), `steps_too_deep` (over 64 levels below the entry).
//! - Limits ([`Limits`]): `too_many_steps`, `journey_name_too_long`, `step_name_too_long`,
//!   `key_too_long`.
//! - [`load_journey`] only: `invalid_json`, `invalid_journey`.
//!
//! Standalone audiences ([`validate_audience`], [`validate_audience_set`],
//! [`load_audiences`]) use the same checks for their fields, criteria (as entry criteria)
//! and connections, plus `audience_name_too_long` (the journey name limit) and, for a set,
//! `duplicate_audience_id`, `unknown_audience`, `unknown_journey`, `audience_cycle`;
//! [`load_audiences`] adds `invalid_json` and `invalid_audience`.
//!
//! Computed attributes ([`validate_attribute`], [`validate_attribute_set`],
//! [`load_attributes`]): the same field checks and filters, plus `unknown_aggregate`,
//! `missing_property` (every aggregate but `count` reads one) and, for a set,
//! `duplicate_attribute_name`; [`load_attributes`] adds `invalid_json` and
//! `invalid_attribute`. A set of audiences names unknown attributes with `unknown_attribute`.

mod attribute;
mod audience;
mod branching;
mod criteria;
mod fields;
mod journey;
mod key;
mod limits;
mod problems;
mod settings;
mod steps;
#[cfg(test)]
mod tests;
mod waits;

use serde_json::Value;

use crate::model::Journey;
use fields::Checker;

pub use attribute::{load_attributes, validate_attribute, validate_attribute_set};
pub use audience::{load_audiences, validate_audience, validate_audience_set};
pub use key::{audience_key, step_key};
pub use limits::{Limits, counted_steps};
pub use problems::Problem;

/// Every problem in a journey JSON value (empty when it is valid).
///
/// Problems come in the order they are found: field by field down the document, with the
/// rules between siblings after the siblings themselves and the journey-wide checks
/// (`member_of` steps, the step count) last.
pub fn validate_journey(doc: &Value, limits: &Limits) -> Vec<Problem> {
    let mut checker = Checker::new(*limits);
    checker.journey(doc);
    checker.problems
}

/// Parses and validates journey JSON text; on success, the typed model.
///
/// Text that is not JSON gives one `invalid_json` problem at `$` naming the line and column.
pub fn load_journey(text: &str, limits: &Limits) -> Result<Journey, Vec<Problem>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            "$",
            "invalid_json",
            format!("not valid JSON: {e}"),
        )]
    })?;
    let problems = validate_journey(&doc, limits);
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(doc).map_err(|e| {
        vec![Problem::new(
            "$",
            "invalid_journey",
            format!("not a valid journey: {e}"),
        )]
    })
}
