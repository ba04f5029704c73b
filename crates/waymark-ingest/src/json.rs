//! Parsing untrusted JSON bodies: nesting is checked by an iterative scan before serde sees
//! the bytes, so hostile input cannot overflow the stack.

use std::io;

use serde_json::Value;

use crate::IngestError;

/// Parses `json` into a value after checking that it nests at most `max_depth` levels.
/// A leading UTF-8 byte order mark is ignored.
pub(crate) fn parse(json: &[u8], max_depth: usize) -> Result<Value, IngestError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    check_depth(json, max_depth)?;
    serde_json::from_slice(json).map_err(|e| {
        let text = e.to_string();
        // serde_json stops at 128 levels on its own: only reachable when max_depth ≥ 128.
        if text.starts_with("recursion limit exceeded") {
            IngestError::TooDeep { limit: max_depth }
        } else {
            IngestError::InvalidJson(text)
        }
    })
}

/// Fails when an object or array opens more than `max_depth` levels deep (brackets inside
/// strings do not count). Malformed JSON is left for the parser to report.
fn check_depth(json: &[u8], max_depth: usize) -> Result<(), IngestError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(IngestError::TooDeep { limit: max_depth });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Whether `value` serialized as compact JSON takes at most `max` bytes. Stops serializing
/// as soon as the budget is exceeded.
pub(crate) fn fits(value: &Value, max: usize) -> bool {
    let mut budget = Budget { left: max };
    serde_json::to_writer(&mut budget, value).is_ok()
}

/// A writer that accepts a fixed number of bytes, then fails.
struct Budget {
    left: usize,
}

impl io::Write for Budget {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.left.checked_sub(buf.len()) {
            Some(left) => {
                self.left = left;
                Ok(buf.len())
            }
            None => Err(io::Error::other("over budget")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn depth_counts_containers_not_brackets_in_strings() {
        assert!(parse(br#"{"a":[{"b":"[[[[{{{{\"]]"}]}"#, 3).is_ok());
        assert_eq!(
            parse(br#"{"a":[{"b":[]}]}"#, 3).unwrap_err().code(),
            "too_deep"
        );
        assert!(parse(b"[[]]", 2).is_ok());
        assert_eq!(parse(b"[[[]]]", 2).unwrap_err().code(), "too_deep");
        assert_eq!(parse(b"42", 0).unwrap(), json!(42));
    }

    #[test]
    fn bom_is_ignored_and_garbage_is_invalid_json() {
        assert_eq!(parse(b"\xEF\xBB\xBF{}", 4).unwrap(), json!({}));
        for bad in [&b""[..], b"{", b"nul", b"{\"a\":1}x", b"\"\xff\"", b"1e400"] {
            assert_eq!(parse(bad, 4).unwrap_err().code(), "invalid_json", "{bad:?}");
        }
    }

    #[test]
    fn serde_recursion_limit_is_reported_as_too_deep() {
        let deep = "[".repeat(10_000);
        let err = parse(deep.as_bytes(), 1_000_000).unwrap_err();
        assert_eq!(err, IngestError::TooDeep { limit: 1_000_000 });
    }

    #[test]
    fn fits_measures_compact_json() {
        let v = json!({"a": "bc"});
        let len = serde_json::to_vec(&v).unwrap().len();
        assert!(fits(&v, len));
        assert!(!fits(&v, len - 1));
    }
}
