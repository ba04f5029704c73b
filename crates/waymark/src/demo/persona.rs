//! Who a demo user is: identifiers, platforms, traits, consent and habits, all derived from
//! the seed and the user's number alone.

use waymark_engine::time::Millis;

use super::catalog::{FIRST_NAMES, LAST_NAMES, ZONES, Zone};
use super::rng::Rng;

/// Salt separating the persona stream of a user from their activity stream.
const PERSONA_SALT: u64 = 0x5045_5253_4F4E_4121;

/// Marketing consent per channel, as sent in `context.consent.categoryPreferences`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// Email marketing allowed.
    pub email: bool,
    /// SMS marketing allowed.
    pub sms: bool,
    /// Push notifications allowed.
    pub push: bool,
}

/// The plan a user starts the demo period on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// A 14-day trial.
    Trial,
    /// The free tier.
    Free,
    /// A paying customer.
    Paid,
}

impl Plan {
    /// The `plan` trait value.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Trial => "trial",
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }
}

/// One demo user.
#[derive(Debug, Clone)]
pub struct Persona {
    /// The user's number (`user-00042` is 42).
    pub index: usize,
    /// `user-<5 digits>`.
    pub user_id: String,
    /// `shop` or `blog`.
    pub workspace: &'static str,
    /// The input the user mostly uses (`ios`, `android` or `web`).
    pub primary: &'static str,
    /// A second platform some shop users also use, always logged in.
    pub secondary: Option<&'static str>,
    /// The anonymous id of the primary device or browser.
    pub anonymous_id: String,
    /// The anonymous id of the second device.
    pub secondary_anonymous_id: String,
    /// Full name.
    pub name: String,
    /// First name.
    pub first_name: &'static str,
    /// Last name.
    pub last_name: &'static str,
    /// Email address.
    pub email: String,
    /// Home time zone.
    pub zone: &'static Zone,
    /// Consent at the start of the demo period.
    pub consent: Consent,
    /// A consent change during the period, as a fraction of it and the new consent.
    pub consent_change: Option<(f64, Consent)>,
    /// Signs up during the period (otherwise an existing customer).
    pub new_user: bool,
    /// A new user who browses anonymously before signing up.
    pub starts_anonymous: bool,
    /// Plan at sign-up (new users) or at the start (existing users).
    pub plan: Plan,
    /// Lifetime value before the period.
    pub ltv_base: f64,
    /// How often the user comes back (1.0 is typical).
    pub activity: f64,
    /// How likely the user is to buy (1.0 is typical).
    pub buyer: f64,
}

impl Persona {
    /// The persona of user `index` for a seed.
    pub fn new(seed: u64, index: usize) -> Self {
        let mut rng = Rng::stream(seed ^ PERSONA_SALT, index as u64);
        let workspace = if rng.chance(0.15) { "blog" } else { "shop" };
        let primary = if workspace == "blog" {
            "web"
        } else {
            *rng.pick(&[
                "ios", "ios", "ios", "android", "android", "web", "web", "web", "web",
            ])
        };
        let secondary = match (workspace, primary) {
            ("shop", "web") if rng.chance(0.2) => Some(*rng.pick(&["ios", "android"])),
            ("shop", _) if primary != "web" && rng.chance(0.25) => Some("web"),
            _ => None,
        };
        let first_name = *rng.pick(FIRST_NAMES);
        let last_name = *rng.pick(LAST_NAMES);
        let email = format!(
            "{}.{}{}@example.com",
            ascii_lower(first_name),
            ascii_lower(last_name),
            index
        );
        let zone = &ZONES[rng.weighted(ZONES.iter().map(|z| z.weight))];
        let mobile = primary != "web" || secondary.is_some();
        let consent = Consent {
            email: rng.chance(0.72),
            sms: rng.chance(0.28),
            push: mobile && rng.chance(0.6),
        };
        let consent_change = rng.chance(0.1).then(|| {
            let mut changed = consent;
            match rng.below(3) {
                0 => changed.email = !changed.email,
                1 => changed.sms = !changed.sms,
                _ => changed.push = mobile && !changed.push,
            }
            (rng.unit(), changed)
        });
        let new_user = workspace == "blog" || rng.chance(0.65);
        let starts_anonymous = workspace == "blog" || (new_user && rng.chance(0.55));
        let plan = if new_user {
            if rng.chance(0.55) {
                Plan::Trial
            } else {
                Plan::Free
            }
        } else if rng.chance(0.4) {
            Plan::Paid
        } else {
            Plan::Free
        };
        let ltv_base = if new_user || rng.chance(0.35) {
            0.0
        } else {
            (rng.exp(260.0) * 100.0).round() / 100.0
        };
        Persona {
            index,
            user_id: format!("user-{index:05}"),
            workspace,
            primary,
            secondary,
            anonymous_id: anonymous_id(&mut rng),
            secondary_anonymous_id: anonymous_id(&mut rng),
            name: format!("{first_name} {last_name}"),
            first_name,
            last_name,
            email,
            zone,
            consent,
            consent_change,
            new_user,
            starts_anonymous,
            plan,
            ltv_base,
            activity: 0.4 + rng.exp(0.6),
            buyer: 0.5 + rng.unit(),
        }
    }

    /// The consent in force at `at`, for a period `[start, end)`.
    pub fn consent_at(&self, at: Millis, start: Millis, end: Millis) -> Consent {
        match self.consent_change {
            Some((fraction, changed))
                if at >= start + ((end - start) as f64 * fraction) as Millis =>
            {
                changed
            }
            _ => self.consent,
        }
    }
}

/// A UUID-shaped anonymous id.
fn anonymous_id(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Lower-cases and drops anything but ASCII letters (for email addresses).
fn ascii_lower(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
