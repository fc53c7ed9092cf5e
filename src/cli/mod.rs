//! Command-line parsing and the subcommands scripts use.

use crate::context::{ConnectError, Context};
use crate::model::profile::profile;
use crate::model::{
    AccountSnapshot, CredentialField, Credentials, Endpoint, ExchangeId, Failure, display_amount,
};
use crate::store::SecretError;
use crate::text::MAX_CREDENTIAL_CHARS;
use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;

/// `keyfolio --version`: the package version and the commit it was built from, e.g.
/// `0.2.0 (a77a8c7 2026-12-03)` (build.rs; the version alone when neither git nor
/// `cargo package`'s record of the commit was there at build time).
pub const VERSION: &str = env!("KEYFOLIO_VERSION");

/// Prints a line on standard output through the terminal edge's sanitiser.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", crate::text::for_terminal(&format!($($arg)*)))
    };
}

/// Prints a line on standard error through the terminal edge's sanitiser.
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", crate::text::for_terminal(&format!($($arg)*)))
    };
}

mod args;
mod audit;
mod connections;
mod docs;
pub mod exit;
mod output;
mod portfolio;

use args::*;
pub use args::{Cli, Command, CredentialArgs, KeyArgs, UsageError, resolve_secret};
use audit::*;
use connections::*;
pub use docs::print_docs;
pub use exit::error_code;
use exit::{explain, failure_code, sync_code};
use output::*;
use portfolio::*;

/// Runs one subcommand; returns the process exit code.
pub async fn run(ctx: Context, command: Command) -> Result<i32> {
    if matches!(
        command,
        Command::Connect { .. }
            | Command::Rotate { .. }
            | Command::Sync { .. }
            | Command::Disconnect { .. }
    ) {
        // Finish what an interrupted connect or rotate left: a secret whose row was never
        // written, or a replaced key's entry not yet deleted.
        if let Err(e) = ctx.clean_orphans().await {
            tracing::warn!("could not check for orphaned secrets: {e:#}");
        }
    }
    match command {
        Command::List { json } => list(&ctx, json).await,
        Command::Portfolio { json, csv, quote } => {
            portfolio(&ctx, Format::of(json, csv), quote.as_deref()).await
        }
        Command::History { json, csv, since } => {
            history(&ctx, Format::of(json, csv), since.as_deref()).await
        }
        Command::Doctor { json } => doctor(&ctx, json).await,
        Command::Audit { json } => audit(&ctx, json).await,
        Command::Validate {
            exchange,
            creds,
            json,
        } => {
            let (creds, endpoint) = creds.read(exchange)?;
            match ctx.validate(exchange, &endpoint, &creds).await {
                Ok(snapshot) if json => {
                    print_json(&validated_json(exchange, &creds, &snapshot))?;
                    Ok(exit::OK)
                }
                Ok(snapshot) => {
                    print_validated(exchange, &creds, &snapshot);
                    Ok(exit::OK)
                }
                Err(f) => report_failure(exchange, &f, json),
            }
        }
        Command::Connect {
            exchange,
            label,
            key,
            json,
        } => {
            let (creds, endpoint) = key.creds.read(exchange)?;
            let label = match label {
                Some(l) if !l.trim().is_empty() => {
                    crate::text::check_label(l.trim()).map_err(usage)?;
                    l.trim().to_string()
                }
                _ => ctx.suggest_label(exchange).await?,
            };
            match ctx
                .connect(
                    exchange,
                    &label,
                    &endpoint,
                    &creds,
                    key.accept_withdraw_risk,
                )
                .await
            {
                Ok((id, snapshot)) if json => {
                    let mut out = validated_json(exchange, &creds, &snapshot);
                    out["id"] = json!(id);
                    out["label"] = json!(label);
                    print_json(&out)?;
                    Ok(exit::OK)
                }
                Ok((id, snapshot)) => {
                    print_validated(exchange, &creds, &snapshot);
                    say!("connected {label} as connection {id}");
                    Ok(exit::OK)
                }
                Err(e) => report_refusal(exchange, e, json),
            }
        }
        Command::Rotate { id, key, json } => {
            let record = ctx.with_db(move |db| db.connection(id)).await?;
            let exchange = record.exchange;
            let (creds, endpoint) = key.creds.read(exchange)?;
            // Without --endpoint or --sandbox the new key goes where the old one went.
            let endpoint = (endpoint.base_url.is_some() || endpoint.sandbox).then_some(endpoint);
            match ctx
                .rotate(id, endpoint.as_ref(), &creds, key.accept_withdraw_risk)
                .await
            {
                Ok((stored, snapshot)) if json => {
                    let mut out = validated_json(exchange, &creds, &snapshot);
                    out["id"] = json!(id);
                    out["label"] = json!(stored.label);
                    out["old_key_hint"] = json!(record.key_hint);
                    print_json(&out)?;
                    Ok(exit::OK)
                }
                Ok((stored, snapshot)) => {
                    print_validated(exchange, &creds, &snapshot);
                    say!(
                        "replaced the key of {} (connection {id}): ••••{} → ••••{}; also delete the old key on {}",
                        stored.label,
                        record.key_hint,
                        stored.key_hint,
                        exchange.name()
                    );
                    Ok(exit::OK)
                }
                Err(e) => report_refusal(exchange, e, json),
            }
        }
        Command::Sync { ids, all, json } => sync(ctx, ids, all, json).await,
        Command::Balances { id, json, csv } => balances(&ctx, id, Format::of(json, csv)).await,
        Command::Disconnect {
            id,
            yes,
            purge,
            json,
        } => {
            let record = ctx.with_db(move |db| db.connection(id)).await?;
            let result = |disconnected: bool| {
                json!({
                    "id": id,
                    "exchange": record.exchange.id(),
                    "label": record.label,
                    "disconnected": disconnected,
                    "purged": disconnected && purge,
                })
            };
            // With --json the question goes to standard error, so standard output stays JSON.
            if !yes
                && !confirm(
                    &format!(
                        "Disconnect {} · {}{}? [y/N] ",
                        record.exchange.name(),
                        record.label,
                        if purge { " and delete its history" } else { "" }
                    ),
                    json,
                )?
            {
                if json {
                    print_json(&result(false))?;
                } else {
                    say!("nothing changed");
                }
                return Ok(exit::OK);
            }
            ctx.disconnect(id, purge).await?;
            if json {
                print_json(&result(true))?;
            } else {
                say!(
                    "disconnected {}; also delete or restrict the key on {}",
                    record.label,
                    record.exchange.name()
                );
            }
            Ok(exit::OK)
        }
        Command::Interval { id, seconds, json } => {
            let secs = match seconds.as_str() {
                "default" => None,
                text => match text.parse::<u64>() {
                    Ok(n) if n >= 10 => Some(n),
                    _ => {
                        return Err(usage(
                            "the interval is a number of seconds (at least 10) or `default`",
                        ));
                    }
                },
            };
            ctx.with_db(move |db| db.set_interval(id, secs)).await?;
            let global = ctx.config.sync_interval().as_secs();
            if json {
                print_json(&json!({
                    "id": id,
                    "interval_secs": secs,
                    "effective_secs": secs.unwrap_or(global),
                }))?;
                return Ok(exit::OK);
            }
            match secs {
                Some(n) => say!("connection {id} syncs every {n} s"),
                None => say!("connection {id} follows the global interval ({global} s)"),
            }
            Ok(exit::OK)
        }
        Command::Completions { .. } | Command::Man | Command::Exchanges { .. } => {
            print_docs(&command).unwrap_or(Ok(exit::OK))
        }
        Command::Sim {
            port,
            latency_ms,
            accounts,
        } => {
            let sim = crate::exchange::sim::Simulator::start(port).await?;
            sim.set_latency_ms(latency_ms);
            for account in crate::exchange::sim::generated_accounts(accounts) {
                sim.add_account(account);
            }
            print_json(&crate::exchange::sim::listing_json(&sim))?;
            tokio::signal::ctrl_c().await?;
            sim.shutdown();
            Ok(exit::OK)
        }
    }
}

