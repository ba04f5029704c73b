//! Journey validation on any text: problems or a typed journey, never a panic; a journey
//! that loads has no problems.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waymark_engine::validate::{Limits, load_journey, validate_journey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    if load_journey(text, &limits).is_ok() {
        let doc: serde_json::Value = serde_json::from_str(text).expect("a loaded journey is JSON");
        assert!(validate_journey(&doc, &limits).is_empty());
    }
});
