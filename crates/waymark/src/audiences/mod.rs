//! `waymark audiences --definitions FILE --events FILE [--at TIME] [--members]` (SPEC §6):
//! every audience of a definitions file evaluated over an NDJSON history as of one instant,
//! in one pass, by the engine that runs them live.
//!
//! The history is split by a stable hash of the profile key into one partition per thread,
//! each with its own engine ([`read`]); each engine then settles its users at the instant,
//! and the members are gathered and sorted per audience ([`report`]).

mod key;
mod read;
mod report;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use waymark_engine::Engine;
use waymark_engine::model::Audience;
use waymark_engine::time::{format_instant, parse_instant};
use waymark_engine::validate::{Limits, load_audiences};

use read::Partition;
use report::{Members, Report};

/// Arguments of `waymark audiences`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The audiences: `{"audiences": [Audience, ...]}` (other top-level keys are ignored).
    #[arg(long)]
    definitions: PathBuf,
    /// Segment-spec messages, one JSON object per line.
    #[arg(long)]
    events: PathBuf,
    /// Evaluate as of this RFC 3339 instant (default: the last event's time); later events
    /// are ignored.
    #[arg(long)]
    at: Option<String>,
    /// Also print each audience's members (profile keys, sorted).
    #[arg(long)]
    members: bool,
    /// Computed attributes that `attribute` criteria read: `{"attributes": [...]}`.
    #[arg(long)]
    attributes: Option<PathBuf>,
    /// Threads, each owning one partition of the profiles (default: one per core).
    #[arg(long)]
    threads: Option<u32>,
}

/// Evaluates the audiences and prints the result document on standard output.
pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let attributes = match &args.attributes {
        Some(path) => match crate::attributes::load(path)? {
            Some(attributes) => attributes,
            None => return Ok(ExitCode::from(1)),
        },
        None => Vec::new(),
    };
    let names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
    let Some(audiences) = definitions(&args.definitions, &names)? else {
        return Ok(ExitCode::from(1));
    };
    let at = match &args.at {
        Some(text) => Some(
            parse_instant(text)
                .with_context(|| format!("--at `{text}` is not an RFC 3339 time"))?,
        ),
        None => None,
    };
    // Compiling once checks that the audiences compile before any thread starts.
    Engine::with_definitions(&[], &audiences, &attributes)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
    let engine = || Ok(Engine::with_definitions(&[], &audiences, &attributes)?);
    let mut partitions = read::read(&args.events, threads.max(1), at, &engine)?;
    let loaded = Instant::now();

    let at = at.or_else(|| partitions.iter().filter_map(|p| p.latest).max());
    if let Some(at) = at {
        settle(&mut partitions, at);
    }
    let results = members(&partitions, &audiences);
    let report = Report {
        at: at.map(format_instant),
        audiences: &results,
        with_members: args.members,
        load_s: (loaded - started).as_secs_f64(),
        query_s: loaded.elapsed().as_secs_f64(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    serde_json::to_writer(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    drop(out);
    drop(results);
    // The process ends next: freeing every profile one small allocation at a time would
    // cost a twentieth of the whole run, for nothing.
    std::mem::forget(partitions);
    Ok(ExitCode::SUCCESS)
}

/// Reads and validates the definitions; prints every problem and returns `None` when
/// invalid.
fn definitions(path: &Path, attributes: &[&str]) -> Result<Option<Vec<Audience>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(crate::attributes::or_report(
        path,
        load_audiences(&text, &Limits::default(), attributes),
    ))
}

/// Evaluates every user of every partition at `at`, one thread per partition.
fn settle(partitions: &mut [Partition], at: i64) {
    std::thread::scope(|scope| {
        for p in partitions.iter_mut() {
            scope.spawn(move || p.engine.settle_everyone(at, &mut Vec::new()));
        }
    });
}

/// Each audience's members across the partitions, sorted bytewise. Each partition sorts its
/// users' keys once (on its own thread) and lists each audience's members in that order by
/// sorting their ranks, integers; the partitions' lists are then merged.
fn members<'a>(partitions: &'a [Partition], audiences: &'a [Audience]) -> Vec<Members<'a>> {
    let per_partition: Vec<Vec<Vec<&'a str>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = partitions
            .iter()
            .map(|p| scope.spawn(move || sorted_members(&p.engine, audiences.len())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut lists: Vec<std::vec::IntoIter<Vec<&'a str>>> =
        per_partition.into_iter().map(Vec::into_iter).collect();
    audiences
        .iter()
        .map(|a| {
            let keys = lists
                .iter_mut()
                .filter_map(Iterator::next)
                .reduce(merge)
                .unwrap_or_default();
            Members { id: &a.id, keys }
        })
        .collect()
}

/// One engine's members of every audience, each list sorted by key.
fn sorted_members(engine: &Engine, audiences: usize) -> Vec<Vec<&str>> {
    let mut by_key: Vec<u32> = (0..engine.user_count() as u32).collect();
    by_key.sort_unstable_by_key(|u| engine.user_key(*u));
    let mut rank = vec![0u32; by_key.len()];
    for (r, u) in by_key.iter().enumerate() {
        rank[*u as usize] = r as u32;
    }
    (0..audiences)
        .map(|a| {
            let mut ranks: Vec<u32> = engine
                .audience_members(a as u16)
                .iter()
                .map(|m| rank[m.user as usize])
                .collect();
            ranks.sort_unstable();
            ranks
                .into_iter()
                .map(|r| engine.user_key(by_key[r as usize]))
                .collect()
        })
        .collect()
}

/// Two sorted lists as one.
fn merge<'a>(a: Vec<&'a str>, b: Vec<&'a str>) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        if x <= y {
            out.extend(a.next());
        } else {
            out.extend(b.next());
        }
    }
    out.extend(a);
    out.extend(b);
    out
}
