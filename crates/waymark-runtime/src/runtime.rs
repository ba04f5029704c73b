//! The runtime's handle: starts the engine thread (fed by the store's commit feed) and the
//! delivery workers, and runs API calls on the engine thread in order with events.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use waymark_deliver::http::HttpClient;
use waymark_store::{Commit, Store, TokenScope};

use crate::RuntimeError;
use crate::clock::Clock;
use crate::config::RuntimeConfig;
use crate::core::{Core, LIST_PREFIX};
use crate::delivery::worker::{Disabler, WorkerDeps, Workers};
use crate::journeys::{JourneyAnswer, JourneyDoc, JourneyLine, doc};
use crate::outputs::{self, ListMember, OutputAnswer, OutputDoc, OutputKind};
use crate::owner::Owner;
use crate::shared::Shared;
use crate::stats::{Bucket, Entries, Funnel, JourneyStats};

/// Most commits the engine thread applies before it looks at timers and writes the outbox.
const BATCH: usize = 256;
/// The longest the engine thread applies commits before it writes the outbox (bounds the
/// delay a busy engine adds to deliveries).
const BATCH_TIME: Duration = Duration::from_millis(20);
/// The longest the engine thread sleeps.
const IDLE_MS: i64 = 1000;

mod account;
mod attributes;
mod audiences;
mod deliveries;
mod estimates;

pub use account::Credits;
pub use audiences::{AudienceAnswer, MemberPage};
pub use deliveries::{DeliveryAnswer, DeliveryFilter, DeliveryPage};

type Call = Box<dyn FnOnce(&mut Core) + Send>;

enum Command {
    Commit(Commit),
    Call(Call),
    /// A clock moved by hand: fire what is due now, before the next command.
    ClockMoved,
    /// The last handle is gone.
    Shutdown,
}

/// The live runtime. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    commands: Mutex<Sender<Command>>,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    /// Checks outputs' destinations when they are made or edited.
    http: HttpClient,
    config: RuntimeConfig,
    clock: Arc<dyn Clock>,
    /// Keeps the workers' async runtime alive; dropping it stops them.
    _stop_workers: std::sync::mpsc::SyncSender<()>,
}

