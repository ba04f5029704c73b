//! Starting a `historical` journey a slice of users at a time (issue 9, B2): its start
//! evaluates every user the engine holds at one instant, which at 100,000 users holds the
//! thread that also applies live events for tens of milliseconds. Started in slices, the
//! users are evaluated a few at a time ([`Engine::release_slice`]) between live events,
//! with the outcome of the start made at once, user by user:
//!
//! - every user is evaluated at the start's instant (the clock is set back to it for that
//!   user), with the profile they had then: a user is released before anything else
//!   touches them (an event, their timer, their removal), and the timers their release
//!   sets that came due since fire at once, in order, at the instants they would have;
//! - users share nothing an evaluation reads but the definitions, so the order in which
//!   users are released changes only how transitions of different users interleave, never
//!   a user's own transitions;
//! - whatever changes the definitions or evaluates everyone (another start, stopping or
//!   replacing a journey, settling a journey again) finishes the release first; calls
//!   that do so without an `out` to emit into ([`Engine::add_journey`] and the like) must
//!   come after [`Engine::finish_release`].
//!
//! A user is released once they are awake in the journey: a journey added to a running
//! engine wakes nobody before its start, and its start wakes everyone it evaluates.

use super::{Engine, Phase};
use crate::machine::Trigger;
use crate::time::{Millis, OptionalMillis};
use crate::transition::{Transition, UserIndex};

/// A `historical` start under way in slices.
#[derive(Debug, Clone, Copy)]
pub(super) struct Release {
    /// The journey starting.
    journey: u16,
    /// Its start: every user is evaluated at this instant.
    at: Millis,
    /// The next user the slices evaluate; those before it are released.
    next: UserIndex,
    /// The users the engine held at the start: later ones were not there to be evaluated
    /// (their first event wakes them, as after an atomic start).
    end: UserIndex,
}

impl Engine {
    /// Lets held journey `j` start at `at` like [`Engine::release_journey`], but when it is
    /// `historical` its start evaluates the users in slices: [`Engine::release_slice`]
    /// between live events until it answers `false`, or [`Engine::finish_release`].
    pub fn release_journey_in_slices(&mut self, j: u16, at: Millis) {
        let waiting = self.lifecycles[usize::from(j)].phase == Phase::Waiting;
        if waiting && !self.sliced_starts.contains(&j) {
            self.sliced_starts.push(j);
        }
        self.release_journey(j, at);
    }

    /// Whether a start is under way in slices.
    pub fn releasing(&self) -> bool {
        self.releasing.is_some()
    }

    /// Evaluates up to `users` more users for the start under way; returns whether some are
    /// left.
    pub fn release_slice(&mut self, users: usize, out: &mut Vec<Transition>) -> bool {
        for _ in 0..users {
            let Some(r) = self.releasing.as_mut().filter(|r| r.next < r.end) else {
                break;
            };
            let user = r.next;
            r.next += 1;
            self.release_user(user, out);
        }
        if self.releasing.is_some_and(|r| r.next >= r.end) {
            self.releasing = None;
        }
        self.releasing.is_some()
    }

    /// Evaluates every user left of the start under way.
    pub fn finish_release(&mut self, out: &mut Vec<Transition>) {
        while self.release_slice(usize::MAX, out) {}
    }

    /// Whether journey `j` was released to start in slices (see
    /// [`Engine::release_journey_in_slices`]), forgetting it: it starts, or never will.
    pub(super) fn take_sliced_start(&mut self, j: u16) -> bool {
        let before = self.sliced_starts.len();
        self.sliced_starts.retain(|&k| k != j);
        self.sliced_starts.len() != before
    }

    /// Starts `historical` journey `j` at the clock, its users to be evaluated in slices.
    pub(super) fn begin_release(&mut self, j: u16) {
        self.releasing = Some(Release {
            journey: j,
            at: self.clock,
            next: 0,
            end: self.users.len() as UserIndex,
        });
    }

    /// Checks, in debug builds, that no start is under way in slices: for the calls that
    /// change what an evaluation reads without emitting transitions, which must come after
    /// [`Engine::finish_release`].
    pub(super) fn debug_assert_settled(&self) {
        debug_assert!(
            self.releasing.is_none(),
            "a start is under way in slices: finish it first"
        );
    }

    /// Whether `user` is still to be evaluated for the start under way.
    pub(super) fn awaits_release(&self, user: UserIndex) -> bool {
        self.releasing.is_some_and(|r| {
            let state = &self.users[user as usize];
            user < r.end && !state.removed && !state.journeys.awake(r.journey)
        })
    }

    /// Evaluates `user` for the start under way as the start would have, then fires the
    /// timers that evaluation set which are due by the clock (each at the instant it would
    /// have fired: its due time, or the clock of the evaluation that set it when later).
    pub(super) fn release_user(&mut self, user: UserIndex, out: &mut Vec<Transition>) {
        if !self.awaits_release(user) {
            return;
        }
        let Some(r) = self.releasing else {
            return;
        };
        let now = self.clock;
        self.clock = r.at;
        self.users[user as usize].journeys.wake(r.journey);
        self.settle_one(user, r.journey, out, |m, st| m.settle(st, Trigger::Timer));
        while let Some(due) = self.users[user as usize].timer.get().filter(|&t| t <= now) {
            self.timers.remove(&(due, user));
            self.users[user as usize].timer = OptionalMillis::NONE;
            self.clock = self.clock.max(due);
            self.settle_timer(user, out);
        }
        self.clock = now;
    }
}

#[cfg(test)]
#[path = "engine_release_tests.rs"]
mod tests;
