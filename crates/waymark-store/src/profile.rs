//! Profiles and identity as pure functions: applying a message to a profile, merging two
//! profiles, and deciding which profile a message belongs to (SPEC §3). No I/O: every
//! backend runs the same rules.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use waymark_engine::time::Millis;
use waymark_engine::{Message, MessageKind};

use crate::model::{Profile, ProfileId, TraitTimes};

/// A fresh profile with no identifiers, traits or events.
pub(crate) fn new_profile(id: ProfileId, workspace: &str) -> Profile {
    Profile {
        id,
        workspace: workspace.to_string(),
        user_id: None,
        anonymous_ids: Vec::new(),
        identities: BTreeMap::new(),
        traits: Map::new(),
        trait_times: BTreeMap::new(),
        consent: BTreeMap::new(),
        consent_written: BTreeMap::new(),
        first_seen: 0,
        last_seen: 0,
        event_count: 0,
        merged_from: Vec::new(),
    }
}

/// Applies one message's content to its (already resolved) profile: counts and times,
/// traits (last write by event time wins per top-level key), consent and identities.
/// Identifiers that decide the profile (`userId`, `anonymousId`) are not touched here.
pub(crate) fn apply_message(profile: &mut Profile, message: &Message) {
    let at = message.event.at;
    if profile.event_count == 0 {
        profile.first_seen = at;
        profile.last_seen = at;
    } else {
        profile.first_seen = profile.first_seen.min(at);
        profile.last_seen = profile.last_seen.max(at);
    }
    profile.event_count += 1;

    for (key, value) in &message.event.traits {
        write_trait(profile, key, value, at);
    }
    if message.event.traits.contains_key("email") {
        match profile.traits.get("email") {
            Some(Value::String(email)) => {
                profile
                    .identities
                    .insert("email".to_string(), email.clone());
            }
            Some(_) => {}
            None => {
                profile.identities.remove("email");
            }
        }
    }
    for (purpose, granted) in consent_updates(message) {
        let written = profile.consent_written.get(&purpose).copied();
        if written.is_some_and(|w| at < w) {
            continue;
        }
        profile.consent.insert(purpose.clone(), granted);
        profile.consent_written.insert(purpose, at);
    }
    for (kind, value) in &message.identity.others {
        profile.identities.insert(kind.clone(), value.clone());
    }
}

/// Writes one trait at event time `at`: ignored when older than the trait's last write; a
/// `null` removes the value but keeps its times; `since` moves only when the value changes.
fn write_trait(profile: &mut Profile, key: &str, value: &Value, at: Millis) {
    let times = profile.trait_times.get(key).copied();
    if times.is_some_and(|t| at < t.written) {
        return;
    }
    let current = profile.traits.get(key);
    let changed = match value {
        Value::Null => current.is_some(),
        v => current != Some(v),
    };
    let since = match times {
        Some(t) if !changed => t.since,
        _ => at,
    };
    if value.is_null() {
        profile.traits.remove(key);
    } else if changed {
        profile.traits.insert(key.to_string(), value.clone());
    }
    profile
        .trait_times
        .insert(key.to_string(), TraitTimes { since, written: at });
}

/// Consent a message sets, in the order applied (a later entry wins within one message):
/// `context.consent.categoryPreferences`, then a `consent` trait object, then `consent.<purpose>`
/// traits. Only boolean values count.
fn consent_updates(message: &Message) -> Vec<(String, bool)> {
    let mut updates = Vec::new();
    let mut take = |prefs: &Map<String, Value>| {
        for (purpose, value) in prefs {
            if let Value::Bool(granted) = value {
                updates.push((purpose.clone(), *granted));
            }
        }
    };
    if let Some(Value::Object(prefs)) = message
        .event
        .context
        .get("consent")
        .and_then(|c| c.get("categoryPreferences"))
    {
        take(prefs);
    }
    if let Some(Value::Object(prefs)) = message.event.traits.get("consent") {
        take(prefs);
    }
    for (key, value) in &message.event.traits {
        if let (Some(purpose), Value::Bool(granted)) = (key.strip_prefix("consent."), value)
            && !purpose.is_empty()
        {
            updates.push((purpose.to_string(), *granted));
        }
    }
    updates
}

