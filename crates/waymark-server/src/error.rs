//! API errors: a status, a stable `code` and a message, sent as `{"code","message"}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use waymark_ingest::IngestError;
use waymark_runtime::RuntimeError;
use waymark_store::StoreError;

/// An error answered to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a human.
    pub message: String,
    /// Every problem, when there are several (invalid journeys).
    pub problems: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            problems: None,
        }
    }

    /// 401: no or unknown credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: credentials that may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such resource (or one the caller may not see).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        Self::bad_request(e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { .. } => {
                Self::new(StatusCode::CONFLICT, "already_exists", e.to_string())
            }
            StoreError::NotFound { .. } => Self::not_found(e.to_string()),
            StoreError::Busy => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                "too many writes are waiting; retry after the Retry-After delay",
            ),
            StoreError::Backend(_) => {
                tracing::error!(error = %e, "store failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the store could not complete the request; nothing was acknowledged",
                )
            }
        }
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(code = e.code, message = %e.message, "runtime failure");
        }
        Self {
            status,
            code: e.code,
            message: e.message,
            problems: e.details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        );
        let body = Json(ErrorBody {
            code: self.code,
            message: self.message,
            problems: self.problems,
        });
        let mut response = (self.status, body).into_response();
        if retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// An error as answered: `{"code","message"}`, with `problems` when there are several.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody {
    /// Stable machine-readable code.
    code: &'static str,
    /// What went wrong, for a human.
    message: String,
    /// Every problem of an invalid journey, audience or computed attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Problem>>")]
    problems: Option<serde_json::Value>,
}

/// One problem of an invalid definition: where, a stable code, and why.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
struct Problem {
    /// A JSON path into the body.
    path: String,
    code: String,
    message: String,
}
