//! The fast way through an NDJSON history: the profiles are split into many small buckets
//! (by a stable hash of the profile key), each with its own engine, so that a bucket's
//! profiles and user index stay in the cores' caches while its events are applied.
//!
//! 1. **Routing**: each thread reads its range of the file (whole lines) in blocks and
//!    copies every line into the buffer of the bucket that owns its profile key
//!    ([`super::key::scan_key`]; lines the scan cannot read are parsed in full to find it).
//! 2. **Applying**: the threads take buckets one at a time; a bucket's lines, in file order
//!    (range by range), are parsed and applied as history (`Engine::observe`); when the
//!    instant is known (`--at`), the bucket's users are settled right away, while their
//!    profiles are still in cache.
//!
//! Anything this path does not handle exactly like [`super::read`] (a line that is not
//! UTF-8 or not a valid message, which must be reported with its line number; a parsed
//! key that is not the routed one) makes it give up, and the caller reads the file again
//! the exact way. Events out of time order are sorted within their bucket (stably, by
//! time), which gives every user the same sequence of events as sorting the whole file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use anyhow::Result;
use waymark_engine::hash::partition;
use waymark_engine::time::Millis;
use waymark_engine::{Engine, Event};
use waymark_ingest::segment::{self, Clock};

use super::key::scan_key;
use super::read::{after_newline, in_parallel};

/// One bucket's engine after reading, and the latest event time it applied.
pub struct Bucket {
    pub engine: Engine,
    pub latest: Option<Millis>,
    /// Each audience's members (users of this engine), when settled while reading.
    pub members: Option<Vec<Vec<u32>>>,
}

/// How much of the file one bucket holds, about: small enough for its profiles to stay in
/// a core's cache while its events are applied.
const BUCKET_BYTES: u64 = 512 * 1024;
/// The most buckets.
const MAX_BUCKETS: u64 = 1024;
/// The size of the blocks each thread reads its range in.
const BLOCK: usize = 4 << 20;

/// How many buckets for a file of `len` bytes read by `threads` threads.
pub fn bucket_count(len: u64, threads: u32) -> u32 {
    (len / BUCKET_BYTES).clamp(u64::from(threads), MAX_BUCKETS) as u32
}

/// What reading the history needs.
pub struct Setup<'a> {
    pub path: &'a Path,
    pub threads: u32,
    pub buckets: u32,
    /// Events after this instant are skipped.
    pub until: Option<Millis>,
    /// Settle each bucket's users at this instant as soon as it is read, and list the
    /// members of its audiences.
    pub settle_at: Option<Millis>,
    /// How many audiences.
    pub audiences: usize,
    pub engine: &'a (dyn Fn() -> Result<Engine> + Sync),
}

/// Reads the history into buckets; `Ok(None)` when the exact path must read it instead.
pub fn read(setup: &Setup<'_>) -> Result<Option<Vec<Bucket>>> {
    let threads = setup.threads.max(1);
    let buckets = setup.buckets.max(1);
    let len = std::fs::metadata(setup.path)?.len();
    let routed = in_parallel(threads, |r| route(setup.path, len, r, threads, buckets));
    let mut slots: Vec<Mutex<Text>> = (0..buckets).map(|_| Mutex::new(Vec::new())).collect();
    for range in routed {
        let Some(range) = range? else {
            return Ok(None);
        };
        for (slot, text) in slots.iter_mut().zip(range) {
            slot.get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(text);
        }
    }
    let next = AtomicU32::new(0);
    let give_up = AtomicBool::new(false);
    let done = in_parallel(threads, |_| -> Result<Vec<(u32, Bucket)>> {
        let mut mine = Vec::new();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= buckets || give_up.load(Ordering::Relaxed) {
                return Ok(mine);
            }
            // Taken out, so that its memory is freed as soon as the bucket is applied.
            let text = std::mem::take(
                &mut *slots[b as usize]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            match apply(setup, &text, b, buckets)? {
                Some(bucket) => mine.push((b, bucket)),
                None => {
                    give_up.store(true, Ordering::Relaxed);
                    return Ok(mine);
                }
            }
        }
    });
    if give_up.load(Ordering::Relaxed) {
        return Ok(None);
    }
    let mut all = Vec::with_capacity(buckets as usize);
    for part in done {
        all.extend(part?);
    }
    all.sort_unstable_by_key(|(b, _)| *b);
    Ok(Some(all.into_iter().map(|(_, bucket)| bucket).collect()))
}

/// The bucket of a profile key.
fn bucket_of(key: &str, buckets: u32) -> u32 {
    partition(key, buckets)
}

/// The text of one bucket: pieces of whole lines (each trimmed and followed by `\n`), small
/// enough to come from the allocator's heap rather than from their own mapping, so that
/// the memory of a bucket already applied is reused for the profiles of the next ones
/// instead of fresh pages being faulted in.
type Text = Vec<Vec<u8>>;

/// The size of a text piece (a longer line gets a piece of its own).
const PIECE: usize = 60 * 1024;

