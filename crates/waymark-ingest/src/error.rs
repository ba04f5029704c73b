//! Why a request body or a message could not be ingested; each variant has a stable code.
//!
//! Every error is the client's fault (a bad request): none of them is worth a retry.

/// A request body or message that cannot be turned into messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// An error inside a batch, with where it was found (`batch[3]`, `events[0]`, `[2]`).
    /// Its code is the code of the inner error.
    #[error("{path}: {error}")]
    At {
        /// Where in the body: `batch[3]`, `events[0]`, `[2].events[1]`.
        path: String,
        /// What was wrong there.
        error: Box<IngestError>,
    },
    /// A `Content-Encoding` other than `gzip` or `identity`.
    #[error("unsupported Content-Encoding `{0}` (send gzip or identity)")]
    UnsupportedEncoding(String),
    /// A body that says it is gzip but does not decompress.
    #[error("the body is not valid gzip: {0}")]
    InvalidGzip(String),
    /// The (decompressed) request body is over the batch size limit.
    #[error("the request body is over {limit} bytes (after decompression)")]
    BatchTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// One message is over the message size limit.
    #[error("the message is over {limit} bytes")]
    MessageTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More messages in one request than allowed.
    #[error("{count} messages in one request; at most {limit} are allowed")]
    TooManyMessages {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More batches in one mParticle bulk request than allowed.
    #[error("{count} batches in one bulk request; at most {limit} are allowed")]
    TooManyBatches {
        /// How many were sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// JSON nested deeper than allowed.
    #[error("the JSON is nested deeper than {limit} levels")]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// Not well-formed JSON (or not UTF-8).
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    /// An object in which a key repeats: the body says two things at once.
    #[error("a key repeats within one object: {0}")]
    DuplicateKey(String),
    /// Well-formed JSON of the wrong shape for a batch endpoint.
    #[error("{0}")]
    InvalidBatch(String),
    /// The message is not a JSON object.
    #[error("a message must be a JSON object")]
    NotAnObject,
    /// A message without `type` (batch items need one).
    #[error("a message needs a `type` (identify, track, page, screen, group or alias)")]
    MissingType,
    /// `type` is not one the format knows.
    #[error("unknown message type `{0}` (expected identify, track, page, screen, group or alias)")]
    UnknownType(String),
    /// A single-message endpoint got a message of another type.
    #[error("this endpoint takes `{endpoint}` messages, but the message's type is `{found}`")]
    TypeMismatch {
        /// The endpoint's type.
        endpoint: &'static str,
        /// The message's `type`.
        found: String,
    },
    /// Neither `userId` nor `anonymousId` is a non-empty string or a number.
    #[error("a message needs a userId or an anonymousId")]
    MissingId,
    /// An mParticle batch with neither a customer id nor an `mpid`.
    #[error("a batch needs user_identities.customer_id (or customerid) or an mpid")]
    MissingMparticleId,
    /// A `track` call without a non-empty `event`.
    #[error("a track call needs an `event` name")]
    MissingEvent,
    /// An mParticle event without a name: `custom_event` without `data.event_name`,
    /// `commerce_event` without an action.
    #[error("{0}")]
    MissingEventName(&'static str),
    /// An `alias` call without `previousId`.
    #[error("an alias call needs a `previousId`")]
    MissingPreviousId,
    /// An `alias` call without `userId`.
    #[error("an alias call needs a `userId`")]
    MissingUserId,
    /// A `group` call without `groupId`.
    #[error("a group call needs a `groupId`")]
    MissingGroupId,
    /// An mParticle `event_type` that is missing or unknown.
    #[error(
        "unknown event_type `{0}` (expected custom_event, screen_view, session_start, session_end, commerce_event or another mParticle event type)"
    )]
    UnknownEventType(String),
    /// Batch items carrying a `writeKey` other than the request's.
    #[error("a message's writeKey differs from the request's")]
    WriteKeyMismatch,
    /// No usable time on the message.
    #[error("a message needs a `timestamp`")]
    MissingTimestamp,
    /// A time that is not RFC 3339 (or, for mParticle, not Unix milliseconds).
    #[error("`{field}` is not a valid time: `{value}`")]
    BadTimestamp {
        /// The field.
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// A field that must be an object holds something else.
    #[error("`{0}` must be an object")]
    NotAnObjectField(&'static str),
    /// A field of the wrong JSON type.
    #[error("`{field}` must be {expected}")]
    BadFieldType {
        /// The field (a path such as `user_identities.email`).
        field: String,
        /// What it must be (`a string`, `an integer`, …).
        expected: &'static str,
    },
}

impl IngestError {
    /// The stable error code (for [`IngestError::At`], the inner error's code).
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::At { error, .. } => error.code(),
            IngestError::UnsupportedEncoding(_) => "unsupported_encoding",
            IngestError::InvalidGzip(_) => "invalid_gzip",
            IngestError::BatchTooLarge { .. } => "batch_too_large",
            IngestError::MessageTooLarge { .. } => "message_too_large",
            IngestError::TooManyMessages { .. } => "too_many_messages",
            IngestError::TooManyBatches { .. } => "too_many_batches",
            IngestError::TooDeep { .. } => "too_deep",
            IngestError::InvalidJson(_) => "invalid_json",
            IngestError::DuplicateKey(_) => "duplicate_key",
            IngestError::InvalidBatch(_) => "invalid_batch",
            IngestError::NotAnObject => "not_an_object",
            IngestError::MissingType => "missing_type",
            IngestError::UnknownType(_) => "unknown_type",
            IngestError::TypeMismatch { .. } => "type_mismatch",
            IngestError::MissingId | IngestError::MissingMparticleId => "no_user_anon_id",
            IngestError::MissingEvent | IngestError::MissingEventName(_) => "missing_event",
            IngestError::MissingPreviousId => "missing_previous_id",
            IngestError::MissingUserId => "missing_user_id",
            IngestError::MissingGroupId => "missing_group_id",
            IngestError::UnknownEventType(_) => "unknown_event_type",
            IngestError::WriteKeyMismatch => "write_key_mismatch",
            IngestError::MissingTimestamp => "missing_timestamp",
            IngestError::BadTimestamp { .. } => "bad_timestamp",
            IngestError::NotAnObjectField(_) | IngestError::BadFieldType { .. } => "bad_field_type",
        }
    }

    /// This error, located at `path` inside the body (`batch[3]`); an error already
    /// located gets the joined path (`[1]` then `events[0]` → `[1].events[0]`).
    pub fn at(self, path: impl Into<String>) -> Self {
        let path = path.into();
        match self {
            IngestError::At { path: inner, error } => {
                let sep = if inner.starts_with('[') { "" } else { "." };
                IngestError::At {
                    path: format!("{path}{sep}{inner}"),
                    error,
                }
            }
            error => IngestError::At {
                path,
                error: Box::new(error),
            },
        }
    }

    /// The innermost error, without its location.
    pub fn innermost(&self) -> &IngestError {
        match self {
            IngestError::At { error, .. } => error.innermost(),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_errors_keep_the_inner_code_and_name_the_place() {
        let e = IngestError::MissingId.at("batch[3]");
        assert_eq!(e.code(), "no_user_anon_id");
        assert_eq!(
            e.to_string(),
            "batch[3]: a message needs a userId or an anonymousId"
        );
        assert_eq!(e.innermost(), &IngestError::MissingId);
        let nested = IngestError::MissingEvent.at("events[0]").at("[1]");
        assert_eq!(
            nested.to_string(),
            "[1].events[0]: a track call needs an `event` name"
        );
        assert_eq!(
            nested.at("x").to_string(),
            "x[1].events[0]: a track call needs an `event` name"
        );
    }
}
