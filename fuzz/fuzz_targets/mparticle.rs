//! The mParticle reader on any bytes, as `/v2/events` and `/v2/bulkevents` see them.
//! Nothing may panic; whatever is kept must have an identity and a bounded time.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_ingest::event_time::{EARLIEST, MAX_AHEAD};
use waymark_ingest::mparticle::{normalize_all, read_batches};
use waymark_ingest::{Limits, decode_body};

const RECEIVED: i64 = 1_800_000_000_000;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(body) = decode_body(None, data, limits.max_batch_bytes) else {
        return;
    };
    for bulk in [false, true] {
        let Ok(batches) = read_batches(bulk, &body, &limits) else {
            continue;
        };
        let parsed = normalize_all(batches, bulk, RECEIVED, "in");
        for m in &parsed.messages {
            assert!(m.identity.profile_key().is_some());
            assert!((EARLIEST..=RECEIVED + MAX_AHEAD).contains(&m.event.at));
        }
    }
});
