//! keyfolio: a terminal portfolio tracker for crypto exchange accounts.
pub mod exchange;
