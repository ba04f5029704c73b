//! What every request handler shares.

use std::sync::Arc;

use waymark_store::Store;

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Ingestion limits.
    pub limits: waymark_ingest::Limits,
    /// The live runtime: journeys, outputs, deliveries.
    pub runtime: waymark_runtime::Runtime,
    /// The server's own counters (rejected messages).
    pub ingest_metrics: Arc<crate::IngestMetrics>,
}

impl AppState {
    /// Runs a blocking runtime call off the async workers.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&waymark_runtime::Runtime) -> Result<T, waymark_runtime::RuntimeError>
            + Send
            + 'static,
    {
        let runtime = self.runtime.clone();
        match tokio::task::spawn_blocking(move || f(&runtime)).await {
            Ok(result) => result.map_err(crate::ApiError::from),
            Err(_) => Err(crate::ApiError::from(
                waymark_runtime::RuntimeError::unavailable(),
            )),
        }
    }

    /// Runs a blocking store call off the async workers.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, waymark_store::StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(result) => result.map_err(crate::ApiError::from),
            Err(_) => Err(crate::ApiError::from(waymark_store::StoreError::Backend(
                "a store task failed".into(),
            ))),
        }
    }
}
