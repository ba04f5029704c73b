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

/// What a key says; dropped once it says nothing.
#[derive(Debug, Default)]
struct KeyInfo {
    /// The stored profile the key names now.
    profile: Option<ProfileId>,
    /// Whether the key's identifiers are known (both may be absent).
    identified: bool,
    user_id: Option<Box<str>>,
    anonymous_id: Option<Box<str>>,
}

impl KeyInfo {
    fn is_empty(&self) -> bool {
        self.profile.is_none() && !self.identified
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
            user_id: info.user_id.as_deref().map(str::to_string),
            anonymous_id: info.anonymous_id.as_deref().map(str::to_string),
        })
    }

    pub(crate) fn set_user(&mut self, workspace: &str, key: &str, user: &User) {
        let info = self.entry(workspace, key);
        info.identified = true;
        info.user_id = user.user_id.as_deref().map(Box::from);
        info.anonymous_id = user.anonymous_id.as_deref().map(Box::from);
    }

    /// The stored profile `key` names now.
    pub(crate) fn slot(&self, workspace: &str, key: &str) -> Option<ProfileId> {
        self.known(workspace)?.by_key.get(key)?.profile
    }

    pub(crate) fn set_slot(&mut self, workspace: &str, key: &str, profile: ProfileId) {
        self.entry(workspace, key).profile = Some(profile);
    }

    /// Forgets which profile `key` names (it names another now); returns the one it named.
    pub(crate) fn forget_slot(&mut self, workspace: &str, key: &str) -> Option<ProfileId> {
        self.change(workspace, key, |info| info.profile.take())
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
    fn a_key_that_says_nothing_more_is_dropped() {
        let mut ids = Identities::default();
        ids.set_slot("ws", "k", 1);
        ids.forget_slot("ws", "k");
        assert!(ids.workspaces["ws"].by_key.is_empty());
    }
}
