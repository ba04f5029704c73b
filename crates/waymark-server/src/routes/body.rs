//! Reading ingestion request bodies: size cap, content type, decompression, received time.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use waymark_engine::time::Millis;

use crate::ApiError;

/// Extra raw bytes allowed over the decoded limit: gzip makes incompressible data slightly
/// larger than it was.
pub(crate) const GZIP_SLACK: usize = 4096;

/// Reads at most `limit` bytes of body; a larger body is refused before it is buffered.
pub(crate) async fn read_capped(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::bad_request(
            "batch_too_large",
            format!("the request body is over {limit} bytes"),
        )
    })
}

/// Refuses bodies that say they are not JSON (`text/plain` is allowed: browsers send it).
/// A gzip body passes whatever its label: RudderStack's Node library sends gzip as
/// `application/x-www-form-urlencoded` (SPEC §2).
pub(crate) fn check_json_content(headers: &HeaderMap, raw: &[u8]) -> Result<(), ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    if waymark_ingest::body::is_gzip(encoding, raw) {
        return Ok(());
    }
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" || media == "text/plain" || media.ends_with("+json") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_content_type",
        format!("expected Content-Type application/json, got `{media}`"),
    ))
}

/// Decompresses per `Content-Encoding` (and gzip by its magic bytes), capped at `limit`
/// decoded bytes.
pub(crate) fn decode(headers: &HeaderMap, raw: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    Ok(waymark_ingest::decode_body(encoding, raw, limit)?)
}

/// The server's clock: when a request was received.
pub(crate) fn received_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}
