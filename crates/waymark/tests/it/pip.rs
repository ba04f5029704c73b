//! Python packages the tests run, installed once per target directory from a pinned
//! requirements file with `pip install --target` into `target/tmp/<root>/py-<hash of the
//! pins>`. The install goes to a private staging directory renamed into place, so parallel
//! test processes never see half an install; a missing python3, pip or registry fails the
//! tests that need it, it never skips them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `--target` directory holding what `requirements` pins (installed on first use).
pub(crate) fn pip_target(root: &str, requirements: &Path) -> Result<PathBuf, String> {
    let pins = std::fs::read(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let mut hasher = DefaultHasher::new();
    pins.hash(&mut hasher);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(root);
    let done = root.join(format!("py-{:016x}", hasher.finish()));
    if done.join(".complete").exists() {
        return Ok(done);
    }
    let staging = root.join(format!("py.installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let out = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
        ])
        .arg(&staging)
        .arg("-r")
        .arg(requirements)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run python3 -m pip (these tests need it): {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!(
            "pip could not install {} ({}):\n{}{}",
            requirements.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(staging.join(".complete"), "")
        .map_err(|e| format!("cannot write in {}: {e}", staging.display()))?;
    if std::fs::rename(&staging, &done).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        if !done.join(".complete").exists() {
            return Err(format!("cannot move the install to {}", done.display()));
        }
    }
    Ok(done)
}
