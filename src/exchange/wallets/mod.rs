//! Every wallet of an account: per exchange, which wallet its balance call reads, which
//! further requests read the others (CCXT implicit-API or unified calls by name), what
//! each weighs, and how each answer reads. One table per exchange; the CCXT adapter
//! runs them ([`super::ccxt`]), nothing else knows an exchange's wallets.

mod binance;
mod generic;
mod okx;

use super::parse::ParseError;
use crate::model::{Balance, ExchangeId, Wallet};
use serde_json::Value;

/// One signed request, by CCXT's snake_case method name.
pub struct Request {
    /// An implicit-API method (`sapi_get_asset_wallet_balance`) or a unified one
    /// (`fetch_balance`).
    pub method: &'static str,
    /// Its one argument (query or body parameters).
    pub params: fn() -> Value,
    /// What it spends from the exchange's per-IP budget (Binance's documented weight;
    /// one request elsewhere).
    pub weight: u32,
}

/// A wallet beyond the balance call's.
pub struct WalletRead {
    pub wallet: Wallet,
    pub request: Request,
    /// The overview's name for this wallet: read only when the overview shows coins in
    /// it. `None`: read every time.
    pub overview_name: Option<&'static str>,
    /// The answer's non-zero balances (their `wallet` is set by the caller).
    pub parse: fn(&Value) -> Result<Vec<Balance>, ParseError>,
}

/// A request naming the wallets that hold anything (Binance's wallet overview), so
/// empty ones cost nothing.
pub struct Overview {
    pub request: Request,
    /// The overview names of the wallets with a balance.
    pub parse: fn(&Value) -> Result<Vec<String>, ParseError>,
    /// Asked beside the overview where an account may be one unified account, whose
    /// wallet the overview does not name.
    pub unified: Option<Unified>,
}

/// A request telling whether the account is one unified account (Binance Portfolio
/// Margin): its read (`name`) replaces the reads of the wallets it holds (`holds`), so
/// their coins are counted once.
pub struct Unified {
    pub request: Request,
    /// Whether the answer says the account is one.
    pub parse: fn(&Value) -> Result<bool, ParseError>,
    /// The overview name of the unified account's read in `reads`: read only when the
    /// account is one.
    pub name: &'static str,
    /// The overview names of the wallets inside it: not read when the account is one.
    pub holds: &'static [&'static str],
}

/// An exchange's wallets.
pub struct Wallets {
    /// The wallet the balance call reads.
    pub primary: Wallet,
    pub overview: Option<Overview>,
    pub reads: &'static [WalletRead],
    /// Run once over every wallet's rows: earn-wrapped assets (Binance `LDBTC`, Kraken
    /// `DOT.S`) counted as their underlying asset in the wallet they sit in, and rows
    /// another read already counted dropped.
    pub settle: fn(&mut Vec<Balance>),
}

/// What the wallet reads made on every sync weigh: the overview and its unified-account
/// check where there is one, and every read the overview does not gate.
pub fn always_weight(exchange: ExchangeId) -> u32 {
    let table = of(exchange);
    let overview = table.overview.as_ref().map_or(0, |o| {
        o.request.weight + o.unified.as_ref().map_or(0, |u| u.request.weight)
    });
    let ungated: u32 = table
        .reads
        .iter()
        .filter(|r| r.overview_name.is_none())
        .map(|r| r.request.weight)
        .sum();
    overview + ungated
}

/// Nothing to settle.
pub fn keep(_: &mut Vec<Balance>) {}

/// Spot only: the balance call, nothing more.
pub(super) static SPOT_ONLY: Wallets = Wallets {
    primary: Wallet::Spot,
    overview: None,
    reads: &[],
    settle: keep,
};

/// The wallets keyfolio reads on an exchange.
pub fn of(exchange: ExchangeId) -> &'static Wallets {
    match exchange {
        ExchangeId::Binance => &binance::WALLETS,
        ExchangeId::Okx => &okx::WALLETS,
        ExchangeId::Ccxt(_) => generic::of(exchange.id()),
        ExchangeId::Absent(_) => &SPOT_ONLY,
    }
}

/// Failures that mean "this key cannot read this wallet" (futures not enabled, no
/// permission for earn), not "the sync failed": the rest of the account still counts.
pub fn is_unreadable(kind: crate::model::FailureKind) -> bool {
    use crate::model::FailureKind as K;
    matches!(
        kind,
        K::InvalidKey
            | K::PermissionDenied
            | K::IpNotWhitelisted
            | K::WrongRegion
            | K::WrongEnvironment
    )
}
