//! The real binary in child processes: the CLI, SIGKILL trials, the TUI on a pseudo-
//! terminal, the encrypted file, the secrets scan, the panic hook, the Python signer.
//! One test binary per group (README, Development, Tests): each links keyfolio and CCXT
//! once.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod crash;
mod panic_hook;
mod passphrase;
mod python_signer;
mod secrets_file;
mod secrets_leak;
mod tui_pty;
