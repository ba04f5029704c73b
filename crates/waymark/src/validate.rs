//! `waymark validate FILE`: every problem in a journey, with its JSON path.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use waymark_engine::model::Journey;
use waymark_engine::validate::{Limits, load_journey};

/// Arguments of `waymark validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The journey JSON file.
    file: PathBuf,
}

/// Validates the file: exit 0 when valid, 1 with the problems on standard error otherwise.
pub fn run(args: Args) -> Result<ExitCode> {
    Ok(match load(&args.file)? {
        Some(journey) => {
            println!("{}: journey `{}` is valid", args.file.display(), journey.id);
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    })
}

/// Reads and validates a journey; prints every problem and returns `None` when invalid.
pub fn load(path: &Path) -> Result<Option<Journey>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match load_journey(&text, &Limits::default()) {
        Ok(journey) => Ok(Some(journey)),
        Err(problems) => {
            let plural = if problems.len() == 1 { "" } else { "s" };
            eprintln!("{}: {} problem{plural}", path.display(), problems.len());
            for problem in &problems {
                eprintln!("  {problem}");
            }
            Ok(None)
        }
    }
}
