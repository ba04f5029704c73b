//! Outbox order keys. The store's due scan offers only the first pending record of each
//! (output, order key), so one key must name exactly one user of one workspace: a key
//! shared across workspaces would hold one tenant's deliveries behind another's retries,
//! and erasing one tenant's user would erase the other's.

use waymark_store::ProfileId;

/// The order key of a known profile: `<workspace>/<profile id>` (it survives an identify).
pub(crate) fn of_profile(slot: &(String, ProfileId)) -> String {
    format!("{}/{}", slot.0, slot.1)
}

/// The order key of a user whose profile is not known: `key:<workspace>/<user key>`
/// (workspace ids hold no `/`, so the workspace and the key cannot run into each other).
pub(crate) fn of_user(workspace: &str, key: &str) -> String {
    format!("key:{workspace}/{key}")
}

/// The order key such a user's records had before keys named their workspace. Only
/// erasure still uses it, so that a forgotten user's older records go too.
pub(crate) fn legacy_of_user(key: &str) -> String {
    format!("key:{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_key_in_two_workspaces_has_two_order_keys() {
        assert_ne!(of_user("ws-a", "u1"), of_user("ws-b", "u1"));
        assert_eq!(of_user("ws-a", "u1"), "key:ws-a/u1");
    }

    #[test]
    fn user_keys_never_collide_with_profile_keys_or_legacy_keys() {
        assert_ne!(of_user("ws", "7"), of_profile(&("ws".into(), 7)));
        assert_ne!(of_user("ws", "u1"), legacy_of_user("u1"));
    }
}
