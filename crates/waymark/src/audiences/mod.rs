//! `waymark audiences --definitions FILE --events FILE [--at TIME] [--members]` (SPEC §6):
//! every audience of a definitions file evaluated over an NDJSON history as of one instant,
//! in one pass, by the engine that runs them live.
//!
//! The history is split by a stable hash of the profile key into many small buckets, each
//! with its own engine, applied and settled one at a time by every thread while its
//! profiles are in cache ([`bucketed`]). A history that path cannot read exactly (a line
//! to report with its line number, say) is read the exact way instead: one partition per
//! thread ([`read`]), settled afterwards. Every profile key then gets its rank in the
//! global order, and each audience's members are sorted by rank ([`report`]).

mod bucketed;
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
    /// Threads (default: one per core).
    #[arg(long)]
    threads: Option<u32>,
    /// How many buckets the profiles are split into (default: from the file's size).
    #[arg(long, hide = true)]
    buckets: Option<u32>,
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
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
        .max(1);
    let engine = || Ok(Engine::with_definitions(&[], &audiences, &attributes)?);
    let len = std::fs::metadata(&args.events)
        .with_context(|| format!("cannot read {}", args.events.display()))?
        .len();
    let setup = bucketed::Setup {
        path: &args.events,
        threads,
        buckets: args
            .buckets
            .unwrap_or_else(|| bucketed::bucket_count(len, threads)),
        until: at,
        settle_at: at,
        audiences: audiences.len(),
        engine: &engine,
    };
    let (mut engines, latest, lists) = match bucketed::read(&setup)? {
        Some(buckets) => {
            let latest = buckets.iter().filter_map(|b| b.latest).max();
            let (engines, lists): (Vec<Engine>, Vec<Option<Lists>>) =
                buckets.into_iter().map(|b| (b.engine, b.members)).unzip();
            (
                engines,
                latest,
                lists.into_iter().collect::<Option<Vec<_>>>(),
            )
        }
        None => {
            let partitions = read::read(&args.events, threads, at, &engine)?;
            let latest = partitions.iter().filter_map(|p| p.latest).max();
            (
                partitions.into_iter().map(|p| p.engine).collect(),
                latest,
                None,
            )
        }
    };
    let loaded = Instant::now();

    let at = at.or(latest);
    let lists = match lists {
        Some(lists) => lists,
        None => settle(&mut engines, at, audiences.len(), threads),
    };
    let results = members(&engines, &lists, &audiences, threads);
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
    std::mem::forget(engines);
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

/// Evaluates every user of every engine at `at` (when there is one), the engines shared
/// between `threads`; returns each engine's lists of members.
fn settle(
    engines: &mut [Engine],
    at: Option<i64>,
    audiences: usize,
    threads: u32,
) -> Vec<Vec<Vec<u32>>> {
    let per = engines.len().div_ceil(threads as usize).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = engines
            .chunks_mut(per)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter_mut()
                        .map(|engine| {
                            if let Some(at) = at {
                                engine.settle_everyone(at, &mut Vec::new());
                            }
                            member_lists(engine, audiences)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(join).collect()
    })
}

/// Each audience's members in one engine (its user indices), by audience.
type Lists = Vec<Vec<u32>>;

/// Each audience's members in one engine (its user indices).
pub(crate) fn member_lists(engine: &Engine, audiences: usize) -> Lists {
    (0..audiences)
        .map(|a| {
            engine
                .audience_members(a as u16)
                .iter()
                .map(|m| m.user)
                .collect()
        })
        .collect()
}

/// One profile key in the global order: the key's first 8 bytes (big-endian, padded with
/// zeros, which orders like the key itself whenever they differ), the key, its engine and
/// its user there.
type Ranked<'a> = (u64, &'a str, u32, u32);

fn head(key: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = key.len().min(8);
    bytes[..n].copy_from_slice(&key.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

fn by_key(a: &Ranked<'_>, b: &Ranked<'_>) -> std::cmp::Ordering {
    a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1))
}

/// Each audience's members across the engines, sorted bytewise. Every profile key gets its
/// rank in the global order once (each thread sorts its engines' keys, then the sorted
/// lists are merged); each audience then sorts its members' ranks, integers.
fn members<'a>(
    engines: &'a [Engine],
    lists: &[Vec<Vec<u32>>],
    audiences: &'a [Audience],
    threads: u32,
) -> Vec<Members<'a>> {
    let per = engines.len().div_ceil(threads as usize).max(1);
    let sorted: Vec<Vec<Ranked<'a>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = engines
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                scope.spawn(move || {
                    let mut keys: Vec<Ranked<'a>> = Vec::new();
                    for (i, engine) in chunk.iter().enumerate() {
                        let e = (c * per + i) as u32;
                        keys.extend((0..engine.user_count() as u32).map(|u| {
                            let key = engine.user_key(u);
                            (head(key), key, e, u)
                        }));
                    }
                    keys.sort_unstable_by(by_key);
                    keys
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    });
    let sorted = sorted.into_iter().reduce(merge).unwrap_or_default();
    let mut rank: Vec<Vec<u32>> = engines.iter().map(|e| vec![0; e.user_count()]).collect();
    for (r, &(_, _, e, u)) in sorted.iter().enumerate() {
        rank[e as usize][u as usize] = r as u32;
    }
    let keys: Vec<&'a str> = sorted.iter().map(|k| k.1).collect();
    drop(sorted);
    let (rank, keys) = (&rank, &keys);
    let lists: Vec<Vec<Vec<&'a str>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as usize)
            .map(|t| {
                scope.spawn(move || {
                    (t..audiences.len())
                        .step_by(threads as usize)
                        .map(|a| {
                            let mut ranks: Vec<u32> = Vec::new();
                            for (e, lists) in lists.iter().enumerate() {
                                ranks.extend(lists[a].iter().map(|&u| rank[e][u as usize]));
                            }
                            ranks.sort_unstable();
                            ranks.into_iter().map(|r| keys[r as usize]).collect()
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    });
    let mut lists: Vec<std::vec::IntoIter<Vec<&'a str>>> =
        lists.into_iter().map(Vec::into_iter).collect();
    audiences
        .iter()
        .enumerate()
        .map(|(a, audience)| Members {
            id: &audience.id,
            keys: lists[a % threads as usize].next().unwrap_or_default(),
        })
        .collect()
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Two lists sorted by key as one.
fn merge<'a>(a: Vec<Ranked<'a>>, b: Vec<Ranked<'a>>) -> Vec<Ranked<'a>> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        if by_key(x, y).is_le() {
            out.extend(a.next());
        } else {
            out.extend(b.next());
        }
    }
    out.extend(a);
    out.extend(b);
    out
}
