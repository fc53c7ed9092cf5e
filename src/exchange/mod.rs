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

/// What a sync's balance call spends: Binance GET /api/v3/account weighs 20, apiRestrictions 1;
/// OKX counts requests; a generic exchange's balance is one request (two where it lists
/// its accounts first), and its key information one or two more where it has them.
pub fn balance_cost(exchange: ExchangeId, with_permissions: bool) -> u32 {
    let permissions = u32::from(with_permissions && ccxt::reads_permissions(exchange));
    match crate::model::profile::profile(exchange).balance_weight {
        Some(weight) => weight + permissions,
        None => {
            1 + permissions * key_info::requests(exchange.id())
                + u32::from(catalog::lists_accounts_first(exchange.id()))
        }
    }
}

/// What one sync spends at least, taken from the budgets before it starts
/// ([`budget::Budgets::take`]): its balance call ([`balance_cost`]) and the wallet reads
/// it always makes (Binance's overview and Portfolio Margin check, 61 weight, from its
/// /sapi budget; OKX's funding and savings; the generic exchanges' other wallets).
/// Wallets read because the overview shows coins in them are charged after. Taking only
/// the balance call before let a first round start syncs the budgets could not pay for.
pub fn sync_cost(exchange: ExchangeId, with_permissions: bool) -> u32 {
    balance_cost(exchange, with_permissions) + wallets::always_weight(exchange)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sync takes from the budget what it will spend at least: Binance's account (20),
    /// wallet overview (60) and Portfolio Margin check (1); OKX's balance, funding and
    /// savings. So a first round cannot start more syncs than the budget pays for.
    #[test]
    fn a_sync_takes_what_it_always_spends() {
        assert_eq!(sync_cost(ExchangeId::Binance, false), 81);
        assert_eq!(balance_cost(ExchangeId::Binance, false), 20);
        assert_eq!(sync_cost(ExchangeId::Okx, false), 3);
        assert_eq!(sync_cost(ExchangeId::Okx, true), 4);
    }
}
