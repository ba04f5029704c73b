//! One worker per output, an async task: it keeps up to `concurrency` sends in flight
//! across users, honours the output's rate limit, pauses the whole output on a 429 or on
//! failures in a row, records every attempt durably, and asks the engine thread to
//! disable the output on 410. Each worker is its own task, so a slow or dead output delays
//! only itself.
//!
//! Ownership: the worker owns its runtime state (in flight, paused, failures in a row) and
//! publishes it to [`Shared`]; it never writes the output's document, which only the
//! engine thread writes (and which restarts the worker with the new document). Store calls
//! run on tokio's blocking pool, never on the async threads. Per-user order comes from the
//! store: `outbox_due` offers only the first pending record of each user, and a record
//! stays "in flight" until its result is durable, so no user has two sends at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::{Id, JoinHandle, JoinSet};
use tokio::time::Instant;
use waymark_deliver::Outcome;
use waymark_deliver::http::HttpClient;
use waymark_engine::time::Millis;
use waymark_store::{Attempt, AttemptOutcome, DeliveryStatus, OutboxRecord, Store, StoreError};

use super::attempt::{self, Endpoint, Timing};
use super::settings::Settings;
use super::{DeliveryPayload, OutboxTask};
use crate::clock::Clock;
use crate::config::RuntimeConfig;
use crate::outputs::{OutputDoc, Sender};
use crate::shared::{OutputState, Shared};

/// The longest a worker sleeps before looking at its outbox again.
const IDLE: Duration = Duration::from_secs(1);

/// Asks the engine thread to disable an output (id, reason): the worker never writes the
/// output's document itself.
pub type Disabler = Arc<dyn Fn(String, String) + Send + Sync>;

/// Runs a store call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| StoreError::Backend(format!("a store call failed: {e}")))?
}

/// The delivery workers, on their own async runtime.
pub struct Workers {
    handle: tokio::runtime::Handle,
    tasks: Mutex<HashMap<String, JoinHandle<()>>>,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    http: HttpClient,
    config: RuntimeConfig,
    disable: Disabler,
}

/// What the workers need from the runtime.
pub struct WorkerDeps {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Metrics, wake-ups and published states.
    pub shared: Arc<Shared>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The HTTP client (its guard and default timeout).
    pub http: HttpClient,
    /// Default delivery settings.
    pub config: RuntimeConfig,
    /// How to ask for an output to be disabled.
    pub disable: Disabler,
}

impl Workers {
    /// Workers spawned on `handle`.
    pub fn new(handle: tokio::runtime::Handle, deps: WorkerDeps) -> Self {
        Self {
            handle,
            tasks: Mutex::new(HashMap::new()),
            store: deps.store,
            shared: deps.shared,
            clock: deps.clock,
            http: deps.http,
            config: deps.config,
            disable: deps.disable,
        }
    }

    /// (Re)starts the worker of an output (none for lists) with the document's settings.
    /// Sends under way are abandoned: their records stay pending and go again (at least
    /// once).
    pub fn restart(&self, doc: &OutputDoc) {
        self.stop(&doc.id);
        let settings = doc.delivery.resolve(&self.config);
        let Some(sender) = doc.sender(&self.http.with_timeout(settings.timeout)) else {
            return;
        };
        let worker = Worker {
            output: doc.id.clone(),
            sender,
            settings,
            disabled: doc.disabled,
            store: Arc::clone(&self.store),
            shared: Arc::clone(&self.shared),
            clock: Arc::clone(&self.clock),
            disable: Arc::clone(&self.disable),
        };
        let task = self.handle.spawn(worker.run());
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.insert(doc.id.clone(), task);
    }

    /// Stops an output's worker.
    pub fn stop(&self, output: &str) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(task) = tasks.remove(output) {
            task.abort();
        }
    }
}

struct Worker {
    output: String,
    sender: Sender,
    settings: Settings,
    disabled: bool,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    disable: Disabler,
}

/// One finished send.
struct Sent {
    records: Vec<OutboxRecord>,
    /// When each record's membership change happened (for the delivery latency).
    changed_at: Vec<Millis>,
    outcome: Outcome,
    timing: Timing,
}

/// The worker's own state.
#[derive(Default)]
struct State {
    /// Records sent or being recorded: not to be picked again.
    in_flight: HashSet<String>,
    /// The sends under way, and the records each carries.
    sends: JoinSet<Sent>,
    carried: HashMap<Id, Vec<String>>,
    /// The whole output waits until then.
    paused_until: Option<Millis>,
    failures: u32,
    /// The earliest the next request may start (rate limit).
    next_slot: Option<Instant>,
    last_error: Option<(Millis, String)>,
    /// A 410's reason, until the engine thread is asked to disable the output.
    gone: Option<String>,
}

