//! Running the real binary and checking how it ended.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A command for the `waymark` binary Cargo built for these tests.
pub fn waymark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waymark"))
}

/// Runs a command to completion, capturing its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// The workspace root (`crates/waymark/../..`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// A fresh, empty scratch directory for one test.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("waymark-it")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command failed with an exit code (not a signal), did not panic, and its standard error
/// mentions every one of `mentions`.
pub fn assert_clean_failure(out: &Output, mentions: &[&str]) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected a non-zero exit, got {}; stderr:\n{err}",
        out.status
    );
    assert!(
        out.status.code().is_some(),
        "expected an exit code, the process was killed: {}; stderr:\n{err}",
        out.status
    );
    assert!(!err.contains("panicked"), "the binary panicked:\n{err}");
    for m in mentions {
        assert!(err.contains(m), "stderr does not mention `{m}`:\n{err}");
    }
}
