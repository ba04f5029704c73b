//! The property tests: each runs generated journeys and event streams through the engine and
//! checks one invariant (and, implicitly, that nothing panics).

use proptest::prelude::*;
use waymark_engine::model::Journey;
use waymark_engine::validate::{Limits, validate_journey};

use crate::checks;
use crate::generators::{journey, scenario};
use crate::json;
use crate::oracle;
use crate::run::run;

/// `cases` cases, unless `PROPTEST_CASES` asks for more (or fewer) for a longer soak.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// The generators only make journeys the validator accepts, and the JSON reads back as
    /// the same model.
    #[test]
    fn generated_journeys_are_valid(j in journey()) {
        let doc = json::journey(&j);
        let problems = validate_journey(&doc, &Limits::default());
        prop_assert!(problems.is_empty(), "{problems:#?}\n{doc:#}");
        let back: Journey = serde_json::from_value(doc.clone()).unwrap();
        prop_assert_eq!(back, j);
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Property 1 (see `checks::alternation`).
    #[test]
    fn step_journey_and_delivery_lines_alternate(s in scenario()) {
        checks::alternation(&run(&s)).map_err(TestCaseError::fail)?;
    }

    /// Property 2 (`checks::path_closed`).
    #[test]
    fn audiences_are_path_closed(s in scenario()) {
        checks::path_closed(&run(&s)).map_err(TestCaseError::fail)?;
    }

    /// Property 3 (`checks::control`).
    #[test]
    fn control_users_are_at_no_step_and_hear_nothing(s in scenario()) {
        checks::control(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 4 (`checks::determinism`).
    #[test]
    fn runs_are_deterministic(s in scenario()) {
        checks::determinism(&s).map_err(TestCaseError::fail)?;
    }

    /// Property 5 (`checks::deliveries`), on the engine directly: `simulate` activates
    /// every connection.
    #[test]
    fn deliveries_need_an_active_connection_and_a_step_line(s in scenario()) {
        checks::deliveries(&run(&s)).map_err(TestCaseError::fail)?;
    }

    /// Property 6 (`checks::time_order`).
    #[test]
    fn transitions_are_in_time_order(s in scenario()) {
        checks::time_order(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 7 (`checks::leaving`).
    #[test]
    fn leaving_the_journey_leaves_every_audience(s in scenario()) {
        checks::leaving(&run(&s)).map_err(TestCaseError::fail)?;
    }

    /// Property 9 (`checks::settings_rules`).
    #[test]
    fn journey_settings_are_kept(s in scenario()) {
        checks::settings_rules(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 15 (`checks::conversions`).
    #[test]
    fn goal_conversions_name_the_branches_passed(s in scenario()) {
        checks::conversions(&run(&s)).map_err(TestCaseError::fail)?;
    }

    /// Property 10 (`checks::branching_rules`).
    #[test]
    fn random_splits_follow_the_hash_and_waits_last(s in scenario()) {
        checks::branching_rules(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 11 (`checks::send_rules`).
    #[test]
    fn deliveries_are_complete_and_sends_keep_quiet_hours_and_the_cap(s in scenario()) {
        checks::send_rules(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 12 (`checks::waits_end_on_time`).
    #[test]
    fn waits_end_on_time(s in scenario()) {
        checks::waits_end_on_time(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 13 (`oracle::criteria_are_followed`).
    #[test]
    fn entry_exit_and_goal_criteria_are_acted_on(s in scenario()) {
        oracle::criteria_are_followed(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    /// Property 14 (`oracle::branching_follows_criteria`).
    #[test]
    fn children_are_chosen_by_their_guards(s in scenario()) {
        oracle::branching_follows_criteria(&run(&s), &s).map_err(TestCaseError::fail)?;
    }
}
