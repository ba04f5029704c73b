//! What one send comes to, as data: the new version of each record it carried (delivered,
//! retried later, dead, or waiting for a disabled output), each with its attempt logged,
//! and what it says about the endpoint. Pure, so the rules are tested without a network.

use std::time::Duration;

use waymark_deliver::retry::RetryPolicy;
use waymark_deliver::{Outcome, Verdict};
use waymark_engine::time::Millis;
use waymark_store::{Attempt, AttemptOutcome, DeliveryStatus, MAX_ATTEMPT_LOG, OutboxRecord};

/// What a send says about the endpoint as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// It accepted what it was sent.
    Healthy,
    /// It failed in a way worth retrying (timeout, connection error, 408, 429, 5xx).
    Failing {
        /// The receiver's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// It answered 429: it asks the whole output to slow down.
        throttled: bool,
    },
    /// It answered 410: the output is to be disabled, for this reason.
    Gone(String),
    /// It refused the message itself (another 4xx): nothing about the endpoint.
    Indifferent,
}

/// The result of one send.
#[derive(Debug)]
pub(crate) struct Attempted {
    /// The new version of every record the send carried.
    pub(crate) records: Vec<OutboxRecord>,
    /// What it says about the endpoint.
    pub(crate) endpoint: Endpoint,
}

/// One send: when it started and how long it took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) at: Millis,
    pub(crate) latency_ms: u64,
}

/// Applies the outcome of sending `records` (in order) to each of them. `random` feeds the
/// retry jitter.
pub(crate) fn apply(
    records: Vec<OutboxRecord>,
    outcome: &Outcome,
    timing: Timing,
    policy: &RetryPolicy,
    random: &mut dyn FnMut() -> u64,
) -> Attempted {
    let now = timing.at + timing.latency_ms as Millis;
    let status = outcome.answer.as_ref().map(|a| a.status);
    let excerpt = outcome.answer.as_ref().map(|a| a.excerpt.clone());
    let error = outcome.error.as_ref().map(ToString::to_string);
    let verdict = outcome.verdict();
    let mut out = Vec::with_capacity(records.len());
    for (i, mut record) in records.into_iter().enumerate() {
        record.attempts += 1;
        record.updated_at = now;
        let result = if i < outcome.sent {
            record.status = DeliveryStatus::Delivered;
            record.last_error = None;
            AttemptOutcome::Delivered
        } else {
            record.last_error = error.clone();
            match verdict {
                Verdict::Success => {
                    record.status = DeliveryStatus::Delivered;
                    AttemptOutcome::Delivered
                }
                Verdict::Retry { after } => {
                    match policy.next_delay(record.attempts, after, random()) {
                        Some(wait) => {
                            record.next_attempt_at = now + wait.as_millis() as Millis;
                            AttemptOutcome::Retry
                        }
                        None => {
                            record.status = DeliveryStatus::Dead;
                            AttemptOutcome::Dead
                        }
                    }
                }
                Verdict::Fail => {
                    record.status = DeliveryStatus::Dead;
                    AttemptOutcome::Dead
                }
                // Waits, pending, for the output to be re-enabled.
                Verdict::Disable => AttemptOutcome::Disabled,
            }
        };
        record.attempt_log.push(Attempt {
            at: timing.at,
            latency_ms: timing.latency_ms,
            status,
            outcome: result,
            error: (result != AttemptOutcome::Delivered)
                .then(|| error.clone())
                .flatten(),
            response: excerpt.clone().filter(|e| !e.is_empty()),
        });
        let over = record.attempt_log.len().saturating_sub(MAX_ATTEMPT_LOG);
        record.attempt_log.drain(..over);
        out.push(record);
    }
    let endpoint = match verdict {
        Verdict::Success => Endpoint::Healthy,
        Verdict::Retry { after } => Endpoint::Failing {
            retry_after: after,
            throttled: status == Some(429),
        },
        Verdict::Disable => Endpoint::Gone(error.unwrap_or_default()),
        Verdict::Fail if outcome.sent > 0 => Endpoint::Healthy,
        Verdict::Fail => Endpoint::Indifferent,
    };
    Attempted {
        records: out,
        endpoint,
    }
}

