//! Integration tests: the outputs against local receivers on 127.0.0.1.

mod file;
mod guard;
mod receiver;
mod segment;
mod webhook;

use waymark_deliver::{Change, ConnectionMode, Delivery, User};

/// A delivery of user `u1` (entry `entry`) to step `s1` of journey `j1`.
pub fn delivery(mode: ConnectionMode, action: Change, entry: u32) -> Delivery {
    Delivery {
        journey_id: "j1".into(),
        journey_version: 2,
        step_id: "s1".into(),
        step_key: waymark_engine::validate::step_key("j1", "Onboarding", "s1", "Welcome"),
        connection_id: "c1".into(),
        mode,
        action,
        user: User {
            user_id: Some("u1".into()),
            anonymous_id: None,
        },
        entry_number: entry,
        at: 1_795_000_000_000,
        personalisation: Default::default(),
    }
}
