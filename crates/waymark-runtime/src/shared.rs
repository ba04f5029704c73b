//! What the engine thread, the delivery workers and the API handle share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::Notify;

use waymark_engine::time::Millis;

use crate::metrics::Metrics;

/// Progress of a replay (publication with backfill, or a rebuild).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Events replayed so far.
    pub processed: usize,
    /// Events to replay.
    pub total: usize,
}

/// An output's delivery state, as its worker last published it. Only that worker writes
/// it; the API reads it for the output's view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutputState {
    /// The whole output waits until then (a 429, or failures in a row).
    pub paused_until: Option<Millis>,
    /// Failed attempts in a row.
    pub consecutive_failures: u32,
    /// Requests under way.
    pub in_flight: usize,
    /// The latest failure, and when.
    pub last_error: Option<String>,
    /// When the latest failure happened.
    pub last_error_at: Option<Millis>,
}

/// Shared between threads.
#[derive(Debug, Default)]
pub struct Shared {
    /// Metrics.
    pub metrics: Metrics,
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
    progress: Mutex<HashMap<String, Progress>>,
    outputs: Mutex<HashMap<String, OutputState>>,
}

impl Shared {
    /// The notifier an output's worker waits on.
    pub fn waker(&self, output: &str) -> Arc<Notify> {
        let mut w = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(w.entry(output.to_string()).or_default())
    }

    /// Wakes an output's worker: there is something new in its outbox.
    pub fn wake(&self, output: &str) {
        self.waker(output).notify_one();
    }

    /// Wakes every output's worker: the clock was moved by hand, and records may be due.
    pub fn wake_all(&self) {
        let w = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        for waker in w.values() {
            waker.notify_one();
        }
    }

    /// Records a replay's progress for a journey.
    pub fn progress(&self, journey: &str, processed: usize, total: usize) {
        let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        p.insert(journey.to_string(), Progress { processed, total });
    }

    /// Publishes an output's delivery state (its worker only).
    pub fn set_output_state(&self, output: &str, state: OutputState) {
        let paused = u64::from(state.paused_until.is_some());
        self.metrics.output_paused.set(&[output], paused);
        self.metrics
            .in_flight
            .set(&[output], state.in_flight as u64);
        let mut o = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        o.insert(output.to_string(), state);
    }

    /// An output's delivery state (the default before its worker published any).
    pub fn output_state(&self, output: &str) -> OutputState {
        let o = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        o.get(output).cloned().unwrap_or_default()
    }

    /// A journey's latest replay progress.
    pub fn progress_of(&self, journey: &str) -> Option<Progress> {
        let p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        p.get(journey).copied()
    }
}
