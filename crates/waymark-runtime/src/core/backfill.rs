//! Filling what a newly published version adds to running engines (issue 9, item 2): the
//! version joins each engine held (events are applied, its counters count them, it does
//! not run), a thread of its own reads the stored history it needs — the stored profiles'
//! traits, and only the events its new counters count, up to the last event each engine
//! had applied when it joined — and hands it to the engine thread in small chunks between
//! live events, then the version is released and starts: with `historical`, its users are
//! evaluated a slice at a time when no live event waits (`Engine::release_journey_in_slices`).
//! Live events never wait behind the read nor behind more than a slice of the work on the
//! engine thread; the publishing call waits for the release, so that when it answers the
//! version runs.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::{Duration, Instant};

use serde_json::Value;
use waymark_engine::compare::lookup_in;
use waymark_engine::{Event, NewSlots};
use waymark_store::{ArrivedEvent, Profile, Store};

use super::Core;
use super::history::live_event;
use crate::RuntimeError;
use crate::shared::Shared;

/// Runs a call on the engine thread, after what is already queued there.
pub(crate) type Post = Arc<dyn Fn(Box<dyn FnOnce(&mut Core) + Send>) + Send + Sync>;

/// Events or trait values handed to the engine thread at once: small enough that a chunk
/// delays live events by about a millisecond (applying a stored event to counters with
/// property conditions takes up to about 10 µs on the development machine).
const CHUNK: usize = 128;
/// Chunks posted and not yet applied: the reader stays this close to the engine thread, so
/// that history never piles up in memory, and a live event queued behind them waits for
/// at most this many.
const IN_FLIGHT: usize = 2;
/// The engine thread's turn at a release in slices: live events that arrive meanwhile wait
/// at most about this long.
const SLICE_TIME: Duration = Duration::from_millis(2);
/// Users evaluated between two looks at the clock during a slice (each takes from a few
/// to tens of microseconds).
const SLICE_USERS: usize = 16;

/// A publication whose version starts in slices (`Engine::release_journey_in_slices`) in
/// the engines it joined.
pub(crate) struct Releasing {
    /// Each engine's workspace and the version's index there.
    held: Vec<(String, u16)>,
    /// Hears when the version runs in all of them.
    done: SyncSender<()>,
    /// The backfill's thread, told the same: it then returns the memory the backfill freed
    /// to the system, which takes milliseconds the engine thread does not spend.
    over: SyncSender<()>,
}

/// What one workspace's engine must fill for a held version.
pub(crate) struct Filling {
    pub(crate) workspace: String,
    /// The version's index in that engine.
    pub(crate) journey: u16,
    pub(crate) new: NewSlots,
    /// The event names the new counters count.
    pub(crate) names: Vec<String>,
    /// The last arrival number the engine had applied when the version joined: later
    /// events reach the new counters live.
    pub(crate) cut: u64,
}

/// A trait value as a backfill sets it: path, value, since when, last written.
pub(crate) type TraitFill = (String, Value, i64, i64);

/// The values of `paths` in a stored profile, with the times a trait slot keeps.
pub(crate) fn trait_fills(profile: &Profile, paths: &[String]) -> Vec<TraitFill> {
    paths
        .iter()
        .filter_map(|path| {
            let value = lookup_in(&profile.traits, path)?;
            let top = path.split('.').next().unwrap_or(path);
            let times = profile
                .trait_times
                .get(path)
                .or_else(|| profile.trait_times.get(top));
            let (since, written) = times.map_or((profile.first_seen, profile.last_seen), |t| {
                (t.since, t.written)
            });
            Some((path.clone(), value.clone(), since, written))
        })
        .collect()
}

