//! Tools the tests run that come from a package registry (the real analytics clients, the
//! webhook receiver's library, statsmodels), installed once per target directory from
//! pinned files into `target/tmp/<root>/<kind>-<hash of the pin files>`. An install goes to
//! a private directory renamed into place at the end, so concurrent test processes never see
//! half of one; a missing toolchain or registry fails the tests that need it, it never
//! skips them.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Runs `installer` into a fresh directory unless an install of the same pins is complete,
/// and answers where it is.
pub(crate) fn install(
    root: &str,
    kind: &str,
    pins_dir: &Path,
    pin_files: &[&str],
    installer: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let mut hasher = DefaultHasher::new();
    for file in pin_files {
        let path = pins_dir.join(file);
        let text = std::fs::read(&path)
            .map_err(|e| format!("cannot read the pin file {}: {e}", path.display()))?;
        text.hash(&mut hasher);
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(root);
    let done = root.join(format!("{kind}-{:016x}", hasher.finish()));
    if done.join(".complete").exists() {
        return Ok(done);
    }
    let staging = root.join(format!("{kind}.installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let started = Instant::now();
    if let Err(e) = installer(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    std::fs::write(staging.join(".complete"), "")
        .map_err(|e| format!("cannot write in {}: {e}", staging.display()))?;
    if done.exists() && !done.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&done);
    }
    match std::fs::rename(&staging, &done) {
        Ok(()) => {}
        // Another process finished first: use its install.
        Err(_) if done.join(".complete").exists() => {
            let _ = std::fs::remove_dir_all(&staging);
        }
        Err(e) => {
            return Err(format!(
                "cannot move {} to {}: {e}",
                staging.display(),
                done.display()
            ));
        }
    }
    eprintln!(
        "installed {kind} in {:.1}s into {}",
        started.elapsed().as_secs_f64(),
        done.display()
    );
    Ok(done)
}

/// Runs an installer command; its output is shown when it fails.
pub(crate) fn run_installer(mut cmd: Command, what: &str) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| {
        format!("cannot install {what}: cannot run {shown}: {e}. These tests need it installed.")
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "cannot install {what}: {shown} exited with {}.\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// The `pip install --target` directory holding what `requirements` pins.
pub(crate) fn pip_target(root: &str, requirements: &Path) -> Result<PathBuf, String> {
    let (dir, file) = (
        requirements.parent().unwrap_or(Path::new(".")),
        requirements
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default(),
    );
    install(root, "py", dir, &[file], |target| {
        let mut cmd = Command::new("python3");
        cmd.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-warn-script-location",
            "--target",
        ])
        .arg(target)
        .arg("-r")
        .arg(requirements)
        .env("PIP_ROOT_USER_ACTION", "ignore");
        run_installer(
            cmd,
            &format!("{} (python3 with pip, and PyPI)", requirements.display()),
        )
    })
}
