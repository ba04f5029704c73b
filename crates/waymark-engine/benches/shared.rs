//! One live engine for many journeys (issue 9, B5): the rate at which the engine applies
//! the benchmark workload (`support/workload.rs`, as `engine.rs` uses it) with 20 journeys
//! running, against the rate with one. The 20 are the realistic journey of `journey.json`
//! under 20 ids, so they share every counter and trait slot: what grows with their number
//! is each event's evaluation of every journey's state machine for its user, the cost an
//! index from events to the journeys they can change would remove.
//!
//! `cargo bench -p waymark-engine --bench shared` prints, for 100,000 users, events/s with
//! 1 and with 20 journeys (best of three passes each) and their ratio; under `cargo test
//! --benches` it runs one quick pass of 10,000 users.

use std::time::{Duration, Instant};

use waymark_engine::model::Journey;
use waymark_engine::{Engine, Transition};

#[path = "support/workload.rs"]
mod workload;

use workload::{DAY, Workload};

const SEED: u64 = 0x5741_594D_4152_4B21; // "WAYMARK!", as in engine.rs
const JOURNEY: &str = include_str!("journey.json");

/// `n` copies of the benchmark journey under distinct ids.
fn journeys(n: usize) -> Vec<Journey> {
    (0..n)
        .map(|i| {
            let mut j: Journey = serde_json::from_str(JOURNEY).expect("journey.json is a journey");
            j.id = format!("{}-{i}", j.id);
            j
        })
        .collect()
}

/// One pass of every event then the timers through a fresh engine; the time and the
/// transitions emitted.
fn pass(journeys: &[Journey], w: &Workload) -> (Duration, u64) {
    let mut engine = Engine::new(journeys).expect("journeys compile");
    let mut out: Vec<Transition> = Vec::with_capacity(1024);
    let mut templates = w.templates.clone();
    let mut transitions = 0u64;
    let started = Instant::now();
    for e in &w.events {
        let event = &mut templates[e.template as usize];
        event.at = e.at;
        engine.apply(&w.keys[e.user as usize], event, &mut out);
        transitions += out.len() as u64;
        out.clear();
    }
    engine.advance_to(w.end + 2 * DAY, &mut out);
    transitions += out.len() as u64;
    (started.elapsed(), transitions)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let (users, passes) = if benching { (100_000, 3) } else { (10_000, 1) };
    let w = Workload::generate(users, SEED);
    let mut rates = Vec::new();
    for n in [1, 20] {
        let js = journeys(n);
        let mut best = Duration::MAX;
        let mut emitted = 0;
        for _ in 0..passes {
            let (took, transitions) = pass(&js, &w);
            best = best.min(took);
            emitted = transitions;
        }
        assert!(emitted > 0, "no transitions: the bench measures nothing");
        let rate = w.events.len() as f64 / best.as_secs_f64();
        println!(
            "{n:>2} journey(s): {} events of {users} users in {best:.2?} (best of {passes}): \
             {rate:.0} events/s, {emitted} transitions",
            w.events.len()
        );
        rates.push(rate);
    }
    println!("ratio, 20 journeys to 1: {:.2}", rates[1] / rates[0]);
}
