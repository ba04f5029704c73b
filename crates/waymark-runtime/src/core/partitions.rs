//! One live engine per workspace, holding every running journey version that counts the
//! workspace's events, with one profile per user that all of them read (issue 9). A
//! workspace is the natural partition: a profile never spans two, so a journey over several
//! workspaces runs as one engine journey in each and its figures are their sums.
//!
//! A version joins the engines at its publication ([`Core::start_runner`]): only the
//! counters and trait slots it adds are filled from stored history, not the whole engine
//! rebuilt. At start-up every running version is added before the log is replayed once.

use std::sync::atomic::Ordering;

use waymark_engine::compare::lookup_in;
use waymark_engine::{Engine, NewSlots, Transition};

use super::Core;
use crate::RuntimeError;
use crate::runner::{LiveEvent, Runner};

/// One workspace's engine.
pub(crate) struct Partition {
    pub(crate) engine: Engine,
    /// The highest arrival number applied: a live event at or below it was replayed.
    pub(crate) watermark: u64,
}

impl Core {
    /// Makes the workspace's engine when it has none, with every running version that
    /// counts its events (oldest first, so that versions find their older ones).
    pub(crate) fn ensure_partition(&mut self, workspace: &str) -> Result<(), RuntimeError> {
        if self.partitions.contains_key(workspace) {
            return Ok(());
        }
        let mut engine = Engine::new(&[]).map_err(invalid)?;
        for runner in self.runners.iter_mut().filter(|r| r.accepts(workspace)) {
            join(&mut engine, runner, workspace)?;
        }
        self.partitions.insert(
            workspace.to_string(),
            Partition {
                engine,
                watermark: 0,
            },
        );
        Ok(())
    }

    /// Adds a published version to every engine whose events it counts, fills what it adds
    /// from stored history, and starts it (with `historical`, everyone who qualifies enters
    /// now). `history` is read only when something needs filling.
    pub(crate) fn start_runner(&mut self, mut runner: Runner) -> Result<(), RuntimeError> {
        let workspaces: Vec<String> = self
            .partitions
            .keys()
            .filter(|ws| runner.accepts(ws))
            .cloned()
            .collect();
        let mut filling = Vec::new();
        for ws in &workspaces {
            let engine = &mut self.partition(ws)?.engine;
            let new = join(engine, &mut runner, ws)?;
            filling.push((ws.clone(), new));
        }
        let journey = runner.journey_id.clone();
        self.runners.push(runner);
        self.backfill(&journey, &filling)?;
        let now = self.clock.now();
        for ws in workspaces {
            let mut out = Vec::new();
            self.partition(&ws)?.engine.advance_to(now, &mut out);
            self.handle(&ws, &out, false);
        }
        Ok(())
    }

    /// Fills the counters and trait slots a version of `journey` added: traits from the
    /// stored profiles, counters from the stored events (as received), reporting progress.
    pub(crate) fn backfill(
        &mut self,
        journey: &str,
        filling: &[(String, NewSlots)],
    ) -> Result<(), RuntimeError> {
        if filling.iter().all(|(_, new)| new.is_empty()) {
            self.shared.progress(journey, 0, 0);
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
                for path in &new.traits {
                    let Some(value) = lookup_in(&profile.traits, path) else {
                        continue;
                    };
                    let top = path.split('.').next().unwrap_or(path);
                    let times = profile
                        .trait_times
                        .get(path)
                        .or_else(|| profile.trait_times.get(top));
                    let (since, written) = times
                        .map_or((profile.first_seen, profile.last_seen), |t| {
                            (t.since, t.written)
                        });
                    engine.backfill_trait(&key, path, value.clone(), since, written);
                }
            }
        }
        if filling.iter().any(|(_, new)| !new.counters.is_empty()) {
            let history = self.history()?;
            let total = history.len();
            for (n, e) in history.iter().enumerate() {
                if let Some((_, new)) = filling.iter().find(|(ws, _)| *ws == e.workspace)
                    && let Some(p) = self.partitions.get_mut(&e.workspace)
                {
                    p.engine
                        .backfill_event(&e.key, &e.event, e.received_at, new);
                }
                if n % 4096 == 0 {
                    self.shared.progress(journey, n, total);
                }
            }
            self.shared.progress(journey, total, total);
        } else {
            self.shared.progress(journey, 0, 0);
        }
        Ok(())
    }

    /// Applies one event of the log (live, or replayed at start-up) to its workspace's
    /// engine, once.
    pub(crate) fn apply_event(&mut self, e: &LiveEvent) -> Result<(), RuntimeError> {
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
fn join(
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
