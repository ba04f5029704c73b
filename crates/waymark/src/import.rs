//! `waymark import FILE --workspace W --input I`: loads history from Segment-spec NDJSON
//! into the embedded store (SPEC §13), with a progress bar and a summary.
//!
//! Each non-blank line is one Segment-spec message (`identify`, `track`, `page`, `screen`,
//! `group`, `alias`), normalized like the server does and stored through
//! [`Store::ingest`] in batches, so identity merging, traits, consent and `messageId`
//! deduplication follow exactly the same rules as live ingestion. Choices specific to
//! imports:
//!
//! - **Event time.** A historical message's `timestamp` (else `originalTimestamp`) is used
//!   as given: no skew correction, because a past `sentAt` says nothing about the import's
//!   clock. A line with neither gets the time the import started.
//! - **Received time.** A valid `receivedAt` on the line is kept (so an export re-imports
//!   unchanged); otherwise the time the import started.
//! - **`messageId`.** A line without one gets an id derived from the file's content up to
//!   and including that line, and the line's number (`wm-` and 32 hex digits of SHA-256):
//!   importing the same file twice, re-running an interrupted import, or importing a file
//!   that grew at its end stores nothing twice, while identical lines within a file count
//!   separately (SPEC §2; the server instead gives each id-less message a new id).
//! - **Bad lines** (not JSON, over the message size limit, or not a valid message) are
//!   reported with their line number and error code (the first 20 are shown), counted, and
//!   skipped. With `--strict` the first bad line stops the import: every line before it is
//!   stored, nothing after it, and the exit status is 1. Because ids deduplicate, fixing the
//!   line and running the import again is safe.
//! - **Export files.** The `{"profile": …}` lines that `waymark export` writes are
//!   recognized and skipped: profiles are rebuilt from the events.
//!
//! The workspace and the input must exist in the store, or be declared in the
//! configuration (declared workspaces and inputs are created, as `waymark serve` does).
//! The store is locked while in use, so the import cannot run while `waymark serve` holds
//! the same data directory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use waymark_engine::Message;
use waymark_engine::time::{Millis, parse_instant};
use waymark_ingest::IngestError;
use waymark_ingest::segment::{self, Clock};
use waymark_server::{Config, apply_tenancy};
use waymark_store::fjall::{FjallOptions, FjallStore};
use waymark_store::{Store, StoreError};

/// How an import reads messages, shown by `waymark import --help`.
const IMPORT_NOTES: &str = "\
Each non-blank line is one Segment-spec message, stored with the same identity, trait, \
consent and messageId rules as live ingestion.

- Event time: `timestamp` (else `originalTimestamp`) as given, with no skew correction; a \
line with neither gets the time the import started.
- `receivedAt` is kept when valid, else the time the import started.
- A line without `messageId` gets an id derived from the file's content up to that line and \
the line's number, so importing a file again (or once it grew) stores nothing twice, while \
identical lines count separately.
- Bad lines are reported (the first 20) with their line number and error code, and skipped; \
with --strict the first one stops the import (exit status 1) after every line before it was \
stored.
- The `{\"profile\": ...}` lines of `waymark export` are skipped.

The workspace and input must exist in the store or be declared in the configuration. The \
data directory is locked while `waymark serve` runs on it.";

/// Rejected lines shown one by one; the rest are only counted.
const SHOWN_REJECTIONS: u64 = 20;

/// Arguments of `waymark import`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = IMPORT_NOTES)]
pub struct Args {
    /// Segment-spec messages, one JSON object per line (`-` reads standard input).
    file: PathBuf,
    /// The workspace to import into.
    #[arg(long)]
    workspace: String,
    /// The input the events are attributed to.
    #[arg(long)]
    input: String,
    /// Data directory (overrides `data` in the configuration; default `waymark-data`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Messages per store write.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    batch: u32,
    /// Stop at the first bad line (exit status 1) instead of skipping it.
    #[arg(long)]
    strict: bool,
}

