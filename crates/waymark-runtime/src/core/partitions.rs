//! One live engine per workspace, holding every running journey version that counts the
//! workspace's events, with one profile per user that all of them read (issue 9). A
//! workspace is the natural partition: a profile never spans two, so a journey over several
//! workspaces runs as one engine journey in each and its figures are their sums.
//!
//! A workspace's engine exists while some running version counts its events, or once it
//! defines a computed attribute: it is made by replaying the workspace's log once, streamed
//! from the store, with its computed attributes and every such version joined at its
//! publication (at start-up, or when the first version of the workspace is published). A version published into an engine that exists joins it at once, and only
//! the counters and trait slots it adds are filled from stored history
//! ([`Core::start_runner`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;

use waymark_store::{ArrivedEvent, ProfileId};

use waymark_engine::time::Millis;
use waymark_engine::{Engine, NewSlots, Transition};

use super::Core;
use super::backfill::{Filling, trait_fills};
use super::history::live_event;
use crate::RuntimeError;
use crate::runner::{LiveEvent, Runner};

/// One workspace's engine.
pub(crate) struct Partition {
    pub(crate) engine: Engine,
    /// The highest arrival number applied: a live event at or below it was replayed.
    pub(crate) watermark: u64,
    /// The watermark and engine clock its latest checkpoint reflects (`None`: none yet).
    pub(crate) saved: Option<(u64, Millis)>,
    /// When that checkpoint was written (runtime clock).
    pub(crate) saved_at: Millis,
}

impl Core {
    /// Makes the workspace's engine when it has none, with every running version that
    /// counts its events (oldest first, so that versions find their older ones), by
    /// replaying the workspace's log.
    pub(crate) fn ensure_partition(&mut self, workspace: &str) -> Result<(), RuntimeError> {
        if self.partitions.contains_key(workspace) {
            return Ok(());
        }
        let attributes = self
            .attribute_docs(workspace)?
            .iter()
            .map(|a| a.model())
            .collect::<Result<Vec<_>, _>>()?;
        let mut engine = Engine::with_definitions(&[], &[], &attributes).map_err(invalid)?;
        for runner in self.runners.iter_mut().filter(|r| r.accepts(workspace)) {
            join(&mut engine, runner, workspace)?;
        }
        self.partitions.insert(
            workspace.to_string(),
            Partition {
                engine,
                watermark: 0,
                saved: None,
                saved_at: Millis::MIN,
            },
        );
        let replayed = self.replay(workspace);
        crate::memory::return_freed_memory();
        replayed
    }

