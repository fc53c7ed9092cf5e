//! The handles every command and the TUI share: config, database, secret store.

use crate::config::{Config, Paths};
use crate::exchange::ccxt::ExchangeClient;
use crate::model::profile::profile;
use crate::model::{AccountSnapshot, Balance, Credentials, Endpoint, ExchangeId, Failure};
use crate::model::{AuthKind, ConnectionRecord, NewConnection, SyncRun};
use crate::model::{Quote, Status, Tickers};
use crate::oauth::{self, Tokens};
use crate::portfolio::{Holding, Valuation};
use crate::store::db::{Db, StoreError};
use crate::store::secrets::SecretError;
use crate::store::secrets::SecretStore;
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub secrets: SecretStore,
    pub exchange: Arc<ExchangeClient>,
    db: Arc<Mutex<Db>>,
    /// The connected exchanges' last prices.
    prices: Arc<Mutex<BTreeMap<ExchangeId, Tickers>>>,
    /// Held across a price refresh, so callers that arrive meanwhile wait for it instead
    /// of asking again.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// When the portfolio total was last recorded: at most once a minute.
    total_recorded_at: Arc<Mutex<Option<DateTime<Utc>>>>,
    /// Storage calls run on the calling thread (see [`Self::storage_in_place`]).
    storage_in_place: bool,
}

/// Why a connect did not save.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Rejected(Failure),
    #[error(
        "this key can withdraw funds: keyfolio only needs read access. Use a read-only key, or accept the risk explicitly"
    )]
    WithdrawRisk(AccountSnapshot),
    #[error("{0}")]
    Duplicate(String),
    /// A replacement key of another exchange account than the connection's.
    #[error("{0}")]
    OtherAccount(String),
    /// A replacement that is the connection's own key, or a connection without an API key.
    #[error("{0}")]
    Unchanged(String),
    /// Not a `#[source]`: the message already carries it, and a chain would print it twice.
    #[error("the secret store failed, nothing was saved: {0}")]
    Secrets(SecretError),
    #[error("nothing was saved: {0}")]
    Storage(StoreError),
}

impl From<SecretError> for ConnectError {
    fn from(e: SecretError) -> Self {
        Self::Secrets(e)
    }
}

impl Context {
    /// Opens the database under `paths` (creating directories owner-only).
    pub fn open(paths: Paths, config: Config, secrets: SecretStore) -> Result<Self> {
        for warning in paths.create()? {
            tracing::warn!("{warning}");
        }
        let db = Db::open(&paths.database())
            .with_context(|| format!("cannot open {}", paths.database().display()))?;
        let timeout = std::time::Duration::from_millis(config.request_timeout_ms);
        Ok(Self {
            paths,
            config,
            secrets,
            exchange: Arc::new(ExchangeClient::new(timeout)),
            db: Arc::new(Mutex::new(db)),
            prices: Arc::default(),
            refreshing: Arc::default(),
            total_recorded_at: Arc::default(),
            storage_in_place: false,
        })
    }

    /// The same context, its storage calls run where they are awaited instead of on
    /// tokio's blocking pool: for a one-shot command on a current-thread runtime, where
    /// nothing else waits for the thread and each hand-off to the pool and back cost
    /// more CPU than the SQLite call (#28). The TUI keeps the pool.
    pub fn storage_in_place(mut self) -> Self {
        self.storage_in_place = true;
        self
    }

    /// Reads each connected exchange's prices when its last read is a sync interval old:
    /// one ticker request per exchange per round, however many connections it has, each
    /// spent from `budgets` first when given. A failed request keeps the last prices,
    /// marked stale.
    pub async fn refresh_prices(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.refresh_prices_within(now, None).await
    }