/// Opens the store in the configured data directory for a command other than `serve`.
///
/// A missing directory is an error unless `create` is set, so that a mistyped `--data`
/// never leaves an empty store behind.
pub(crate) fn open_store(config: &Config, create: bool) -> Result<FjallStore> {
    let dir = &config.data;
    if !create && !dir.is_dir() {
        bail!(
            "no Waymark data directory at {} (pass --data, or set `data` in the configuration)",
            dir.display()
        );
    }
    let options = FjallOptions {
        queue_capacity: config.queue_capacity,
        ..FjallOptions::default()
    };
    FjallStore::open_with(dir, options).map_err(|e| {
        let hint = if e.to_string().contains("Locked") {
            " (is `waymark serve` running on it?)"
        } else {
            ""
        };
        anyhow::anyhow!("cannot open the store in {}{hint}: {e}", dir.display())
    })
}

/// Loads the configuration and applies `--data`.
pub(crate) fn load_config(file: Option<&Path>, data: Option<PathBuf>) -> Result<Config> {
    let mut config = Config::load(file)?;
    if let Some(data) = data {
        config.data = data;
    }
    Ok(config)
}

/// Runs the import and prints its summary.
pub fn run(args: Args) -> Result<ExitCode> {
    let config = load_config(args.config.as_deref(), args.data.clone())?;
    let declared = config.workspaces.iter().any(|w| w.id == args.workspace);
    let store = open_store(&config, declared)?;
    apply_tenancy(&store, &config)?;
    check_target(&store, &args.workspace, &args.input)?;

    let (reader, total): (Box<dyn BufRead + Send>, Option<u64>) = if args.file == Path::new("-") {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let file = File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let len = file.metadata().map(|m| m.len()).ok();
        (Box::new(BufReader::with_capacity(1 << 20, file)), len)
    };
    let name = if args.file == Path::new("-") {
        "standard input".to_string()
    } else {
        args.file.display().to_string()
    };
    let bar = progress_bar(total);
    let started = Instant::now();
    let now = now_millis();
    let parser = LineParser {
        input: &args.input,
        now,
        max_message_bytes: config.limits.max_message_bytes,
    };
    let reading = Reading {
        name: &name,
        parser,
        batch: args.batch as usize,
        strict: args.strict,
        bar: &bar,
    };

    let mut stored = 0u64;
    let mut duplicates = 0u64;
    let (read, store_result) = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<Batch>(2);
        let reader = std::thread::Builder::new()
            .name("waymark-import-reader".into())
            .spawn_scoped(scope, move || reading.read_all(reader, &sender))
            .context("cannot start the reader thread")?;
        let mut result = Ok(());
        for batch in receiver {
            let end_offset = batch.end_offset;
            match ingest_with_retry(&store, &args.workspace, parser, batch) {
                Ok(summary) => {
                    stored += summary.stored as u64;
                    duplicates += summary.duplicates as u64;
                    bar.set_position(end_offset);
                }
                Err(e) => {
                    // Dropping the receiver stops the reader.
                    result = Err(e);
                    break;
                }
            }
        }
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the reader thread panicked")));
        anyhow::Ok((read, result))
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    store_result.with_context(|| {
        format!("the import stopped after storing {stored} messages (running it again is safe)")
    })?;
    let counts = read?;

    print_summary(&Summary {
        name: &name,
        workspace: &args.workspace,
        input: &args.input,
        counts: &counts,
        stored,
        duplicates,
        elapsed,
    });
    if let Some(line) = counts.stopped_at {
        eprintln!(
            "error: {name} line {line} was rejected and --strict stops at the first bad line; \
             every line before it was stored, nothing after it"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Fails with a message naming what exists when the workspace or the input does not.
fn check_target(store: &FjallStore, workspace: &str, input: &str) -> Result<()> {
    if store.workspace(workspace)?.is_none() {
        let known: Vec<String> = store.workspaces()?.into_iter().map(|w| w.id).collect();
        bail!(
            "workspace `{workspace}` does not exist (workspaces: {})",
            list(&known)
        );
    }
    let inputs: Vec<String> = store.inputs(workspace)?.into_iter().map(|i| i.id).collect();
    if !inputs.iter().any(|i| i == input) {
        bail!(
            "input `{input}` does not exist in workspace `{workspace}` (inputs: {})",
            list(&inputs)
        );
    }
    Ok(())
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

/// A bar by bytes for a file, a spinner for standard input; hidden when standard error is
/// not a terminal.
fn progress_bar(total: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{wide_bar}] {binary_bytes}/{binary_total_bytes} \
                     ({binary_bytes_per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} {binary_bytes} stored")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Messages for one store write and how far into the input they reach.
struct Batch {
    messages: Vec<Message>,
    /// The lines the messages came from, each followed by `\n`: parsed again if the store
    /// is busy (cheaper than keeping a copy of every message for a rare retry).
    lines: Vec<u8>,
    /// Per message, the id it gets when its line has no `messageId`.
    line_ids: Vec<String>,
    end_offset: u64,
}

/// The ids of id-less lines: SHA-256 over every non-blank line read so far, each with its
/// line number, so an id depends on the file's content up to its line and on its position.
#[derive(Clone, Default)]
struct LineIds {
    hasher: Sha256,
}

impl LineIds {
    /// Takes in line `number` and returns its id.
    fn next(&mut self, number: u64, line: &[u8]) -> String {
        self.hasher.update(number.to_be_bytes());
        self.hasher.update((line.len() as u64).to_be_bytes());
        self.hasher.update(line);
        let digest = self.hasher.clone().finalize();
        let mut id = String::with_capacity(35);
        id.push_str("wm-");
        for byte in &digest[..16] {
            id.push_str(&format!("{byte:02x}"));
        }
        id
    }
}

/// What the reader saw.
#[derive(Debug, Default)]
struct Counts {
    /// Non-blank lines read.
    read: u64,
    /// Lines rejected, by error code.
    rejected: BTreeMap<&'static str, u64>,
    /// `{"profile": …}` lines of an export, skipped.
    profile_lines: u64,
    /// With `--strict`: the line that stopped the import.
    stopped_at: Option<u64>,
}

impl Counts {
    fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// Turns one line into a message; the same line with the same id always gives the same
/// message.
#[derive(Debug, Clone, Copy)]
struct LineParser<'a> {
    input: &'a str,
    now: Millis,
    max_message_bytes: usize,
}

/// The reader's settings.
struct Reading<'a> {
    name: &'a str,
    parser: LineParser<'a>,
    batch: usize,
    strict: bool,
    bar: &'a ProgressBar,
}

impl Reading<'_> {
    /// Reads and parses every line, sending full batches; returns the counts. Stops early,
    /// without error, when the receiver is gone.
    fn read_all(
        &self,
        mut reader: Box<dyn BufRead + Send>,
        sender: &mpsc::SyncSender<Batch>,
    ) -> Result<Counts> {
        let mut counts = Counts::default();
        let mut offset = 0u64;
        let mut number = 0u64;
        let mut buf = Vec::with_capacity(4096);
        let mut messages = Vec::with_capacity(self.batch);
        let mut lines = Vec::with_capacity(self.batch * 512);
        let mut line_ids = Vec::with_capacity(self.batch);
        let mut ids = LineIds::default();
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("cannot read {}", self.name))?;
            if n == 0 {
                break;
            }
            offset += n as u64;
            number += 1;
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            counts.read += 1;
            let line_id = ids.next(number, line);
            match self.parser.parse(line, &line_id) {
                Ok(Some(message)) => {
                    messages.push(message);
                    lines.extend_from_slice(line);
                    lines.push(b'\n');
                    line_ids.push(line_id);
                }
                Ok(None) => counts.profile_lines += 1,
                Err(error) => {
                    let shown = counts.rejected_total();
                    *counts.rejected.entry(error.code()).or_default() += 1;
                    if shown < SHOWN_REJECTIONS {
                        self.bar.suspend(|| {
                            eprintln!(
                                "{} line {number}: {} [{}]",
                                self.name,
                                describe(&error),
                                error.code()
                            );
                        });
                    } else if shown == SHOWN_REJECTIONS {
                        self.bar.suspend(|| {
                            eprintln!("(further rejected lines are counted, not shown)");
                        });
                    }
                    if self.strict {
                        counts.stopped_at = Some(number);
                        break;
                    }
                }
            }
            if messages.len() >= self.batch {
                let batch = Batch {
                    messages: std::mem::replace(&mut messages, Vec::with_capacity(self.batch)),
                    lines: std::mem::replace(&mut lines, Vec::with_capacity(self.batch * 512)),
                    line_ids: std::mem::replace(&mut line_ids, Vec::with_capacity(self.batch)),
                    end_offset: offset,
                };
                if sender.send(batch).is_err() {
                    return Ok(counts);
                }
            }
        }
        if !messages.is_empty() {
            // A closed receiver has its own error to report.
            let _ = sender.send(Batch {
                messages,
                lines,
                line_ids,
                end_offset: offset,
            });
        }
        Ok(counts)
    }
}

impl LineParser<'_> {
    /// One line as a message (with `line_id` as its id when it has no `messageId`); `None`
    /// for an export's profile line.
    fn parse(&self, line: &[u8], line_id: &str) -> Result<Option<Message>, IngestError> {
        if line.len() > self.max_message_bytes {
            return Err(IngestError::MessageTooLarge {
                limit: self.max_message_bytes,
            });
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|e| IngestError::InvalidJson(e.to_string()))?;
        let Value::Object(obj) = &value else {
            return Err(IngestError::NotAnObject);
        };
        if obj.len() == 1 && obj.get("profile").is_some_and(Value::is_object) {
            return Ok(None);
        }
        let has_time = has_timestamp(obj);
        let clock = if has_time {
            Clock::AsGiven
        } else {
            Clock::ReceivedAt(self.now)
        };
        let mut message = segment::parse(&value, clock, Some(self.input))?;
        message.received_at = match obj.get("receivedAt") {
            Some(Value::String(text)) => parse_instant(text).unwrap_or(self.now),
            _ => self.now,
        };
        if message.message_id.is_none() {
            message.message_id = Some(line_id.to_string());
        }
        Ok(Some(message))
    }
}

