//! Ingestion request bodies turned into the engine's [`waymark_engine::Message`]s, as pure
//! functions (no HTTP types): [`decode_body`] undoes `Content-Encoding`; [`segment`] reads
//! the Segment HTTP tracking API (also sent by RudderStack clients); [`mparticle`] reads
//! mParticle's Events API. Every failure is an [`IngestError`] with a stable code.

#![warn(missing_docs)]

pub mod body;
pub mod error;
mod json;
pub mod limits;
pub mod mparticle;
pub mod segment;

pub use body::decode_body;
pub use error::IngestError;
pub use limits::Limits;

#[cfg(test)]
mod proptests;
