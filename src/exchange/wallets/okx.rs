//! OKX's wallets beyond the trading account: funding and Simple Earn savings.

use super::Wallets;
use crate::model::Wallet;

/// OKX: the trading account from `GET /api/v5/account/balance`, the others from the table.
pub static WALLETS: Wallets = Wallets {
    primary: Wallet::Trading,
    overview: None,
    reads: &[],
    settle: super::keep,
};