/// An error about one line (the ingest crate's JSON error speaks of a request body).
fn describe(error: &IngestError) -> String {
    match error {
        IngestError::InvalidJson(detail) => format!("not valid JSON: {detail}"),
        other => other.to_string(),
    }
}

/// Whether the message carries a `timestamp` or `originalTimestamp`.
fn has_timestamp(obj: &Map<String, Value>) -> bool {
    ["timestamp", "originalTimestamp"]
        .iter()
        .any(|f| !matches!(obj.get(*f), None | Some(Value::Null)))
}

/// Ingests one batch, waiting and retrying while the store is busy.
fn ingest_with_retry(
    store: &FjallStore,
    workspace: &str,
    parser: LineParser<'_>,
    batch: Batch,
) -> Result<waymark_store::IngestSummary> {
    let mut messages = batch.messages;
    let mut wait = Duration::from_millis(5);
    loop {
        match store.ingest(workspace, parser.input, messages) {
            Err(StoreError::Busy) => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(500));
                // `ingest` consumed the messages: parse their lines again.
                messages = Vec::new();
                let lines = batch.lines.split(|&b| b == b'\n').filter(|l| !l.is_empty());
                for (line, line_id) in lines.zip(&batch.line_ids) {
                    match parser.parse(line, line_id) {
                        Ok(Some(message)) => messages.push(message),
                        _ => bail!("a line parsed differently the second time"),
                    }
                }
            }
            other => return Ok(other?),
        }
    }
}

