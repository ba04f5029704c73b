//! NDJSON appended to a local file.

use crate::delivery::Delivery;
use crate::output::{Outcome, Output, SendError};
use crate::payload;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// An output that appends each delivery's message as one JSON line to a file.
///
/// The parent directories are created as needed and the file is opened in append mode, so
/// each line goes to the end with a single `write` per delivery. **fsync policy:** once per
/// [`Output::send`], after the last line (`sync_data`), before reporting success; a crash
/// before that may lose the lines of the send in progress, which are then retried and may
/// appear twice (delivery is at least once; `messageId` tells repeats apart).
#[derive(Debug, Clone)]
pub struct FileOutput {
    path: PathBuf,
}

impl FileOutput {
    /// A file output appending to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

/// Appends one line per delivery, then syncs; lines count as sent only once synced.
fn append(path: &Path, deliveries: &[Delivery]) -> Outcome {
    let mut file = match open(path) {
        Ok(file) => file,
        Err(error) => return Outcome::failed(0, error.into()),
    };
    let mut written = 0;
    let mut error = None;
    for delivery in deliveries {
        match write_line(&mut file, delivery) {
            Ok(()) => written += 1,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    match (file.sync_data(), error) {
        (Ok(()), None) => Outcome::success(written),
        (Ok(()), Some(error)) => Outcome::failed(written, error),
        // Nothing written by this send is known to be durable.
        (Err(error), _) => Outcome::failed(0, error.into()),
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

fn write_line(file: &mut File, delivery: &Delivery) -> Result<(), SendError> {
    let mut line = payload::message(delivery)?.to_string().into_bytes();
    line.push(b'\n');
    file.write_all(&line)?;
    Ok(())
}

impl Output for FileOutput {
    async fn send(&self, deliveries: &[Delivery]) -> Outcome {
        let path = self.path.clone();
        let deliveries = deliveries.to_vec();
        match tokio::task::spawn_blocking(move || append(&path, &deliveries)).await {
            Ok(outcome) => outcome,
            Err(join) => Outcome::failed(0, std::io::Error::other(join.to_string()).into()),
        }
    }
}
