//! Request bodies per `Content-Encoding`: `gzip` (RudderStack's default, segment-python with
//! `gzip=True`) and `identity`; and gzip recognised by its magic bytes whatever the headers
//! say, because RudderStack's Node library sends gzip labelled
//! `Content-Type: application/x-www-form-urlencoded` (SPEC §2). JSON never starts with
//! those bytes, so the check cannot mistake a JSON body.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;

use crate::IngestError;

/// The first two bytes of every gzip member (RFC 1952).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether `body` is gzip, by its header or by its magic bytes.
pub fn is_gzip(content_encoding: Option<&str>, body: &[u8]) -> bool {
    body.starts_with(&GZIP_MAGIC)
        || content_encoding
            .unwrap_or("")
            .split(',')
            .any(|c| is_gzip_coding(c.trim()))
}

/// Decompresses a request body per its Content-Encoding (`gzip`, `identity`/absent; others →
/// error code "unsupported_encoding"), and a body that starts with gzip's magic bytes
/// whatever the header says; the decoded size is capped at `max_bytes` (→
/// "batch_too_large"), so a gzip bomb can't exhaust memory.
///
/// The header value is matched case-insensitively; `x-gzip` counts as `gzip`, and a list of
/// codings (`gzip, identity`) is undone in reverse order, each step capped. A body that is
/// not valid gzip fails with "invalid_gzip". Concatenated gzip members are read as one body
/// (RFC 1952). Decoding stops at `max_bytes + 1` bytes, so at most about that much is ever
/// held.
pub fn decode_body(
    content_encoding: Option<&str>,
    body: &[u8],
    max_bytes: usize,
) -> Result<Vec<u8>, IngestError> {
    let codings: Vec<&str> = content_encoding
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .collect();
    if let Some(other) = codings.iter().find(|c| !is_gzip_coding(c)) {
        return Err(IngestError::UnsupportedEncoding((*other).to_string()));
    }
    let mut data = Cow::Borrowed(body);
    for _ in &codings {
        data = Cow::Owned(gunzip(&data, max_bytes)?);
    }
    if codings.is_empty() && body.starts_with(&GZIP_MAGIC) {
        data = Cow::Owned(gunzip(body, max_bytes)?);
    }
    if data.len() > max_bytes {
        return Err(IngestError::BatchTooLarge { limit: max_bytes });
    }
    Ok(data.into_owned())
}

fn is_gzip_coding(coding: &str) -> bool {
    coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip")
}

/// Inflates gzip data, reading at most `max_bytes + 1` bytes of output.
fn gunzip(data: &[u8], max_bytes: usize) -> Result<Vec<u8>, IngestError> {
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::with_capacity(data.len().saturating_mul(8).min(max_bytes));
    MultiGzDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::InvalidGzip(e.to_string()))?;
    if out.len() > max_bytes {
        return Err(IngestError::BatchTooLarge { limit: max_bytes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn identity_and_absent_pass_through() {
        for enc in [None, Some("identity"), Some(""), Some(" Identity ")] {
            assert_eq!(decode_body(enc, b"{}", 10).unwrap(), b"{}");
        }
    }

    #[test]
    fn gzip_is_inflated_case_insensitively() {
        let body = gzip(br#"{"batch":[]}"#);
        for enc in ["gzip", "GZIP", "x-gzip", "gzip, identity", " gzip "] {
            assert_eq!(
                decode_body(Some(enc), &body, 100).unwrap(),
                br#"{"batch":[]}"#,
                "{enc}"
            );
        }
        // Two layers, undone in reverse order.
        let twice = gzip(&body);
        assert_eq!(
            decode_body(Some("gzip, gzip"), &twice, 100).unwrap(),
            br#"{"batch":[]}"#
        );
        // Concatenated members are one body.
        let mut two = gzip(b"ab");
        two.extend(gzip(b"cd"));
        assert_eq!(decode_body(Some("gzip"), &two, 100).unwrap(), b"abcd");
    }

    #[test]
    fn gzip_without_a_header_is_recognised_by_its_magic_bytes() {
        let body = gzip(br#"{"batch":[]}"#);
        for enc in [None, Some("identity"), Some("")] {
            assert_eq!(decode_body(enc, &body, 100).unwrap(), br#"{"batch":[]}"#);
            assert!(is_gzip(enc, &body));
        }
        assert!(is_gzip(Some("GZIP"), b"{}"));
        assert!(!is_gzip(None, b"{}"));
        assert!(!is_gzip(Some("identity"), b"\x1f"));
        let err = decode_body(None, b"\x1f\x8bnot gzip", 100).unwrap_err();
        assert_eq!(err.code(), "invalid_gzip");
    }

    #[test]
    fn other_encodings_are_unsupported() {
        for enc in ["br", "deflate", "compress", "gzip, br", "zstd"] {
            let err = decode_body(Some(enc), b"{}", 100).unwrap_err();
            assert_eq!(err.code(), "unsupported_encoding", "{enc}");
        }
    }

    #[test]
    fn corrupt_gzip_is_invalid_gzip() {
        let mut body = gzip(b"hello world hello world");
        let n = body.len();
        body.truncate(n - 6);
        for bad in [&b"{}"[..], &body, b"\x1f\x8b\x08\x00garbage"] {
            let err = decode_body(Some("gzip"), bad, 100).unwrap_err();
            assert_eq!(err.code(), "invalid_gzip", "{bad:?}");
        }
    }

    #[test]
    fn decoded_size_exactly_at_and_over_the_limit() {
        let data = vec![b' '; 1000];
        assert_eq!(decode_body(None, &data, 1000).unwrap().len(), 1000);
        assert_eq!(
            decode_body(None, &data, 999).unwrap_err(),
            IngestError::BatchTooLarge { limit: 999 }
        );
        let gz = gzip(&data);
        assert_eq!(decode_body(Some("gzip"), &gz, 1000).unwrap().len(), 1000);
        assert_eq!(
            decode_body(Some("gzip"), &gz, 999).unwrap_err(),
            IngestError::BatchTooLarge { limit: 999 }
        );
    }

    #[test]
    fn gzip_bomb_stops_at_the_cap() {
        // 1 MiB of zeros compresses to about 1 KiB; 64 members make 64 MiB.
        let member = gzip(&vec![0u8; 1 << 20]);
        let bomb: Vec<u8> = member
            .iter()
            .copied()
            .cycle()
            .take(member.len() * 64)
            .collect();
        assert!(bomb.len() < 128 * 1024);
        let err = decode_body(Some("gzip"), &bomb, 500 * 1024).unwrap_err();
        assert_eq!(err.code(), "batch_too_large");
    }
}
