//! Wire formats normalized into the engine's [`waymark_engine::Event`]: one module per
//! format. Today: Segment-spec messages (also sent by RudderStack clients).

pub mod error;
pub mod segment;

pub use error::IngestError;
