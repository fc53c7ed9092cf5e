//! `keyfolio --demo`: the simulator in-process, a throwaway data directory, an in-memory
//! secret store, OAuth pointed at the simulator's provider, and a few connections already
//! made, so a newcomer sees healthy cards and a failing one at once. It never touches
//! the trader's keyring or data.

use crate::config::{Config, Paths};
use crate::context::Context;
use crate::exchange::sim::{Fault, SimHandle, Simulator};
use crate::model::{Credentials, Endpoint, ExchangeId};
use crate::store::SecretStore;
use anyhow::{Context as _, Result};

/// One connection the demo starts with.
struct Seed {
    exchange: &'static str,
    /// The simulator account whose key it uses.
    account: &'static str,
    label: &'static str,
    /// A misbehaviour injected after connecting.
    fault: Option<Fault>,
    /// Binance ends trading on the key this many days from now (no IP restriction).
    trading_ends_in_days: Option<i64>,
}

/// The connections the demo starts with: a Binance key whose trading ends in 9 days, an
/// OKX key that can withdraw (consented to), Bybit's replayed read-only key, and a failing
/// one. Bybit is left out of a build without it.
const SEEDS: [Seed; 4] = [
    Seed {
        exchange: "binance",
        account: "trade",
        label: "Binance main",
        fault: None,
        trading_ends_in_days: Some(9),
    },
    Seed {
        exchange: "okx",
        account: "withdraw enabled",
        label: "OKX",
        fault: None,
        trading_ends_in_days: None,
    },
    Seed {
        exchange: "bybit",
        account: "read-only",
        label: "Bybit",
        fault: None,
        trading_ends_in_days: None,
    },
    Seed {
        exchange: "binance",
        account: "ip restricted",
        label: "Demo: exchange down",
        fault: Some(Fault::Html5xx),
        trading_ends_in_days: None,
    },
];

/// The coins a seed account holds beyond its balance call's wallet, so a newcomer sees
/// an account spread over several wallets: (wallet, [(asset, free, locked)]).
fn wallets_of(exchange: &str) -> Vec<(crate::model::Wallet, Vec<crate::exchange::sim::Holding>)> {
    use crate::model::Wallet;
    let hold = |list: &[(&str, &str, &str)]| -> Vec<crate::exchange::sim::Holding> {
        list.iter()
            .map(|(a, f, l)| (a.to_string(), f.to_string(), l.to_string()))
            .collect()
    };
    match exchange {
        // OKX: the trading account, plus deposits waiting in funding and USDT and ETH in
        // Simple Earn savings (waiting to be lent, lent out).
        "okx" => vec![
            (
                Wallet::Funding,
                hold(&[("USDT", "320.5", "0"), ("OKB", "3", "0")]),
            ),
            (
                Wallet::EarnFlexible,
                hold(&[("USDT", "12.75", "1800"), ("ETH", "0", "0.8")]),
            ),
        ],
        // Binance: spot, plus Funding, Simple Earn (flexible and locked) and USDⓈ-M
        // futures, each read because the wallet overview shows coins in it.
        "binance" => vec![
            (
                Wallet::Funding,
                hold(&[("USDT", "180", "0"), ("BNB", "0.8", "0")]),
            ),
            (
                Wallet::EarnFlexible,
                hold(&[("USDT", "1500", "0"), ("BTC", "0.02", "0")]),
            ),
            (Wallet::EarnLocked, hold(&[("ETH", "0.6", "0")])),
            (Wallet::UsdmFutures, hold(&[("USDT", "950.4", "0")])),
        ],
        _ => Vec::new(),
    }
}

/// A running demo; the data directory is deleted when it drops.
pub struct Demo {
    pub ctx: Context,
    pub sim: SimHandle,
    pub home: tempfile::TempDir,
}

/// A fresh throwaway data directory for a demo, owner-only like any keyfolio directory.
pub fn home() -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("keyfolio-demo-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    Ok(builder.tempdir()?)
}

/// Starts the simulator and connects the seed accounts through the real validation path.
pub async fn start(home: tempfile::TempDir) -> Result<Demo> {
    let paths = Paths::under(home.path());
    let sim = Simulator::start(0).await?;
    let mut config = Config {
        sync_interval_secs: 60,
        ..Config::default()
    };
    config.oauth.binance = sim.oauth_provider(ExchangeId::Binance).into();
    config.oauth.okx = sim.oauth_provider(ExchangeId::Okx).into();
    let ctx = Context::open(paths, config, SecretStore::memory())?;
    // One after the other, so the cards come in the same order every time.
    for seed in SEEDS {
        let Some(exchange) = ExchangeId::parse(seed.exchange) else {
            continue;
        };
        let a = sim
            .account_on(exchange.id(), seed.account)
            .with_context(|| format!("the simulator has no {} account", seed.account))?;
        let wallets = wallets_of(seed.exchange);
        if !wallets.is_empty() {
            sim.set_wallets(&a.api_key, wallets);
        }
        if let Some(days) = seed.trading_ends_in_days {
            sim.set_trading_ends_in(&a.api_key, days);
        }
        let label = seed.label;
        let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
        let endpoint = Endpoint {
            base_url: Some(format!("{}/{}", sim.base_url, exchange.id())),
            sandbox: false,
        };
        // Withdraw risk accepted: the demo shows how such a key looks.
        let (id, _) = ctx
            .connect(exchange, label, &endpoint, &creds, true)
            .await
            .map_err(|e| anyhow::anyhow!("demo connect of {label}: {e}"))?;
        if seed.fault.is_some() {
            sim.set_fault(&a.api_key, seed.fault);
            // Due now: the first sync after the first frame shows the failure.
            ctx.with_db(move |db| db.set_next_sync(id, None)).await?;
        }
    }
    seed_history(&ctx, &sim).await?;
    Ok(Demo { ctx, sim, home })
}

/// A day of portfolio totals before the demo started: today's balances at the
/// simulator's moving prices of each past quarter hour, so the chart has a line at once.
async fn seed_history(ctx: &Context, sim: &SimHandle) -> Result<()> {
    sim.set_moving_prices(true);
    let now = chrono::Utc::now();
    let held = ctx.with_db(|db| db.holdings()).await?;
    let connections = ctx.connections().await?;
    let holdings: Vec<crate::portfolio::Holding> = held
        .into_iter()
        .filter_map(|(id, balances)| {
            let c = connections.iter().find(|c| c.id == id)?;
            Some(crate::portfolio::Holding {
                connection_id: id,
                exchange: c.exchange,
                label: c.label.clone(),
                balances,
                stale: false,
            })
        })
        .collect();
    let quote = ctx.config.quote;
    for quarter in (1..=96).rev() {
        let at = now - chrono::Duration::minutes(15 * quarter);
        let prices = std::collections::BTreeMap::from([(ExchangeId::Binance, sim.tickers_at(at))]);
        let v = crate::portfolio::value(&holdings, &prices, quote);
        ctx.with_db(move |db| db.record_total(at, quote.code(), v.total, v.unpriced.len()))
            .await?;
    }
    Ok(())
}
