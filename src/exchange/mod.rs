//! The exchange boundary: every request to an exchange goes through here.
//!
//! The rest of the app sees typed results ([`AccountSnapshot`]) and typed failures
//! ([`Failure`]); the CCXT adapter in [`ccxt`] is the only code that talks HTTP.

pub mod catalog;
pub mod ccxt;
pub mod key_info;
pub mod oauth_api;
pub mod parse;
pub mod refusals;
pub mod sim;
pub mod tickers;
pub mod wallets;

use secrecy::{ExposeSecret, SecretString};

/// Exposes a secret for exactly one call site that must send it.
pub fn reveal(secret: &SecretString) -> &str {
    secret.expose_secret()
}
