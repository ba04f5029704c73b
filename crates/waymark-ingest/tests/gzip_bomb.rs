//! A gzip bomb (a small body that inflates to gigabytes) is refused without the memory to
//! hold it: this test binary counts the bytes each thread holds and checks the peak.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use waymark_ingest::{IngestError, decode_body};

/// The system allocator, counting the bytes the current thread holds and its peak.
struct Counting;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn add(n: usize) {
    let _ = HELD.try_with(|held| {
        let now = held.get().saturating_add(n);
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn sub(n: usize) {
    let _ = HELD.try_with(|held| held.set(held.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size);
        sub(layout.size());
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_gzip_bomb_is_refused_without_inflating_it() {
    // One member inflating to 1 MiB of zeros is about 1 KiB; 4096 of them, one after the
    // other, are one valid gzip body of about 4 MiB that inflates to 4 GiB.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&vec![0u8; 1 << 20]).unwrap();
    let member = enc.finish().unwrap();
    let bomb = member.repeat(4096);
    let limit = 500 * 1024;

    PEAK.with(|p| p.set(0));
    let before = HELD.with(Cell::get);
    let result = decode_body(Some("gzip"), &bomb, limit);
    let peak = PEAK.with(Cell::get).saturating_sub(before);

    assert_eq!(result, Err(IngestError::BatchTooLarge { limit }));
    // The output buffer grows to just over the limit; the inflater's state is small.
    assert!(
        peak > limit && peak < 4 * limit,
        "peak {peak} bytes while decoding"
    );
}
