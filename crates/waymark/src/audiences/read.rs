//! Reads an NDJSON history of Segment messages into per-partition engines, one thread per
//! partition: the exact path, taken when [`super::bucketed`] gives up; it names the first
//! line that fails with its line number.
//!
//! The file is split into as many ranges of whole lines as there are threads, and each
//! thread reads its range into memory. First each thread routes the lines of its range: it
//! checks their UTF-8 and
//! finds each one's profile key with a scan that allocates nothing ([`super::key`]), and
//! notes the partition that owns it (a stable hash of the key). Then each thread walks every
//! range in file order and parses in full, with ingestion's own parser, only the lines its
//! partition owns. So parsing, the expensive part, is shared between cores, no line is
//! scanned twice, and each partition's engine receives its users' events in file order.
//!
//! Events are applied as history (`Engine::observe`): profiles only, evaluated once at the
//! end. That needs them in time order per user; a partition whose events are not in time
//! order is read again into memory and sorted (stably, as `simulate` does).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Result, anyhow};
use waymark_engine::hash::partition;
use waymark_engine::time::Millis;
use waymark_engine::{Engine, Event};
use waymark_ingest::segment::{self, Clock};

use super::key::profile_key;

/// One partition's engine after reading, and the latest event time it saw.
pub struct Partition {
    pub engine: Engine,
    pub latest: Option<Millis>,
}

/// The most partitions: owners are bytes, and the top values are the codes below.
pub const MAX_PARTITIONS: u32 = 250;
/// A blank line.
const BLANK: u8 = 253;
/// A line that is not UTF-8 text: the first partition reports it.
const NOT_TEXT: u8 = 254;
/// A line whose key the scan could not find: every partition parses it (and keeps it only
/// if it owns the key the parse finds, or reports why it does not parse).
const UNKNOWN: u8 = 255;

/// A line that stopped the reading, with its 1-based line number (the earliest one wins).
struct LineError {
    line: u64,
    error: anyhow::Error,
}

/// Why one partition's fast pass could not finish.
enum Stop {
    Failed(LineError),
    /// An event older than one before it: the partition must be sorted first.
    Unsorted,
}

/// A range of whole lines of the file and the owner of each.
struct Range {
    text: Vec<u8>,
    owners: Vec<u8>,
}

/// Reads `path` into `partitions` engines built by `engine`, skipping events after `until`.
pub fn read(
    path: &Path,
    partitions: u32,
    until: Option<Millis>,
    engine: &(dyn Fn() -> Result<Engine> + Sync),
) -> Result<Vec<Partition>> {
    let partitions = partitions.clamp(1, MAX_PARTITIONS);
    let ranges = in_parallel(partitions, |r| route(path, r, partitions))
        .into_iter()
        .collect::<std::io::Result<Vec<Range>>>()
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    let source = Source {
        path,
        ranges: &ranges,
        partitions,
    };
    let results = in_parallel(partitions, |p| {
        stream(&source, p, until, engine().map_err(|e| fail(0, e))?)
    });
    let mut out = Vec::with_capacity(results.len());
    let mut first_error: Option<LineError> = None;
    let mut unsorted = Vec::new();
    for (p, result) in results.into_iter().enumerate() {
        match result {
            Ok(partition) => out.push(partition),
            Err(Stop::Unsorted) => unsorted.push(p as u32),
            Err(Stop::Failed(e)) => {
                if first_error.as_ref().is_none_or(|f| e.line < f.line) {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e.error);
    }
    if !unsorted.is_empty() {
        let results = in_parallel(partitions, |p| sorted(&source, p, until, engine()?));
        return results.into_iter().collect();
    }
    Ok(out)
}

/// Runs `work` for every index on its own thread; results in index order.
pub(super) fn in_parallel<T: Send>(count: u32, work: impl Fn(u32) -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let work = &work;
                scope.spawn(move || work(i))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Range `r` of `count` of the file (from just after a newline to just after a newline),
/// read on the calling thread, with the owner of each of its lines.
fn route(path: &Path, r: u32, count: u32) -> std::io::Result<Range> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    // A range ends just after the first newline at or after its share's last byte; the
    // next one starts there.
    let mut cut = |i: u32| -> std::io::Result<u64> {
        let at = len * u64::from(i) / u64::from(count);
        if at == 0 || i == count {
            return Ok(at);
        }
        after_newline(&mut file, at - 1, len)
    };
    let (start, end) = (cut(r)?, cut(r + 1)?);
    let mut text = vec![0; (end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut text)?;
    let mut owners = Vec::new();
    for line in lines(&text) {
        let owner = match std::str::from_utf8(line.trim_ascii()) {
            Err(_) => NOT_TEXT,
            Ok("") => BLANK,
            Ok(line) => profile_key(line).map_or(UNKNOWN, |k| partition(&k, count) as u8),
        };
        owners.push(owner);
    }
    Ok(Range { text, owners })
}

/// The offset just after the first newline at or after `from` (the file's length if none).
pub(super) fn after_newline(file: &mut File, from: u64, len: u64) -> std::io::Result<u64> {
    let mut block = [0u8; 64 * 1024];
    let mut at = from;
    file.seek(SeekFrom::Start(at))?;
    while at < len {
        let read = file.read(&mut block)?;
        if read == 0 {
            break;
        }
        if let Some(nl) = memchr::memchr(b'\n', &block[..read]) {
            return Ok(at + nl as u64 + 1);
        }
        at += read as u64;
    }
    Ok(len)
}

/// The lines of `text`, without their `\n`.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (&rest[..nl], &rest[nl + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line)
    })
}

