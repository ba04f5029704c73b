//! Who each profile key of each workspace is, as the engine thread last saw it: the
//! identifiers deliveries carry, the stored profile a key names now (outbox record ids and
//! order keys derive from it, as it survives an identify that changes the key), and the
//! reverse, the key each profile had when last seen.
//!
//! One entry per key and one per profile, in a table per workspace: every user of every
//! workspace has both, so this is a per-user cost (B3, docs/benchmarks.md) — keys and
//! identifiers are kept as boxed strings, and the workspace is not repeated in every entry.

use std::collections::HashMap;

use waymark_deliver::User;
use waymark_store::ProfileId;

/// The identities of every workspace.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    workspaces: HashMap<String, Known>,
}

/// One workspace's.
#[derive(Debug, Default)]
struct Known {
    by_key: HashMap<Box<str>, KeyInfo>,
    keys: HashMap<ProfileId, Box<str>>,
}

/// What a key says; dropped once it says nothing. There is one per user (B3 in
/// docs/benchmarks.md).
#[derive(Debug)]
struct KeyInfo {
    /// The stored profile the key names now, or [`NO_PROFILE`].
    profile: ProfileId,
    /// Whether the key's identifiers are known (both may be absent).
    identified: bool,
    user_id: Identifier,
    anonymous_id: Identifier,
}

/// No stored profile (ids are counted up from 1; this one is never reached).
const NO_PROFILE: ProfileId = ProfileId::MAX;

// Every user has one: keep a change that grows it deliberate.
const _: () = assert!(std::mem::size_of::<KeyInfo>() <= 48);

impl Default for KeyInfo {
    fn default() -> Self {
        Self {
            profile: NO_PROFILE,
            identified: false,
            user_id: Identifier::default(),
            anonymous_id: Identifier::default(),
        }
    }
}

impl KeyInfo {
    fn is_empty(&self) -> bool {
        self.profile == NO_PROFILE && !self.identified
    }

    fn profile(&self) -> Option<ProfileId> {
        (self.profile != NO_PROFILE).then_some(self.profile)
    }
}

/// An identifier seen with a key. A key is the `userId`, else the `anonymousId`, so one of
/// them is nearly always the key itself: that one is not kept a second time (a string per
/// user). The key itself is an empty box: an empty identifier is none, as ingestion reads
/// one.
#[derive(Debug, Default)]
struct Identifier(Option<Box<str>>);

