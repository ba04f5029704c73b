//! Credentials: write keys (Basic auth or `writeKey` in the body) for ingestion, bearer
//! tokens for the admin API.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use waymark_store::TokenScope;

use crate::{ApiError, AppState};

/// The user and password of a `Basic` Authorization header.
pub(crate) fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':').unwrap_or((&text, ""));
    Some((user.to_string(), password.to_string()))
}

/// Hex SHA-256 of a token secret, as the store keeps it.
pub fn token_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A caller of the admin API, by the scope of their bearer token.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub(crate) TokenScope);

impl Admin {
    /// Refuses unless the token covers `workspace`. Another workspace's data is reported as
    /// missing, so a workspace token learns nothing about it.
    pub(crate) fn require_workspace(&self, workspace: &str) -> Result<(), ApiError> {
        match &self.0 {
            TokenScope::Account => Ok(()),
            TokenScope::Workspace(own) if own == workspace => Ok(()),
            TokenScope::Workspace(_) => Err(ApiError::not_found(format!(
                "workspace `{workspace}` does not exist"
            ))),
        }
    }

    /// Refuses unless the token is account-wide.
    pub(crate) fn require_account(&self) -> Result<(), ApiError> {
        match &self.0 {
            TokenScope::Account => Ok(()),
            TokenScope::Workspace(_) => Err(ApiError::forbidden(
                "this needs an account token; workspace tokens reach only their workspace",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_string())
            .ok_or_else(|| {
                ApiError::unauthorized("send an admin token: `Authorization: Bearer <token>`")
            })?;
        let hash = token_hash(&secret);
        let token = state.blocking(move |s| s.token(&hash)).await?;
        match token {
            Some(t) => Ok(Admin(t.scope)),
            None => Err(ApiError::unauthorized("unknown admin token")),
        }
    }
}
