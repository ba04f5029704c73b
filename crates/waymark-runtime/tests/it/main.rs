//! Integration tests of the live runtime: journeys published over a store, fed by its commit
//! feed, with a manual clock, delivering to file and list outputs.

mod receiver;
mod support;

mod activation;
mod attributes;
mod audiences;
mod checkpoint;
mod deletion;
mod delivery_inspect;
mod delivery_order;
mod delivery_pace;
mod delivery_payload;
mod delivery_stats;
mod estimates;
mod historical;
mod identity;
mod journey_stats;
mod lists;
mod restart;
mod stop;
mod timers;
mod versions;
