//! Standalone audiences in the engine (SPEC §6): per user, one small membership record per
//! audience, kept equal to the audience's criteria at every instant the engine looks at the
//! user (events, and timers as windows slide), with the counts and member lists views need.

use super::{Engine, earliest, memberships};
use crate::compile::CompiledAudience;
use crate::eval::{Memberships, Scope};
use crate::time::Millis;
use crate::transition::{AUDIENCE_TARGET, Change, Transition, TransitionKind, UserIndex};

/// One user's membership of one audience.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct AudienceState {
    /// Whether the user is a member now.
    pub(super) member: bool,
    /// How many times the user has joined (the current membership's number while a member).
    pub(super) entries: u32,
    /// When the user last joined.
    pub(super) since: Millis,
}

/// A member of an audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudienceMember {
    /// The user.
    pub user: UserIndex,
    /// Which membership this is (1 for the first time the user joined).
    pub entry_number: u32,
    /// When the user joined.
    pub entered_at: Millis,
}

impl Engine {
    /// The compiled audience at `index` (for its id and connection ids).
    pub fn audience(&self, index: u16) -> &CompiledAudience {
        &self.audiences[usize::from(index)]
    }

    /// How many standalone audiences the engine runs.
    pub fn audience_count(&self) -> usize {
        self.audiences.len()
    }

    /// The index of the audience with this id.
    pub fn audience_index(&self, id: &str) -> Option<u16> {
        self.audiences
            .iter()
            .position(|a| a.id == id)
            .map(|i| i as u16)
    }

    /// How many users are members of each audience, by audience index.
    pub fn audience_sizes(&self) -> Vec<u64> {
        let mut sizes = vec![0; self.audiences.len()];
        for u in self.users.iter().filter(|u| !u.removed) {
            for (size, st) in sizes.iter_mut().zip(&u.audiences) {
                *size += u64::from(st.member);
            }
        }
        sizes
    }

    /// The members of an audience with their membership number and since when, in user
    /// order.
    pub fn audience_members(&self, audience: u16) -> Vec<AudienceMember> {
        let a = usize::from(audience);
        self.users
            .iter()
            .enumerate()
            .filter(|(_, u)| !u.removed)
            .filter_map(|(i, u)| {
                let st = u.audiences.get(a).filter(|st| st.member)?;
                Some(AudienceMember {
                    user: i as UserIndex,
                    entry_number: st.entries,
                    entered_at: st.since,
                })
            })
            .collect()
    }

    /// The audiences (by index) the user with this key is a member of.
    pub fn user_audiences(&self, key: &str) -> Vec<u16> {
        let Some(&user) = self.index.get(key.as_bytes()) else {
            return Vec::new();
        };
        self.users[user as usize]
            .audiences
            .iter()
            .enumerate()
            .filter(|(_, st)| st.member)
            .map(|(i, _)| i as u16)
            .collect()
    }

    /// Brings one user's audience memberships in line with their criteria at the clock, in
    /// evaluation order; returns when they may next change with no new event.
    pub(super) fn settle_audiences(
        &mut self,
        user: UserIndex,
        out: &mut Vec<Transition>,
    ) -> Option<Millis> {
        let now = self.clock;
        let state = &mut self.users[user as usize];
        let mut due = None;
        for &a in &self.audience_order {
            let audience = &self.audiences[usize::from(a)];
            let from_inputs = audience
                .inputs
                .as_ref()
                .is_none_or(|ids| state.profile.inputs.iter().any(|i| ids.contains(i)));
            if !from_inputs {
                // Criteria cannot hold before an event from the inputs, which settles again.
                set_member(
                    audience,
                    a,
                    &mut state.audiences[usize::from(a)],
                    false,
                    now,
                    user,
                    out,
                );
                continue;
            }
            let members = if self.uses_membership {
                memberships(&state.journeys, &state.audiences)
            } else {
                Memberships::default()
            };
            let scope = Scope {
                now,
                profile: &state.profile,
                attributes: &self.catalog.attributes,
                entry_seq: None,
                step_seq: None,
                members: &members,
            };
            let holds = scope.holds(&audience.criteria);
            due = earliest(
                due,
                scope.next_change(&audience.criteria).filter(|t| *t > now),
            );
            set_member(
                audience,
                a,
                &mut state.audiences[usize::from(a)],
                holds,
                now,
                user,
                out,
            );
        }
        due
    }

    /// Every audience the user is in, left at the clock.
    pub(super) fn leave_audiences(&mut self, user: UserIndex, out: &mut Vec<Transition>) {
        let now = self.clock;
        let state = &mut self.users[user as usize];
        for (a, audience) in self.audiences.iter().enumerate() {
            set_member(
                audience,
                a as u16,
                &mut state.audiences[a],
                false,
                now,
                user,
                out,
            );
        }
    }
}

/// Moves a user into or out of an audience, with the transition and the deliveries to its
/// active connections.
fn set_member(
    audience: &CompiledAudience,
    index: u16,
    st: &mut AudienceState,
    member: bool,
    now: Millis,
    user: UserIndex,
    out: &mut Vec<Transition>,
) {
    if st.member == member {
        return;
    }
    st.member = member;
    let change = if member {
        st.entries += 1;
        st.since = now;
        Change::Entered
    } else {
        Change::Exited
    };
    let emit = |kind| Transition {
        at: now,
        user,
        journey: AUDIENCE_TARGET | index,
        entry: st.entries,
        kind,
    };
    out.push(emit(TransitionKind::Journey(change)));
    for (c, connection) in audience.connections.iter().enumerate() {
        if connection.active {
            out.push(emit(TransitionKind::Delivery {
                step: 0,
                connection: c as u16,
                action: change,
            }));
        }
    }
}

#[cfg(test)]
#[path = "engine_audiences_tests.rs"]
mod tests;
