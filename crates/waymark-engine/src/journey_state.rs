//! One user's place in one journey: whether they are in it, where, since when, and what
//! outputs have heard of.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::compile::StepIndex;
use crate::time::{Millis, OptionalMillis};

/// Whether the user is in the journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum Status {
    /// Not in the journey.
    #[default]
    Out,
    /// In the journey, at steps.
    In,
    /// In the journey as control: at no step.
    Control,
}

/// A step in the user's audience list, in the order they entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AudienceEntry {
    pub(crate) step: StepIndex,
    /// When the user entered this step's audience (its audience CSV shows it).
    pub(crate) entered_at: Millis,
    /// Whether the step's connections were told of the entry (so they hear of the exit).
    pub(crate) announced: bool,
}

/// A step the user is at, and what they are waiting for there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub(crate) step: StepIndex,
    /// When the step was reached (for a wait step, once its wait has passed).
    pub(crate) reached_at: Millis,
    /// The user's event sequence number at that moment (for `since: step`).
    pub(crate) reached_seq: u32,
    pub(crate) phase: Phase,
}

/// What a position waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Phase {
    /// A wait step whose wait has not passed.
    Waiting,
    /// Children are to be chosen (with `wait` branching: until a guard holds).
    Choosing,
    /// A `live` parent, at the child currently chosen.
    Live { child: Option<StepIndex> },
    /// Quiet hours hold the user here until they can move to the send step `child` (the
    /// window is checked in the user's current time zone each time).
    Delayed { child: StepIndex },
    /// Nothing more happens here.
    Holding,
}

/// One user's state in one journey.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JourneyState {
    /// The journey's index in the engine (a user holds states only for some journeys).
    pub(crate) journey: u16,
    pub(crate) status: Status,
    /// Entries so far (the current entry's number while in the journey).
    pub(crate) entries: u32,
    pub(crate) entered_at: Millis,
    pub(crate) entry_seq: u32,
    pub(crate) left_at: OptionalMillis,
    /// The entry criteria's value at the last evaluation (to see them rise).
    pub(crate) entry_held: bool,
    pub(crate) goal_reached: bool,
    // Room for one inline: a state is held only for users in or once in the journey, most
    // of whom are at one step in one step's audience, and a heap allocation per membership
    // costs more than the room (B3, docs/benchmarks.md).
    pub(crate) audience: SmallVec<[AudienceEntry; 1]>,
    pub(crate) positions: SmallVec<[Position; 1]>,
    /// Times of delivering send steps, latest last (for the frequency cap).
    pub(crate) sends: SendTimes,
    /// When the machine, at its last run, said it must look at the user next.
    pub(crate) due: OptionalMillis,
}

// Millions of these are held at once (one per user and journey they are in): keep a change
// that grows them deliberate.
const _: () = assert!(std::mem::size_of::<JourneyState>() <= 104);

/// When a user was last sent something by a journey's send steps, latest last; kept only
/// under a frequency cap, so most states hold none and pay one pointer for the room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::box_collection,
    reason = "a thin pointer: the vector's own 24 bytes would be in every state"
)]
pub(crate) struct SendTimes(Option<Box<Vec<Millis>>>);

impl SendTimes {
    /// How many sends were after `after`.
    pub(crate) fn count_after(&self, after: Millis) -> usize {
        self.0
            .as_deref()
            .map_or(0, |times| times.iter().filter(|t| **t > after).count())
    }

    /// Records a send at `at`, keeping the latest `keep`.
    pub(crate) fn record(&mut self, at: Millis, keep: usize) {
        let times = self.0.get_or_insert_default();
        times.push(at);
        if times.len() > keep {
            times.remove(0);
        }
    }
}

impl Serialize for SendTimes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0
            .as_deref()
            .map_or(&[][..], Vec::as_slice)
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SendTimes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let times = Vec::<Millis>::deserialize(deserializer)?;
        Ok(Self((!times.is_empty()).then(|| Box::new(times))))
    }
}

impl JourneyState {
    /// The state of a user who was never in journey `journey` and waits for nothing there.
    pub(crate) fn vacant(journey: u16) -> Self {
        Self {
            journey,
            ..Self::default()
        }
    }

    /// Whether this state says no more than a vacant one (it need not be kept).
    pub(crate) fn is_vacant(&self) -> bool {
        // Most held states were entered: the first two fields settle it without building
        // a vacant state to compare with (asked after every machine run).
        self.status == Status::Out && self.entries == 0 && *self == Self::vacant(self.journey)
    }
}
