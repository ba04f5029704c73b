//! Integration tests of the engine: property tests over generated journeys and event
//! streams (`generators`), run on the engine directly (`run`) and checked by invariants
//! (`checks`, properties 1–12) and by an independent evaluation of the criteria (`oracle`,
//! properties 13–14), standalone audiences (`audiences`, properties 15–16), computed
//! attributes (`attributes`, property 17), journeys joining a running engine (`shared`,
//! properties 18–19), checkpoints (`checkpoints`, properties 20–22); property 8 is that no generated input makes the engine panic.
//! `regressions` holds deterministic cases, among them the engine bugs the properties found
//! (ignored until fixed). A failing property prints its minimal case as `journey.json`,
//! `events.ndjson` and `--until`, ready for `waymark simulate`.
//!
//! `PROPTEST_CASES=5000 cargo test -p waymark-engine --test it` runs a longer soak.

mod attributes;
mod audiences;
mod checkpoints;
mod checks;
mod coverage;
mod generators;
mod json;
mod oracle;
mod properties;
mod regressions;
mod run;
mod shared;
