//! The exchange boundary: every request to an exchange goes through here.
//!
//! The rest of the app sees typed results ([`AccountSnapshot`]) and typed failures
//! ([`Failure`]); the CCXT adapter in [`ccxt`] is the only code that talks HTTP.

pub mod budget;
pub mod catalog;
pub mod ccxt;
pub mod key_info;
pub mod oauth_api;
pub mod parse;
pub mod refusals;
pub mod sim;
pub mod tickers;
pub mod wallets;

use crate::model::ExchangeId;
use secrecy::{ExposeSecret, SecretString};

/// Exposes a secret for exactly one call site that must send it.
pub fn reveal(secret: &SecretString) -> &str {
    secret.expose_secret()
}

/// What one sync spends: Binance GET /api/v3/account weighs 20, apiRestrictions 1;
/// OKX counts requests; a generic exchange's balance is one request (two where it lists
/// its accounts first), and its key information one or two more where it has them.
pub fn sync_cost(exchange: ExchangeId, with_permissions: bool) -> u32 {
    let permissions = u32::from(with_permissions && ccxt::reads_permissions(exchange));
    match crate::model::profile::profile(exchange).balance_weight {
        Some(weight) => weight + permissions,
        None => {
            1 + permissions * key_info::requests(exchange.id())
                + u32::from(catalog::lists_accounts_first(exchange.id()))
        }
    }
}
