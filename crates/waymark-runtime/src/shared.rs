//! What the engine thread, the delivery workers and the API handle share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::Notify;

use crate::metrics::Metrics;

/// Progress of a replay (publication with backfill, or a rebuild).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Events replayed so far.
    pub processed: usize,
    /// Events to replay.
    pub total: usize,
}

/// Shared between threads.
#[derive(Debug, Default)]
pub struct Shared {
    /// Metrics.
    pub metrics: Metrics,
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
    progress: Mutex<HashMap<String, Progress>>,
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

    /// Records a replay's progress for a journey.
    pub fn progress(&self, journey: &str, processed: usize, total: usize) {
        let mut p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        p.insert(journey.to_string(), Progress { processed, total });
    }

    /// A journey's latest replay progress.
    pub fn progress_of(&self, journey: &str) -> Option<Progress> {
        let p = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        p.get(journey).copied()
    }
}