/// Merges profile `b` into `a` (`a` survives): anonymous ids (A's first), identities (A
/// wins on conflict), traits per key and consent per purpose by latest write (A wins ties),
/// counts summed, first/last seen widened, and `b` recorded in `merged_from`.
pub(crate) fn merge_profiles(a: &mut Profile, b: Profile) {
    if a.user_id.is_none() {
        a.user_id = b.user_id;
    }
    for anonymous_id in b.anonymous_ids {
        if !a.anonymous_ids.contains(&anonymous_id) {
            a.anonymous_ids.push(anonymous_id);
        }
    }
    for (kind, value) in b.identities {
        a.identities.entry(kind).or_insert(value);
    }

    let mut b_traits = b.traits;
    for (key, b_times) in b.trait_times {
        let b_value = b_traits.remove(&key);
        let a_times = a.trait_times.get(&key).copied();
        if a_times.is_some_and(|t| t.written >= b_times.written) {
            continue;
        }
        let same = a.traits.get(&key) == b_value.as_ref();
        let since = match a_times {
            Some(t) if same => t.since.min(b_times.since),
            _ => b_times.since,
        };
        match b_value {
            Some(value) => {
                a.traits.insert(key.clone(), value);
            }
            None => {
                a.traits.remove(&key);
            }
        }
        a.trait_times.insert(
            key,
            TraitTimes {
                since,
                written: b_times.written,
            },
        );
    }
    for (key, value) in b_traits {
        a.traits.entry(key).or_insert(value);
    }

    for (purpose, granted) in b.consent {
        let b_written = b.consent_written.get(&purpose).copied();
        let a_has = a.consent.contains_key(&purpose);
        let a_written = a.consent_written.get(&purpose).copied();
        let b_wins = !a_has || b_written.unwrap_or(Millis::MIN) > a_written.unwrap_or(Millis::MIN);
        if b_wins {
            a.consent.insert(purpose.clone(), granted);
            match b_written {
                Some(w) => {
                    a.consent_written.insert(purpose, w);
                }
                None => {
                    a.consent_written.remove(&purpose);
                }
            }
        }
    }

    match (a.event_count, b.event_count) {
        (_, 0) => {}
        (0, _) => {
            a.first_seen = b.first_seen;
            a.last_seen = b.last_seen;
        }
        _ => {
            a.first_seen = a.first_seen.min(b.first_seen);
            a.last_seen = a.last_seen.max(b.last_seen);
        }
    }
    a.event_count += b.event_count;
    a.merged_from.push(b.id);
    a.merged_from.extend(b.merged_from);
}

/// The kinds of identifier the identity index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum IdKind {
    /// A `userId`.
    User,
    /// An `anonymousId` (or an alias's `previousId` that is not a known user id).
    Anonymous,
    /// An identifier (user or anonymous id) whose messages are dropped at ingestion since
    /// its profile was deleted with `suppress` (Segment's "delete and suppress"). It lives in
    /// the identity index so that ingestion finds it with the lookups it already makes.
    Suppressed,
}

/// One identifier a message carries, in the role it plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    /// `userId`.
    User(String),
    /// `anonymousId`.
    Anonymous(String),
    /// An alias's `previousId`: a user id or an anonymous id.
    Previous(String),
}

impl Ident {
    /// The identifier's text.
    pub(crate) fn value(&self) -> &str {
        match self {
            Ident::User(v) | Ident::Anonymous(v) | Ident::Previous(v) => v,
        }
    }

    /// The index kinds to look the identifier up in, in order.
    pub(crate) fn lookup_kinds(&self) -> &'static [IdKind] {
        match self {
            Ident::User(_) => &[IdKind::User],
            Ident::Anonymous(_) => &[IdKind::Anonymous],
            Ident::Previous(_) => &[IdKind::User, IdKind::Anonymous],
        }
    }
}

/// The identifiers of a message, in resolution order: `userId` first, then for an alias
/// its `previousId`, then the `anonymousId`. Empty or repeated identifiers are dropped.
pub(crate) fn identifiers(message: &Message) -> Vec<Ident> {
    let identity = &message.identity;
    let mut ids = Vec::with_capacity(3);
    if let Some(u) = identity.user_id.as_deref().filter(|u| !u.is_empty()) {
        ids.push(Ident::User(u.to_string()));
    }
    if message.kind == MessageKind::Alias
        && let Some(p) = identity.previous_id.as_deref().filter(|p| !p.is_empty())
        && identity.user_id.as_deref() != Some(p)
    {
        ids.push(Ident::Previous(p.to_string()));
    }
    if let Some(a) = identity.anonymous_id.as_deref().filter(|a| !a.is_empty())
        && !ids
            .iter()
            .any(|i| !matches!(i, Ident::User(_)) && i.value() == a)
    {
        ids.push(Ident::Anonymous(a.to_string()));
    }
    ids
}

