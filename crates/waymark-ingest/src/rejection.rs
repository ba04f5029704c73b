//! What a readable batch turns into: the messages to store, and the messages that failed
//! validation, which are not stored but recorded as rejected (SPEC §2). A batch is never
//! refused for one bad message, because the real clients treat a 400 as final and would
//! drop the good messages with the bad.

use serde_json::Value;
use waymark_engine::Message;

use crate::{IngestError, json};

/// The most bytes of a rejected message kept as its excerpt: enough to recognise the
/// message, small enough that little personal data is kept (SPEC §3: erasure).
pub const EXCERPT_BYTES: usize = 200;

/// One message that failed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Where in the body: `batch[3]`, `[1].events[0]`; empty for a single-message body.
    pub path: String,
    /// Why (its [`IngestError::code`] is the reason code).
    pub error: IngestError,
    /// At most [`EXCERPT_BYTES`] of the message's JSON.
    pub excerpt: String,
}

impl Rejection {
    /// A rejection at `path` of the message whose text as received is `text`.
    pub(crate) fn new(path: String, error: IngestError, text: &str) -> Self {
        Self {
            path,
            error,
            excerpt: excerpt(text),
        }
    }

    /// The error located at its path, as a 400 answer names it (`batch[3]: …`).
    pub fn located(&self) -> IngestError {
        if self.path.is_empty() {
            self.error.clone()
        } else {
            self.error.clone().at(self.path.clone())
        }
    }
}

/// One message of a body as read: its JSON, or why it cannot be a message (too large), and
/// the start of its text as received, kept in case it is rejected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub(crate) value: Result<Value, IngestError>,
    pub(crate) excerpt: String,
}

impl Item {
    /// The message whose text as received is `text`: "message_too_large" when over
    /// `max_bytes` (measured as received, the same on every path), else parsed. A repeated
    /// key fails the whole body.
    pub(crate) fn read(text: &str, max_bytes: usize) -> Result<Item, IngestError> {
        let value = if text.len() > max_bytes {
            Err(IngestError::MessageTooLarge { limit: max_bytes })
        } else {
            Ok(json::parse_str(text)?)
        };
        Ok(Item {
            value,
            excerpt: excerpt(text),
        })
    }
}

/// At most [`EXCERPT_BYTES`] of `text`, cut at a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The outcome of normalizing a readable body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The valid messages, in body order.
    pub messages: Vec<Message>,
    /// The invalid ones, in body order.
    pub rejected: Vec<Rejection>,
}

impl Parsed {
    /// Adds the messages and rejections of `other`.
    pub fn extend(&mut self, other: Parsed) {
        self.messages.extend(other.messages);
        self.rejected.extend(other.rejected);
    }
}

#[cfg(test)]
impl Parsed {
    /// The messages when nothing was rejected, else the first rejection, located.
    pub(crate) fn all_valid(self) -> Result<Vec<Message>, IngestError> {
        match self.rejected.first() {
            Some(rejection) => Err(rejection.located()),
            None => Ok(self.messages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_at_a_character_boundary() {
        assert_eq!(excerpt("{}"), "{}");
        let long = "é".repeat(EXCERPT_BYTES);
        let cut = excerpt(&long);
        assert_eq!(cut.len(), EXCERPT_BYTES);
        let odd = format!("a{long}");
        assert_eq!(excerpt(&odd).len(), EXCERPT_BYTES - 1);
    }
}
