use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::HashMap;
use waymark_engine::{TransitionKind, Change};
use waymark_engine::model::*;
use crate::generators::scenario;
use crate::run::run;

#[test]
#[ignore]
fn stats() {
    let mut runner = TestRunner::deterministic();
    let mut c: HashMap<&str, usize> = HashMap::new();
    let n = 500;
    for _ in 0..n {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let r = run(&s);
        *c.entry("steps").or_default() += r.tree.ids.len() - 1;
        *c.entry("events").or_default() += s.events.len();
        *c.entry("transitions").or_default() += r.transitions.len();
        let entered = r.transitions.iter().filter(|t| t.kind == TransitionKind::Journey(Change::Entered)).count();
        if entered > 0 { *c.entry("runs with entries").or_default() += 1; }
        *c.entry("journey entered").or_default() += entered;
        let mut deepest = 0;
        for t in &r.transitions {
            let k = match t.kind {
                TransitionKind::Step{step, change: Change::Entered} => { deepest = deepest.max(step); if step > 0 { "step>0 entered" } else {"entry entered"} },
                TransitionKind::Step{change: Change::Exited, ..} => "step exited",
                TransitionKind::Journey(Change::Exited) => "journey exited",
                TransitionKind::Control => "control",
                TransitionKind::Goal => "goal",
                TransitionKind::Delivery{..} => "delivery",
                _ => continue,
            };
            *c.entry(k).or_default() += 1;
        }
        if deepest > 0 { *c.entry("runs reaching a step below entry").or_default() += 1; }
        if r.transitions.iter().any(|t| t.entry > 1) { *c.entry("runs with reentry").or_default() += 1; }
        if r.transitions.iter().any(|t| matches!(t.kind, TransitionKind::Step{step, ..} if r.tree.kind[step as usize] == Some(StepKind::Exit))) { *c.entry("runs with exit step").or_default() += 1; }
        if r.transitions.iter().any(|t| matches!(t.kind, TransitionKind::Step{step, change: Change::Exited} if step > 0) ) { *c.entry("runs with step exits").or_default() += 1; }
        if r.transitions.iter().any(|t| t.at > s.events.last().unwrap().1.at) { *c.entry("runs with transitions after last event").or_default() += 1; }
        if s.journey.entry.live { *c.entry("live journeys").or_default() += 1; }
    }
    let mut v: Vec<_> = c.into_iter().collect();
    v.sort();
    for (k, x) in v { println!("{k:40} {x:8} ({:.2} per run)", x as f64 / n as f64); }
}

#[test]
#[ignore]
fn no_entry_reasons() {
    let mut runner = TestRunner::deterministic();
    let mut c: HashMap<String, usize> = HashMap::new();
    for _ in 0..500 {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let r = run(&s);
        let entered = r.transitions.iter().any(|t| t.kind == TransitionKind::Journey(Change::Entered));
        let e = &s.journey.entry;
        let desc = format!("crit={} on={:?} inputs={} window={}", e.criteria.is_some(), e.on, !s.journey.inputs.is_empty(), e.start_at.is_some() || e.end_at.is_some());
        *c.entry(format!("{desc} entered={entered}")).or_default() += 1;
        if !entered && e.criteria.is_some() && s.journey.inputs.is_empty() && e.start_at.is_none() && e.end_at.is_none() {
            println!("{}", crate::json::criteria(e.criteria.as_ref().unwrap()));
        }
    }
    let mut v: Vec<_> = c.into_iter().collect();
    v.sort();
    for (k, x) in v { println!("{k:60} {x:8}"); }
}

#[test]
#[ignore]
fn b_entry() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..500 {
        let s = scenario().new_tree(&mut runner).unwrap().current();
        let r = run(&s);
        let entered = r.transitions.iter().any(|t| t.kind == TransitionKind::Journey(Change::Entered));
        let e = &s.journey.entry;
        if !entered && e.criteria.as_ref().is_some_and(|c| crate::json::criteria(c).to_string() == r#"{"count":{"op":">=","value":1},"event":"B"}"#) && s.journey.inputs.is_empty() && e.start_at.is_none() && e.end_at.is_none() {
            let b = s.events.iter().filter(|(_, e)| e.name.as_deref() == Some("B")).count();
            println!("on={:?} B events={b} total={}", e.on, s.events.len());
        }
    }
}
