//! The web UI (`ui/`), tested from `cargo test` like everything else:
//!
//! - the committed build (`ui/dist`, embedded in the binary) and the committed API types are
//!   exactly what the sources and `waymark openapi` give today;
//! - the Vitest component tests (the criteria builder's JSON round trip);
//! - the Playwright browser flow (`ui/e2e/main.mjs`) in Debian's Chromium against a real
//!   `waymark serve`, with screenshots in `target/ui-artifacts/`.
//!
//! The npm packages are installed with `npm ci` from `ui/package-lock.json` into
//! `target/tmp/waymark-ui/` on first use; the sources are copied next to them, so the tests
//! never write into `ui/`. A missing `node`, `npm`, registry or Chromium fails these tests,
//! it never skips them (`.ci/run` installs Chromium).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::live::{Server, write_config};
use crate::support::{run, scratch_dir, waymark, workspace_root};

const TOKEN: &str = "wm_ui_account";
const WS_TOKEN: &str = "wm_ui_blog";
const WRITE_KEY: &str = "wk_ui_shop";

/// Two workspaces with a web input each, an account token, a token of the blog workspace,
/// loopback webhooks allowed (the browser test's receiver) and fast timers.
const CONFIG: &str = r#"
[[workspaces]]
id = "shop"
name = "Shop"

[[workspaces]]
id = "blog"
name = "Blog"

[[inputs]]
workspace = "shop"
id = "web"
name = "Shop web"
kind = "web"
write_key = "wk_ui_shop"

[[inputs]]
workspace = "blog"
id = "web"
name = "Blog web"
kind = "web"
write_key = "wk_ui_blog"

[[tokens]]
name = "ui account"
token = "wm_ui_account"

[[tokens]]
name = "blog team"
token = "wm_ui_blog"
workspace = "blog"

[runtime]
allow_private = ["127.0.0.0/8"]
timer_grace_ms = 100
"#;

fn ui_dir() -> PathBuf {
    workspace_root().join("ui")
}

static WORKDIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// A copy of `ui/` (without `node_modules` and `dist`) whose `node_modules` links to the
/// packages installed from the lock file.
fn workdir() -> &'static Path {
    match WORKDIR.get_or_init(prepare) {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

fn prepare() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("waymark-ui");
    let modules = install_modules(&root)?;
    let work = root.join(format!("work-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_tree(&ui_dir(), &work)?;
    std::os::unix::fs::symlink(modules.join("node_modules"), work.join("node_modules"))
        .map_err(|e| format!("cannot link node_modules into {}: {e}", work.display()))?;
    Ok(work)
}

/// `npm ci` into `root/modules-<hash of the lock file>` unless that is complete already; the
/// install goes to a private directory renamed into place, so concurrent runs never see half
/// of one.
fn install_modules(root: &Path) -> Result<PathBuf, String> {
    let mut hasher = DefaultHasher::new();
    for file in ["package.json", "package-lock.json"] {
        let path = ui_dir().join(file);
        std::fs::read(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .hash(&mut hasher);
    }
    let done = root.join(format!("modules-{:016x}", hasher.finish()));
    if done.join(".complete").exists() {
        return Ok(done);
    }
    let staging = root.join(format!("modules.installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(ui_dir().join(file), staging.join(file))
            .map_err(|e| format!("cannot copy ui/{file}: {e}"))?;
    }
    let started = Instant::now();
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&staging)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run npm (the UI tests need node and npm): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm ci of ui/package-lock.json failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    std::fs::write(staging.join(".complete"), "").map_err(|e| e.to_string())?;
    if done.exists() && !done.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&done);
    }
    if std::fs::rename(&staging, &done).is_err() && !done.join(".complete").exists() {
        return Err(format!("cannot move {} into place", staging.display()));
    }
    let _ = std::fs::remove_dir_all(&staging);
    eprintln!(
        "installed the UI's npm packages in {:.1}s into {}",
        started.elapsed().as_secs_f64(),
        done.display()
    );
    Ok(done)
}

/// Copies the UI sources: everything but installed packages, builds and artifacts.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        if ["node_modules", "dist", "artifacts"]
            .iter()
            .any(|skip| name == *skip)
        {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

/// Runs a command in the work directory, killing it after `limit`.
fn run_in_work(mut cmd: Command, limit: Duration) -> Output {
    let shown = format!("{cmd:?}");
    let child = cmd
        .current_dir(workdir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {shown} (the UI tests need node and npm): {e}"));
    let pid = child.id();
    let started = Instant::now();
    let guard = std::thread::spawn(move || {
        while started.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(200));
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
        }
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    });
    let out = child.wait_with_output().expect("wait for the command");
    let _ = guard.join();
    assert!(
        started.elapsed() < limit,
        "{shown} did not finish within {limit:?}"
    );
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir`, as (relative path, bytes), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn ui_committed_build_and_api_types_match_the_sources() {
    // The API document the UI's types are generated from is the binary's.
    let doc = run(waymark().arg("openapi"));
    assert!(doc.status.success(), "waymark openapi failed");
    let committed = std::fs::read_to_string(ui_dir().join("openapi.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&doc.stdout).trim(),
        committed.trim(),
        "ui/openapi.json is not what `waymark openapi` prints: run `npm --prefix ui run gen:api` and rebuild the UI"
    );
    // Types and assets rebuilt from the sources are byte for byte the committed ones.
    let mut build = Command::new("npm");
    build.args(["run", "build", "--silent"]);
    let out = run_in_work(build, Duration::from_secs(300));
    assert!(
        out.status.success(),
        "npm run build failed:\n{}",
        text(&out)
    );
    let types = "src/api/schema.d.ts";
    assert_eq!(
        std::fs::read_to_string(workdir().join(types)).unwrap(),
        std::fs::read_to_string(ui_dir().join(types)).unwrap(),
        "ui/{types} is stale: run `npm --prefix ui run build`"
    );
    let built = files(&workdir().join("dist"));
    let committed = files(&ui_dir().join("dist"));
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&built),
        names(&committed),
        "ui/dist does not match the sources: run `npm --prefix ui run build` and commit ui/dist"
    );
    for ((name, a), (_, b)) in built.iter().zip(&committed) {
        assert!(
            a == b,
            "ui/dist/{name} differs from a fresh build: run `npm --prefix ui run build` and commit ui/dist"
        );
    }
    assert!(built.iter().any(|(n, _)| n == "index.html"));
}

#[test]
fn ui_component_tests() {
    let mut vitest = Command::new("node");
    vitest.args(["node_modules/vitest/vitest.mjs", "run"]);
    let out = run_in_work(vitest, Duration::from_secs(300));
    let log = text(&out);
    eprintln!("{log}");
    assert!(out.status.success(), "vitest failed:\n{log}");
    assert!(
        log.contains("passed") && !log.contains("failed"),
        "vitest ran no test:\n{log}"
    );
}

/// Runs a browser script of `ui/e2e` against a fresh `waymark serve` with `config`, with
/// screenshots in `target/ui-artifacts/<name>/`, and checks that it printed `marker`.
fn browser_flow(name: &str, script: &str, config: &str, marker: &str, screens: &[&str]) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium at {chromium}: `apt-get install chromium` (.ci/run does)"
    );
    let dir = scratch_dir(name);
    let config = write_config(&dir, config);
    let server = Server::start(&dir.join("data"), &config);
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("ui-artifacts")
        .join(name);
    let _ = std::fs::remove_dir_all(&artifacts);
    let mut e2e = Command::new("node");
    e2e.arg(script)
        .env("WAYMARK_URL", format!("http://{}", server.addr))
        .env("WAYMARK_TOKEN", TOKEN)
        .env("WAYMARK_WS_TOKEN", WS_TOKEN)
        .env("WAYMARK_WRITE_KEY", WRITE_KEY)
        .env("CHROMIUM", &chromium)
        .env("UI_ARTIFACTS", &artifacts);
    let started = Instant::now();
    let out = run_in_work(e2e, Duration::from_secs(400));
    let log = text(&out);
    eprintln!(
        "{log}\n{script} took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "the browser flow {script} failed (screenshots in {}):\n{log}\nserver output:\n{}",
        artifacts.display(),
        server.output()
    );
    assert!(log.contains(marker), "{log}");
    for screen in screens {
        assert!(
            artifacts.join(format!("{screen}.png")).exists(),
            "no screenshot {screen}"
        );
    }
}

#[test]
fn ui_browser_main_flow() {
    browser_flow(
        "main",
        "e2e/main.mjs",
        CONFIG,
        "main flow passed",
        &[
            "02-journeys-list",
            "06-canvas-built",
            "07-canvas-live-stats",
        ],
    );
}

/// Estimates of a draft's steps and the criteria builder's live count over a population sent
/// by the Segment client, then a published journey's statistics (`ui/e2e/estimates.mjs`).
#[test]
fn ui_browser_estimates_and_statistics() {
    browser_flow(
        "estimates",
        "e2e/estimates.mjs",
        CONFIG,
        "estimates and statistics flow passed",
        &[
            "e1-draft-estimates",
            "e2-live-count-errors",
            "e3-saved-estimates",
            "e4-preview",
            "e5-statistics",
            "e5b-statistics-entries",
            "e5c-statistics-deliveries",
            "e6-audience-live-count",
        ],
    );
}

/// The seeds' six example journeys (`ui/e2e/seeds.mjs`) are published in one workspace and
/// use more active audiences than the default limits allow.
#[test]
fn ui_browser_seed_journeys() {
    let config = format!(
        "{}active_audience_limit = 50\npublished_journeys_per_workspace = 10\n",
        CONFIG
    );
    browser_flow(
        "seeds",
        "e2e/seeds.mjs",
        &config,
        "seed journeys passed",
        &[
            "s1-cart-abandonment",
            "s2-trial-to-paid",
            "s3b-onboarding-new-version",
            "s4-consent-channel",
            "s5a-post-purchase-simulated",
            "s6-live-milestones",
            "s7-profile-journeys",
        ],
    );
}
