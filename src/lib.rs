//! keyfolio: a terminal portfolio tracker for crypto exchange accounts.

#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod context;
pub mod demo;
pub mod exchange;
pub mod model;
pub mod oauth;
pub mod panic_hook;
pub mod portfolio;
pub mod store;
pub mod sync;
pub mod text;
pub mod ui;