/// Everything the summary reports.
struct Summary<'a> {
    name: &'a str,
    workspace: &'a str,
    input: &'a str,
    counts: &'a Counts,
    stored: u64,
    duplicates: u64,
    elapsed: Duration,
}

fn print_summary(s: &Summary<'_>) {
    let rejected = s.counts.rejected_total();
    let by_code = if rejected == 0 {
        String::new()
    } else {
        let parts: Vec<String> = s
            .counts
            .rejected
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        format!(" ({})", parts.join(", "))
    };
    let secs = s.elapsed.as_secs_f64();
    let per_second = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    println!(
        "Imported {} into workspace `{}`, input `{}`",
        s.name, s.workspace, s.input
    );
    println!("  lines read:          {}", s.counts.read);
    println!("  stored:              {}", s.stored);
    println!("  duplicates skipped:  {}", s.duplicates);
    println!("  rejected:            {rejected}{by_code}");
    if s.counts.profile_lines > 0 {
        println!(
            "  profile lines:       {} (from an export; profiles are rebuilt from the events)",
            s.counts.profile_lines
        );
    }
    println!(
        "  elapsed:             {secs:.2} s ({:.0} lines/s, {:.0} stored/s)",
        per_second(s.counts.read),
        per_second(s.stored)
    );
}

/// The wall clock in milliseconds since the epoch.
fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
