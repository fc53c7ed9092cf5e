//! The handles every command and the TUI share: config, database, secret store.

use crate::config::{Config, Paths};
use crate::exchange::Balance;
use crate::store::db::{ConnectionRecord, Db, SyncRun};
use crate::store::secrets::SecretStore;
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub secrets: SecretStore,
    db: Arc<Mutex<Db>>,
}

impl Context {
    /// Opens the database under `paths` (creating directories owner-only).
    pub fn open(paths: Paths, config: Config, secrets: SecretStore) -> Result<Self> {
        for warning in paths.create()? {
            tracing::warn!("{warning}");
            eprintln!("warning: {warning}");
        }
        let db = Db::open(&paths.database())
            .with_context(|| format!("cannot open {}", paths.database().display()))?;
        Ok(Self {
            paths,
            config,
            secrets,
            db: Arc::new(Mutex::new(db)),
        })
    }

    /// Runs a storage call off the async threads.
    pub async fn with_db<T, F>(&self, call: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, crate::store::StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut guard = db.lock().unwrap_or_else(|p| p.into_inner());
            call(&mut guard)
        })
        .await?;
        Ok(result?)
    }

    pub async fn connections(&self) -> Result<Vec<ConnectionRecord>> {
        self.with_db(|db| db.connections()).await
    }

    pub async fn detail(
        &self,
        id: i64,
    ) -> Result<(Vec<Balance>, Option<DateTime<Utc>>, Vec<SyncRun>)> {
        self.with_db(move |db| {
            let (balances, at) = db.latest_balances(id)?;
            Ok((balances, at, db.sync_history(id, 10)?))
        })
        .await
    }

    pub async fn portfolio(&self) -> Result<Vec<(String, String, usize)>> {
        self.with_db(|db| db.portfolio()).await
    }

    /// Removes the connection from the list, then its secret from the store.
    pub async fn disconnect(&self, id: i64, purge: bool) -> Result<()> {
        let secret_ref = self
            .with_db(move |db| db.disconnect(id, purge, Utc::now()))
            .await?;
        self.secrets
            .delete(&secret_ref)
            .await
            .context("the connection is gone from keyfolio, but its secret could not be deleted from the secret store")
    }

    /// Syncs one connection now.
    pub async fn sync_now(&self, id: i64) -> Result<()> {
        let _ = id;
        anyhow::bail!("syncing arrives with the exchange adapter")
    }
}
