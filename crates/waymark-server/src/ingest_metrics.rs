//! The server's own Prometheus counters, rendered after the runtime's at `/metrics`:
//! rejected messages by reason (SPEC §2). Counted from the server's start, once the
//! rejection is durably recorded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Counters of ingestion outcomes.
#[derive(Debug, Default)]
pub struct IngestMetrics {
    /// Rejected messages by reason code.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl IngestMetrics {
    /// Counts one rejected message with this reason code.
    pub(crate) fn rejected(&self, code: &'static str) {
        let mut counts = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(code).or_default() += 1;
    }

    /// The counters in Prometheus text format.
    pub(crate) fn render(&self) -> String {
        let counts = self.rejected.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::from(
            "# HELP waymark_rejected_messages_total Messages not stored because they failed validation, by reason.\n\
             # TYPE waymark_rejected_messages_total counter\n",
        );
        for (code, n) in counts.iter() {
            let _ = writeln!(
                out,
                "waymark_rejected_messages_total{{reason=\"{code}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_by_reason() {
        let m = IngestMetrics::default();
        m.rejected("bad_field_type");
        m.rejected("bad_field_type");
        m.rejected("no_user_anon_id");
        let text = m.render();
        assert!(text.contains("waymark_rejected_messages_total{reason=\"bad_field_type\"} 2\n"));
        assert!(text.contains("waymark_rejected_messages_total{reason=\"no_user_anon_id\"} 1\n"));
        assert!(text.contains("# TYPE waymark_rejected_messages_total counter\n"));
    }
}
