//! What the engine decides: membership transitions and deliveries, with their instants.

use crate::time::Millis;

/// Index of a user inside one [`crate::Engine`] (order of first appearance).
pub type UserIndex = u32;

/// One change the engine decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When it happened.
    pub at: Millis,
    /// Whose membership changed.
    pub user: UserIndex,
    /// Index of the journey in the engine.
    pub journey: u16,
    /// The user's entry number in that journey (1 for the first entry).
    pub entry: u32,
    /// What changed.
    pub kind: TransitionKind,
}

/// The kinds of change (the trace lines of SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// The user entered or left a step's audience.
    Step {
        /// Step index in the journey.
        step: u16,
        /// Entered or exited.
        change: Change,
    },
    /// The user entered or left the journey.
    Journey(Change),
    /// The user was held out as control on entry.
    Control,
    /// The user reached the goal.
    Goal,
    /// An active connection must hear of a step membership change.
    Delivery {
        /// Step index in the journey.
        step: u16,
        /// Connection index on that step.
        connection: u16,
        /// Entered or exited.
        action: Change,
    },
}

/// Direction of a membership change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Joined.
    Entered,
    /// Left.
    Exited,
}

impl Change {
    /// `entered` or `exited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Entered => "entered",
            Change::Exited => "exited",
        }
    }
}
