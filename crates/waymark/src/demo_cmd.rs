//! `waymark demo`: the server on a fresh (or given) data directory with the demo account,
//! about 10,000 users of generated history, the sample journeys published with file and list
//! outputs, and a live trickle of new events so that deliveries keep arriving.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde_json::json;
use waymark_runtime::{Clock, Owner, Runtime, RuntimeConfig, SystemClock};
use waymark_server::{AppState, serve, shutdown_signal};
use waymark_store::fjall::FjallStore;
use waymark_store::{AdminToken, Input, InputKind, Store, TokenScope, Workspace};

use crate::demo;

/// The demo's admin token (account-wide; local use only).
const TOKEN: &str = "demo_admin_token";
/// The generator's seed.
const SEED: u64 = 42;
/// Days of history before now.
const HISTORY_DAYS: i64 = 30;
/// The document that marks a data directory as seeded.
const SEEDED: (&str, &str) = ("demo", "seeded");

/// Arguments of `waymark demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data directory (default: a new one under the system's temporary directory).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Users in the generated history.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Live events per second after start-up (0: none).
    #[arg(long, default_value_t = 20)]
    rate: u32,
}

/// Seeds (once) and serves the demo until Ctrl-C.
pub fn run(args: Args) -> Result<ExitCode> {
    let _ = tracing_subscriber::fmt().with_target(false).try_init();
    let data = args.data.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("waymark-demo-{}", std::process::id()))
    });
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    let store: Arc<dyn Store> = Arc::new(
        FjallStore::open(&data)
            .with_context(|| format!("cannot open the store in {}", data.display()))?,
    );
    let config = RuntimeConfig {
        active_audience_limit: 50,
        published_journeys_per_workspace: 10,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(Arc::clone(&store), Arc::new(SystemClock), config)
        .context("cannot start the journey runtime")?;
    let seeded = store.document(SEEDED.0, SEEDED.1)?.is_some();
    if seeded {
        println!("Using the demo data already in {}", data.display());
    } else {
        seed(store.as_ref(), &runtime, &data, args.users)?;
    }
    let state = AppState {
        store: Arc::clone(&store),
        limits: waymark_ingest::Limits::default(),
        runtime,
        ingest_metrics: Default::default(),
    };
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if args.rate > 0 {
        let live_store = Arc::clone(&store);
        let (users, rate) = (args.users, args.rate);
        std::thread::Builder::new()
            .name("demo-live".into())
            .spawn(move || trickle(live_store.as_ref(), users, rate))
            .context("cannot start the live generator")?;
    }
    tokio_rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        print_welcome(&address.to_string(), &data);
        serve(listener, state, shutdown_signal()).await?;
        println!("Waymark demo stopped; its data stays in {}", data.display());
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The account, the history, the outputs and the published journeys.
fn seed(store: &dyn Store, runtime: &Runtime, data: &Path, users: usize) -> Result<()> {
    for ws in demo::WORKSPACES {
        store.create_workspace(Workspace {
            id: ws.id.into(),
            name: ws.name.into(),
        })?;
        for input in ws.inputs {
            store.create_input(Input {
                workspace: ws.id.into(),
                id: input.id.into(),
                name: input.name.into(),
                kind: kind(input.kind)?,
                write_key: input.write_key.into(),
                secret: None,
            })?;
        }
    }
    store.put_token(AdminToken {
        secret_sha256: waymark_server::token_hash(TOKEN),
        name: "demo".into(),
        scope: TokenScope::Account,
    })?;
    let now = SystemClock.now();
    let started = Instant::now();
    let history = demo::history(SEED, users, now - HISTORY_DAYS * 86_400_000, now);
    let count = history.len();
    ingest(store, history)?;
    println!(
        "Generated {count} events for {users} users over {HISTORY_DAYS} days in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    runtime
        .create_output(
            Owner::Account,
            json!({
            "id": "demo-file", "name": "Demo file", "kind": "file",
            "path": data.join("deliveries.ndjson").display().to_string(),
            }),
        )
        .map_err(|e| anyhow!("{e}"))?;
    runtime
        .create_output(
            Owner::Account,
            json!({"id": "demo-list", "name": "Demo list", "kind": "list"}),
        )
        .map_err(|e| anyhow!("{e}"))?;
    for (id, text) in demo::journeys() {
        let definition: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("journey {id}"))?;
        runtime
            .create_journey(Owner::Account, definition)
            .map_err(|e| anyhow!("journey {id}: {e}"))?;
        let started = Instant::now();
        runtime
            .publish(id, true)
            .map_err(|e| anyhow!("publishing {id}: {e}"))?;
        println!(
            "Published {id} with a backfill over the history in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    store.write_documents(vec![waymark_store::DocumentWrite {
        collection: SEEDED.0.into(),
        id: SEEDED.1.into(),
        body: Some(json!({"at": now, "users": users})),
    }])?;
    Ok(())
}

fn kind(name: &str) -> Result<InputKind> {
    serde_json::from_value(json!(name)).map_err(|_| anyhow!("unknown input kind {name}"))
}

/// Stores messages in time order, a window of them at a time: within a window, one batch
/// per workspace and input (so one commit carries many messages).
fn ingest(store: &dyn Store, messages: Vec<demo::DemoMessage>) -> Result<()> {
    const WINDOW: usize = 2_000;
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let mut batches: Vec<((&str, &str), Vec<waymark_engine::Message>)> = Vec::new();
        for m in messages.by_ref().take(WINDOW) {
            let target = (m.workspace, m.input);
            match batches.iter_mut().find(|(t, _)| *t == target) {
                Some((_, batch)) => batch.push(m.message),
                None => batches.push((target, vec![m.message])),
            }
        }
        for ((ws, input), batch) in batches {
            store.ingest(ws, input, batch)?;
        }
    }
    Ok(())
}

/// Sends live events, about `rate` a second, as their time comes, forever.
fn trickle(store: &dyn Store, users: usize, rate: u32) {
    let mut live = demo::Trickle::new(SEED, users, rate, SystemClock.now());
    loop {
        let started = Instant::now();
        if let Err(e) = ingest(store, live.due(SystemClock.now())) {
            eprintln!("demo: live events were not stored: {e}");
        }
        std::thread::sleep(Duration::from_millis(250).saturating_sub(started.elapsed()));
    }
}

fn print_welcome(address: &str, data: &Path) {
    let base = format!("http://{address}");
    println!();
    println!("Waymark is listening on {base}");
    println!("  UI and API:     {base}/  (sign in with the admin token)");
    println!("  admin token:    {TOKEN}");
    println!("  data:           {}", data.display());
    println!(
        "  deliveries:     {}",
        data.join("deliveries.ndjson").display()
    );
    println!();
    println!("Try:");
    println!("  curl -H 'authorization: Bearer {TOKEN}' {base}/api/journeys");
    println!(
        "  curl -H 'authorization: Bearer {TOKEN}' {base}/api/journeys/cart-abandonment/stats"
    );
    println!("  curl -H 'authorization: Bearer {TOKEN}' {base}/api/outputs/demo-list/members.csv");
    println!("  curl -u demo_shop_web_key: -H 'content-type: application/json' {base}/v1/track \\");
    println!("       -d '{{\"userId\":\"user-00042\",\"event\":\"Product Added\"}}'");
    println!("  tail -f {}", data.join("deliveries.ndjson").display());
    println!("  curl {base}/metrics");
}