/// The badge a connection shows now (no sync of it runs in this process).
fn status_now(ctx: &Context, c: &crate::model::ConnectionRecord) -> crate::model::Status {
    c.status(chrono::Utc::now(), ctx.config.sync_interval(), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FailureKind;

    fn failure(kind: FailureKind) -> Failure {
        Failure::new(kind, "test")
    }

    #[test]
    fn every_subcommands_help_ends_with_the_exit_codes() {
        let mut cli = Cli::definition();
        for sub in cli.get_subcommands_mut() {
            let help = sub.render_long_help().to_string();
            assert!(help.contains("Exit codes"), "{}: {help}", sub.get_name());
            assert!(help.contains("KEYFOLIO_HOME"), "{}", sub.get_name());
        }
    }

    #[test]
    fn sync_exits_3_when_a_failure_needs_the_trader_else_4() {
        assert_eq!(sync_code([]), exit::OK);
        let down = failure(FailureKind::ExchangeDown);
        let keyring = failure(FailureKind::KeyringUnavailable);
        let invalid = failure(FailureKind::InvalidKey);
        let missing = failure(FailureKind::SecretMissing);
        assert_eq!(sync_code([&down, &keyring]), exit::UNAVAILABLE);
        assert_eq!(sync_code([&down, &invalid, &keyring]), exit::REJECTED);
        assert_eq!(sync_code([&missing]), exit::REJECTED);
        for kind in FailureKind::ALL {
            let code = failure_code(&failure(kind));
            assert_eq!(code == exit::REJECTED, kind.needs_trader(), "{kind:?}");
        }
    }

    #[test]
    fn an_unavailable_secret_store_exits_4_from_any_subcommand() {
        let unavailable: anyhow::Error =
            ConnectError::Secrets(SecretError::Unavailable("no bus".into())).into();
        assert_eq!(error_code(&unavailable), exit::UNAVAILABLE);
        let locked =
            anyhow::Error::from(SecretError::Locked("locked".into())).context("disconnect");
        assert_eq!(error_code(&locked), exit::UNAVAILABLE);
        assert_eq!(error_code(&usage("bad")), exit::USAGE);
        assert_eq!(error_code(&anyhow::anyhow!("other")), exit::OTHER);
    }
}
