//! `waymark export --workspace W [--output FILE|-]`: a workspace's profiles and events as
//! NDJSON (SPEC §13).
//!
//! For every profile, in the store's profile order: one `{"profile": {…}}` line (the
//! profile as the admin API shows it), then its events in time order as Segment-spec
//! messages:
//!
//! ```text
//! {"type", "event"? (track), "name"? (page/screen), "userId"?, "anonymousId"?,
//!  "previousId"? (alias), "groupId"? (group), "messageId", "timestamp", "receivedAt",
//!  "properties", "context", "traits"? (identify: the user's traits; group: the group's)}
//! ```
//!
//! Times are RFC 3339 in UTC. `waymark import` of an export skips the profile lines and
//! rebuilds the same profiles from the events: identifiers and merges, traits, consent,
//! counts and first/last seen. What it cannot carry:
//!
//! - the input each event came from (an import attributes every event to its `--input`);
//! - identities that only mParticle identity fields set (`customer_id`, `mpid`, …: events
//!   do not keep them; `email` comes back, from the traits);
//! - a trait's `since` when events originally arrived out of time order (the import replays
//!   them in time order), and identity decisions that depended on the order in which two
//!   different user ids' events arrived.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use waymark_engine::time::format_instant;
use waymark_server::ProfileView;
use waymark_store::{Store, StoredEvent};

use crate::import::{load_config, open_store};

/// Arguments of `waymark export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace to export.
    #[arg(long)]
    workspace: String,
    /// Data directory (overrides `data` in the configuration; default `waymark-data`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where to write the NDJSON (default `-`: standard output). A file is written under a
    /// temporary name and renamed when complete.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Writes the export and reports what it wrote on standard error.
pub fn run(args: Args) -> Result<ExitCode> {
    let config = load_config(args.config.as_deref(), args.data.clone())?;
    let store = open_store(&config, false)?;
    if store.workspace(&args.workspace)?.is_none() {
        let known: Vec<String> = store.workspaces()?.into_iter().map(|w| w.id).collect();
        bail!(
            "workspace `{}` does not exist (workspaces: {})",
            args.workspace,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    let started = Instant::now();
    let target = args.output.filter(|p| p != Path::new("-"));
    let (profiles, events) = match &target {
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let counts = write_export(&store, &args.workspace, &mut out)?;
            out.flush().context("cannot write to standard output")?;
            counts
        }
        Some(path) => export_to_file(&store, &args.workspace, path)?,
    };
    let shown = target.as_ref().map_or_else(
        || "standard output".to_string(),
        |p| p.display().to_string(),
    );
    eprintln!(
        "Exported {profiles} profiles and {events} events from workspace `{}` to {shown} in {:.2} s",
        args.workspace,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes to `path` through a temporary file beside it, renamed once complete.
fn export_to_file(store: &dyn Store, workspace: &str, path: &Path) -> Result<(u64, u64)> {
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let mut partial_name = file_name.to_os_string();
    partial_name.push(".partial");
    let partial = path.with_file_name(partial_name);
    let result = (|| {
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let counts = write_export(store, workspace, &mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", partial.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, path).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), path.display())
        })?;
        Ok(counts)
    })();
    if result.is_err() {
        // The partial file is useless; failing to remove it changes nothing.
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Writes every profile of the workspace with its events; returns (profiles, events).
pub(crate) fn write_export(
    store: &dyn Store,
    workspace: &str,
    out: &mut dyn Write,
) -> Result<(u64, u64)> {
    let mut profiles = 0u64;
    let mut events = 0u64;
    let mut failed: Option<anyhow::Error> = None;
    store.for_each_profile(workspace, &mut |profile, stored| {
        if failed.is_some() {
            return;
        }
        let result = (|| -> Result<()> {
            let line = ProfileLine {
                profile: ProfileView::from(profile),
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
            for event in stored {
                serde_json::to_writer(&mut *out, &segment_message(event))?;
                out.write_all(b"\n")?;
                events += 1;
            }
            profiles += 1;
            Ok(())
        })();
        if let Err(e) = result {
            failed = Some(e);
        }
    })?;
    match failed {
        Some(e) => Err(e.context("cannot write the export")),
        None => Ok((profiles, events)),
    }
}

/// `{"profile": …}`.
#[derive(Serialize)]
struct ProfileLine {
    profile: ProfileView,
}

/// A Segment-spec message, fields in the order Segment's documentation lists them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SegmentMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anonymous_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    timestamp: String,
    received_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    traits: Option<Value>,
    properties: Value,
    context: Value,
}

/// A stored event as the Segment-spec message that, imported, stores the same event.
fn segment_message(e: StoredEvent) -> SegmentMessage {
    let kind = e.kind.as_str();
    let prop_string = |key: &str| e.properties.get(key).filter(|v| v.is_string()).cloned();
    let page_or_screen = matches!(kind, "page" | "screen");
    let traits = match kind {
        // The user's traits as stored: `context.traits` overlaid with the call's own, which
        // an import overlays again, to the same result.
        "identify" => Some(Value::Object(e.traits)),
        // The group's traits, which the store keeps in the properties.
        "group" => e
            .properties
            .get("traits")
            .filter(|t| t.is_object())
            .cloned(),
        _ => None,
    };
    SegmentMessage {
        event: if kind == "track" { e.name } else { None },
        name: if page_or_screen {
            prop_string("name")
        } else {
            None
        },
        category: if page_or_screen {
            prop_string("category")
        } else {
            None
        },
        group_id: if kind == "group" {
            prop_string("groupId")
        } else {
            None
        },
        user_id: e.user_id,
        anonymous_id: e.anonymous_id,
        previous_id: e.previous_id,
        message_id: e.message_id,
        timestamp: format_instant(e.timestamp),
        received_at: format_instant(e.received_at),
        traits,
        properties: e.properties,
        context: e.context,
        kind: e.kind,
    }
}
