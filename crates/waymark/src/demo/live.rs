//! Live traffic: a trickle of sessions by existing demo users, starting at a given moment,
//! for a server to send as time passes.

use serde_json::json;
use waymark_engine::time::Millis;

use super::DemoMessage;
use super::order::in_time_order;
use super::persona::{Persona, Plan};
use super::rng::Rng;
use super::timeline::{SECOND, Timeline};

/// Salt of the live stream.
const LIVE_SALT: u64 = 0x4C49_5645_5452_4B4C;

/// Mean time between two session starts.
const MEAN_GAP: f64 = 1_500.0;

/// The first `count` messages, in time order, of sessions by users `0..users` that start at
/// `now` and follow each other about every 1.5 s. Message ids are `demo-<seed>-live-<now>-<n>`.
pub fn live(seed: u64, users: usize, now: Millis, count: usize) -> Vec<DemoMessage> {
    if users == 0 || count == 0 {
        return Vec::new();
    }
    let mut rng = Rng::stream(seed ^ LIVE_SALT, now as u64);
    let mut out = Vec::with_capacity(count + 64);
    let mut start = now;
    // Once `count` messages exist, `cutoff` bounds the time of the count-th earliest one;
    // sessions starting after it cannot change the answer.
    let mut cutoff = Millis::MAX;
    let mut session = 0u64;
    while start <= cutoff {
        let persona = Persona::new(seed, rng.below(users as u64) as usize);
        let mut timeline = Timeline {
            persona: &persona,
            rng: Rng::stream(rng.next_u64(), session),
            lo: now,
            hi: Millis::MAX,
            consent_period: (now, now),
            identified_at: if persona.starts_anonymous && rng.chance(0.15) {
                Millis::MAX
            } else {
                Millis::MIN
            },
            ltv: persona.ltv_base + (rng.exp(120.0) * 100.0).round() / 100.0,
            tag: format!("-L{now}-{session}"),
            carts: 0,
            stated: None,
            out: &mut out,
        };
        session_for(&mut timeline, start, &mut rng);
        if cutoff == Millis::MAX && out.len() >= count {
            let mut times: Vec<Millis> = out.iter().map(|m| m.message.event.at).collect();
            let (_, nth, _) = times.select_nth_unstable(count - 1);
            cutoff = *nth;
        }
        start += rng.exp(MEAN_GAP) as Millis + 1;
        session += 1;
    }
    in_time_order(out, count, &format!("demo-{seed}-live-{now}-"))
}

/// One live session of a user: reading for blog users; for shop users mostly shopping,
/// sometimes a plan upgrade or a completed onboarding step.
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
