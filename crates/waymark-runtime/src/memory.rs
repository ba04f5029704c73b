//! Giving memory freed by the engine thread's big one-off jobs back to the system.
//!
//! Replaying a log, backfilling a definition and encoding a checkpoint allocate and free
//! gigabytes in many small blocks; glibc keeps freed blocks in its arenas, so the process
//! went on holding the high-water mark of the job (at 100,000 users, 392 MB right after
//! building an engine that holds 153 MB once restarted: docs/benchmarks.md, B3).
//! `malloc_trim` hands the free pages back. Other allocators and platforms return memory
//! on their own terms; there this does nothing.

/// Returns the free pages of every arena to the system. It walks the allocator's free
/// lists (milliseconds for gigabytes), so it is called after a job, not per event.
pub(crate) fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases memory the allocator holds free; it touches no
    // live allocation and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
