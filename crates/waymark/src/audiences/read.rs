//! Reads an NDJSON history of Segment messages into per-partition engines, one thread per
//! partition. Every thread reads the whole file, finds each line's profile key with a cheap
//! scan ([`super::key`]) and parses in full, with ingestion's own parser, only the lines of
//! the profiles its partition owns (a stable hash of the key), so that parsing, the
//! expensive part, is shared between cores with no coordination, and each partition's
//! engine receives its users' events in file order.
//!
//! Events are applied as history (`Engine::observe`): profiles only, evaluated once at the
//! end. That needs them in time order per user; a file that is not sorted by time is read a
//! second time into memory and sorted (stably, as `simulate` does).

use std::fs::File;
use std::io::Read;
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

/// A line that stopped the reading, with its 1-based line number (the earliest one wins).
struct LineError {
    line: u64,
    error: anyhow::Error,
}

/// Why one partition's fast pass could not finish.
enum Stop {
    Failed(LineError),
    /// An event older than one before it: the file must be sorted first.
    Unsorted,
}

/// Reads `path` into `partitions` engines built by `engine`, skipping events after `until`.
pub fn read(
    path: &Path,
    partitions: u32,
    until: Option<Millis>,
    engine: &(dyn Fn() -> Result<Engine> + Sync),
) -> Result<Vec<Partition>> {
    let results = in_parallel(partitions, |p| {
        stream(
            path,
            p,
            partitions,
            until,
            engine().map_err(|e| fail(0, e))?,
        )
    });
    let mut out = Vec::with_capacity(results.len());
    let mut first_error: Option<LineError> = None;
    let mut unsorted = false;
    for result in results {
        match result {
            Ok(partition) => out.push(partition),
            Err(Stop::Unsorted) => unsorted = true,
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
    if unsorted {
        let results = in_parallel(partitions, |p| {
            sorted(path, p, partitions, until, engine()?)
        });
        return results.into_iter().collect();
    }
    Ok(out)
}

/// Runs `work` for every partition on its own thread; results in partition order.
fn in_parallel<T: Send>(partitions: u32, work: impl Fn(u32) -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..partitions)
            .map(|p| {
                let work = &work;
                scope.spawn(move || work(p))
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

/// Calls `each` with the profile key and event of every message of partition `p`, in file
/// order.
fn each_message(
    path: &Path,
    p: u32,
    partitions: u32,
    mut each: impl FnMut(&str, Event) -> Result<(), Stop>,
) -> Result<(), Stop> {
    let file =
        File::open(path).map_err(|e| fail(0, anyhow!("cannot open {}: {e}", path.display())))?;
    let mut lines = Lines::new(file);
    let mut number = 0u64;
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(fail(
                    number + 1,
                    anyhow!("cannot read {}: {e}", path.display()),
                ));
            }
        };
        number += 1;
        let where_ = || format!("{} line {number}", path.display());
        // Checked once here, so that neither the key scan nor the parse checks each string.
        let line = std::str::from_utf8(line.trim_ascii())
            .map_err(|e| fail(number, anyhow!("{}: not UTF-8 text: {e}", where_())))?;
        if line.is_empty() {
            continue;
        }
        if profile_key(line).is_some_and(|key| partition(&key, partitions) != p) {
            continue;
        }
        let msg = segment::parse_history_line(line, Clock::AsGiven)
            .map_err(|e| fail(number, anyhow!("{}: {e}", where_())))?;
        // A parsed message always has a key (it is refused without one).
        let key = msg.identity.profile_key().unwrap_or_default();
        if partition(key, partitions) == p {
            each(key, msg.event)?;
        }
    }
}

/// Lines of a file, read in large blocks and handed out as slices of the block, so that a
/// line is copied only when it straddles two blocks.
struct Lines {
    file: File,
    block: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl Lines {
    const BLOCK: usize = 4 << 20;

    fn new(file: File) -> Self {
        Self {
            file,
            block: vec![0; Self::BLOCK],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The next line without its `\n`; `None` at the end of the file.
    fn next_line(&mut self) -> std::io::Result<Option<&[u8]>> {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.block[self.start..self.end]) {
                let line = self.start..self.start + at;
                self.start += at + 1;
                return Ok(Some(&self.block[line]));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line = self.start..self.end;
                self.start = self.end;
                return Ok(Some(&self.block[line]));
            }
            // Keep the partial line, growing the block when one line fills it.
            self.block.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.block.len() {
                self.block.resize(self.block.len() * 2, 0);
            }
            let read = self.file.read(&mut self.block[self.end..])?;
            self.end += read;
            self.eof = read == 0;
        }
    }
}

fn fail(line: u64, error: anyhow::Error) -> Stop {
    Stop::Failed(LineError { line, error })
}

/// The fast pass: applies partition `p`'s events as they come; stops if they are not in
/// time order.
fn stream(
    path: &Path,
    p: u32,
    partitions: u32,
    until: Option<Millis>,
    mut engine: Engine,
) -> Result<Partition, Stop> {
    let mut latest: Option<Millis> = None;
    each_message(path, p, partitions, |key, event| {
        if latest.is_some_and(|l| event.at < l) {
            return Err(Stop::Unsorted);
        }
        if until.is_none_or(|u| event.at <= u) {
            latest = Some(event.at);
            engine.observe(key, &event);
        }
        Ok(())
    })?;
    Ok(Partition { engine, latest })
}

/// The pass for unsorted files: partition `p`'s events in memory, stably sorted by time.
fn sorted(
    path: &Path,
    p: u32,
    partitions: u32,
    until: Option<Millis>,
    mut engine: Engine,
) -> Result<Partition> {
    let mut events = Vec::new();
    each_message(path, p, partitions, |key, event| {
        if until.is_none_or(|u| event.at <= u) {
            events.push((key.to_string(), event));
        }
        Ok(())
    })
    .map_err(|stop| match stop {
        Stop::Failed(e) => e.error,
        Stop::Unsorted => anyhow!("unreachable: the sorting pass accepts any order"),
    })?;
    events.sort_by_key(|(_, e)| e.at);
    let latest = events.last().map(|(_, e)| e.at);
    for (key, event) in &events {
        engine.observe(key, event);
    }
    Ok(Partition { engine, latest })
}
