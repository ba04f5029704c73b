//! Errors the runtime answers with: an HTTP status, a stable code, a message, and details
//! (such as a journey's validation problems).

use serde_json::Value;
use waymark_store::StoreError;

/// Why a runtime call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RuntimeError {
    /// The HTTP status that suits it.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a human.
    pub message: String,
    /// Extra detail (for `invalid_journey`, the list of problems).
    pub details: Option<Value>,
}

impl RuntimeError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(404, "not_found", format!("{what} `{id}` does not exist"))
    }

    /// 409 with a code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(409, code, message)
    }

    /// 422 with a code.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(422, code, message)
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// The runtime's engine thread is gone (the server is shutting down).
    pub fn unavailable() -> Self {
        Self::new(
            503,
            "runtime_unavailable",
            "the journey runtime is not running",
        )
    }
}

impl From<StoreError> for RuntimeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { .. } => Self::conflict("already_exists", e.to_string()),
            StoreError::NotFound { .. } => Self::new(404, "not_found", e.to_string()),
            StoreError::Busy => Self::new(429, "overloaded", e.to_string()),
            StoreError::Backend(_) => {
                tracing::error!(error = %e, "store failure");
                Self::new(
                    503,
                    "storage_unavailable",
                    "the store could not complete the request",
                )
            }
        }
    }
}
