//! Storing what a readable ingestion request carried (SPEC §2): messages without a
//! `messageId` get a new one (never one derived from their content, so two identical calls
//! are two events); invalid messages are recorded as rejected and counted; the valid ones
//! are stored. Both writes are durable before the request is acknowledged.

use waymark_engine::time::Millis;
use waymark_ingest::Parsed;
use waymark_store::{Input, RejectedMessage};

use crate::bootstrap::new_secret;
use crate::{ApiError, AppState};

/// Records `parsed.rejected`, then stores `parsed.messages`, for `input`. The rejections
/// are written first: a failure there leaves nothing stored, so the client's retry cannot
/// store a message twice that had no `messageId`.
pub(crate) async fn store(
    state: &AppState,
    input: Input,
    received_at: Millis,
    parsed: Parsed,
) -> Result<(), ApiError> {
    let Parsed {
        mut messages,
        rejected,
    } = parsed;
    if !rejected.is_empty() {
        let codes: Vec<&'static str> = rejected.iter().map(|r| r.error.code()).collect();
        let records: Vec<RejectedMessage> = rejected
            .into_iter()
            .map(|r| RejectedMessage {
                seq: 0,
                input: input.id.clone(),
                received_at,
                code: r.error.code().to_string(),
                message: r.located().to_string(),
                excerpt: r.excerpt,
            })
            .collect();
        let workspace = input.workspace.clone();
        state
            .blocking(move |s| s.record_rejected(&workspace, records))
            .await?;
        for code in codes {
            state.ingest_metrics.rejected(code);
        }
    }
    if messages.is_empty() {
        return Ok(());
    }
    for message in &mut messages {
        if message.message_id.is_none() {
            message.message_id = Some(new_secret("wm-"));
        }
    }
    state
        .blocking(move |s| s.ingest(&input.workspace, &input.id, messages))
        .await?;
    Ok(())
}
