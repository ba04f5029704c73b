//! `GET /api/workspaces/{ws}/rejected`: the messages of a workspace that failed validation
//! (SPEC §2), newest first, with how many each input has had rejected.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use waymark_engine::time::format_instant;
use waymark_store::RejectedMessage;

use super::Path;
use super::views::present;
use crate::auth::Admin;
use crate::{ApiError, AppState};

/// Most records one call returns.
const MAX_LIMIT: usize = 1000;

/// Query of the call: a page size and the cursor of the previous page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectedQuery {
    limit: Option<usize>,
    /// Only records older than this `seq` (the previous page's `next`).
    before: Option<u64>,
}

/// A rejected message as the API shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RejectedView {
    seq: u64,
    input: String,
    received_at: String,
    code: String,
    message: String,
    excerpt: String,
}

/// The answer: a page of rejected messages and the counts per input.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct RejectedPage {
    rejected: Vec<RejectedView>,
    /// Rejected messages per input id, all time.
    counts: BTreeMap<String, u64>,
    /// Pass as `before` for the next page; `null` at the end.
    next: Option<u64>,
}

impl From<RejectedMessage> for RejectedView {
    fn from(r: RejectedMessage) -> Self {
        Self {
            seq: r.seq,
            input: r.input,
            received_at: format_instant(r.received_at),
            code: r.code,
            message: r.message,
            excerpt: r.excerpt,
        }
    }
}

/// `GET /api/workspaces/{ws}/rejected?limit=N&before=SEQ`: `{"rejected": [...], "counts":
/// {input: n}, "next": SEQ | null}`; `next` is the cursor of the following page, `null` on
/// the last one.
pub(crate) async fn list(
    State(state): State<AppState>,
    admin: Admin,
    Path(ws): Path<String>,
    query: Result<Query<RejectedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RejectedPage>, ApiError> {
    admin.require_workspace(&ws)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    let id = ws.clone();
    if state.blocking(move |s| s.workspace(&id)).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "workspace `{ws}` does not exist"
        )));
    }
    let (records, counts) = state
        .blocking(move |s| {
            let records = s.rejected(&ws, query.before, limit)?;
            let counts = s.rejected_counts(&ws)?;
            Ok((records, counts))
        })
        .await?;
    let next = (records.len() == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    let views: Vec<RejectedView> = records.into_iter().map(RejectedView::from).collect();
    Ok(Json(RejectedPage {
        rejected: views,
        counts,
        next,
    }))
}
