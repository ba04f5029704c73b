//! `waymark simulate --journey J --events E [--until T]` (SPEC §12).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use waymark_engine::time::parse_instant;
use waymark_engine::trace::simulate_with_attributes;
use waymark_ingest::segment::{self, Clock};

use crate::validate::load;

/// Arguments of `waymark simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journey JSON file.
    #[arg(long)]
    journey: PathBuf,
    /// Segment-spec messages, one JSON object per line.
    #[arg(long)]
    events: PathBuf,
    /// Fire timers due up to this RFC 3339 instant (default: the last event's time).
    #[arg(long)]
    until: Option<String>,
    /// Computed attributes that `attribute` criteria read: `{"attributes": [...]}`.
    #[arg(long)]
    attributes: Option<PathBuf>,
}

/// Runs the simulation and prints the trace to standard output.
pub fn run(args: Args) -> Result<ExitCode> {
    let Some(journey) = load(&args.journey)? else {
        return Ok(ExitCode::from(1));
    };
    let attributes = match &args.attributes {
        Some(path) => match crate::attributes::load(path)? {
            Some(attributes) => attributes,
            None => return Ok(ExitCode::from(1)),
        },
        None => Vec::new(),
    };
    let until = match &args.until {
        Some(text) => Some(
            parse_instant(text)
                .with_context(|| format!("--until `{text}` is not an RFC 3339 time"))?,
        ),
        None => None,
    };
    let file = std::fs::File::open(&args.events)
        .with_context(|| format!("cannot open {}", args.events.display()))?;
    let mut events = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", args.events.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let msg = match segment::parse_history_line(&line, Clock::AsGiven) {
            Ok(msg) => msg,
            Err(e) => bail!("{} line {}: {e}", args.events.display(), n + 1),
        };
        let key = msg.identity.profile_key().unwrap_or_default().to_string();
        events.push((key, msg.event));
    }
    let trace = simulate_with_attributes(&journey, &attributes, events, until)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in &trace {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
