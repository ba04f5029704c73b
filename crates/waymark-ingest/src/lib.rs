//! Ingestion request bodies turned into the engine's [`waymark_engine::Message`]s, as pure
//! functions (no HTTP types): [`decode_body`] undoes gzip; [`segment`] reads the Segment
//! HTTP tracking API (also sent by RudderStack clients); [`mparticle`] reads mParticle's
//! Events API. Every failure is an [`IngestError`] with a stable code: a body that cannot be
//! read as a whole fails, while a message that fails validation inside a readable batch
//! becomes a [`Rejection`] beside the valid messages ([`Parsed`]).

#![warn(missing_docs)]

pub mod body;
pub mod cursor;
pub mod error;
pub mod event_time;
mod json;
pub mod limits;
pub mod mparticle;
pub mod rejection;
pub mod segment;

pub use body::decode_body;
pub use error::IngestError;
pub use limits::Limits;
pub use rejection::{Parsed, Rejection};

#[cfg(test)]
mod proptests;