impl Worker {
    async fn run(mut self) {
        let wake = self.shared.waker(&self.output);
        let mut state = State::default();
        loop {
            let pause = if self.disabled {
                IDLE
            } else {
                match self.fill(&mut state).await {
                    Ok(pause) => pause,
                    Err(e) => {
                        tracing::error!(output = %self.output, error = %e, "delivery worker");
                        IDLE
                    }
                }
            };
            self.publish(&state);
            tokio::select! {
                Some(done) = state.sends.join_next_with_id(), if !state.sends.is_empty() => {
                    let mut done = vec![done];
                    while let Some(more) = state.sends.try_join_next_with_id() {
                        done.push(more);
                    }
                    self.finish(&mut state, done).await;
                }
                () = wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Starts sends for due records while there is room; how long to sleep if nothing
    /// else happens.
    async fn fill(&self, state: &mut State) -> Result<Duration, StoreError> {
        let now = self.clock.now();
        if let Some(until) = state.paused_until {
            if now < until {
                return Ok(millis(until - now).min(IDLE));
            }
            state.paused_until = None;
        }
        let batch = self.sender.batch_size();
        let room = self.settings.concurrency.min(self.sender.max_concurrency());
        while state.sends.len() < room {
            let free = room - state.sends.len();
            let limit = free * batch + state.in_flight.len();
            let output = self.output.clone();
            let due = blocking(&self.store, move |s| s.outbox_due(&output, now, limit)).await?;
            let fresh: Vec<OutboxRecord> = due
                .into_iter()
                .filter(|r| !state.in_flight.contains(&r.id))
                .collect();
            let exhausted = fresh.len() < free * batch;
            if fresh.is_empty() {
                break;
            }
            for chunk in fresh.chunks(batch) {
                if state.sends.len() >= room {
                    break;
                }
                if let Some(wait) = self.rate_wait(state) {
                    return Ok(wait);
                }
                self.dispatch(state, chunk.to_vec()).await?;
            }
            if exhausted {
                break;
            }
        }
        if state.sends.len() >= room {
            return Ok(IDLE);
        }
        // Records due now but held behind an earlier one of their user (or in flight)
        // make the next due time the past: look again after IDLE, or when woken.
        let output = self.output.clone();
        let next = blocking(&self.store, move |s| s.outbox_next_due(&output)).await?;
        let now = self.clock.now();
        Ok(match next {
            Some(t) if t > now => millis(t - now).min(IDLE),
            _ => IDLE,
        })
    }

    /// How long until the rate limit allows the next request (`None`: now, and the slot
    /// is taken).
    fn rate_wait(&self, state: &mut State) -> Option<Duration> {
        let interval = self.settings.interval?;
        let now = Instant::now();
        let slot = state.next_slot.unwrap_or(now).max(now);
        if slot > now {
            return Some(slot - now);
        }
        state.next_slot = Some(slot + interval);
        None
    }

    /// Starts one send of `records` (in order).
    async fn dispatch(
        &self,
        state: &mut State,
        records: Vec<OutboxRecord>,
    ) -> Result<(), StoreError> {
        let mut good = Vec::with_capacity(records.len());
        let mut payloads = Vec::with_capacity(records.len());
        let mut broken = Vec::new();
        for record in records {
            match OutboxTask::decode(&record.payload) {
                Ok(OutboxTask::DeliveryV1(p)) => {
                    payloads.push(p);
                    good.push(record);
                }
                // Dead, not dropped: a build that knows the format can replay it.
                Err(e) => broken.push(dead(record, &e.to_string(), self.clock.now())),
            }
        }
        if !broken.is_empty() {
            blocking(&self.store, move |s| s.outbox_settle(broken)).await?;
        }
        if good.is_empty() {
            return Ok(());
        }
        let changed_at: Vec<Millis> = payloads.iter().map(|p| p.at).collect();
        let deliveries = blocking(&self.store, move |s| personalise(s, &payloads)).await?;
        let ids: Vec<String> = good.iter().map(|r| r.id.clone()).collect();
        state.in_flight.extend(ids.iter().cloned());
        let sender = self.sender.clone();
        let at = self.clock.now();
        let task = state.sends.spawn(async move {
            let started = Instant::now();
            let outcome = sender.send(&deliveries).await;
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            Sent {
                records: good,
                changed_at,
                outcome,
                timing: Timing { at, latency_ms },
            }
        });
        state.carried.insert(task.id(), ids);
        Ok(())
    }

    /// Records finished sends in one durable write, and updates the endpoint's state.
    async fn finish(
        &mut self,
        state: &mut State,
        done: Vec<Result<(Id, Sent), tokio::task::JoinError>>,
    ) {
        let mut updates = Vec::new();
        let mut released = Vec::new();
        let shared = Arc::clone(&self.shared);
        let metrics = &shared.metrics;
        for result in done {
            let (id, sent) = match result {
                Ok(finished) => finished,
                Err(e) => {
                    tracing::error!(output = %self.output, error = %e, "a send failed");
                    released.extend(state.carried.remove(&e.id()).unwrap_or_default());
                    continue;
                }
            };
            released.extend(state.carried.remove(&id).unwrap_or_default());
            let ats = sent.changed_at;
            let attempted = attempt::apply(
                sent.records,
                &sent.outcome,
                sent.timing,
                &self.settings.retry,
                &mut random,
            );
            let now = sent.timing.at + sent.timing.latency_ms as Millis;
            for (record, at) in attempted.records.iter().zip(ats) {
                let result = record.attempt_log.last().map(|a| a.outcome);
                let label = match result {
                    Some(AttemptOutcome::Delivered) => {
                        metrics.delivery_latency.observe_ms(now - at);
                        "delivered"
                    }
                    Some(AttemptOutcome::Retry) => "retry",
                    Some(AttemptOutcome::Dead) => "dead",
                    Some(AttemptOutcome::Disabled) | None => "disabled",
                };
                metrics.deliveries.add(&[&self.output, label], 1);
            }
            if let Some(error) = &sent.outcome.error {
                state.last_error = Some((now, error.to_string()));
            }
            self.judge(state, &attempted.endpoint, now);
            updates.extend(attempted.records);
        }
        if let Some(until) = state.paused_until {
            for r in &mut updates {
                if r.status == DeliveryStatus::Pending {
                    r.next_attempt_at = r.next_attempt_at.max(until);
                }
            }
        }
        if !updates.is_empty()
            && let Err(e) = blocking(&self.store, move |s| s.outbox_settle(updates)).await
        {
            // The records stay pending and go again: at least once.
            tracing::error!(output = %self.output, error = %e, "cannot record deliveries");
        }
        // Asked only once the attempt is on record: the engine thread restarts this
        // worker when it has disabled the output.
        if let Some(reason) = state.gone.take() {
            (self.disable)(self.output.clone(), reason);
        }
        for id in released {
            state.in_flight.remove(&id);
        }
    }

    /// What a send says about the endpoint: failures in a row and 429s pause the output;
    /// a 410 disables it.
    fn judge(&mut self, state: &mut State, endpoint: &Endpoint, now: Millis) {
        match endpoint {
            Endpoint::Healthy => state.failures = 0,
            Endpoint::Indifferent => {}
            Endpoint::Failing {
                retry_after,
                throttled,
            } => {
                state.failures += 1;
                if *throttled || state.failures >= self.settings.pause_after_failures {
                    let wait = retry_after.unwrap_or_else(|| attempt::backoff(state.failures));
                    let until = now + wait.as_millis() as Millis;
                    if until > now {
                        state.paused_until = Some(state.paused_until.unwrap_or(until).max(until));
                    }
                }
            }
            Endpoint::Gone(reason) => {
                if !self.disabled {
                    self.disabled = true;
                    state.gone = Some(reason.clone());
                }
            }
        }
    }

    fn publish(&self, state: &State) {
        self.shared.set_output_state(
            &self.output,
            OutputState {
                paused_until: state.paused_until,
                consecutive_failures: state.failures,
                in_flight: state.in_flight.len(),
                last_error: state.last_error.as_ref().map(|(_, e)| e.clone()),
                last_error_at: state.last_error.as_ref().map(|(at, _)| *at),
            },
        );
    }
}

/// The deliveries of `payloads`, each with its profile's email and named traits as they
/// are now (a deleted profile's deliveries are discarded, so a missing one sends bare).
fn personalise(
    store: &dyn Store,
    payloads: &[DeliveryPayload],
) -> Result<Vec<waymark_deliver::Delivery>, StoreError> {
    let mut deliveries = Vec::with_capacity(payloads.len());
    for p in payloads {
        let mut delivery = p.delivery();
        if let Some((workspace, id)) = &p.profile
            && let Some(profile) = store.profile_by_id(workspace, *id)?
        {
            delivery.personalisation = p.personalise(&profile);
        }
        deliveries.push(delivery);
    }
    Ok(deliveries)
}

/// A record that cannot be sent at all.
fn dead(mut record: OutboxRecord, error: &str, now: Millis) -> OutboxRecord {
    record.status = DeliveryStatus::Dead;
    record.last_error = Some(error.to_string());
    record.updated_at = now;
    record.attempt_log.push(Attempt {
        at: now,
        latency_ms: 0,
        status: None,
        outcome: AttemptOutcome::Dead,
        error: Some(error.to_string()),
        response: None,
    });
    record
}

fn millis(ms: Millis) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// A uniformly random `u64` for the retry jitter.
fn random() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}
