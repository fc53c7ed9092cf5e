//! The exchange boundary end to end, in process: the real CCXT client against the
//! simulator, the form and the sync engine on it, OAuth, replayed recorded answers.
//! One test binary per group (README, Development, Tests): each links keyfolio and CCXT
//! once.

#[path = "../common/mod.rs"]
mod common;

mod exchange_e2e;
mod form_e2e;
mod oauth;
mod oauth_app;
mod replay;
mod sim_ccxt;
mod sync;
