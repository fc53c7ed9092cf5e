//! All storage: connection metadata and balances in SQLite, secrets in the secret store.

pub mod db;
pub mod secrets;

pub use db::{ConnectionRecord, Db, NewConnection, StoreError, SyncRun};
pub use secrets::{SecretError, SecretStore};