    /// [`Self::refresh_prices`], each request waiting for its place in the exchange's
    /// per-IP budget: the one way the sync engine, the TUI and the CLI read prices
    /// ([`crate::sync::Engine::read_prices`]).
    pub async fn refresh_prices_within(
        &self,
        now: DateTime<Utc>,
        budgets: Option<&crate::exchange::budget::Budgets>,
    ) -> Result<(), StoreError> {
        // Called after every sync: no list read until some exchange's prices are due (an
        // exchange connected in this process is due at once, see `store_new`).
        let any_due = || {
            let prices = self.prices.lock().unwrap();
            prices.is_empty() || prices.values().any(|t| self.round_past(t.at, now))
        };
        if !any_due() {
            return Ok(());
        }
        let _only_one = self.refreshing.lock().await;
        if !any_due() {
            // Read while this call waited.
            return Ok(());
        }
        let connections = self.connections().await?;
        // One connection's endpoint per priced exchange (the first, as listed).
        let mut priced: BTreeMap<ExchangeId, Endpoint> = BTreeMap::new();
        for c in &connections {
            if c.exchange.in_build() && crate::exchange::tickers::request(c.exchange).is_some() {
                priced
                    .entry(c.exchange)
                    .or_insert_with(|| c.endpoint.clone());
            }
        }
        {
            // A disconnected exchange's prices go: they would be due forever.
            let mut prices = self.prices.lock().unwrap();
            prices.retain(|e, _| priced.contains_key(e));
            if priced.is_empty() {
                // Nothing to price: looked at again in a round, not after every sync.
                prices.insert(
                    ExchangeId::Binance,
                    Tickers {
                        at: Some(now),
                        ..Tickers::default()
                    },
                );
            }
        }
        let due: Vec<(ExchangeId, Endpoint)> = priced
            .into_iter()
            .filter(|(e, _)| self.prices_due(*e, now))
            .collect();
        let reads = due.into_iter().map(|(exchange, endpoint)| async move {
            if let Some(budgets) = budgets {
                budgets.charge_tickers(exchange);
            }
            let fetched = self.exchange.fetch_tickers(exchange, &endpoint).await;
            (exchange, fetched)
        });
        for (exchange, fetched) in futures::future::join_all(reads).await {
            let mut prices = self.prices.lock().unwrap();
            let known = prices.entry(exchange).or_default();
            match fetched {
                Ok(pairs) => {
                    *known = Tickers {
                        at: Some(now),
                        pairs,
                        stale: false,
                    }
                }
                Err(failure) => {
                    tracing::warn!(
                        exchange = exchange.id(),
                        "prices not read: {}",
                        failure.detail
                    );
                    // Asked again next round, not at every sync.
                    known.at = Some(now);
                    known.stale = true;
                }
            }
        }
        Ok(())
    }

    /// After a good sync: the connection's value from the balances it just saved
    /// (`(exchange, label, balances)`), and (at most once a minute) the portfolio's total,
    /// in the configured quote. Nothing is recorded while no price is known, so the
    /// history never shows a drop to zero that is only missing prices.
    pub async fn record_values(
        &self,
        id: i64,
        (exchange, label, balances): (ExchangeId, String, Vec<Balance>),
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let quote = self.config.quote;
        let holding = Holding {
            connection_id: id,
            exchange,
            label,
            balances,
            stale: false,
        };
        // Valued under the lock: a copy of every exchange's tickers (thousands of pairs on
        // a real exchange) for each sync would cost more than the valuation.
        let own = crate::portfolio::value(
            std::slice::from_ref(&holding),
            &self.prices.lock().unwrap(),
            quote,
        );
        if let Some((value, unpriced)) = own.by_connection.get(&id).copied()
            && (unpriced == 0 || !value.is_zero())
        {
            self.with_db(move |db| db.record_value(id, now, quote.code(), value))
                .await?;
        }
        let due = {
            let mut last = self.total_recorded_at.lock().unwrap();
            let due = last.is_none_or(|at| now - at >= chrono::Duration::minutes(1));
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            let all = self.valuation(quote).await?;
            if !all.total.is_zero() {
                let unpriced = all.unpriced.len();
                self.with_db(move |db| db.record_total(now, quote.code(), all.total, unpriced))
                    .await?;
            }
        }
        Ok(())
    }

