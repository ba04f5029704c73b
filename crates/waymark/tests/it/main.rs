//! Integration tests of the `waymark` binary, run as a user runs it.
//!
//! - `scenarios`: every conformance scenario (Waymark's own under `tests/scenarios`, and the
//!   public suite under `../shared/scenarios` when it is there) through `waymark simulate`,
//!   traces compared as a multiset exactly like `shared/bin/conformance`; determinism.
//! - `cli`: error handling of `simulate` and `validate`.

mod cli;
mod scenarios;
mod support;
