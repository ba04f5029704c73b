//! The property tests: each runs generated journeys and event streams through the engine and
//! checks one invariant (and, implicitly, that nothing panics).

use proptest::prelude::*;
use waymark_engine::model::Journey;
use waymark_engine::validate::{Limits, validate_journey};

use crate::checks;
use crate::generators::{journey, scenario};
use crate::json;
use crate::run::run;

/// `cases` cases, unless `PROPTEST_CASES` asks for more (or fewer) for a longer soak.
fn config(cases: u32) -> ProptestConfig {
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

    #[test]
    fn step_journey_and_delivery_lines_alternate(s in scenario()) {
        checks::alternation(&run(&s)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn audiences_are_path_closed(s in scenario()) {
        checks::path_closed(&run(&s)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn control_users_are_at_no_step_and_hear_nothing(s in scenario()) {
        checks::control(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn runs_are_deterministic(s in scenario()) {
        checks::determinism(&s).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn deliveries_need_an_active_connection_and_a_step_line(s in scenario()) {
        checks::deliveries(&run(&s)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn transitions_are_in_time_order(s in scenario()) {
        checks::time_order(&run(&s), &s).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn leaving_the_journey_leaves_every_audience(s in scenario()) {
        checks::leaving(&run(&s)).map_err(TestCaseError::fail)?;
    }
}
