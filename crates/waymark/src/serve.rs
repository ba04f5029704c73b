//! `waymark serve --data DIR [--config FILE]`: the HTTP server on the embedded store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use waymark_runtime::{Runtime, SystemClock};
use waymark_server::{AppState, Config, apply_config, apply_outputs, serve, shutdown_signal};
use waymark_store::Store;
use waymark_store::fjall::{FjallOptions, FjallStore};

/// Arguments of `waymark serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data directory (overrides `data` in the configuration; default `waymark-data`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (overrides `listen`; default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
}

/// Opens the store, applies the configuration and serves until Ctrl-C or SIGTERM.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(data) = args.data {
        config.data = data;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let _ = tracing_subscriber::fmt().with_target(false).try_init();
    let options = FjallOptions {
        queue_capacity: config.queue_capacity,
        ..FjallOptions::default()
    };
    let store = FjallStore::open_with(&config.data, options)
        .with_context(|| format!("cannot open the store in {}", config.data.display()))?;
    let boot = apply_config(&store, &config).context("cannot apply the configuration")?;
    let store: Arc<dyn Store> = Arc::new(store);
    let runtime = Runtime::start(
        Arc::clone(&store),
        Arc::new(SystemClock),
        config.runtime.clone(),
    )
    .context("cannot start the journey runtime")?;
    apply_outputs(&runtime, &config).context("cannot create the configured outputs")?;
    let state = AppState {
        store,
        limits: config.limits.to_ingest(),
        runtime: runtime.clone(),
        ingest_metrics: Default::default(),
    };
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tokio_rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let address = listener.local_addr()?;
        println!("Waymark is listening on http://{address}");
        println!("  data: {}", config.data.display());
        if let Some(token) = &boot.generated_token {
            let path = config.data.join("admin-token");
            std::fs::write(&path, format!("{token}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("  admin token (also in {}): {token}", path.display());
        }
        serve(listener, state, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    // Checkpointed on the way out, so that the next start replays nothing.
    runtime
        .checkpoint()
        .context("cannot write the checkpoints")?;
    println!("Waymark stopped");
    Ok(ExitCode::SUCCESS)
}