    /// Applies the workspace's stored log to its engine, in arrival order, learning who is
    /// who; events already applied are skipped.
    fn replay(&mut self, workspace: &str) -> Result<(), RuntimeError> {
        let store = Arc::clone(&self.store);
        let mut failed = None;
        // A profile's key and identifiers are the same for all its events in one pass
        // (the store gives each event its owner's current keys), and nothing else changes
        // them during it: learnt once per profile, not once per event.
        let mut learnt: HashSet<ProfileId> = HashSet::new();
        store.for_each_event_by_arrival(workspace, &mut |a: ArrivedEvent| {
            let Some((event, (slot, key, user))) = live_event(workspace, a) else {
                return;
            };
            if learnt.insert(slot.1) {
                self.learn_profile(slot, key, user);
            }
            self.replay_event(&event, &mut failed);
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// Learns who a replayed event's profile is: its slot, key and identifiers.
    pub(super) fn learn_profile(
        &mut self,
        slot: (String, ProfileId),
        key: String,
        user: waymark_deliver::User,
    ) {
        self.ids.learn(&slot.0, slot.1, &key, &user);
    }

    /// Applies a replayed event; the first error is kept in `failed`.
    pub(super) fn replay_event(
        &mut self,
        event: &crate::runner::LiveEvent,
        failed: &mut Option<RuntimeError>,
    ) {
        self.shared.metrics.replayed.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.apply_event(event) {
            failed.get_or_insert(e);
        }
    }

    /// The workspaces a runner counts, among those that exist.
    fn workspaces_counted(&self, runner: &Runner) -> Result<Vec<String>, RuntimeError> {
        Ok(self
            .store
            .workspaces()?
            .into_iter()
            .map(|w| w.id)
            .filter(|ws| runner.accepts(ws))
            .collect())
    }

    /// Adds a published version to every engine whose events it counts and starts it (with
    /// `historical`, everyone who qualifies enters now). In an engine that exists, what the
    /// version adds is filled from stored history in the background while it is held
    /// (`core::backfill`): the receiver hears when it is released. An engine made for it
    /// replays the workspace's log with it from the start.
    pub(crate) fn start_runner(
        &mut self,
        mut runner: Runner,
    ) -> Result<Option<Receiver<()>>, RuntimeError> {
        let workspaces = self.workspaces_counted(&runner)?;
        let mut filling = Vec::new();
        for ws in &workspaces {
            if let Some(p) = self.partitions.get_mut(ws) {
                let cut = p.watermark;
                let new = join(&mut p.engine, &mut runner, ws)?;
                if !new.is_empty() {
                    filling.push(Filling {
                        workspace: ws.clone(),
                        journey: runner.indices[ws],
                        names: p.engine.counted_event_names(&new),
                        new,
                        cut,
                    });
                }
            }
        }
        let journey = runner.journey_id.clone();
        self.runners.push(runner);
        // The version's first workspaces: their engines are made with it.
        for ws in &workspaces {
            self.ensure_partition(ws)?;
        }
        let now = self.clock.now();
        let held: Vec<(String, u16)> = filling
            .iter()
            .map(|f| (f.workspace.clone(), f.journey))
            .collect();
        for (ws, j) in &held {
            if let Some(p) = self.partitions.get_mut(ws) {
                p.engine.hold_journey(*j);
            }
        }
        for ws in workspaces {
            let mut out = Vec::new();
            self.partition(&ws)?.engine.advance_to(now, &mut out);
            self.handle(&ws, &out, false);
        }
        if filling.is_empty() {
            self.shared.progress(&journey, 1, 1);
            return Ok(None);
        }
        self.backfill_in_background(&journey, filling).map(Some)
    }

    /// Makes the engines of every workspace a running version counts or that defines
    /// computed attributes (start-up): from its checkpoint when it has one, else from the
    /// whole log.
    pub(crate) fn start_partitions(&mut self) -> Result<(), RuntimeError> {
        let mut workspaces = std::collections::BTreeSet::new();
        for runner in &self.runners {
            workspaces.extend(self.workspaces_counted(runner)?);
        }
        for ws in self.store.workspaces()? {
            if !self.attribute_docs(&ws.id)?.is_empty() {
                workspaces.insert(ws.id);
            }
        }
        for ws in workspaces {
            if !self.restore_partition(&ws)? {
                self.ensure_partition(&ws)?;
            }
        }
        crate::memory::return_freed_memory();
        Ok(())
    }

    /// Fills, on the engine thread, the counters and trait slots an in-place edit of a
    /// version of `journey` added: traits from the stored profiles, counters from the
    /// stored events they count (read by name, in no order: each counter keeps its latest
    /// hits whatever the order), reporting progress.
    pub(crate) fn backfill(
        &mut self,
        journey: &str,
        filling: &[(String, NewSlots)],
    ) -> Result<(), RuntimeError> {
        self.shared.progress(journey, 0, 1);
        if filling.iter().all(|(_, new)| new.is_empty()) {
            self.shared.progress(journey, 1, 1);
            return Ok(());
        }
        for (ws, new) in filling.iter().filter(|(_, new)| !new.traits.is_empty()) {
            let keys: Vec<String> = self
                .partition(ws)?
                .engine
                .user_keys()
                .map(str::to_string)
                .collect();
            for key in keys {
                let Some(profile) = self.store.profile(ws, &key)? else {
                    continue;
                };
                let engine = &mut self.partition(ws)?.engine;
                for (path, value, since, written) in trait_fills(&profile, &new.traits) {
                    engine.backfill_trait(&key, &path, value, since, written);
                }
            }
        }
        let store = Arc::clone(&self.store);
        for (ws, new) in filling.iter().filter(|(_, new)| !new.counters.is_empty()) {
            let Some(p) = self.partitions.get_mut(ws) else {
                continue;
            };
            // Only what the engine has applied: later events reach it live.
            let applied = p.watermark;
            let names = p.engine.counted_event_names(new);
            store.for_each_event_named(ws, &names, &mut |a: ArrivedEvent| {
                if a.seq > applied {
                    return;
                }
                if let Some((e, _)) = live_event(ws, a) {
                    p.engine
                        .backfill_event(&e.key, &e.event, e.received_at, new);
                }
            })?;
        }
        self.shared.progress(journey, 1, 1);
        Ok(())
    }

    /// Applies one event of the log (live, or replayed at start-up) to its workspace's
    /// engine, once.
    /// Nothing to do when no running version counts the workspace's events.
    pub(crate) fn apply_event(&mut self, e: &LiveEvent) -> Result<(), RuntimeError> {
        if !self.partitions.contains_key(&e.workspace)
            && !self.runners.iter().any(|r| r.accepts(&e.workspace))
        {
            return Ok(());
        }
        let partition = self.partition(&e.workspace)?;
        if e.seq <= partition.watermark {
            return Ok(());
        }
        partition.watermark = e.seq;
        let mut out = Vec::new();
        partition.engine.advance_to(e.received_at, &mut out);
        partition
            .engine
            .apply_received(&e.key, &e.event, e.received_at, &mut out);
        self.handle(&e.workspace, &out, false);
        Ok(())
    }

    /// The workspace's engine, made when missing.
    pub(crate) fn partition(&mut self, workspace: &str) -> Result<&mut Partition, RuntimeError> {
        self.ensure_partition(workspace)?;
        self.partitions
            .get_mut(workspace)
            .ok_or_else(|| RuntimeError::new(500, "no_partition", workspace.to_string()))
    }

    /// Fires the timers (and starts) due by `until` in every engine.
    pub(crate) fn advance_all(&mut self, until: waymark_engine::time::Millis) {
        let workspaces: Vec<String> = self.partitions.keys().cloned().collect();
        for ws in workspaces {
            let mut out: Vec<Transition> = Vec::new();
            if let Some(p) = self.partitions.get_mut(&ws) {
                p.engine.advance_to(until, &mut out);
            }
            self.handle(&ws, &out, false);
        }
        let timers: usize = self
            .partitions
            .values()
            .map(|p| p.engine.pending_timers())
            .sum();
        self.shared
            .metrics
            .timers
            .store(timers as u64, Ordering::Relaxed);
    }
}

/// Adds `runner`'s version to one workspace's engine.
pub(super) fn join(
    engine: &mut Engine,
    runner: &mut Runner,
    workspace: &str,
) -> Result<NewSlots, RuntimeError> {
    let (index, new) = engine
        .add_journey(&runner.live, runner.activation())
        .map_err(invalid)?;
    if let Some(closed) = runner.closed_at {
        engine.close_journey_entries(index, closed);
    }
    runner.indices.insert(workspace.to_string(), index);
    Ok(new)
}

fn invalid(e: waymark_engine::CompileError) -> RuntimeError {
    RuntimeError::invalid("invalid_journey", e.to_string())
}
