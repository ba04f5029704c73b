//! The `waymark` binary.

mod attributes;
mod audiences;
mod demo;
mod demo_cmd;
mod export;
mod import;
mod serve;
mod simulate;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Waymark: customer journey orchestration in one binary.
#[derive(Debug, Parser)]
#[command(name = "waymark", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server on the embedded store in a data directory.
    Serve(serve::Args),
    /// Run the server with a demo account, ~10,000 users of history, published sample
    /// journeys and live traffic.
    Demo(demo_cmd::Args),
    /// Dry-run a journey over Segment-spec NDJSON events; print the NDJSON trace.
    Simulate(simulate::Args),
    /// Evaluate audience definitions over Segment-spec NDJSON history as of one instant;
    /// print their sizes (and members) as JSON.
    Audiences(audiences::Args),
    /// Check a journey file; list every problem with its JSON path.
    Validate(validate::Args),
    /// Load Segment-spec NDJSON history into a workspace, with a progress bar and a summary.
    Import(import::Args),
    /// Write a workspace's profiles and their events as NDJSON.
    Export(export::Args),
    /// Print the admin API's OpenAPI document (what `/api/openapi.json` serves); the web
    /// UI's API types are generated from it.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo_cmd::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Audiences(args) => audiences::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Openapi => {
            let doc = waymark_server::openapi_document();
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
