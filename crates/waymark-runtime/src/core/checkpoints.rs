//! Partition checkpoints (issue 9): a workspace's engine, with what the runtime keeps beside
//! it, written to the store so that a start loads it and replays only the log after it.
//!
//! A checkpoint holds the engine ([`Engine::checkpoint`]), the log cursor it reflects (the
//! partition's watermark), which engine journey index each running version has, the totals
//! the partition counted for each, and who is who (each profile's key and identifiers, from
//! which outbox record ids are derived). Everything the engine did up to the cursor is in
//! the outbox before the checkpoint is written (`flush` first), so a replay from the cursor
//! records no delivery twice: what it makes again has the same record id.
//!
//! Recovery rule: load the checkpoint; a version in it that is still published keeps its
//! index; one published since joins as a publish does (its new slots filled from the log up
//! to the cursor); one stopped or deleted since is stopped; a computed attribute defined or
//! changed since is filled from the log up to the cursor, one deleted since is removed;
//! then the log after the cursor is applied, following the renames and merges it shows. A checkpoint that cannot be read
//! (damaged, another layout) is ignored: the whole log is replayed, as without one.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use waymark_deliver::User;
use waymark_engine::Engine;
use waymark_store::{ArrivedEvent, Checkpoint, ProfileId};

use super::Core;
use super::history::live_event;
use super::partitions::{Partition, join};
use crate::RuntimeError;
use crate::tally::SavedTally;

/// The layout of [`Saved`]; a checkpoint of another layout is ignored.
const LAYOUT: u8 = 2;

/// What a partition's checkpoint holds beside the engine (postcard, after [`LAYOUT`]).
#[derive(Serialize, Deserialize)]
struct Saved {
    engine: Vec<u8>,
    versions: Vec<SavedVersion>,
    profiles: Vec<SavedProfile>,
    /// The workspace's computed attributes the engine keeps: name, and when its definition
    /// last changed (a start redefines one changed since).
    attributes: Vec<(String, i64)>,
}

/// A running version in the partition's engine.
#[derive(Serialize, Deserialize)]
struct SavedVersion {
    journey: String,
    version: u32,
    index: u16,
    /// What the partition counted for it.
    tally: SavedTally,
}

/// A profile of the partition the runtime knows.
#[derive(Serialize, Deserialize)]
struct SavedProfile {
    id: ProfileId,
    key: String,
    user_id: Option<String>,
    anonymous_id: Option<String>,
}

impl Core {
    /// Writes the checkpoint of every partition whose state moved since its last one and
    /// whose interval has passed (`force`: every partition, now: on shutdown).
    pub(crate) fn write_checkpoints(&mut self, force: bool) {
        let now = self.clock.now();
        let every = self.config.checkpoint_interval_ms;
        if !force && every <= 0 {
            return;
        }
        let due: Vec<String> = self
            .partitions
            .iter()
            // A workspace whose engine holds a version while its history is filled in the
            // background waits: a checkpoint of the held version would never release it.
            .filter(|(ws, _)| !self.filling.contains_key(*ws))
            .filter(|(_, p)| {
                let moved = p.saved != Some((p.watermark, p.engine.clock()));
                moved && (force || now.saturating_sub(p.saved_at) >= every)
            })
            .map(|(ws, _)| ws.clone())
            .collect();
        if due.is_empty() {
            return;
        }
        for ws in due {
            if let Err(e) = self.write_checkpoint(&ws) {
                tracing::error!(workspace = %ws, error = %e, "cannot write a checkpoint");
                // Tried again after the interval, not at every turn of the engine loop.
                if let Some(p) = self.partitions.get_mut(&ws) {
                    p.saved_at = now;
                }
            }
        }
        crate::memory::return_freed_memory();
    }