/// Range `r` of `count` of the file, its lines copied into the text of the bucket that
/// owns them. `None` when a line needs the exact path.
fn route(path: &Path, len: u64, r: u32, count: u32, buckets: u32) -> Result<Option<Vec<Text>>> {
    let mut file = File::open(path)?;
    let cut = |file: &mut File, i: u32| -> std::io::Result<u64> {
        let at = len * u64::from(i) / u64::from(count);
        if at == 0 || i == count {
            return Ok(at);
        }
        after_newline(file, at - 1, len)
    };
    let (start, end) = (cut(&mut file, r)?, cut(&mut file, r + 1)?);
    let mut out: Vec<Text> = (0..buckets).map(|_| Vec::new()).collect();
    file.seek(SeekFrom::Start(start))?;
    let mut left = end - start;
    let mut block = Vec::with_capacity(BLOCK * 2);
    let mut carry = 0usize;
    loop {
        let want = (BLOCK as u64).min(left) as usize;
        block.resize(carry + want, 0);
        file.read_exact(&mut block[carry..carry + want])?;
        left -= want as u64;
        let filled = carry + want;
        // Whole lines only, but the range's last line may have no newline.
        let upto = if left == 0 {
            filled
        } else {
            match memchr::memrchr(b'\n', &block[..filled]) {
                Some(nl) => nl + 1,
                None => 0,
            }
        };
        for line in lines(&block[..upto]) {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let Some(b) = owner(line, buckets) else {
                return Ok(None);
            };
            let text = &mut out[b as usize];
            let piece = match text.last_mut() {
                Some(piece) if piece.capacity() - piece.len() > line.len() => piece,
                _ => {
                    text.push(Vec::with_capacity(PIECE.max(line.len() + 1)));
                    text.last_mut().expect("just pushed")
                }
            };
            piece.extend_from_slice(line);
            piece.push(b'\n');
        }
        if left == 0 {
            return Ok(Some(out));
        }
        block.copy_within(upto..filled, 0);
        carry = filled - upto;
    }
}

/// The lines of `text`, without their `\n`.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text);
    std::iter::from_fn(move || {
        let from = start;
        match ends.next() {
            Some(nl) => {
                start = nl + 1;
                Some(&text[from..nl])
            }
            None if from < text.len() => {
                start = text.len();
                Some(&text[from..])
            }
            None => None,
        }
    })
}

/// The bucket of one line; `None` when the line cannot be read (left to the exact path).
fn owner(line: &[u8], buckets: u32) -> Option<u32> {
    if let Some(key) = scan_key(line) {
        return std::str::from_utf8(key).ok().map(|k| bucket_of(k, buckets));
    }
    let line = std::str::from_utf8(line).ok()?;
    let msg = segment::parse_history_line(line, Clock::AsGiven).ok()?;
    Some(bucket_of(msg.identity.profile_key()?, buckets))
}

/// Applies bucket `b`'s lines to a new engine; `None` when a line needs the exact path.
fn apply(setup: &Setup<'_>, text: &Text, b: u32, buckets: u32) -> Result<Option<Bucket>> {
    let mut engine = (setup.engine)()?;
    let mut latest: Option<Millis> = None;
    let mut unsorted = false;
    let done = each_message(text, b, buckets, |key, event| {
        if setup.until.is_none_or(|u| event.at <= u) {
            if latest.is_some_and(|l| event.at < l) {
                unsorted = true;
            }
            if !unsorted {
                latest = Some(event.at);
                engine.observe(key, event);
            }
        }
        true
    });
    if !done {
        return Ok(None);
    }
    if unsorted {
        engine = (setup.engine)()?;
        let mut events = Vec::new();
        each_message(text, b, buckets, |key, event| {
            if setup.until.is_none_or(|u| event.at <= u) {
                events.push((key.to_string(), event.clone()));
            }
            true
        });
        events.sort_by_key(|(_, e)| e.at);
        latest = events.last().map(|(_, e)| e.at);
        for (key, event) in &events {
            engine.observe(key, event);
        }
    }
    let members = setup.settle_at.map(|at| {
        engine.settle_everyone(at, &mut Vec::new());
        super::member_lists(&engine, setup.audiences)
    });
    Ok(Some(Bucket {
        engine,
        latest,
        members,
    }))
}

/// Calls `each` with the key and event of every line of bucket `b` (its `text`), in file
/// order, until it returns `false`. Returns `false` when a line needs the exact path (or
/// `each` stopped).
fn each_message(
    text: &Text,
    b: u32,
    buckets: u32,
    mut each: impl FnMut(&str, &Event) -> bool,
) -> bool {
    for piece in text {
        let Ok(piece) = std::str::from_utf8(piece) else {
            return false;
        };
        // Every line of a piece ends with a newline.
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', piece.as_bytes()) {
            let line = &piece[start..nl];
            start = nl + 1;
            let Ok(msg) = segment::parse_history_line(line, Clock::AsGiven) else {
                return false;
            };
            let Some(key) = msg.identity.profile_key() else {
                return false;
            };
            if bucket_of(key, buckets) != b {
                return false;
            }
            if !each(key, &msg.event) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
#[path = "bucketed_tests.rs"]
mod tests;
