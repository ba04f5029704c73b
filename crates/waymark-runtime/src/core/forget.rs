//! The right to be forgotten on the engine thread (SPEC §3): a deleted profile leaves
//! every journey, list and delivery listing before the API answers, not when the store's
//! feed catches up.

use waymark_store::ProfileId;

use super::{Core, order};
use crate::error::RuntimeError;

impl Core {
    /// Deletes the profile `key` names in `workspace` (suppressing its identifiers when
    /// asked) and forgets it at once: it leaves every journey without deliveries, its list
    /// memberships go, and every outbox record of it is erased. Whether there was a profile.
    ///
    /// Messages of that profile still queued on the feed (committed before the deletion)
    /// are skipped until the deletion's own commit arrives, so they cannot bring it back.
    pub(crate) fn delete_profile(
        &mut self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, RuntimeError> {
        let profile = self.store.profile(workspace, key)?;
        let deleted = self.store.delete_profile(workspace, key, suppress)?;
        if let Some(profile) = profile.filter(|_| deleted) {
            let fallback = profile
                .user_id
                .clone()
                .or_else(|| profile.anonymous_ids.first().cloned());
            self.deleted.insert((workspace.to_string(), profile.id));
            self.forget(workspace, profile.id, fallback)?;
            // A checkpoint taken before the deletion still holds the profile, and the log
            // no longer does: replace both of the store's slots now, so that neither a
            // restart nor the disk keeps it (the store erases old values with the rest).
            if self.partitions.contains_key(workspace) {
                self.write_checkpoint(workspace)?;
                self.write_checkpoint(workspace)?;
            }
        }
        Ok(deleted)
    }

    /// The store's commit of a deletion (made here or by another caller of the store).
    pub(crate) fn on_profile_deleted(
        &mut self,
        workspace: &str,
        profile: ProfileId,
        fallback_key: Option<String>,
    ) {
        self.deleted.remove(&(workspace.to_string(), profile));
        if let Err(e) = self.forget(workspace, profile, fallback_key) {
            tracing::error!(error = %e, "cannot forget a deleted profile's deliveries");
        }
    }

    /// Whether messages of this profile are to be skipped (deleted, commit still queued).
    pub(crate) fn is_deleted(&self, workspace: &str, profile: ProfileId) -> bool {
        !self.deleted.is_empty() && self.deleted.contains(&(workspace.to_string(), profile))
    }

    /// Removes the profile from the engine and erases its outbox records (every order key
    /// it may have used: its profile slot, and its identifier before it had one, with and
    /// without the workspace).
    fn forget(
        &mut self,
        workspace: &str,
        profile: ProfileId,
        fallback_key: Option<String>,
    ) -> Result<(), RuntimeError> {
        self.sample_forget(workspace, profile);
        let slot = (workspace.to_string(), profile);
        let key = self.ids.take_key(workspace, profile).or(fallback_key);
        let mut order_keys = vec![order::of_profile(&slot)];
        if let Some(key) = key {
            self.ids.forget_slot(workspace, &key);
            self.remove_user(workspace, &key, true);
            self.ids.forget_key(workspace, &key);
            order_keys.push(order::of_user(workspace, &key));
            order_keys.push(order::legacy_of_user(&key));
        }
        self.flush()?;
        self.store.outbox_erase(&order_keys)?;
        Ok(())
    }
}