impl Runtime {
    /// Starts the runtime over `store`: rebuilds every published journey version from the
    /// event log (firing the timers that came due while it was down), then follows the
    /// store's commits and the clock.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: RuntimeConfig,
    ) -> Result<Self, RuntimeError> {
        let shared = Arc::new(Shared::default());
        let http = HttpClient::new(&config.http())
            .map_err(|e| RuntimeError::invalid("invalid_config", e.to_string()))?;
        let (handle, stop_workers) = worker_runtime()?;
        // Subscribe before the replay, so that nothing committed meanwhile is missed (what
        // the replay already applied is skipped by arrival number).
        let feed = store.subscribe();
        let (commands, receiver) = mpsc::channel::<Command>();
        let to_engine = Mutex::new(commands.clone());
        let disable: Disabler = Arc::new(move |output: String, reason: String| {
            let call: Call = Box::new(move |core| core.disable_output(&output, &reason));
            let to_engine = to_engine.lock().unwrap_or_else(|e| e.into_inner());
            let _ = to_engine.send(Command::Call(call));
        });
        let workers = Arc::new(Workers::new(
            handle,
            WorkerDeps {
                store: Arc::clone(&store),
                shared: Arc::clone(&shared),
                clock: Arc::clone(&clock),
                http: http.clone(),
                config: config.clone(),
                disable,
            },
        ));
        let forward = commands.clone();
        let queue = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("waymark-feed".into())
            .spawn(move || {
                while let Ok(commit) = feed.recv() {
                    queue.metrics.engine_queue.fetch_add(1, Ordering::Relaxed);
                    if forward.send(Command::Commit(commit)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| RuntimeError::new(500, "runtime_start", e.to_string()))?;
        watch_clock(clock.as_ref(), &commands, &shared);
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let to_engine = Mutex::new(commands.clone());
        let post: crate::core::Post = Arc::new(move |call: Call| {
            let to_engine = to_engine.lock().unwrap_or_else(|e| e.into_inner());
            let _ = to_engine.send(Command::Call(call));
        });
        {
            let engine_clock = Arc::clone(&clock);
            let store = Arc::clone(&store);
            let shared = Arc::clone(&shared);
            let config = config.clone();
            std::thread::Builder::new()
                .name("waymark-engine".into())
                .spawn(move || {
                    match Core::start(store, engine_clock, config, shared, workers, post) {
                        Ok(core) => {
                            let _ = ready_tx.send(Ok(()));
                            engine_loop(core, &receiver);
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                })
                .map_err(|e| RuntimeError::new(500, "runtime_start", e.to_string()))?;
        }
        ready_rx.recv().map_err(|_| RuntimeError::unavailable())??;
        Ok(Self {
            inner: Arc::new(Inner {
                commands: Mutex::new(commands),
                store,
                shared,
                http,
                config,
                clock,
                _stop_workers: stop_workers,
            }),
        })
    }

    /// Metrics and progress.
    pub fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Runs `f` on the engine thread and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Core) -> Result<T, RuntimeError> + Send + 'static,
    ) -> Result<T, RuntimeError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let call: Call = Box::new(move |core| {
            let _ = tx.send(f(core));
        });
        self.inner
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Command::Call(call))
            .map_err(|_| RuntimeError::unavailable())?;
        rx.recv().map_err(|_| RuntimeError::unavailable())?
    }

    /// A journey with its backfill's progress (the lifecycle calls' answer).
    fn journey_answer(&self, doc: JourneyDoc) -> JourneyAnswer {
        JourneyAnswer {
            backfill: self.inner.shared.progress_of(&doc.id),
            doc,
            problems: None,
        }
    }

    /// Writes every partition's checkpoint whose state moved since its last one, and waits
    /// until they are durable (graceful shutdown: the next start replays nothing).
    pub fn checkpoint(&self) -> Result<(), RuntimeError> {
        self.call(|core| {
            core.write_checkpoints(true);
            Ok(())
        })
    }

    // ----- profiles -----

    /// Deletes the profile `key` names in `workspace` (the right to be forgotten),
    /// suppressing its identifiers when asked: when this answers, the profile has left
    /// every journey and list and its deliveries are gone from every listing. Whether
    /// there was a profile.
    pub fn delete_profile(
        &self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, RuntimeError> {
        let (workspace, key) = (workspace.to_string(), key.to_string());
        self.call(move |core| core.delete_profile(&workspace, &key, suppress))
    }

    // ----- journeys -----

    /// Every journey a caller with `scope` may see. A journey that cannot be read is listed
    /// (to the account only, as its owner is unknown) with its error.
    pub fn journeys(&self, scope: &TokenScope) -> Result<Vec<JourneyLine>, RuntimeError> {
        let mut out = Vec::new();
        for (id, value) in self.inner.store.documents(doc::COLLECTION)? {
            match JourneyDoc::from_stored(&id, value) {
                Ok(d) if d.owner.visible_to(scope) => out.push(JourneyLine::Journey(d)),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(journey = %id, error = %e, "corrupt journey");
                    if *scope == TokenScope::Account {
                        out.push(JourneyLine::Unreadable { id, error: e });
                    }
                }
            }
        }
        Ok(out)
    }

    /// One journey's stored record, when a caller with `scope` may see it (another
    /// workspace's journey is reported as missing).
    pub fn journey_doc(&self, scope: &TokenScope, id: &str) -> Result<JourneyDoc, RuntimeError> {
        let value = self
            .inner
            .store
            .document(doc::COLLECTION, id)?
            .ok_or_else(|| RuntimeError::not_found("journey", id))?;
        let doc = JourneyDoc::from_stored(id, value).inspect_err(|e| {
            tracing::error!(journey = %id, error = %e, "corrupt journey");
        })?;
        if doc.owner.visible_to(scope) {
            Ok(doc)
        } else {
            Err(RuntimeError::not_found("journey", id))
        }
    }

    /// One journey, with the references its latest version names that do not resolve (a
    /// draft may hold them; publishing refuses them).
    pub fn journey(&self, scope: &TokenScope, id: &str) -> Result<JourneyAnswer, RuntimeError> {
        let doc = self.journey_doc(scope, id)?;
        let problems = self.reference_problems(&doc)?;
        Ok(JourneyAnswer {
            problems: Some(problems),
            ..self.journey_answer(doc)
        })
    }

    fn reference_problems(
        &self,
        doc: &JourneyDoc,
    ) -> Result<Vec<crate::journeys::references::Problem>, RuntimeError> {
        // A draft the engine's model does not read names nothing it can check: its
        // validation problems are what it shows.
        let Ok(journey) = doc.latest().definition.model() else {
            return Ok(Vec::new());
        };
        let (id, journey, owner) = (doc.id.clone(), journey.into_owned(), doc.owner.clone());
        self.call(move |core| core.reference_problems(&id, &journey, &owner))
    }

    /// Creates a draft journey owned by `owner`.
    pub fn create_journey(
        &self,
        owner: Owner,
        definition: Value,
    ) -> Result<JourneyAnswer, RuntimeError> {
        let doc = self.call(move |core| core.create_journey(owner, definition))?;
        Ok(self.journey_answer(doc))
    }

    /// Edits a journey (SPEC §9 rules).
    pub fn patch_journey(&self, id: &str, patch: Value) -> Result<JourneyAnswer, RuntimeError> {
        let id = id.to_string();
        let doc = self.call(move |core| core.patch_journey(&id, patch))?;
        Ok(self.journey_answer(doc))
    }

    /// Deletes a journey with no steps below its entry.
    pub fn delete_journey(&self, id: &str) -> Result<(), RuntimeError> {
        let id = id.to_string();
        self.call(move |core| core.delete_journey(&id))
    }

    /// Publishes the latest draft version.
    pub fn publish(&self, id: &str, historical: bool) -> Result<JourneyAnswer, RuntimeError> {
        let id = id.to_string();
        let (doc, released) = self.call(move |core| core.publish(&id, historical))?;
        // Live events go on meanwhile; the call answers once the version runs.
        if let Some(released) = released {
            released.recv().map_err(|_| RuntimeError::unavailable())?;
        }
        Ok(self.journey_answer(doc))
    }

    /// Stops every running version.
    pub fn stop(&self, id: &str) -> Result<JourneyAnswer, RuntimeError> {
        let id = id.to_string();
        let doc = self.call(move |core| core.stop(&id))?;
        Ok(self.journey_answer(doc))
    }

    /// A draft copy with a new id.
    pub fn clone_journey(
        &self,
        id: &str,
        new_id: Option<String>,
    ) -> Result<JourneyAnswer, RuntimeError> {
        let id = id.to_string();
        let doc = self.call(move |core| core.clone_journey(&id, new_id))?;
        Ok(self.journey_answer(doc))
    }

    /// A new draft version.
    pub fn new_version(&self, id: &str) -> Result<JourneyAnswer, RuntimeError> {
        let id = id.to_string();
        let doc = self.call(move |core| core.new_version(&id))?;
        Ok(self.journey_answer(doc))
    }

    /// Per-step and per-output figures.
    pub fn stats(&self, id: &str) -> Result<JourneyStats, RuntimeError> {
        let id = id.to_string();
        self.call(move |core| core.stats(&id))
    }

    /// Entries along a path of steps (`version`: default, the newest with figures).
    pub fn funnel(
        &self,
        id: &str,
        path: Vec<String>,
        version: Option<u32>,
    ) -> Result<Funnel, RuntimeError> {
        let id = id.to_string();
        self.call(move |core| core.funnel(&id, &path, version))
    }

    /// Entries over time per version (or `version`'s).
    pub fn entries(
        &self,
        id: &str,
        bucket: Bucket,
        version: Option<u32>,
    ) -> Result<Entries, RuntimeError> {
        let id = id.to_string();
        self.call(move |core| core.entries(&id, bucket, version))
    }

    /// A step's audience as CSV.
    pub fn audience_csv(&self, id: &str, step: &str) -> Result<String, RuntimeError> {
        let (id, step) = (id.to_string(), step.to_string());
        self.call(move |core| core.audience_csv(&id, &step))
    }

    /// A dry run of the journey's latest version (SPEC §12) over `events` (profile key and
    /// event), or over the stored history of its workspaces when `None`; timers fire up to
    /// `until` (default: the last event's time).
    pub fn simulate(
        &self,
        id: &str,
        events: Option<Vec<(String, waymark_engine::Event)>>,
        until: Option<waymark_engine::time::Millis>,
    ) -> Result<Vec<waymark_engine::trace::TraceLine>, RuntimeError> {
        let doc = self.journey_doc(&TokenScope::Account, id)?;
        let inputs = crate::core::input_ids(self.inner.store.as_ref())?;
        let latest = doc.latest().definition.model()?;
        let (journey, workspaces) = crate::runner::live_journey(&latest, &doc.owner, &inputs);
        let events = match events {
            Some(events) => events,
            None => {
                // Only the history of the workspaces the journey reads: a workspace's
                // journey never sees another workspace's users.
                let (history, _) = crate::core::load_history(self.inner.store.as_ref())?;
                history
                    .into_iter()
                    .filter(|e| workspaces.as_ref().is_none_or(|w| w.contains(&e.workspace)))
                    .map(|e| (e.key, e.event))
                    .collect()
            }
        };
        // The computed attributes of the workspaces it reads (one definition per name).
        let store = self.inner.store.as_ref();
        let mut attributes: Vec<waymark_engine::model::ComputedAttribute> = Vec::new();
        for ws in store.workspaces()? {
            if workspaces.as_ref().is_some_and(|w| !w.contains(&ws.id)) {
                continue;
            }
            for (name, v) in store.documents(&crate::attributes::collection(&ws.id))? {
                let model = crate::attributes::AttributeDoc::from_stored(&name, v)?.model()?;
                if !attributes.iter().any(|a| a.name == model.name) {
                    attributes.push(model);
                }
            }
        }
        waymark_engine::trace::simulate_with_attributes(&journey, &attributes, events, until)
            .map_err(|e| RuntimeError::invalid("invalid_journey", e.to_string()))
    }

    // ----- outputs -----

    /// An output with its delivery counts and its worker's state.
    fn output_answer(&self, doc: OutputDoc) -> Result<OutputAnswer, RuntimeError> {
        Ok(OutputAnswer {
            deliveries: self.delivery_counts(&doc)?,
            state: self.inner.shared.output_state(&doc.id),
            doc,
        })
    }

    /// An output's deliveries per status. A list output has no outbox: what it delivered
    /// is the memberships it holds.
    fn delivery_counts(&self, doc: &OutputDoc) -> Result<BTreeMap<String, u64>, RuntimeError> {
        let mut counts = self.inner.store.outbox_counts(&doc.id)?;
        if doc.kind == OutputKind::List {
            let members = self
                .inner
                .store
                .documents(&format!("{LIST_PREFIX}{}", doc.id))?
                .len();
            counts.insert("delivered".into(), members as u64);
        }
        Ok(counts)
    }

    /// Every output a caller with `scope` may see.
    pub fn outputs(&self, scope: &TokenScope) -> Result<Vec<OutputAnswer>, RuntimeError> {
        let mut out = Vec::new();
        for (_, v) in self.inner.store.documents(outputs::COLLECTION)? {
            if let Ok(doc) = serde_json::from_value::<OutputDoc>(v)
                && doc.owner.visible_to(scope)
            {
                out.push(self.output_answer(doc)?);
            }
        }
        Ok(out)
    }

    /// One output's stored record, when a caller with `scope` may see it; another
    /// workspace's output is reported as missing, so its existence is not revealed.
    pub fn output_doc(&self, scope: &TokenScope, id: &str) -> Result<OutputDoc, RuntimeError> {
        let value = self
            .inner
            .store
            .document(outputs::COLLECTION, id)?
            .ok_or_else(|| RuntimeError::not_found("output", id))?;
        let doc: OutputDoc = serde_json::from_value(value)
            .map_err(|e| RuntimeError::new(500, "corrupt_output", e.to_string()))?;
        if doc.owner.visible_to(scope) {
            Ok(doc)
        } else {
            Err(RuntimeError::not_found("output", id))
        }
    }

    /// One output.
    pub fn output(&self, scope: &TokenScope, id: &str) -> Result<OutputAnswer, RuntimeError> {
        self.output_answer(self.output_doc(scope, id)?)
    }

    /// Creates an output owned by `owner` (its destination checked against the SSRF guard
    /// first); the engine thread starts its worker. Its secret is in the answer's document:
    /// the server shows it this once.
    pub fn create_output(&self, owner: Owner, body: Value) -> Result<OutputAnswer, RuntimeError> {
        for field in ["url", "endpoint"] {
            self.check_destination(body.get(field))?;
        }
        let doc = self.call(move |core| core.create_output(owner, body))?;
        self.output_answer(doc)
    }

    /// Rotates an output's secret (see `Core::rotate_output`; the engine thread restarts
    /// its worker); the new secret is in the answer's document, shown this once.
    pub fn rotate_output(
        &self,
        scope: &TokenScope,
        id: &str,
        body: Value,
    ) -> Result<OutputAnswer, RuntimeError> {
        self.output_doc(scope, id)?;
        let id = id.to_string();
        let doc = self.call(move |core| core.rotate_output(&id, body))?;
        self.output_answer(doc)
    }

    /// Edits an output (a new destination checked against the SSRF guard first); the
    /// engine thread restarts its worker.
    pub fn patch_output(
        &self,
        scope: &TokenScope,
        id: &str,
        patch: Value,
    ) -> Result<OutputAnswer, RuntimeError> {
        self.output_doc(scope, id)?;
        for field in ["url", "endpoint"] {
            self.check_destination(patch.get(field))?;
        }
        let id = id.to_string();
        let doc = self.call(move |core| core.patch_output(&id, patch))?;
        self.inner.shared.wake(&doc.id);
        self.output_answer(doc)
    }

    /// Refuses a destination that resolves to a private or loopback address that
    /// `allow_private` does not permit (a name that does not resolve yet is checked again
    /// at every send). Runs on the caller's thread, which may block on DNS.
    fn check_destination(&self, url: Option<&Value>) -> Result<(), RuntimeError> {
        use waymark_deliver::http::{DestinationError, GuardError};
        let Some(url) = url.and_then(Value::as_str) else {
            return Ok(());
        };
        match self.inner.http.check_destination(url) {
            Err(DestinationError::Guard(e @ GuardError::Blocked { .. })) => Err(
                RuntimeError::invalid("destination_not_allowed", e.to_string()),
            ),
            // A malformed URL is reported by the output's own check.
            _ => Ok(()),
        }
    }

    /// Deletes an output no connection names; the engine thread stops its worker.
    pub fn delete_output(&self, scope: &TokenScope, id: &str) -> Result<(), RuntimeError> {
        self.output_doc(scope, id)?;
        let owned = id.to_string();
        self.call(move |core| core.delete_output(&owned))
    }

    /// A list output's members (a membership that cannot be read is logged and left out).
    pub fn members(&self, scope: &TokenScope, id: &str) -> Result<Vec<ListMember>, RuntimeError> {
        let doc = self.output_doc(scope, id)?;
        if doc.kind != OutputKind::List {
            return Err(RuntimeError::invalid(
                "not_a_list",
                format!("output `{id}` is not a list output"),
            ));
        }
        Ok(self
            .inner
            .store
            .documents(&format!("{LIST_PREFIX}{id}"))?
            .into_iter()
            .filter_map(|(key, v)| {
                serde_json::from_value(v)
                    .inspect_err(
                        |e| tracing::error!(list = %id, %key, error = %e, "corrupt membership"),
                    )
                    .ok()
            })
            .collect())
    }

    /// The Prometheus text, with the outbox gauges refreshed.
    pub fn metrics(&self) -> String {
        if let Ok(outputs) = self.inner.store.documents(outputs::COLLECTION) {
            for (id, _) in outputs {
                if let Ok(counts) = self.inner.store.outbox_counts(&id) {
                    let pending = counts.get("pending").copied().unwrap_or(0);
                    self.inner
                        .shared
                        .metrics
                        .outbox_pending
                        .set(&[&id], pending);
                }
            }
        }
        self.inner.shared.metrics.render()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let commands = self.commands.lock().unwrap_or_else(|e| e.into_inner());
        let _ = commands.send(Command::Shutdown);
    }
}