impl Core {
    /// Fills `filling` for version `journey` from stored history on a thread of its own,
    /// then releases the version in every engine it joined; the receiver hears when it is
    /// released.
    pub(crate) fn backfill_in_background(
        &mut self,
        journey: &str,
        filling: Vec<Filling>,
    ) -> Result<Receiver<()>, RuntimeError> {
        for f in &filling {
            if let Some(p) = self.partitions.get_mut(&f.workspace) {
                p.engine.hold_journey(f.journey);
            }
            *self.filling.entry(f.workspace.clone()).or_default() += 1;
        }
        self.shared.progress(journey, 0, filling.len());
        let (done, released) = mpsc::sync_channel(1);
        let task = Task {
            journey: journey.to_string(),
            store: Arc::clone(&self.store),
            shared: Arc::clone(&self.shared),
            poster: Poster::new(Arc::clone(&self.post)),
        };
        std::thread::Builder::new()
            .name("waymark-backfill".into())
            .spawn(move || task.run(filling, done))
            .map_err(|e| RuntimeError::new(500, "backfill_start", e.to_string()))?;
        Ok(released)
    }
}

impl Core {
    /// Whether some engine is starting a version in slices.
    pub(crate) fn releasing(&self) -> bool {
        !self.releases.is_empty()
    }

    /// Evaluates users for the versions starting in slices for about [`SLICE_TIME`]; the
    /// engine thread calls it when no command waits.
    pub(crate) fn release_slice(&mut self) {
        let started = Instant::now();
        for ws in self.releasing_workspaces() {
            let mut out = Vec::new();
            if let Some(p) = self.partitions.get_mut(&ws) {
                while p.engine.release_slice(SLICE_USERS, &mut out)
                    && started.elapsed() < SLICE_TIME
                {}
            }
            self.handle(&ws, &out, false);
            if started.elapsed() >= SLICE_TIME {
                break;
            }
        }
        self.end_releases();
    }

    /// Evaluates every user left for the versions starting in slices: before anything
    /// other than a live event or a timer reads or changes an engine, so that it sees every
    /// start as made at once.
    pub(crate) fn finish_releases(&mut self) {
        if self.releases.is_empty() {
            return;
        }
        for ws in self.releasing_workspaces() {
            let mut out = Vec::new();
            if let Some(p) = self.partitions.get_mut(&ws) {
                p.engine.finish_release(&mut out);
            }
            self.handle(&ws, &out, false);
        }
        self.end_releases();
    }

    fn releasing_workspaces(&self) -> Vec<String> {
        let mut workspaces: Vec<String> = self
            .releases
            .iter()
            .flat_map(|r| r.held.iter().map(|(ws, _)| ws.clone()))
            .collect();
        workspaces.sort();
        workspaces.dedup();
        workspaces
    }

    /// Answers the publications whose version now runs in every engine it joined; their
    /// engines may write checkpoints again.
    fn end_releases(&mut self) {
        let (over, going): (Vec<Releasing>, Vec<Releasing>) = std::mem::take(&mut self.releases)
            .into_iter()
            .partition(|r| {
                r.held.iter().all(|(ws, _)| {
                    self.partitions
                        .get(ws)
                        .is_none_or(|p| !p.engine.releasing())
                })
            });
        self.releases = going;
        if over.is_empty() {
            return;
        }
        for (ws, _) in over.iter().flat_map(|r| &r.held) {
            if let Some(n) = self.filling.get_mut(ws) {
                *n -= 1;
                if *n == 0 {
                    self.filling.remove(ws);
                }
            }
        }
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "cannot write the outbox");
        }
        for r in over {
            let _ = r.done.send(());
            let _ = r.over.send(());
        }
    }
}

/// The reading thread's side.
struct Task {
    journey: String,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    poster: Poster,
}