    /// One connection's value since `since`, in the configured quote, oldest first.
    pub async fn value_history(
        &self,
        id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, rust_decimal::Decimal)>, StoreError> {
        let quote = self.config.quote.code();
        self.with_db(move |db| db.value_history(id, quote, Some(since)))
            .await
    }

    /// The total value's history in the configured quote, oldest first.
    pub async fn total_history(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(DateTime<Utc>, rust_decimal::Decimal)>, StoreError> {
        let quote = self.config.quote.code();
        self.with_db(move |db| db.total_history(quote, since)).await
    }

    /// The 24 h change of the connections valued both now and a day ago (each one's
    /// newest value point at least 24 hours old, within two hours of it).
    pub async fn day_change(
        &self,
        valuation: &Valuation,
    ) -> Result<Option<crate::portfolio::DayChange>, StoreError> {
        let day_ago = Utc::now() - chrono::Duration::days(1);
        let quote = valuation.quote.code();
        let then = self
            .with_db(move |db| db.values_at(quote, day_ago, chrono::Duration::hours(2)))
            .await?;
        Ok(crate::portfolio::DayChange::of(valuation, &then))
    }

    /// Whether this exchange's prices are a round (a sync interval) old, or never read.
    pub fn prices_due(&self, exchange: ExchangeId, now: DateTime<Utc>) -> bool {
        let read_at = self
            .prices
            .lock()
            .unwrap()
            .get(&exchange)
            .and_then(|t| t.at);
        self.round_past(read_at, now)
    }

    /// Whether a read at `read_at` is a round (a sync interval) old, or never made.
    fn round_past(&self, read_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let round = chrono::Duration::from_std(self.config.sync_interval())
            .unwrap_or(chrono::Duration::minutes(5))
            .max(chrono::Duration::seconds(10));
        read_at.is_none_or(|at| now - at >= round)
    }

    /// The portfolio valued in `quote`, with the prices known now.
    pub async fn valuation(&self, quote: Quote) -> Result<Valuation, StoreError> {
        let connections = self.connections().await?;
        let held = self.with_db(|db| db.holdings()).await?;
        let now = Utc::now();
        let interval = self.config.sync_interval();
        let holdings: Vec<Holding> = held
            .into_iter()
            .filter_map(|(id, balances)| {
                let c = connections.iter().find(|c| c.id == id)?;
                Some(Holding {
                    connection_id: id,
                    exchange: c.exchange,
                    label: c.label.clone(),
                    balances,
                    stale: c.status(now, interval, false) != Status::Synced,
                })
            })
            .collect();
        let prices = self.prices.lock().unwrap();
        Ok(crate::portfolio::value(&holdings, &prices, quote))
    }

    /// Runs a storage call off the async threads; its error stays typed.
    pub async fn with_db<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        if self.storage_in_place {
            let mut guard = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            return call(&mut guard);
        }
        tokio::task::spawn_blocking(move || {
            let mut guard = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            call(&mut guard)
        })
        .await
        .map_err(|e| StoreError::TaskFailed(e.to_string()))?
    }

