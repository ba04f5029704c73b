//! The document `waymark audiences` prints: `{"at", "sizes"}` as SPEC §6 has it, with
//! `members` on request, and what the audience benchmark reads besides (`digests`,
//! `load_s`, `query_s`, `version`; see `shared/bench/README.md`). Audiences appear in the
//! order of the definitions file.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use sha1::{Digest, Sha1};

/// One audience's result: its members' profile keys, sorted bytewise.
pub struct Members<'a> {
    pub id: &'a str,
    pub keys: Vec<&'a str>,
}

impl Members<'_> {
    /// The benchmark's fingerprint of the exact set: the first 16 hex digits of SHA-1 over
    /// the sorted keys joined with `\n`.
    pub fn digest(&self) -> String {
        let mut sha = Sha1::new();
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                sha.update(b"\n");
            }
            sha.update(key.as_bytes());
        }
        sha.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The whole output document.
pub struct Report<'a> {
    /// The instant evaluated (RFC 3339), `None` for an empty history with no `--at`.
    pub at: Option<String>,
    pub audiences: &'a [Members<'a>],
    pub with_members: bool,
    pub load_s: f64,
    pub query_s: f64,
}

/// `{ID: value, ...}` in audience order.
struct ByAudience<'a, T, F: Fn(&Members<'a>) -> T>(&'a [Members<'a>], F);

impl<'a, T: Serialize, F: Fn(&Members<'a>) -> T> Serialize for ByAudience<'a, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for m in self.0 {
            map.serialize_entry(m.id, &(self.1)(m))?;
        }
        map.end()
    }
}

impl Serialize for Report<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("at", &self.at)?;
        map.serialize_entry("sizes", &ByAudience(self.audiences, |m| m.keys.len()))?;
        if self.with_members {
            map.serialize_entry("members", &ByAudience(self.audiences, |m| m.keys.clone()))?;
        }
        map.serialize_entry("digests", &ByAudience(self.audiences, Members::digest))?;
        map.serialize_entry("load_s", &round_ms(self.load_s))?;
        map.serialize_entry("query_s", &round_ms(self.query_s))?;
        map.serialize_entry("version", &concat!("waymark ", env!("CARGO_PKG_VERSION")))?;
        map.end()
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::{Members, Report};

    #[test]
    fn digests_match_the_benchmark_function() {
        // hashlib.sha1("u1\nu2".encode()).hexdigest()[:16] and of the empty string.
        let m = Members {
            id: "a",
            keys: vec!["u1", "u2"],
        };
        assert_eq!(m.digest(), "18f59d56040a225a");
        let empty = Members {
            id: "b",
            keys: vec![],
        };
        assert_eq!(empty.digest(), "da39a3ee5e6b4b0d");
    }

    #[test]
    fn audiences_keep_the_file_order() {
        let audiences = [
            Members {
                id: "z",
                keys: vec!["u1"],
            },
            Members {
                id: "a",
                keys: vec![],
            },
        ];
        let report = Report {
            at: Some("2026-02-01T00:00:00Z".into()),
            audiences: &audiences,
            with_members: true,
            load_s: 1.23456,
            query_s: 0.0,
        };
        let text = serde_json::to_string(&report).unwrap();
        assert!(
            text.starts_with(
                r#"{"at":"2026-02-01T00:00:00Z","sizes":{"z":1,"a":0},"members":{"z":["u1"],"a":[]},"digests":{"z":"#
            ),
            "{text}"
        );
        assert!(text.contains(r#""load_s":1.235,"query_s":0.0,"version":"waymark "#));
    }
}