impl Task {
    fn run(mut self, filling: Vec<Filling>, done: SyncSender<()>) {
        let total = filling.len();
        let mut released = Vec::new();
        for (n, f) in filling.into_iter().enumerate() {
            if let Err(e) = self.fill(&f) {
                // The version still starts: with what could be read, rather than never.
                tracing::error!(journey = %self.journey, workspace = %f.workspace, error = %e,
                    "the backfill could not read the stored history");
            }
            released.push((f.workspace, f.journey));
            self.shared.progress(&self.journey, n + 1, total);
        }
        let (over, is_over) = mpsc::sync_channel(1);
        self.poster.post(Box::new(move |core: &mut Core| {
            let now = core.clock.now();
            for (ws, j) in &released {
                let mut out = Vec::new();
                if let Some(p) = core.partitions.get_mut(ws) {
                    p.engine.release_journey_in_slices(*j, now);
                    p.engine.advance_to(now, &mut out);
                }
                core.handle(ws, &out, false);
            }
            core.releases.push(Releasing {
                held: released,
                done,
                over,
            });
            core.end_releases();
        }));
        // Dropped unanswered when the engine thread stops: nothing to return then.
        if is_over.recv().is_ok() {
            crate::memory::return_freed_memory();
        }
    }

    fn fill(&mut self, f: &Filling) -> Result<(), RuntimeError> {
        let new = Arc::new(f.new.clone());
        if !f.new.traits.is_empty() {
            let mut after = None;
            loop {
                let page = self
                    .store
                    .profiles_page(&f.workspace, after, CHUNK, &|_| true)?;
                let Some(last) = page.last() else {
                    break;
                };
                after = Some(last.id);
                let fills: Vec<(String, Vec<TraitFill>)> = page
                    .iter()
                    .filter_map(|p| {
                        let key = p
                            .user_id
                            .clone()
                            .or_else(|| p.anonymous_ids.first().cloned())?;
                        Some((key, trait_fills(p, &f.new.traits)))
                    })
                    .collect();
                let ws = f.workspace.clone();
                self.poster.post(Box::new(move |core: &mut Core| {
                    let Some(p) = core.partitions.get_mut(&ws) else {
                        return;
                    };
                    for (key, values) in fills {
                        if !p.engine.has_user(&key) {
                            continue;
                        }
                        for (path, value, since, written) in values {
                            p.engine.backfill_trait(&key, &path, value, since, written);
                        }
                    }
                }));
            }
        }
        if f.new.counters.is_empty() {
            return Ok(());
        }
        let mut chunk: Vec<(String, Event, i64)> = Vec::with_capacity(CHUNK);
        let store = Arc::clone(&self.store);
        store.for_each_event_named(&f.workspace, &f.names, &mut |a: ArrivedEvent| {
            if a.seq > f.cut {
                return;
            }
            if let Some((e, _)) = live_event(&f.workspace, a) {
                chunk.push((e.key, e.event, e.received_at));
            }
            if chunk.len() == CHUNK {
                self.post_events(&f.workspace, &new, std::mem::take(&mut chunk));
            }
        })?;
        self.post_events(&f.workspace, &new, chunk);
        Ok(())
    }

    fn post_events(&mut self, ws: &str, new: &Arc<NewSlots>, events: Vec<(String, Event, i64)>) {
        if events.is_empty() {
            return;
        }
        let (ws, new) = (ws.to_string(), Arc::clone(new));
        self.poster.post(Box::new(move |core: &mut Core| {
            if let Some(p) = core.partitions.get_mut(&ws) {
                for (key, event, received) in &events {
                    p.engine.backfill_event(key, event, *received, &new);
                }
            }
        }));
    }
}

/// Posts calls to the engine thread with at most [`IN_FLIGHT`] of them waiting there.
struct Poster {
    post: Post,
    /// One per call posted and not yet seen applied; a call dropped unapplied (the engine
    /// thread stopped) closes its channel, so waiting on it never hangs.
    waiting: VecDeque<Receiver<()>>,
}

impl Poster {
    fn new(post: Post) -> Self {
        Self {
            post,
            waiting: VecDeque::new(),
        }
    }

    fn post(&mut self, call: Box<dyn FnOnce(&mut Core) + Send>) {
        if self.waiting.len() >= IN_FLIGHT
            && let Some(oldest) = self.waiting.pop_front()
        {
            let _ = oldest.recv();
        }
        let (applied, seen) = mpsc::sync_channel(1);
        (self.post)(Box::new(move |core: &mut Core| {
            call(core);
            let _ = applied.send(());
        }));
        self.waiting.push_back(seen);
    }
}
