//! Waymark's journey engine: pure, deterministic, and free of I/O.
//!
//! Given a journey and a time-ordered stream of user events, the engine decides which
//! journey steps and audiences each user is in, what must be delivered, and when it next
//! needs to look at each user (timers are data; time is always an argument).

pub mod compare;
pub mod model;
pub mod time;
