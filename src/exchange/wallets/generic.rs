//! The generic (CCXT unified) exchanges' wallets: which wallet their default
//! `fetch_balance` reads, and the others reached through its `type` / `marginMode`
//! parameters, one small entry per exchange.

use super::{SPOT_ONLY, Wallets};

/// The wallets of a generic exchange, by CCXT id.
pub fn of(_id: &str) -> &'static Wallets {
    &SPOT_ONLY
}