    /// Writes one partition's checkpoint, after what its engine did is in the outbox.
    pub(crate) fn write_checkpoint(&mut self, workspace: &str) -> Result<(), RuntimeError> {
        self.flush()?;
        let Some(p) = self.partitions.get(workspace) else {
            return Ok(());
        };
        let engine = p
            .engine
            .checkpoint()
            .map_err(|e| RuntimeError::new(500, "checkpoint", e.to_string()))?;
        let versions = self
            .runners
            .iter()
            .filter_map(|r| {
                let index = *r.indices.get(workspace)?;
                let tally = r
                    .counted
                    .get(workspace)
                    .map(|t| t.saved(&r.step_ids))
                    .unwrap_or_default();
                Some(SavedVersion {
                    journey: r.journey_id.clone(),
                    version: r.version,
                    index,
                    tally,
                })
            })
            .collect();
        let profiles = self
            .ids
            .profiles(workspace)
            .map(|(id, key)| {
                let user = self.ids.user(workspace, key).unwrap_or_default();
                SavedProfile {
                    id,
                    key: key.to_string(),
                    user_id: user.user_id,
                    anonymous_id: user.anonymous_id,
                }
            })
            .collect();
        let attributes = self
            .attribute_docs(workspace)?
            .iter()
            .map(|a| (a.name().to_string(), a.updated_at))
            .collect();
        let saved = Saved {
            engine,
            versions,
            profiles,
            attributes,
        };
        let mut state = vec![LAYOUT];
        state = postcard::to_extend(&saved, state)
            .map_err(|e| RuntimeError::new(500, "checkpoint", e.to_string()))?;
        let cursor = p.watermark;
        let mark = (cursor, p.engine.clock());
        let (bytes, users) = (state.len(), p.engine.user_count());
        self.store
            .put_checkpoint(workspace, &Checkpoint { cursor, state })?;
        tracing::info!(workspace, cursor, bytes, users, "checkpoint written");
        let now = self.clock.now();
        if let Some(p) = self.partitions.get_mut(workspace) {
            p.saved = Some(mark);
            p.saved_at = now;
        }
        Ok(())
    }

