//! Integration tests of the engine: property tests over generated journeys and event
//! streams, and regression cases they found.

mod checks;
mod generators;
mod json;
mod properties;
mod regressions;
mod run;
mod stats;