/// The engine thread: commits in order, API calls between them, timers when due, and a
/// slice of a version's start in slices whenever nothing waits.
fn engine_loop(mut core: Core, receiver: &mpsc::Receiver<Command>) {
    loop {
        let now = core.clock.now();
        let wait = if core.releasing() {
            0
        } else {
            core.next_wake()
                .map_or(IDLE_MS, |t| (t - now).clamp(0, IDLE_MS))
        };
        match receiver.recv_timeout(Duration::from_millis(wait as u64)) {
            Ok(first) => {
                let started = Instant::now();
                let mut next = Some(first);
                let mut n = 0;
                while let Some(command) = next.take() {
                    match command {
                        Command::Commit(c) => {
                            core.shared
                                .metrics
                                .engine_queue
                                .fetch_sub(1, Ordering::Relaxed);
                            core.on_commit(c);
                        }
                        Command::Call(f) => {
                            // What the commits before it decided goes out first: a call
                            // (a backfill's chunk, a statistics request) may take a while.
                            if let Err(e) = core.flush() {
                                tracing::error!(error = %e, "cannot write the outbox");
                            }
                            // A call sees (and changes) engines with every start made.
                            core.finish_releases();
                            f(&mut core);
                        }
                        Command::ClockMoved => settle_timers(&mut core),
                        Command::Shutdown => {
                            core.finish_releases();
                            core.write_checkpoints(true);
                            return;
                        }
                    }
                    n += 1;
                    if n < BATCH && started.elapsed() < BATCH_TIME {
                        next = receiver.try_recv().ok();
                    }
                }
                core.shared
                    .metrics
                    .engine_batch
                    .observe_ms(started.elapsed().as_millis() as i64);
            }
            Err(RecvTimeoutError::Timeout) if core.releasing() => {
                let started = Instant::now();
                core.release_slice();
                core.shared
                    .metrics
                    .engine_batch
                    .observe_ms(started.elapsed().as_millis() as i64);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        settle_timers(&mut core);
        core.write_checkpoints(false);
    }
}

/// Fires the timers due now and writes what they decided.
fn settle_timers(core: &mut Core) {
    core.tick();
    if let Err(e) = core.flush() {
        // What was not written is rebuilt from the event log at the next start.
        tracing::error!(error = %e, "cannot write the outbox");
    }
}

/// Has a clock moved by hand wake the engine thread (queued behind what is already asked,
/// ahead of anything asked after the move) and the workers. The system clock never calls
/// this: the engine thread's and the workers' timed waits follow it.
fn watch_clock(clock: &dyn Clock, commands: &Sender<Command>, shared: &Arc<Shared>) {
    let commands = Mutex::new(commands.clone());
    let shared = Arc::downgrade(shared);
    clock.on_move(Box::new(move |_| {
        let Some(shared) = shared.upgrade() else {
            return false;
        };
        shared.wake_all();
        let commands = commands.lock().unwrap_or_else(|e| e.into_inner());
        commands.send(Command::ClockMoved).is_ok()
    }));
}

/// A multi-threaded async runtime for the delivery workers on its own thread; it runs until
/// the returned sender is dropped.
fn worker_runtime() -> Result<(tokio::runtime::Handle, mpsc::SyncSender<()>), RuntimeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("waymark-delivery")
        .enable_all()
        .build()
        .map_err(|e| RuntimeError::new(500, "runtime_start", e.to_string()))?;
    let handle = rt.handle().clone();
    let (stop, stopped) = mpsc::sync_channel::<()>(0);
    std::thread::Builder::new()
        .name("waymark-delivery".into())
        .spawn(move || {
            // Returns once every sender is dropped.
            let _ = stopped.recv();
            rt.shutdown_background();
        })
        .map_err(|e| RuntimeError::new(500, "runtime_start", e.to_string()))?;
    Ok((handle, stop))
}
