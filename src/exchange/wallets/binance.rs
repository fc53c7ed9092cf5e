//! Binance's wallets beyond spot: the wallet overview names those holding coins, then one
//! request per such wallet (funding, Simple Earn, margin, futures).

use super::Wallets;
use crate::model::Wallet;

/// Binance: spot from `GET /api/v3/account`, the others from the table.
pub static WALLETS: Wallets = Wallets {
    primary: Wallet::Spot,
    overview: None,
    reads: &[],
    settle: super::keep,
};
