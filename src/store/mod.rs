//! All storage: connection metadata and balances in SQLite, secrets in the secret store.

pub mod db;
pub mod history;
#[cfg(target_os = "linux")]
mod secret_service;
pub mod secrets;

pub use db::{Db, StoreError};
pub use history::PruneReport;
pub use secrets::{SecretError, SecretStore};
