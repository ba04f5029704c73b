//! How much of the engine the generators reach: `cargo test -p waymark-engine --test it
//! coverage -- --ignored --nocapture` prints what 500 generated scenarios do on average
//! (run it after changing the generators, so that the properties stay meaningful).

use std::collections::BTreeMap;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use waymark_engine::model::StepKind;
use waymark_engine::{Change, TransitionKind};

use crate::generators::scenario;
use crate::run::run;

#[test]
#[ignore = "a report, not a test"]
fn coverage() {
    let mut runner = TestRunner::deterministic();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let n = 500;
    for _ in 0..n {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let r = run(&s);
        let mut add = |what, k: usize| *counts.entry(what).or_default() += k;
        add("steps below the entry", r.tree.ids.len() - 1);
        add("events", s.events.len());
        add("transitions", r.transitions.len());
        let ts = &r.transitions;
        let any = |f: &dyn Fn(&waymark_engine::Transition) -> bool| usize::from(ts.iter().any(f));
        add(
            "runs with an entry",
            any(&|t| t.kind == TransitionKind::Journey(Change::Entered)),
        );
        add("runs with a re-entry", any(&|t| t.entry > 1));
        add(
            "runs below the entry",
            any(&|t| matches!(t.kind, TransitionKind::Step { step, .. } if step > 0)),
        );
        add(
            "runs with an exit step reached",
            any(
                &|t| matches!(t.kind, TransitionKind::Step { step, .. } if r.tree.kind[usize::from(step)] == Some(StepKind::Exit)),
            ),
        );
        add(
            "runs with a step left early",
            any(
                &|t| matches!(t.kind, TransitionKind::Step { step, change: Change::Exited } if step > 0),
            ),
        );
        add(
            "runs with a control user",
            any(&|t| t.kind == TransitionKind::Control),
        );
        add("runs with a goal", any(&|t| t.kind == TransitionKind::Goal));
        add(
            "runs with a delivery",
            any(&|t| matches!(t.kind, TransitionKind::Delivery { .. })),
        );
        let last_event = s.events.last().map_or(0, |(_, e)| e.at);
        add(
            "runs with timers after the last event",
            any(&|t| t.at > last_event),
        );
    }
    for (what, k) in counts {
        println!(
            "{what:40} {k:6}  ({:.2} per scenario)",
            k as f64 / f64::from(n)
        );
    }
}
