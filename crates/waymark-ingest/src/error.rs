//! Why a message could not be ingested; each variant has a stable code.

/// A message that cannot be turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The message is not a JSON object.
    #[error("a message must be a JSON object")]
    NotAnObject,
    /// `type` is missing or not one the format knows.
    #[error("unknown message type `{0}` (expected identify, track, page, screen, group or alias)")]
    UnknownType(String),
    /// Neither `userId` nor `anonymousId` is a non-empty string.
    #[error("a message needs a userId or an anonymousId")]
    MissingId,
    /// A `track` call without a non-empty `event`.
    #[error("a track call needs an `event` name")]
    MissingEvent,
    /// No usable time on the message.
    #[error("a message needs a `timestamp`")]
    MissingTimestamp,
    /// A time that is not RFC 3339.
    #[error("`{field}` is not an RFC 3339 time: `{value}`")]
    BadTimestamp {
        /// The field.
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// A field of the wrong JSON type.
    #[error("`{0}` must be an object")]
    NotAnObjectField(&'static str),
}

impl IngestError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::NotAnObject => "not_an_object",
            IngestError::UnknownType(_) => "unknown_type",
            IngestError::MissingId => "no_user_anon_id",
            IngestError::MissingEvent => "missing_event",
            IngestError::MissingTimestamp => "missing_timestamp",
            IngestError::BadTimestamp { .. } => "bad_timestamp",
            IngestError::NotAnObjectField(_) => "bad_field_type",
        }
    }
}
