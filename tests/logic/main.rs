//! Logic without I/O beyond a temporary SQLite file: frames, the form, update, the key
//! table, history, the portfolio, storage, fuzz regressions.
//! One test binary per group (README, Development, Tests): each links keyfolio and CCXT
//! once.

#[path = "../common/mod.rs"]
mod common;

mod form;
mod frames;
mod fuzz_regressions;
mod history;
mod keys;
mod layers;
mod portfolio;
mod storage;
mod update;