/// The file's routed ranges.
struct Source<'a> {
    path: &'a Path,
    ranges: &'a [Range],
    partitions: u32,
}

impl Source<'_> {
    /// Calls `each` with the profile key and event of every message of partition `p`, in
    /// file order.
    fn each_message(
        &self,
        p: u32,
        mut each: impl FnMut(&str, Event) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        let mut number = 0u64;
        for range in self.ranges {
            for (line, &owner) in lines(&range.text).zip(&range.owners) {
                number += 1;
                let where_ = || format!("{} line {number}", self.path.display());
                let mine = match owner {
                    BLANK => false,
                    NOT_TEXT if p == 0 => {
                        return Err(fail(number, anyhow!("{}: not UTF-8 text", where_())));
                    }
                    NOT_TEXT => false,
                    UNKNOWN => true,
                    owner => u32::from(owner) == p,
                };
                if !mine {
                    continue;
                }
                let line = std::str::from_utf8(line.trim_ascii())
                    .map_err(|e| fail(number, anyhow!("{}: not UTF-8 text: {e}", where_())))?;
                let msg = segment::parse_history_line(line, Clock::AsGiven)
                    .map_err(|e| fail(number, anyhow!("{}: {e}", where_())))?;
                // A parsed message always has a key (it is refused without one).
                let key = msg.identity.profile_key().unwrap_or_default();
                if owner != UNKNOWN || partition(key, self.partitions) == p {
                    each(key, msg.event)?;
                }
            }
        }
        Ok(())
    }
}

fn fail(line: u64, error: anyhow::Error) -> Stop {
    Stop::Failed(LineError { line, error })
}

/// The fast pass: applies partition `p`'s events as they come; stops if they are not in
/// time order.
fn stream(
    source: &Source<'_>,
    p: u32,
    until: Option<Millis>,
    mut engine: Engine,
) -> Result<Partition, Stop> {
    let mut latest: Option<Millis> = None;
    source.each_message(p, |key, event| {
        if until.is_none_or(|u| event.at <= u) {
            if latest.is_some_and(|l| event.at < l) {
                return Err(Stop::Unsorted);
            }
            latest = Some(event.at);
            engine.observe(key, &event);
        }
        Ok(())
    })?;
    Ok(Partition { engine, latest })
}

/// The pass for unsorted partitions: partition `p`'s events in memory, stably sorted by
/// time.
fn sorted(
    source: &Source<'_>,
    p: u32,
    until: Option<Millis>,
    mut engine: Engine,
) -> Result<Partition> {
    let mut events = Vec::new();
    let kept = source.each_message(p, |key, event| {
        if until.is_none_or(|u| event.at <= u) {
            events.push((key.to_string(), event));
        }
        Ok(())
    });
    if let Err(Stop::Failed(e)) = kept {
        return Err(e.error);
    }
    events.sort_by_key(|(_, e)| e.at);
    let latest = events.last().map(|(_, e)| e.at);
    for (key, event) in &events {
        engine.observe(key, event);
    }
    Ok(Partition { engine, latest })
}
