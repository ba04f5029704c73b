//! Waymark's HTTP server: Segment and mParticle ingestion, the admin API, health, and the
//! configuration that makes a deployment reproducible.

mod auth;
pub mod bootstrap;
pub mod config;
mod error;
mod ingest_metrics;
mod routes;
mod state;

pub use auth::token_hash;
pub use bootstrap::{Bootstrap, apply_config, apply_outputs, apply_tenancy};
pub use config::{Config, ConfigError};
pub use error::ApiError;
pub use ingest_metrics::IngestMetrics;
pub use routes::{ProfileView, openapi_document, router};
pub use state::AppState;

use std::future::Future;
use std::net::SocketAddr;

/// Serves `state` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