/// What the index knows about one identifier of a message: the profile holding it, if any,
/// with that profile's user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// The identifier.
    pub(crate) ident: Ident,
    /// The profile it belongs to now, and that profile's `user_id`.
    pub(crate) found: Option<(ProfileId, Option<String>)>,
}

/// Where a message goes and what changes on the way (SPEC §3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Resolution {
    /// The profile that receives the event; `None` for a new profile.
    pub(crate) target: Option<ProfileId>,
    /// Merges to perform first, in order, as (survivor, absorbed).
    pub(crate) merges: Vec<(ProfileId, ProfileId)>,
    /// A user id to give the target (when it has none).
    pub(crate) user_id: Option<String>,
    /// Anonymous ids to add to the target (those it lacks).
    pub(crate) anonymous_ids: Vec<String>,
}

/// Decides which profile a message belongs to, given what the index holds for each of its
/// identifiers (from [`identifiers`]), walking them in order:
/// - the first identifier picks the profile holding it, else a new one that it will name;
/// - a later identifier that no profile holds is attached to the chosen profile;
/// - a later identifier held by another profile merges the two when at most one of them has
///   a user id: the anonymous-only one is absorbed into the one with a user id, and of two
///   anonymous-only profiles the newer (higher id) into the older; when both have (different)
///   user ids, nothing merges, the identifier stays where it is and the event goes to the
///   first identifier's profile.
pub(crate) fn resolve(candidates: &[Candidate]) -> Resolution {
    let mut res = Resolution::default();
    // The chosen profile's id (None: a new one) and the user id it has or will have.
    let mut chosen: Option<(Option<ProfileId>, Option<String>)> = None;
    let mut absorbed: Vec<ProfileId> = Vec::new();

    for candidate in candidates {
        let found = candidate
            .found
            .as_ref()
            .filter(|(id, _)| !absorbed.contains(id));
        let Some((target, target_user)) = chosen.as_mut() else {
            chosen = Some(match found {
                Some((id, user)) => (Some(*id), user.clone()),
                None => {
                    let user = attach(&mut res, &candidate.ident);
                    (None, user)
                }
            });
            continue;
        };
        let Some((found_id, found_user)) = found else {
            if candidate.found.is_none() {
                // Absorbed profiles already belong to the target.
                if let Some(user) = attach(&mut res, &candidate.ident) {
                    target_user.get_or_insert(user);
                }
            }
            continue;
        };
        if *target == Some(*found_id) {
            continue;
        }
        match (target_user.is_some(), found_user.is_some()) {
            // Two user ids are never merged.
            (true, true) => {}
            // The anonymous-only profile joins the one with a user id.
            (true, false) => match *target {
                Some(t) => {
                    res.merges.push((t, *found_id));
                    absorbed.push(*found_id);
                }
                None => *target = Some(*found_id),
            },
            (false, true) => {
                if let Some(t) = *target {
                    res.merges.push((*found_id, t));
                    absorbed.push(t);
                }
                *target = Some(*found_id);
                *target_user = found_user.clone();
            }
            // Two anonymous-only profiles: the newer joins the older.
            (false, false) => match *target {
                Some(t) => {
                    let (survivor, gone) = if t < *found_id {
                        (t, *found_id)
                    } else {
                        (*found_id, t)
                    };
                    res.merges.push((survivor, gone));
                    absorbed.push(gone);
                    *target = Some(survivor);
                }
                None => *target = Some(*found_id),
            },
        }
    }
    if let Some((target, _)) = chosen {
        res.target = target;
    }
    res
}

/// Records that the target takes this identifier; returns it when it is a user id.
fn attach(res: &mut Resolution, ident: &Ident) -> Option<String> {
    match ident {
        Ident::User(u) => {
            res.user_id = Some(u.clone());
            Some(u.clone())
        }
        Ident::Anonymous(a) | Ident::Previous(a) => {
            if !res.anonymous_ids.contains(a) {
                res.anonymous_ids.push(a.clone());
            }
            None
        }
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
