//! The [`Output`] trait every output kind implements, and what one send comes to.

use crate::delivery::Delivery;
use crate::http::{Answer, GuardError};
use crate::payload::PayloadError;
use crate::retry::Verdict;
use std::future::Future;

/// Somewhere deliveries go.
///
/// Outputs never retry by themselves: they make one attempt and say what came of it; the
/// delivery worker applies [`crate::retry`] and persists the result.
pub trait Output: Send + Sync {
    /// Sends `deliveries` in order, stopping at the first that is not accepted.
    fn send(&self, deliveries: &[Delivery]) -> impl Future<Output = Outcome> + Send;
}

/// What came of one attempt to send a slice of deliveries.
#[derive(Debug)]
pub struct Outcome {
    /// How many deliveries, from the start of the slice, were accepted.
    pub sent: usize,
    /// Why the rest were not; `None` when all were accepted. It concerns the delivery at
    /// index `sent`, or, for an output that sends the slice as one batch, the whole slice.
    pub error: Option<SendError>,
    /// The last answer received (the failing one when there is an error), if any.
    pub answer: Option<Answer>,
}

impl Outcome {
    /// All `sent` deliveries were accepted.
    pub fn success(sent: usize) -> Self {
        Self {
            sent,
            error: None,
            answer: None,
        }
    }

    /// The first `sent` deliveries were accepted, and then `error` stopped the send.
    pub fn failed(sent: usize, error: SendError) -> Self {
        let answer = match &error {
            SendError::Status { answer, .. } => Some(answer.clone()),
            _ => None,
        };
        Self {
            sent,
            error: Some(error),
            answer,
        }
    }

    /// The same outcome with the answer that ended it.
    pub fn answered(mut self, answer: Option<Answer>) -> Self {
        if self.answer.is_none() {
            self.answer = answer;
        }
        self
    }

    /// What to do with the deliveries that were not accepted.
    pub fn verdict(&self) -> Verdict {
        self.error
            .as_ref()
            .map_or(Verdict::Success, SendError::verdict)
    }
}

/// Why a delivery was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The delivery has no message (a list-mode delivery, an instant out of range).
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The destination was refused or could not be resolved.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// The URL has no host.
    #[error("destination URL {0} has no host")]
    NoHost(String),
    /// No complete response within the configured timeout.
    #[error("request timed out")]
    Timeout,
    /// Connecting, sending or receiving failed.
    #[error("request failed: {0}")]
    Transport(String),
    /// The receiver answered with a status other than 2xx.
    #[error("receiver answered HTTP {}", answer.status)]
    Status {
        /// The status code and the start of the body.
        answer: Answer,
        /// What it means ([`crate::retry::classify_status`]).
        verdict: Verdict,
    },
    /// Writing a file failed.
    #[error("writing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

impl SendError {
    /// The receiver's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendError::Status { answer, .. } => Some(answer.status),
            _ => None,
        }
    }

    /// What to do about this error.
    pub fn verdict(&self) -> Verdict {
        match self {
            SendError::Status { verdict, .. } => *verdict,
            SendError::Timeout | SendError::Transport(_) | SendError::Io(_) => {
                Verdict::Retry { after: None }
            }
            SendError::Guard(GuardError::Resolve { .. }) => Verdict::Retry { after: None },
            SendError::Guard(GuardError::Blocked { .. })
            | SendError::Payload(_)
            | SendError::NoHost(_) => Verdict::Fail,
        }
    }
}
