//! Prometheus metrics: counters, gauges and histograms the runtime keeps, rendered in the
//! text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram in seconds.
#[derive(Debug, Default)]
pub struct Histogram {
    inner: Mutex<HistogramData>,
}

#[derive(Debug, Default, Clone)]
struct HistogramData {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Records one observation, in milliseconds.
    pub fn observe_ms(&self, ms: i64) {
        let seconds = ms.max(0) as f64 / 1000.0;
        let mut d = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                d.counts[i] += 1;
            }
        }
        d.count += 1;
        d.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, help: &str, labels: &str) {
        let d = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                d.counts[i]
            );
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", d.count);
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", d.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", d.count);
    }
}

/// Counters with one or two label values.
#[derive(Debug, Default)]
pub struct LabeledCounter {
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl LabeledCounter {
    /// Adds `n` to the counter with these label values.
    pub fn add(&self, labels: &[&str], n: u64) {
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        *v.entry(labels.iter().map(|s| s.to_string()).collect())
            .or_insert(0) += n;
    }

    /// The value for these label values.
    pub fn get(&self, labels: &[&str]) -> u64 {
        let key: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        let v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        v.get(&key).copied().unwrap_or(0)
    }

    /// Replaces the value (for gauges kept per label).
    pub fn set(&self, labels: &[&str], n: u64) {
        let mut v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        v.insert(labels.iter().map(|s| s.to_string()).collect(), n);
    }

    fn render(&self, out: &mut String, name: &str, help: &str, kind: &str, names: &[&str]) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        let v = self.values.lock().unwrap_or_else(|e| e.into_inner());
        for (values, n) in v.iter() {
            let labels: Vec<String> = names
                .iter()
                .zip(values)
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = writeln!(out, "{name}{{{}}} {n}", labels.join(","));
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Everything `/metrics` shows.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Messages ingested (durably stored), by workspace and input.
    pub ingested: LabeledCounter,
    /// Commits handed to the engine thread and not yet applied.
    pub engine_queue: AtomicI64,
    /// Milliseconds between a message's receipt and the engine applying it (latest).
    pub engine_lag_ms: AtomicI64,
    /// Users with a pending timer, over all running versions.
    pub timers: AtomicU64,
    /// Running journey versions.
    pub runners: AtomicU64,
    /// Events the last start replayed from the log (after the checkpoints' cursors): what
    /// start-up time grows with.
    pub replayed: AtomicU64,
    /// Delivery attempts' results, by output and status (`delivered`, `retry`, `dead`, `disabled`).
    pub deliveries: LabeledCounter,
    /// Deliveries waiting in the outbox, by output (backpressure of a slow output).
    pub outbox_pending: LabeledCounter,
    /// Deliveries enqueued, by output.
    pub enqueued: LabeledCounter,
    /// 1 while an output is paused (a 429, or failures in a row), by output.
    pub output_paused: LabeledCounter,
    /// Requests under way, by output.
    pub in_flight: LabeledCounter,
    /// From the transition that caused a delivery to its acceptance by the receiver.
    pub delivery_latency: Histogram,
    /// Time the engine thread spent on one turn: a batch of commits and calls, or a slice
    /// of a version's start (a live event waits behind at most the turn under way).
    pub engine_batch: Histogram,
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.ingested.render(
            &mut out,
            "waymark_ingested_messages_total",
            "Messages durably stored, by workspace and input.",
            "counter",
            &["workspace", "input"],
        );
        let gauges = [
            (
                "waymark_engine_queue_depth",
                "Commits waiting for the engine thread.",
                self.engine_queue.load(Ordering::Relaxed),
            ),
            (
                "waymark_engine_lag_milliseconds",
                "Receipt to engine application of the latest message.",
                self.engine_lag_ms.load(Ordering::Relaxed),
            ),
            (
                "waymark_timer_queue_depth",
                "Users with a pending timer.",
                self.timers.load(Ordering::Relaxed) as i64,
            ),
            (
                "waymark_running_journey_versions",
                "Published journey versions running.",
                self.runners.load(Ordering::Relaxed) as i64,
            ),
            (
                "waymark_replayed_events",
                "Events the last start replayed from the log after the checkpoints.",
                self.replayed.load(Ordering::Relaxed) as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        self.deliveries.render(
            &mut out,
            "waymark_delivery_attempts_total",
            "Delivery attempts by output and result.",
            "counter",
            &["output", "status"],
        );
        self.enqueued.render(
            &mut out,
            "waymark_deliveries_enqueued_total",
            "Deliveries written to the outbox, by output.",
            "counter",
            &["output"],
        );
        self.outbox_pending.render(
            &mut out,
            "waymark_outbox_pending",
            "Deliveries waiting in the outbox, by output.",
            "gauge",
            &["output"],
        );
        self.output_paused.render(
            &mut out,
            "waymark_output_paused",
            "1 while the output is paused after a 429 or failures in a row.",
            "gauge",
            &["output"],
        );
        self.in_flight.render(
            &mut out,
            "waymark_delivery_in_flight",
            "Delivery requests under way, by output.",
            "gauge",
            &["output"],
        );
        self.delivery_latency.render(
            &mut out,
            "waymark_delivery_latency_seconds",
            "From the membership change to the receiver accepting its delivery.",
            "",
        );
        self.engine_batch.render(
            &mut out,
            "waymark_engine_batch_seconds",
            "Engine thread time per turn: a batch of commits and calls, or a slice of a start.",
            "",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_exposition_format() {
        let m = Metrics::default();
        m.ingested.add(&["shop", "web"], 3);
        m.deliveries.add(&["hook", "delivered"], 2);
        m.delivery_latency.observe_ms(7);
        let text = m.render();
        assert!(
            text.contains("waymark_ingested_messages_total{workspace=\"shop\",input=\"web\"} 3")
        );
        assert!(
            text.contains(
                "waymark_delivery_attempts_total{output=\"hook\",status=\"delivered\"} 2"
            )
        );
        assert!(text.contains("waymark_delivery_latency_seconds_bucket{le=\"0.01\"} 1"));
        assert!(text.contains("waymark_delivery_latency_seconds_bucket{le=\"0.005\"} 0"));
        assert!(text.contains("waymark_delivery_latency_seconds_count 1"));
    }
}
