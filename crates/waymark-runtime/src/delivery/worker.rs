//! One worker per output: sends due outbox records in order, records each result durably,
//! retries with backoff and jitter, parks dead deliveries, and disables the output on 410.
//! Each worker is its own task, so a slow or dead output delays only itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use waymark_deliver::http::HttpClient;
use waymark_deliver::retry::next_delay;
use waymark_deliver::{SendError, Verdict};
use waymark_store::{DeliveryStatus, DocumentWrite, OutboxRecord, Store};

use super::DeliveryPayload;
use crate::clock::Clock;
use crate::outputs::{self, OutputDoc, Sender};
use crate::shared::Shared;

/// The longest a worker sleeps before looking at its outbox again.
const IDLE: Duration = Duration::from_secs(1);

/// The delivery workers, on their own async runtime.
pub struct Workers {
    handle: tokio::runtime::Handle,
    tasks: Mutex<HashMap<String, JoinHandle<()>>>,
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    http: HttpClient,
}

impl Workers {
    /// Workers spawned on `handle`.
    pub fn new(
        handle: tokio::runtime::Handle,
        store: Arc<dyn Store>,
        shared: Arc<Shared>,
        clock: Arc<dyn Clock>,
        http: HttpClient,
    ) -> Self {
        Self {
            handle,
            tasks: Mutex::new(HashMap::new()),
            store,
            shared,
            clock,
            http,
        }
    }

    /// (Re)starts the worker of an output (none for lists).
    pub fn restart(&self, doc: &OutputDoc) {
        self.stop(&doc.id);
        let Some(sender) = doc.sender(&self.http) else {
            return;
        };
        let worker = Worker {
            output: doc.id.clone(),
            sender,
            store: Arc::clone(&self.store),
            shared: Arc::clone(&self.shared),
            clock: Arc::clone(&self.clock),
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
    store: Arc<dyn Store>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
}

impl Worker {
    async fn run(self) {
        let wake = self.shared.waker(&self.output);
        loop {
            let pause = match self.round().await {
                Ok(true) => continue,
                Ok(false) => self.idle_for(),
                Err(e) => {
                    tracing::error!(output = %self.output, error = %e, "delivery worker");
                    IDLE
                }
            };
            tokio::select! {
                () = wake.notified() => {},
                () = tokio::time::sleep(pause) => {},
            }
        }
    }

    /// How long to sleep with nothing due.
    fn idle_for(&self) -> Duration {
        // A disabled output's deliveries stay due, so the wait below would be zero and the
        // worker would spin; re-enabling it restarts and wakes the worker anyway.
        if self.disabled() {
            return IDLE;
        }
        match self.store.outbox_next_due(&self.output) {
            Ok(Some(t)) => {
                let ms = (t - self.clock.now()).clamp(0, IDLE.as_millis() as i64);
                Duration::from_millis(ms as u64)
            }
            _ => IDLE,
        }
    }

    fn disabled(&self) -> bool {
        self.store
            .document(outputs::COLLECTION, &self.output)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value::<OutputDoc>(v).ok())
            .is_none_or(|d| d.disabled)
    }

    /// Sends one batch of due deliveries; `true` when there may be more due at once.
    async fn round(&self) -> Result<bool, waymark_store::StoreError> {
        if self.disabled() {
            return Ok(false);
        }
        let now = self.clock.now();
        let due = self
            .store
            .outbox_due(&self.output, now, self.sender.batch_size())?;
        if due.is_empty() {
            return Ok(false);
        }
        let payloads: Vec<DeliveryPayload> = due
            .iter()
            .map(|r| serde_json::from_value(r.payload.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| waymark_store::StoreError::Backend(format!("bad outbox payload: {e}")))?;
        let deliveries: Vec<_> = payloads.iter().map(DeliveryPayload::delivery).collect();
        let outcome = self.sender.send(&deliveries).await;
        let now = self.clock.now();
        let metrics = &self.shared.metrics;
        let mut updated: Vec<OutboxRecord> = Vec::with_capacity(due.len());
        for (record, payload) in due.iter().zip(&payloads).take(outcome.sent) {
            metrics.deliveries.add(&[&self.output, "delivered"], 1);
            metrics.delivery_latency.observe_ms(now - payload.at);
            updated.push(OutboxRecord {
                status: DeliveryStatus::Delivered,
                attempts: record.attempts + 1,
                last_error: None,
                updated_at: now,
                ..record.clone()
            });
        }
        let mut more = outcome.error.is_none();
        if let Some(error) = &outcome.error {
            let failed = &due[outcome.sent];
            updated.push(self.after_failure(failed, error, now));
            more = false;
        }
        self.store.outbox_update(updated)?;
        Ok(more)
    }

    fn after_failure(&self, record: &OutboxRecord, error: &SendError, now: i64) -> OutboxRecord {
        let attempts = record.attempts + 1;
        let metrics = &self.shared.metrics;
        let mut next = OutboxRecord {
            attempts,
            last_error: Some(error.to_string()),
            updated_at: now,
            ..record.clone()
        };
        match error.verdict() {
            Verdict::Success => next.status = DeliveryStatus::Delivered,
            Verdict::Retry { after } => {
                let mut random = [0u8; 8];
                let _ = getrandom::fill(&mut random);
                match next_delay(attempts, after, u64::from_le_bytes(random)) {
                    Some(wait) => {
                        metrics.deliveries.add(&[&self.output, "retry"], 1);
                        next.next_attempt_at = now + wait.as_millis() as i64;
                    }
                    None => {
                        metrics.deliveries.add(&[&self.output, "dead"], 1);
                        next.status = DeliveryStatus::Dead;
                    }
                }
            }
            Verdict::Fail => {
                metrics.deliveries.add(&[&self.output, "dead"], 1);
                next.status = DeliveryStatus::Dead;
            }
            Verdict::Disable => {
                metrics.deliveries.add(&[&self.output, "disabled"], 1);
                self.disable(&error.to_string());
            }
        }
        next
    }

    /// The receiver answered 410: the output is disabled until re-enabled by PATCH.
    fn disable(&self, reason: &str) {
        let Ok(Some(value)) = self.store.document(outputs::COLLECTION, &self.output) else {
            return;
        };
        let Ok(mut doc) = serde_json::from_value::<OutputDoc>(value) else {
            return;
        };
        doc.disabled = true;
        doc.disabled_reason = Some(format!("the receiver asked to stop: {reason}"));
        if let Ok(body) = serde_json::to_value(&doc) {
            let write = DocumentWrite {
                collection: outputs::COLLECTION.into(),
                id: doc.id.clone(),
                body: Some(body),
            };
            if let Err(e) = self.store.write_documents(vec![write]) {
                tracing::error!(output = %self.output, error = %e, "cannot disable the output");
            }
        }
    }
}
