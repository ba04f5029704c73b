//! What the engine decides: membership transitions and deliveries, with their instants.

use crate::time::Millis;

/// Index of a user inside one [`crate::Engine`] (order of first appearance).
pub type UserIndex = u32;

/// The bit of [`Transition::journey`] that marks a standalone audience's index.
pub const AUDIENCE_TARGET: u16 = 0x8000;

/// One change the engine decided.
///
/// A standalone audience is, as SPEC §6 puts it, a journey with a live entry, re-entry
/// after exit and no steps, and its changes use the journey kinds: `Journey(Entered)` /
/// `Journey(Exited)` when the user joins or leaves it, and `Delivery` with `step` 0 for its
/// connections. Its `journey` field is the audience's index with [`AUDIENCE_TARGET`] set;
/// [`Transition::target`] tells the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When it happened.
    pub at: Millis,
    /// Whose membership changed.
    pub user: UserIndex,
    /// Index of the journey in the engine, or of the audience with [`AUDIENCE_TARGET`] set.
    pub journey: u16,
    /// The user's entry number in that journey or audience (1 for the first entry).
    pub entry: u32,
    /// What changed.
    pub kind: TransitionKind,
}

/// What a transition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A journey, by index ([`crate::Engine::journey`]).
    Journey(u16),
    /// A standalone audience, by index ([`crate::Engine::audience`]).
    Audience(u16),
}

impl Transition {
    /// The journey or standalone audience this transition is about.
    pub fn target(&self) -> Target {
        if self.journey & AUDIENCE_TARGET == 0 {
            Target::Journey(self.journey)
        } else {
            Target::Audience(self.journey & !AUDIENCE_TARGET)
        }
    }
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
    /// Follows [`TransitionKind::Goal`] once for every step whose audience the user is in at
    /// that moment (the branches they passed in this entry), so that statistics can count
    /// goal conversions per branch (SPEC §7) without keeping each user's path. Not a trace
    /// line.
    Converted {
        /// Step index in the journey.
        step: u16,
    },
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
