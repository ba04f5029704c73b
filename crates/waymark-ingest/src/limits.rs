//! Size and shape limits on ingestion request bodies (SPEC §2; each configurable).

/// The limits every request body is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single message in bytes (default 32 KiB): a batch item's compact JSON, or the
    /// whole body of a single-message endpoint.
    pub max_message_bytes: usize,
    /// Largest request body in bytes after decompression (default 500 KiB).
    pub max_batch_bytes: usize,
    /// Most messages (Segment batch items, mParticle events) in one request (default 2,500).
    pub max_batch_messages: usize,
    /// Deepest JSON nesting of objects and arrays, the body itself being level 1 (default 64).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 32 * 1024,
            max_batch_bytes: 500 * 1024,
            max_batch_messages: 2500,
            max_depth: 64,
        }
    }
}