    pub async fn connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.with_db(|db| db.connections()).await
    }

    pub async fn detail(
        &self,
        id: i64,
    ) -> Result<(Vec<Balance>, Option<DateTime<Utc>>, Vec<SyncRun>), StoreError> {
        self.with_db(move |db| {
            let (balances, at) = db.latest_balances(id)?;
            Ok((balances, at, db.sync_history(id, 10)?))
        })
        .await
    }

    /// Removes the connection from the list, then its secret from the store. An OAuth
    /// grant is revoked first where the provider can.
    pub async fn disconnect(&self, id: i64, purge: bool) -> Result<()> {
        let record = self.with_db(move |db| db.connection(id)).await?;
        if record.auth_kind == AuthKind::OAuth {
            let provider = self.config.provider(record.exchange);
            let stored = self.secrets.get_raw(&record.secret_ref).await.ok();
            if let Some(tokens) = stored.as_deref().and_then(|t| Tokens::from_secret_json(t))
                && let Err(e) = oauth::revoke(&provider, &tokens).await
            {
                tracing::warn!("could not revoke the OAuth grant of connection {id}: {e}");
            }
        }
        let secret_ref = self
            .with_db(move |db| db.disconnect(id, purge, Utc::now()))
            .await?;
        self.secrets
            .delete(&secret_ref)
            .await
            .context("the connection is gone from keyfolio, but its secret could not be deleted from the secret store")
    }

    /// Checks credentials against the exchange: balances and permissions. Saves nothing.
    pub async fn validate(
        &self,
        exchange: ExchangeId,
        endpoint: &Endpoint,
        creds: &Credentials,
    ) -> Result<AccountSnapshot, Failure> {
        self.exchange.fetch(exchange, endpoint, creds, true).await
    }

    /// "Binance", then "Binance 2", "Binance 3", ... for the next connection.
    pub async fn suggest_label(&self, exchange: ExchangeId) -> Result<String> {
        let labels = self.with_db(|db| db.labels()).await?;
        Ok(crate::model::default_label(exchange, &labels))
    }

    /// Validates, then saves atomically: the secret first, then the row in one transaction;
    /// if the row cannot be written, the secret is removed again. A crash in between leaves
    /// a pending reference that [`Context::clean_orphans`] removes.
    pub async fn connect(
        &self,
        exchange: ExchangeId,
        label: &str,
        endpoint: &Endpoint,
        creds: &Credentials,
        accept_withdraw_risk: bool,
    ) -> Result<(i64, AccountSnapshot), ConnectError> {
        self.secrets.check_reachable().await?;
        let key_hash = self.keyed_hash(creds.api_key.expose_secret()).await?;
        self.check_new(exchange, Some(&key_hash), None).await?;
        let snapshot = self
            .validate(exchange, endpoint, creds)
            .await
            .map_err(ConnectError::Rejected)?;
        if snapshot.permissions.is_some_and(|p| p.withdraw) && !accept_withdraw_risk {
            return Err(ConnectError::WithdrawRisk(snapshot));
        }
        let id = self
            .save(exchange, label, endpoint, creds, key_hash, &snapshot)
            .await?;
        Ok((id, snapshot))
    }

    /// Stores an already validated API-key connection. Another key of an account that is
    /// already connected is refused: its balances would count twice.
    pub async fn save(
        &self,
        exchange: ExchangeId,
        label: &str,
        endpoint: &Endpoint,
        creds: &Credentials,
        key_hash: String,
        snapshot: &AccountSnapshot,
    ) -> Result<i64, ConnectError> {
        let account_hash = self.account_hash(snapshot).await?;
        // Checked again inside the insert's transaction; this spares the keyring a write.
        self.check_new(exchange, None, account_hash.as_deref())
            .await?;
        let new = NewConnection {
            exchange,
            label: label.to_string(),
            auth_kind: AuthKind::ApiKey,
            endpoint: endpoint.clone(),
            key_hint: creds.key_hint(),
            key_hash: Some(key_hash),
            account_hash,
            key_type: profile(exchange).key_types.then(|| creds.key_type()),
            secret_ref: String::new(),
        };
        self.store_new(new, crate::store::secrets::encode(creds), snapshot)
            .await
    }

    /// Replaces the API key of connection `id` in place: its id, label, history and
    /// balances stay. The new key is validated like a connect's (`endpoint`, or the
    /// connection's own when `None`), and refused, nothing changed, when it is the same
    /// key, another live connection's key, of another account than the connection's
    /// (where the exchange tells), or able to withdraw without `accept_withdraw_risk`.
    ///
    /// The swap, in this order, so a crash at any point leaves the old or the new key
    /// working and nothing that [`Context::clean_orphans`] does not remove: the new secret
    /// is marked pending and written under a new entry; one transaction points the row at
    /// it, records the new key's snapshot as a good sync, and moves the pending mark from
    /// the new entry to the old one ([`Db::replace_key`]); then the old entry is deleted
    /// and its mark removed.
    pub async fn rotate(
        &self,
        id: i64,
        endpoint: Option<&Endpoint>,
        creds: &Credentials,
        accept_withdraw_risk: bool,
    ) -> Result<(ConnectionRecord, AccountSnapshot), ConnectError> {
        self.secrets.check_reachable().await?;
        let record = self
            .with_db(move |db| db.connection(id))
            .await
            .map_err(ConnectError::Storage)?;
        let (exchange, label) = (record.exchange, record.label.clone());
        if record.auth_kind != AuthKind::ApiKey {
            return Err(ConnectError::Unchanged(format!(
                "\"{label}\" signs in with OAuth, not an API key: sign in again instead"
            )));
        }
        let (saved_key, saved_account) = self
            .with_db(move |db| db.key_hashes(id))
            .await
            .map_err(ConnectError::Storage)?;
        let key_hash = self.keyed_hash(creds.api_key.expose_secret()).await?;
        if saved_key.as_deref() == Some(key_hash.as_str()) {
            return Err(ConnectError::Unchanged(format!(
                "this is already the key of \"{label}\": nothing changed"
            )));
        }
        self.check_new(exchange, Some(&key_hash), None).await?;
        let endpoint = endpoint.unwrap_or(&record.endpoint).clone();
        let snapshot = self
            .validate(exchange, &endpoint, creds)
            .await
            .map_err(ConnectError::Rejected)?;
        if snapshot.permissions.is_some_and(|p| p.withdraw) && !accept_withdraw_risk {
            return Err(ConnectError::WithdrawRisk(snapshot));
        }
        let account_hash = self.account_hash(&snapshot).await?;
        match (&saved_account, &account_hash) {
            (Some(saved), Some(new)) if saved != new => {
                return Err(ConnectError::OtherAccount(format!(
                    "this key belongs to another {} account than the one \"{label}\" tracks: nothing changed",
                    exchange.name()
                )));
            }
            (None, Some(new)) => self.check_new(exchange, None, Some(new)).await?,
            _ => {}
        }
        let key = NewConnection {
            exchange,
            label,
            auth_kind: AuthKind::ApiKey,
            endpoint,
            key_hint: creds.key_hint(),
            key_hash: Some(key_hash),
            // An exchange that stops telling the account keeps the one it told.
            account_hash: account_hash.or(saved_account),
            key_type: profile(exchange).key_types.then(|| creds.key_type()),
            secret_ref: new_secret_ref(),
        };
        let new_ref = key.secret_ref.clone();
        self.write_pending(&new_ref, crate::store::secrets::encode(creds))
            .await?;
        let old_ref = record.secret_ref;
        let (old, written) = (old_ref.clone(), snapshot.clone());
        let swapped = self
            .with_db(move |db| {
                db.replace_key(id, &old, &key, &written, Utc::now())?;
                db.connection(id)
            })
            .await;
        let stored = match swapped {
            Ok(stored) => stored,
            Err(e) => {
                self.drop_pending(&new_ref).await;
                return Err(store_refusal(e));
            }
        };
        match self.secrets.delete(&old_ref).await {
            Ok(()) => {
                let r = old_ref.clone();
                if let Err(e) = self.with_db(move |db| db.remove_pending_secret(&r)).await {
                    tracing::warn!("the replaced key's entry is gone, its mark stays: {e}");
                }
            }
            // The new key works; the old entry stays marked for the next start-up.
            Err(e) => tracing::warn!("the replaced key's entry was not deleted yet: {e}"),
        }
        tracing::info!(id, exchange = exchange.id(), "key replaced");
        Ok((stored, snapshot))
    }

    /// Signs in with OAuth tokens: reads the account with them (the validation), then
    /// stores the tokens in the secret store and the connection in SQLite. An account
    /// that is already connected (signed in, or through an API key) is refused, and the
    /// spare grant is revoked.
    pub async fn connect_oauth(
        &self,
        exchange: ExchangeId,
        label: &str,
        tokens: Tokens,
    ) -> Result<(i64, AccountSnapshot), ConnectError> {
        let provider = self.config.provider(exchange);
        let fetched = oauth::fetch_account(exchange, &provider, &tokens, true).await;
        let tokens = fetched.new_tokens.unwrap_or(tokens);
        let snapshot = fetched.result.map_err(ConnectError::Rejected)?;
        let account_hash = self.account_hash(&snapshot).await?;
        if let Err(refused) = self
            .check_new(exchange, None, account_hash.as_deref())
            .await
        {
            if let Err(e) = oauth::revoke(&provider, &tokens).await {
                tracing::warn!("could not revoke a duplicate OAuth grant: {e}");
            }
            return Err(refused);
        }
        let new = NewConnection {
            exchange,
            label: label.to_string(),
            auth_kind: AuthKind::OAuth,
            endpoint: Endpoint {
                base_url: Some(provider.api_base.clone()),
                sandbox: false,
            },
            key_hint: "auth".to_string(),
            key_hash: None,
            account_hash,
            key_type: None,
            secret_ref: String::new(),
        };
        let id = self
            .store_new(new, tokens.to_secret_json(), &snapshot)
            .await?;
        Ok((id, snapshot))
    }

    /// Replaces the tokens of an OAuth connection after the trader signed in again, and
    /// lifts its pause. Signing in to another account than the connection's is refused.
    pub async fn reauthorize(&self, id: i64, mut tokens: Tokens) -> Result<(), ConnectError> {
        let record = self
            .with_db(move |db| db.connection(id))
            .await
            .map_err(ConnectError::Storage)?;
        let saved = self
            .with_db(move |db| db.account_hash_of(id))
            .await
            .map_err(ConnectError::Storage)?;
        if let Some(expected) = saved {
            let provider = self.config.provider(record.exchange);
            let fetched = oauth::fetch_account(record.exchange, &provider, &tokens, true).await;
            if let Some(refreshed) = fetched.new_tokens {
                tokens = refreshed;
            }
            let snapshot = fetched.result.map_err(ConnectError::Rejected)?;
            if self.account_hash(&snapshot).await?.as_deref() != Some(expected.as_str()) {
                if let Err(e) = oauth::revoke(&provider, &tokens).await {
                    tracing::warn!("could not revoke a mismatched OAuth grant: {e}");
                }
                return Err(ConnectError::Duplicate(format!(
                    "you signed in to another {} account than the one \"{}\" tracks: nothing changed",
                    record.exchange.name(),
                    record.label
                )));
            }
        }
        self.secrets
            .put_raw(&record.secret_ref, tokens.to_secret_json())
            .await?;
        self.with_db(move |db| db.set_paused(id, false))
            .await
            .map_err(ConnectError::Storage)
    }

    /// The keyed hash of an API key or an account identity (never stored in the clear).
    async fn keyed_hash(&self, identity: &str) -> Result<String, ConnectError> {
        // The copy that crosses to the database thread is an API key: wiped when dropped.
        let identity = zeroize::Zeroizing::new(identity.to_string());
        self.with_db(move |db| db.key_hash(&identity))
            .await
            .map_err(ConnectError::Storage)
    }

    /// The keyed hash of the snapshot's account number, if the exchange told it.
    async fn account_hash(
        &self,
        snapshot: &AccountSnapshot,
    ) -> Result<Option<String>, ConnectError> {
        match &snapshot.account_id {
            Some(account) => Ok(Some(self.keyed_hash(&format!("account:{account}")).await?)),
            None => Ok(None),
        }
    }

    /// Refuses a key or account that a live connection of the exchange already has.
    async fn check_new(
        &self,
        exchange: ExchangeId,
        key_hash: Option<&str>,
        account_hash: Option<&str>,
    ) -> Result<(), ConnectError> {
        let (key_hash, account_hash) =
            (key_hash.map(str::to_owned), account_hash.map(str::to_owned));
        self.with_db(move |db| db.check_new(exchange, key_hash.as_deref(), account_hash.as_deref()))
            .await
            .map_err(store_refusal)
    }

    /// Writes the secret, then the row in one transaction; removes the secret if the row fails.
    async fn store_new(
        &self,
        mut new: NewConnection,
        payload: zeroize::Zeroizing<String>,
        snapshot: &AccountSnapshot,
    ) -> Result<i64, ConnectError> {
        // A new connection may be of an exchange that had none: its prices are due now.
        self.prices
            .lock()
            .unwrap()
            .entry(new.exchange)
            .or_default()
            .at = None;
        let secret_ref = new_secret_ref();
        new.secret_ref = secret_ref.clone();
        self.write_pending(&secret_ref, payload).await?;
        let snapshot = snapshot.clone();
        match self
            .with_db(move |db| db.insert_connection(&new, &snapshot, Utc::now()))
            .await
        {
            Ok(id) => Ok(id),
            Err(e) => {
                self.drop_pending(&secret_ref).await;
                Err(store_refusal(e))
            }
        }
    }

    /// Marks `secret_ref` pending, then writes the entry; unmarks it if the write fails.
    async fn write_pending(
        &self,
        secret_ref: &str,
        payload: zeroize::Zeroizing<String>,
    ) -> Result<(), ConnectError> {
        let (reference, now) = (secret_ref.to_string(), Utc::now());
        self.with_db(move |db| db.add_pending_secret(&reference, now))
            .await
            .map_err(ConnectError::Storage)?;
        if let Err(e) = self.secrets.put_raw(secret_ref, payload).await {
            let reference = secret_ref.to_string();
            let _ = self
                .with_db(move |db| db.remove_pending_secret(&reference))
                .await;
            return Err(e.into());
        }
        Ok(())
    }

    /// Deletes a pending entry no row took, then its mark (a failure leaves both to
    /// [`Context::clean_orphans`]).
    async fn drop_pending(&self, secret_ref: &str) {
        if self.secrets.delete(secret_ref).await.is_ok() {
            let reference = secret_ref.to_string();
            let _ = self
                .with_db(move |db| db.remove_pending_secret(&reference))
                .await;
        }
    }

    /// Deletes secrets written by a connect that crashed before its row was saved, and the
    /// old entries of key rotations that crashed before deleting them.
    pub async fn clean_orphans(&self) -> Result<usize> {
        let orphans = self.with_db(|db| db.orphaned_secrets()).await?;
        for reference in &orphans {
            self.secrets.delete(reference).await?;
            let r = reference.clone();
            self.with_db(move |db| db.remove_pending_secret(&r)).await?;
        }
        Ok(orphans.len())
    }
}

/// A fresh secret-store entry name.
fn new_secret_ref() -> String {
    format!("connection-{}", hex::encode(rand::random::<[u8; 8]>()))
}

/// A failed save: a duplicate key or account is a refusal, anything else a storage error.
fn store_refusal(e: StoreError) -> ConnectError {
    match e {
        refused @ (StoreError::Duplicate(_) | StoreError::SameAccount(_)) => {
            ConnectError::Duplicate(refused.to_string())
        }
        other => ConnectError::Storage(other),
    }
}
