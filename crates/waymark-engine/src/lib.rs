//! Waymark's journey engine: pure, deterministic, and free of I/O.
//!
//! Given journeys and a time-ordered stream of user events, the engine decides which
//! journey steps and audiences each user is in, what must be delivered, and when it next
//! needs to look at each user. Timers are data and time is always an argument: the engine
//! never reads a clock.

mod attribute;
mod audience_order;
mod catalog;
pub mod compare;
mod compile;
mod counters;
mod engine;
mod eval;
pub mod event;
pub mod hash;
mod journey_state;
mod journey_states;
mod machine;
pub mod message;
pub mod model;
mod profile;
pub mod time;
pub mod trace;
pub mod transition;
pub mod validate;
mod wire;

pub use compile::{CompileError, CompiledAudience, CompiledJourney, MAX_TARGETS};
pub use engine::{
    Activation, AttributeValue, AudienceMember, CHECKPOINT_VERSION, CheckpointError, Engine,
    NewSlots, StepCounts, StepMember, UserJourney,
};
pub use event::Event;
pub use message::{Identity, Message, MessageKind};
pub use transition::{AUDIENCE_TARGET, Change, Target, Transition, TransitionKind, UserIndex};
