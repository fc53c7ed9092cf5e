//! Command-line parsing and the subcommands scripts use.

use crate::context::Context;
use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;

/// keyfolio: connect exchange accounts and keep a portfolio synced, in the terminal.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Run against the built-in exchange simulator with a throwaway data directory.
    #[arg(long, global = true)]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List connections.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show which secret store is in use, whether it answers, the data paths and schema version.
    Doctor,
}

/// Exit codes scripts can rely on.
pub mod exit {
    pub const OK: i32 = 0;
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const REJECTED: i32 = 3;
    pub const UNAVAILABLE: i32 = 4;
}

/// Runs one subcommand; returns the process exit code.
pub async fn run(ctx: Context, command: Command) -> Result<i32> {
    match command {
        Command::List { json } => list(&ctx, json).await,
        Command::Doctor => doctor(&ctx).await,
    }
}

async fn list(ctx: &Context, as_json: bool) -> Result<i32> {
    let connections = ctx.connections().await?;
    let state = crate::app::state::State::new(
        chrono::Utc::now(),
        *chrono::Local::now().offset(),
        ctx.config.sync_interval(),
    );
    if as_json {
        let rows: Vec<_> = connections
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "exchange": c.exchange.id(),
                    "label": c.label,
                    "status": state.status(c).label(),
                    "key_hint": c.key_hint,
                    "last_synced_at": c.last_synced_at.map(|t| t.to_rfc3339()),
                    "last_attempt_at": c.last_attempt_at.map(|t| t.to_rfc3339()),
                    "last_error": c.last_error.as_ref().map(|e| json!({"kind": e.kind.code(), "message": e.message})),
                    "failure_streak": c.failure_streak,
                    "endpoint": c.endpoint.base_url,
                    "sandbox": c.endpoint.sandbox,
                    "permissions": c.permissions.map(|p| json!({
                        "read": p.read, "trade": p.trade, "withdraw": p.withdraw, "ip_restricted": p.ip_restricted
                    })),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if connections.is_empty() {
        println!("No connections. Connect one with `keyfolio connect binance|okx` or in the app.");
    } else {
        for c in &connections {
            println!(
                "{:>4}  {:<8} {:<20} {:<28} ••••{}  last sync {}",
                c.id,
                c.exchange.name(),
                c.label,
                state.status(c).label(),
                c.key_hint,
                c.last_synced_at.map_or("never".into(), |t| t.to_rfc3339()),
            );
        }
    }
    Ok(exit::OK)
}

async fn doctor(ctx: &Context) -> Result<i32> {
    println!("config file:   {}", ctx.paths.config_file().display());
    println!("database:      {}", ctx.paths.database().display());
    println!("logs:          {}", ctx.paths.log_dir.display());
    println!(
        "schema:        version {}",
        ctx.with_db(|db| db.schema_version()).await?
    );
    println!(
        "integrity:     {}",
        ctx.with_db(|db| db.integrity_check()).await?
    );
    println!("secret store:  {}", ctx.secrets.describe());
    match ctx.secrets.probe().await {
        Ok(()) => {
            println!("secret store answers: yes");
            Ok(exit::OK)
        }
        Err(e) => {
            println!("secret store answers: NO: {e}");
            Ok(exit::UNAVAILABLE)
        }
    }
}
