//! The Segment reader on any bytes, as every `/v1/*` path sees them: decoding (gzip by
//! header or magic bytes), reading the envelope, normalizing. Nothing may panic; whatever
//! is kept must be a message with an identity and a bounded time.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_engine::MessageKind;
use waymark_ingest::event_time::{EARLIEST, MAX_AHEAD};
use waymark_ingest::rejection::EXCERPT_BYTES;
use waymark_ingest::segment::{Endpoint, read_envelope};
use waymark_ingest::{Limits, decode_body};

const RECEIVED: i64 = 1_800_000_000_000;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(body) = decode_body(None, data, limits.max_batch_bytes) else {
        return;
    };
    for endpoint in [
        Endpoint::Batch,
        Endpoint::Single(MessageKind::Track),
        Endpoint::Single(MessageKind::Identify),
    ] {
        let Ok(envelope) = read_envelope(endpoint, &body, &limits) else {
            continue;
        };
        let parsed = envelope.into_messages(RECEIVED, "in");
        for m in &parsed.messages {
            assert!(m.identity.profile_key().is_some());
            assert!((EARLIEST..=RECEIVED + MAX_AHEAD).contains(&m.event.at));
        }
        for r in &parsed.rejected {
            assert!(r.excerpt.len() <= EXCERPT_BYTES);
        }
    }
});