impl Identifier {
    fn new(id: Option<&str>, key: &str) -> Self {
        Self(match id {
            None | Some("") => None,
            Some(id) if id == key => Some(Box::default()),
            Some(id) => Some(id.into()),
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .as_deref()
            .map(|id| if id.is_empty() { key } else { id }.to_string())
    }
}

impl Identities {
    /// Learns all there is about a profile seen under `key`: its key, the profile the key
    /// names, and the identifiers.
    pub(crate) fn learn(&mut self, workspace: &str, profile: ProfileId, key: &str, user: &User) {
        self.set_key(workspace, profile, key);
        self.set_slot(workspace, key, profile);
        self.set_user(workspace, key, user);
    }

    /// Makes room for `additional` more profiles of a workspace at once.
    pub(crate) fn reserve(&mut self, workspace: &str, additional: usize) {
        let known = self.workspaces.entry(workspace.to_string()).or_default();
        known.by_key.reserve(additional);
        known.keys.reserve(additional);
    }

    /// The identifiers last seen with `key`.
    pub(crate) fn user(&self, workspace: &str, key: &str) -> Option<User> {
        let info = self.known(workspace)?.by_key.get(key)?;
        info.identified.then(|| User {
            user_id: info.user_id.get(key),
            anonymous_id: info.anonymous_id.get(key),
        })
    }

    pub(crate) fn set_user(&mut self, workspace: &str, key: &str, user: &User) {
        let info = self.entry(workspace, key);
        info.identified = true;
        info.user_id = Identifier::new(user.user_id.as_deref(), key);
        info.anonymous_id = Identifier::new(user.anonymous_id.as_deref(), key);
    }

    /// The stored profile `key` names now.
    pub(crate) fn slot(&self, workspace: &str, key: &str) -> Option<ProfileId> {
        self.known(workspace)?.by_key.get(key)?.profile()
    }

    pub(crate) fn set_slot(&mut self, workspace: &str, key: &str, profile: ProfileId) {
        self.entry(workspace, key).profile = profile;
    }

    /// Forgets which profile `key` names (it names another now); returns the one it named.
    pub(crate) fn forget_slot(&mut self, workspace: &str, key: &str) -> Option<ProfileId> {
        self.change(workspace, key, |info| {
            let named = info.profile();
            info.profile = NO_PROFILE;
            named
        })
    }

    /// Forgets everything `key` says.
    pub(crate) fn forget_key(&mut self, workspace: &str, key: &str) {
        if let Some(known) = self.workspaces.get_mut(workspace) {
            known.by_key.remove(key);
        }
    }

    /// The key `profile` had when last seen.
    pub(crate) fn key_of(&self, workspace: &str, profile: ProfileId) -> Option<&str> {
        self.known(workspace)?.keys.get(&profile).map(|k| &**k)
    }

    pub(crate) fn set_key(&mut self, workspace: &str, profile: ProfileId, key: &str) {
        let known = self.workspaces.entry(workspace.to_string()).or_default();
        match known.keys.get_mut(&profile) {
            Some(old) if **old == *key => {}
            Some(old) => *old = key.into(),
            None => {
                known.keys.insert(profile, key.into());
            }
        }
    }

    /// Forgets `profile`'s key; returns it.
    pub(crate) fn take_key(&mut self, workspace: &str, profile: ProfileId) -> Option<String> {
        let known = self.workspaces.get_mut(workspace)?;
        known.keys.remove(&profile).map(String::from)
    }

    /// Every profile of a workspace with its key.
    pub(crate) fn profiles<'a>(
        &'a self,
        workspace: &str,
    ) -> impl Iterator<Item = (ProfileId, &'a str)> + 'a {
        self.known(workspace)
            .into_iter()
            .flat_map(|known| known.keys.iter().map(|(id, key)| (*id, &**key)))
    }

    fn known(&self, workspace: &str) -> Option<&Known> {
        self.workspaces.get(workspace)
    }

    fn entry(&mut self, workspace: &str, key: &str) -> &mut KeyInfo {
        let known = self.workspaces.entry(workspace.to_string()).or_default();
        known.by_key.entry(key.into()).or_default()
    }

    fn change<R>(&mut self, workspace: &str, key: &str, f: impl FnOnce(&mut KeyInfo) -> R) -> R
    where
        R: Default,
    {
        let Some(known) = self.workspaces.get_mut(workspace) else {
            return R::default();
        };
        let Some(info) = known.by_key.get_mut(key) else {
            return R::default();
        };
        let result = f(info);
        if info.is_empty() {
            known.by_key.remove(key);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> User {
        User {
            user_id: Some(id.to_string()),
            anonymous_id: None,
        }
    }

    #[test]
    fn a_key_is_known_per_workspace() {
        let mut ids = Identities::default();
        ids.learn("ws1", 7, "u1", &user("u1"));
        assert_eq!(ids.slot("ws1", "u1"), Some(7));
        assert_eq!(ids.slot("ws2", "u1"), None);
        assert_eq!(ids.key_of("ws1", 7), Some("u1"));
        assert_eq!(ids.user("ws1", "u1"), Some(user("u1")));
        assert_eq!(ids.user("ws2", "u1"), None);
    }

    #[test]
    fn a_renamed_key_keeps_its_identifiers_until_forgotten() {
        let mut ids = Identities::default();
        ids.learn("ws", 7, "anon", &user("anon"));
        assert_eq!(ids.forget_slot("ws", "anon"), Some(7));
        assert_eq!(ids.slot("ws", "anon"), None);
        assert_eq!(ids.user("ws", "anon"), Some(user("anon")));
        ids.learn("ws", 7, "u1", &user("u1"));
        assert_eq!(ids.key_of("ws", 7), Some("u1"));
        ids.forget_key("ws", "anon");
        assert_eq!(ids.user("ws", "anon"), None);
        assert_eq!(ids.take_key("ws", 7).as_deref(), Some("u1"));
        assert_eq!(ids.key_of("ws", 7), None);
        assert_eq!(ids.profiles("ws").count(), 0);
    }

    #[test]
    fn identifiers_other_than_the_key_are_kept_as_seen() {
        let mut ids = Identities::default();
        let both = User {
            user_id: Some("u1".into()),
            anonymous_id: Some("a1".into()),
        };
        ids.learn("ws", 7, "u1", &both);
        assert_eq!(ids.user("ws", "u1"), Some(both.clone()));
        // After a rename the old key keeps identifiers that are not (or no longer) it.
        ids.learn("ws", 8, "a1", &both);
        assert_eq!(ids.user("ws", "a1"), Some(both));
        let anonymous = User {
            user_id: None,
            anonymous_id: Some("a2".into()),
        };
        ids.learn("ws", 9, "a2", &anonymous);
        assert_eq!(ids.user("ws", "a2"), Some(anonymous));
    }

    #[test]
    fn a_key_that_says_nothing_more_is_dropped() {
        let mut ids = Identities::default();
        ids.set_slot("ws", "k", 1);
        ids.forget_slot("ws", "k");
        assert!(ids.workspaces["ws"].by_key.is_empty());
    }
}
