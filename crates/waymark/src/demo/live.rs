//! Live traffic: a continuous trickle of sessions, for a server to send as time passes.
//!
//! Sessions start one after another and their events are released when their time comes,
//! so a session goes on across seconds (a product view, then an add to cart, a checkout,
//! an order) instead of being cut to its first events. Session time is compressed
//! ([`COMPRESS`]) so that a first-time visitor of `waymark demo` sees whole funnels within a
//! minute, and sessions are spaced by their size so that the messages average `rate` per
//! second. Some sessions are brand-new users signing up (users past the history's), which
//! moves the onboarding and trial journeys.

use serde_json::json;
use waymark_engine::time::Millis;

use super::DemoMessage;
use super::order::in_time_order;
use super::persona::{Persona, Plan};
use super::rng::Rng;
use super::timeline::{SECOND, Timeline};

/// Salt of the live stream.
const LIVE_SALT: u64 = 0x4C49_5645_5452_4B4C;

/// How much faster than the history a live session runs (its 6–80 s pauses become ~1–10 s).
pub const COMPRESS: Millis = 8;

/// Share of sessions that are a new user signing up.
const SIGN_UPS: f64 = 0.05;

/// A generator of live traffic, deterministic for a seed, a user count, a rate and a start.
pub struct Trickle {
    seed: u64,
    users: usize,
    rate: f64,
    rng: Rng,
    next_session: Millis,
    session: u64,
    new_users: usize,
    /// The first new user's index: past the history's users, and apart for each start, so a
    /// restarted demo does not sign the same people up again.
    first_new: usize,
    start: Millis,
    /// Generated and not yet due, unordered.
    pending: Vec<DemoMessage>,
    prefix: String,
    released: usize,
}

impl Trickle {
    /// A trickle of about `rate` messages a second for users `0..users` (and new users after
    /// them), its first session at `start`. Message ids are `demo-<seed>-live-<start>-<n>`.
    pub fn new(seed: u64, users: usize, rate: u32, start: Millis) -> Self {
        Trickle {
            seed,
            users,
            rate: f64::from(rate),
            rng: Rng::stream(seed ^ LIVE_SALT, start as u64),
            next_session: start,
            session: 0,
            new_users: 0,
            first_new: users + (start / 1_000).rem_euclid(1_000_000) as usize * 100_000,
            start,
            pending: Vec::new(),
            prefix: format!("demo-{seed}-live-{start}-"),
            released: 0,
        }
    }

    /// The messages whose time is at or before `now` and that were not returned yet, in time
    /// order.
    pub fn due(&mut self, now: Millis) -> Vec<DemoMessage> {
        if self.users == 0 || self.rate <= 0.0 {
            return Vec::new();
        }
        while self.next_session <= now {
            let start = self.next_session;
            let before = self.pending.len();
            self.session_at(start);
            let made = (self.pending.len() - before).max(1) as f64;
            // Spacing sessions by their size keeps the average at `rate` messages a second.
            let gap = self.rng.exp(made * 1_000.0 / self.rate) as Millis + 1;
            self.next_session += gap;
            self.session += 1;
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|m| m.message.event.at <= now);
        self.pending = later;
        let mut due = in_time_order(due, usize::MAX, "");
        for m in &mut due {
            m.message.message_id = Some(format!("{}{}", self.prefix, self.released));
            self.released += 1;
        }
        due
    }

    /// One session starting at `start`, its times compressed.
    fn session_at(&mut self, start: Millis) {
        let sign_up = self.rng.chance(SIGN_UPS);
        let index = if sign_up {
            self.new_users += 1;
            self.first_new + self.new_users - 1
        } else {
            self.rng.below(self.users as u64) as usize
        };
        let persona = Persona::new(self.seed, index);
        let mut made = Vec::new();
        let mut timeline = Timeline {
            persona: &persona,
            rng: Rng::stream(self.rng.next_u64(), self.session),
            lo: start,
            hi: Millis::MAX,
            consent_period: (start, start),
            identified_at: if persona.starts_anonymous && self.rng.chance(0.15) {
                Millis::MAX
            } else {
                Millis::MIN
            },
            ltv: persona.ltv_base + (self.rng.exp(120.0) * 100.0).round() / 100.0,
            tag: format!("-L{}-{}", self.start, self.session),
            carts: 0,
            stated: None,
            out: &mut made,
        };
        if sign_up && persona.new_user && persona.workspace != "blog" {
            signup_session(&mut timeline, start);
        } else {
            session_for(&mut timeline, start, &mut self.rng);
        }
        for mut m in made {
            let at = start + (m.message.event.at - start) / COMPRESS;
            m.message.event.at = at;
            m.message.received_at = at;
            self.pending.push(m);
        }
    }
}

/// A new shop user signs up: traits (trial or free plan), `Signed Up`, the trial, and often
/// a first onboarding step and some shopping.
fn signup_session(tl: &mut Timeline<'_>, at: Millis) {
    let p = tl.persona;
    tl.identified_at = at;
    let traits = tl.profile_traits(at, p.plan.as_str());
    tl.identify(at, false, traits);
    tl.track(at + SECOND, false, "Signed Up", json!({"method": "email"}));
    if p.plan == Plan::Trial {
        let props = json!({"trial_plan": "pro", "trial_days": 14});
        tl.track(at + 2 * SECOND, false, "Trial Started", props);
    }
    if tl.rng.chance(0.6) {
        let props = json!({"fields_completed": 6});
        tl.track(at + 40 * SECOND, false, "Profile Completed", props);
    }
    if tl.rng.chance(0.5) {
        tl.shop_session(at + 90 * SECOND, false);
    }
}

/// One live session of an existing user: reading for blog users; for shop users mostly
/// shopping, sometimes a plan upgrade or a completed onboarding step.
fn session_for(tl: &mut Timeline<'_>, at: Millis, rng: &mut Rng) {
    let p = tl.persona;
    if p.workspace == "blog" {
        tl.read_session(at);
        return;
    }
    let roll = rng.unit();
    if p.plan == Plan::Trial && roll < 0.03 {
        tl.identify(at, false, json!({"plan": "paid"}));
    } else if p.new_user && roll < 0.06 {
        tl.track(
            at,
            false,
            "Profile Completed",
            json!({"fields_completed": 6}),
        );
    } else if p.new_user && roll < 0.08 {
        let props = json!({"project_id": format!("prj-{:05}", p.index), "template": "blank"});
        tl.track(at + SECOND, false, "First Project Created", props);
    } else {
        let secondary = p.secondary.is_some() && rng.chance(0.3);
        tl.shop_session(at, secondary);
    }
}
