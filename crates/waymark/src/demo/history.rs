//! Historical traffic: each user's sign-up, onboarding, plan changes and sessions over a
//! period, generated user by user and then merged in time order.

use serde_json::json;
use waymark_engine::time::Millis;

use super::DemoMessage;
use super::order::in_time_order;
use super::persona::{Persona, Plan};
use super::rng::Rng;
use super::timeline::{DAY, HOUR, MINUTE, SECOND, Timeline, daytime};

/// Salt of the activity streams (the persona streams use another).
const ACTIVITY_SALT: u64 = 0x4849_5354_4F52_5921;

/// Every message of `users` users over `[start, end)`, sorted by event time, with message
/// ids `demo-<seed>-<n>` in that order.
pub fn history(seed: u64, users: usize, start: Millis, end: Millis) -> Vec<DemoMessage> {
    if end <= start {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(users.saturating_mul(24));
    for index in 0..users {
        let persona = Persona::new(seed, index);
        let mut timeline = Timeline {
            persona: &persona,
            rng: Rng::stream(seed ^ ACTIVITY_SALT, index as u64),
            lo: start,
            hi: end,
            consent_period: (start, end),
            identified_at: Millis::MIN,
            ltv: persona.ltv_base,
            tag: String::new(),
            carts: 0,
            stated: None,
            out: &mut out,
        };
        if persona.workspace == "blog" {
            reader(&mut timeline, start, end);
        } else {
            shopper(&mut timeline, start, end);
        }
    }
    in_time_order(out, usize::MAX, &format!("demo-{seed}-"))
}

/// A shop user: sign-up (new users) or a first identify (existing customers), onboarding,
/// plan changes and shopping sessions.
fn shopper(tl: &mut Timeline<'_>, start: Millis, end: Millis) {
    let p = tl.persona;
    let span = end - start;
    let first = if p.new_user {
        let signup = daytime(&mut tl.rng, p.zone.offset_minutes, start, end);
        tl.identified_at = signup;
        if p.starts_anonymous {
            // Looked around before signing up, on the same device.
            let visit = signup - tl.rng.range(3 * MINUTE, 40 * MINUTE);
            tl.shop_session(visit, false);
        }
        sign_up(tl, signup);
        signup
    } else {
        let first = start + (tl.rng.exp(span as f64 / 10.0) as Millis).min(span - 1);
        let traits = tl.profile_traits(first, p.plan.as_str());
        tl.identify(first, false, traits);
        if p.plan == Plan::Free && tl.rng.chance(0.04) {
            let at = tl.rng.range(first, end);
            tl.identify(at, false, json!({"plan": "paid"}));
        }
        first
    };
    let count = 1.0 + tl.rng.exp(3.2 * p.activity);
    sessions(tl, first + 10 * MINUTE, end, count);
}

/// Sign-up, trial start, onboarding milestones and the plan's later changes.
fn sign_up(tl: &mut Timeline<'_>, at: Millis) {
    let p = tl.persona;
    let traits = tl.profile_traits(at, p.plan.as_str());
    tl.identify(at, false, traits);
    let method = *tl.rng.pick(&["email", "email", "google", "apple"]);
    tl.track(at + SECOND, false, "Signed Up", json!({"method": method}));
    if p.plan == Plan::Trial {
        tl.track(
            at + 2 * SECOND,
            false,
            "Trial Started",
            json!({"trial_plan": "pro", "trial_days": 14}),
        );
        if tl.rng.chance((0.3 * p.buyer).min(0.5)) {
            let upgrade = at + tl.rng.range(2 * DAY, 14 * DAY);
            tl.identify(upgrade, false, json!({"plan": "paid"}));
        } else {
            tl.identify(at + 14 * DAY, false, json!({"plan": "free"}));
        }
    } else if tl.rng.chance(0.05) {
        let upgrade = at + tl.rng.range(DAY, 30 * DAY);
        tl.identify(upgrade, false, json!({"plan": "paid"}));
    }
    let profile = tl.rng.chance(0.6);
    if profile {
        let after = (tl.rng.exp(8.0 * HOUR as f64) as Millis).clamp(2 * MINUTE, 3 * DAY);
        tl.track(
            at + after,
            false,
            "Profile Completed",
            json!({"fields_completed": 6}),
        );
    }
    if tl.rng.chance(if profile { 0.62 } else { 0.15 }) {
        let after = (tl.rng.exp(30.0 * HOUR as f64) as Millis).clamp(10 * MINUTE, 7 * DAY);
        let template = *tl
            .rng
            .pick(&["blank", "weekend-trip", "thru-hike", "gear-list"]);
        let props = json!({"project_id": format!("prj-{:05}", p.index), "template": template});
        tl.track(at + after, false, "First Project Created", props);
    }
}

/// About `count` shopping sessions spread over `[from, to)`, one after another; some left
/// carts bring the user back within a few days.
fn sessions(tl: &mut Timeline<'_>, from: Millis, to: Millis, count: f64) {
    if from >= to {
        return;
    }
    let offset = tl.persona.zone.offset_minutes;
    let mut times: Vec<Millis> = (0..count as usize)
        .map(|_| daytime(&mut tl.rng, offset, from, to))
        .collect();
    times.sort_unstable();
    let mut cursor = from;
    for planned in times {
        let at = planned.max(cursor);
        if at >= to {
            break;
        }
        let secondary = tl.persona.secondary.is_some() && tl.rng.chance(0.3);
        let (end, cart) = tl.shop_session(at, secondary);
        cursor = end + 10 * MINUTE;
        if let Some(cart) = cart
            && tl.rng.chance(0.3)
        {
            let back = end + (tl.rng.exp(8.0 * HOUR as f64) as Millis).clamp(20 * MINUTE, 3 * DAY);
            cursor = tl.return_to_cart(back, secondary, &cart) + 10 * MINUTE;
        }
    }
}

/// A blog reader: anonymous visits; some subscribe to the newsletter and identify.
fn reader(tl: &mut Timeline<'_>, start: Millis, end: Millis) {
    let p = tl.persona;
    tl.identified_at = Millis::MAX;
    let offset = p.zone.offset_minutes;
    let visits = 1 + tl.rng.exp(2.5 * p.activity) as usize;
    let mut times: Vec<Millis> = (0..visits)
        .map(|_| daytime(&mut tl.rng, offset, start, end))
        .collect();
    times.sort_unstable();
    let subscribe_on = tl
        .rng
        .chance(0.22)
        .then(|| tl.rng.below(visits as u64) as usize);
    let mut cursor = start;
    for (i, planned) in times.into_iter().enumerate() {
        let at = planned.max(cursor);
        let mut t = tl.read_session(at);
        if subscribe_on == Some(i) {
            tl.identified_at = t;
            let traits = json!({"email": p.email, "name": p.name, "newsletter": true, "timezone": p.zone.name});
            tl.identify(t, false, traits);
            tl.track(
                t + SECOND,
                false,
                "Newsletter Subscribed",
                json!({"list": "weekly"}),
            );
            t += SECOND;
        }
        cursor = t + 30 * MINUTE;
    }
}
