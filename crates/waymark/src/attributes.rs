//! `--attributes FILE`, shared by `waymark audiences` and `waymark simulate`: computed
//! attribute definitions (SPEC §5) as `{"attributes": [...]}`.

use std::path::Path;

use anyhow::{Context, Result};
use waymark_engine::model::ComputedAttribute;
use waymark_engine::validate::{Limits, Problem, load_attributes};

/// Reads and validates a computed attributes file; prints every problem and returns `None`
/// when invalid.
pub fn load(path: &Path) -> Result<Option<Vec<ComputedAttribute>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(or_report(path, load_attributes(&text, &Limits::default())))
}

/// The loaded value, or `None` after printing every problem of the file at `path`.
pub fn or_report<T>(path: &Path, loaded: Result<T, Vec<Problem>>) -> Option<T> {
    match loaded {
        Ok(value) => Some(value),
        Err(problems) => {
            let plural = if problems.len() == 1 { "" } else { "s" };
            eprintln!("{}: {} problem{plural}", path.display(), problems.len());
            for problem in &problems {
                eprintln!("  {problem}");
            }
            None
        }
    }
}