    /// Makes the workspace's engine from its checkpoint and the log after it; `false`
    /// (nothing done) when there is no checkpoint that can be read.
    pub(crate) fn restore_partition(&mut self, workspace: &str) -> Result<bool, RuntimeError> {
        let Some(checkpoint) = self.store.checkpoint(workspace)? else {
            return Ok(false);
        };
        let mut saved = match read(&checkpoint.state) {
            Ok(saved) => saved,
            Err(e) => {
                tracing::warn!(workspace, error = %e, "checkpoint ignored: replaying the log");
                return Ok(false);
            }
        };
        let mut engine = match Engine::from_checkpoint(&saved.engine) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::warn!(workspace, error = %e, "checkpoint ignored: replaying the log");
                return Ok(false);
            }
        };
        let mut kept = HashSet::new();
        let mut filling = Vec::new();
        for runner in self.runners.iter_mut().filter(|r| r.accepts(workspace)) {
            let found = saved.versions.iter().find(|v| {
                v.journey == runner.journey_id
                    && v.version == runner.version
                    && usize::from(v.index) < engine.journey_count()
                    && engine.journey(v.index).id() == runner.journey_id
            });
            let Some(v) = found else {
                let new = join(&mut engine, runner, workspace)?;
                filling.push((runner.journey_id.clone(), new));
                continue;
            };
            kept.insert(v.index);
            runner.indices.insert(workspace.to_string(), v.index);
            if let Some(closed) = runner.closed_at {
                engine.close_journey_entries(v.index, closed);
            }
            if *engine.journey_model(v.index) != runner.live {
                let new = engine
                    .replace_journey(v.index, &runner.live)
                    .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))?;
                filling.push((runner.journey_id.clone(), new));
            }
            runner.restore_tally(workspace, &v.tally);
        }
        // Versions stopped or deleted since: their users leave, with nothing to deliver
        // (no runner takes their transitions).
        let at = engine.clock();
        for v in &saved.versions {
            if !kept.contains(&v.index)
                && usize::from(v.index) < engine.journey_count()
                && !engine.is_stopped(v.index)
            {
                engine.stop_journey(v.index, at, &mut Vec::new());
            }
        }
        // Every profile of the workspace: room made once (at 1M users this loop was most
        // of a restart).
        let profiles = std::mem::take(&mut saved.profiles);
        self.ids.reserve(workspace, profiles.len());
        for p in profiles {
            let user = User {
                user_id: p.user_id,
                anonymous_id: p.anonymous_id,
            };
            self.ids.learn(workspace, p.id, &p.key, &user);
        }
        let mark = Some((checkpoint.cursor, engine.clock()));
        self.partitions.insert(
            workspace.to_string(),
            Partition {
                engine,
                watermark: checkpoint.cursor,
                saved: mark,
                saved_at: self.clock.now(),
            },
        );
        for (journey, new) in filling {
            self.backfill(&journey, &[(workspace.to_string(), new)])?;
        }
        self.reconcile_attributes(workspace, &saved.attributes)?;
        self.replay_after(workspace, checkpoint.cursor)?;
        Ok(true)
    }

    /// Brings the restored engine's computed attributes in line with the workspace's
    /// definitions now: one defined or changed since the checkpoint is (re)filled from the
    /// log up to its cursor, one deleted since is removed.
    fn reconcile_attributes(
        &mut self,
        workspace: &str,
        saved: &[(String, i64)],
    ) -> Result<(), RuntimeError> {
        let docs = self.attribute_docs(workspace)?;
        let Some(p) = self.partitions.get_mut(workspace) else {
            return Ok(());
        };
        let gone: Vec<u32> = p
            .engine
            .attribute_names()
            .filter(|name| !docs.iter().any(|d| d.name() == *name))
            .filter_map(|name| p.engine.attribute_id(name))
            .collect();
        for id in gone {
            p.engine.remove_attribute(id);
        }
        let mut fills = Vec::new();
        for doc in &docs {
            let model = doc.model()?;
            let unchanged = saved
                .iter()
                .any(|(name, at)| name == doc.name() && *at == doc.updated_at);
            match p.engine.attribute_id(doc.name()) {
                Some(_) if unchanged => {}
                Some(id) => {
                    p.engine.redefine_attribute(id, &model);
                    fills.push((id, model.event));
                }
                None => {
                    let id = p
                        .engine
                        .add_attribute(&model)
                        .map_err(|e| RuntimeError::invalid("invalid_attribute", e.to_string()))?;
                    fills.push((id, model.event));
                }
            }
        }
        for (id, event) in fills {
            self.fill_attribute(workspace, id, &event)?;
        }
        Ok(())
    }

    /// Applies the log after `cursor`, learning who is who as it goes: a profile whose key
    /// changed since the checkpoint is renamed in the engine, and the profiles merged into
    /// one are removed from it before that one's first event (as live, they left then).
    fn replay_after(&mut self, workspace: &str, cursor: u64) -> Result<(), RuntimeError> {
        let store = Arc::clone(&self.store);
        let mut seen: HashSet<ProfileId> = HashSet::new();
        // Profiles whose key and identifiers are learnt in this pass (they stay the same
        // for all their events in it); forgotten whenever a rename or a merge removes
        // entries, which may be another profile's.
        let mut learnt: HashSet<ProfileId> = HashSet::new();
        let mut failed = None;
        store.for_each_event_arrived_after(workspace, cursor, &mut |a: ArrivedEvent| {
            let Some((event, (slot, key, user))) = live_event(workspace, a) else {
                return;
            };
            if seen.insert(slot.1) {
                match self.drop_merged(workspace, slot.1) {
                    Ok(true) => learnt.clear(),
                    Ok(false) => {}
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
            if let Some(old) = self.ids.key_of(workspace, slot.1).map(str::to_string)
                && old != key
            {
                self.ids.forget_slot(workspace, &old);
                self.rename_user(workspace, &old, &key);
                learnt.clear();
            }
            if learnt.insert(slot.1) {
                self.learn_profile(slot, key, user);
            }
            self.replay_event(&event, &mut failed);
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// Removes from the engine the profiles merged into `profile` that it still holds: they
    /// leave their journeys as they did live when the merge arrived (same record ids).
    /// Whether it removed any.
    fn drop_merged(&mut self, workspace: &str, profile: ProfileId) -> Result<bool, RuntimeError> {
        let Some(survivor) = self.store.profile_by_id(workspace, profile)? else {
            return Ok(false);
        };
        let mut removed = false;
        for merged in survivor.merged_from {
            if let Some(key) = self.ids.take_key(workspace, merged) {
                self.leaving = self
                    .ids
                    .forget_slot(workspace, &key)
                    .map(|profile| (key.clone(), (workspace.to_string(), profile)));
                self.remove_user(workspace, &key, false);
                self.leaving = None;
                removed = true;
            }
        }
        Ok(removed)
    }
}

/// The contents of a checkpoint's state.
fn read(state: &[u8]) -> Result<Saved, String> {
    match state.split_first() {
        Some((&LAYOUT, body)) => postcard::from_bytes(body).map_err(|e| e.to_string()),
        Some((other, _)) => Err(format!("layout {other}, this build reads {LAYOUT}")),
        None => Err("empty".into()),
    }
}