/// How long an output pauses after `failures` failures in a row, when the receiver did not
/// say: 1 s, doubling with each further failure, at most 5 minutes.
pub(crate) fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(9);
    Duration::from_secs(1u64 << doublings).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use waymark_deliver::SendError;
    use waymark_deliver::http::Answer;

    fn record(id: &str) -> OutboxRecord {
        OutboxRecord {
            id: id.into(),
            output: "hook".into(),
            seq: 1,
            payload: json!({}),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
            created_at: 0,
            updated_at: 0,
            key: Some("u1".into()),
            attempt_log: Vec::new(),
            group: None,
        }
    }

    fn answered(status: u16, verdict: Verdict) -> Outcome {
        let answer = Answer {
            status,
            excerpt: "busy".into(),
        };
        Outcome::failed(0, SendError::Status { answer, verdict })
    }

    const TIMING: Timing = Timing {
        at: 1_000,
        latency_ms: 20,
    };

    #[test]
    fn delivered_records_log_their_attempt() {
        let outcome = Outcome::success(2).answered(Some(Answer {
            status: 204,
            excerpt: String::new(),
        }));
        let a = apply(
            vec![record("a"), record("b")],
            &outcome,
            TIMING,
            &RetryPolicy::default(),
            &mut || 0,
        );
        assert_eq!(a.endpoint, Endpoint::Healthy);
        for r in &a.records {
            assert_eq!(r.status, DeliveryStatus::Delivered);
            assert_eq!((r.attempts, r.updated_at), (1, 1_020));
            assert_eq!(
                r.attempt_log,
                vec![Attempt {
                    at: 1_000,
                    latency_ms: 20,
                    status: Some(204),
                    outcome: AttemptOutcome::Delivered,
                    error: None,
                    response: None,
                }]
            );
        }
    }

    #[test]
    fn a_429_throttles_the_endpoint_and_retries_after_the_time_asked() {
        let after = Some(Duration::from_secs(30));
        let outcome = answered(429, Verdict::Retry { after });
        let a = apply(
            vec![record("a")],
            &outcome,
            TIMING,
            &RetryPolicy::default(),
            &mut || 0,
        );
        assert_eq!(
            a.endpoint,
            Endpoint::Failing {
                retry_after: after,
                throttled: true
            }
        );
        let r = &a.records[0];
        assert_eq!(r.status, DeliveryStatus::Pending);
        assert_eq!(r.next_attempt_at, 1_020 + 30_000);
        assert_eq!(r.attempt_log[0].outcome, AttemptOutcome::Retry);
        assert_eq!(r.attempt_log[0].status, Some(429));
        assert_eq!(r.attempt_log[0].response.as_deref(), Some("busy"));
        assert!(r.attempt_log[0].error.is_some());
    }

    #[test]
    fn the_last_attempt_and_permanent_failures_are_dead() {
        let policy = RetryPolicy {
            waits: vec![Duration::from_secs(1)],
            max_attempts: 2,
        };
        let mut tried = record("a");
        tried.attempts = 1;
        let a = apply(
            vec![tried],
            &Outcome::failed(0, SendError::Timeout),
            TIMING,
            &policy,
            &mut || 0,
        );
        assert_eq!(a.records[0].status, DeliveryStatus::Dead);
        assert_eq!(a.records[0].attempt_log[0].status, None);
        let a = apply(
            vec![record("b")],
            &answered(400, Verdict::Fail),
            TIMING,
            &policy,
            &mut || 0,
        );
        assert_eq!(a.records[0].status, DeliveryStatus::Dead);
        assert_eq!(a.endpoint, Endpoint::Indifferent);
    }

    #[test]
    fn a_410_keeps_the_record_waiting() {
        let a = apply(
            vec![record("a")],
            &answered(410, Verdict::Disable),
            TIMING,
            &RetryPolicy::default(),
            &mut || 0,
        );
        assert!(matches!(a.endpoint, Endpoint::Gone(_)));
        assert_eq!(a.records[0].status, DeliveryStatus::Pending);
        assert_eq!(a.records[0].next_attempt_at, 0);
    }

    #[test]
    fn the_log_is_bounded() {
        let mut r = record("a");
        r.attempt_log = vec![
            Attempt {
                at: 0,
                latency_ms: 0,
                status: None,
                outcome: AttemptOutcome::Retry,
                error: None,
                response: None,
            };
            MAX_ATTEMPT_LOG
        ];
        let a = apply(
            vec![r],
            &Outcome::success(1),
            TIMING,
            &RetryPolicy::default(),
            &mut || 0,
        );
        let log = &a.records[0].attempt_log;
        assert_eq!(log.len(), MAX_ATTEMPT_LOG);
        assert_eq!(log.last().unwrap().outcome, AttemptOutcome::Delivered);
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(50), Duration::from_secs(300));
    }
}
