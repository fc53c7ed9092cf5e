//! The sync engine: syncs every connection on its interval with jitter, backs off on
//! failure, honours Retry-After and bans, pauses on key failures, keeps each exchange
//! under a request budget, and runs at most one sync per connection at a time (a second
//! request for a connection already syncing joins the first). It also prunes the history
//! in the background: shortly after start, then hourly.

use crate::context::Context;
use crate::exchange::budget::Budgets;
use crate::model::{AccountSnapshot, Credentials, Failure, FailureKind};
use crate::model::{AuthKind, ConnectionRecord};
use crate::oauth::{self, Tokens};
use crate::store::{PruneReport, SecretError, StoreError};
use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, FutureExt, Shared};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};

/// The outcome of one sync, as the UI and CLI see it.
pub type Outcome = Result<(), Failure>;

/// What the engine tells its listener.
#[derive(Debug, Clone)]
pub enum SyncEvent {
    Started(i64),
    /// A sync ended: its outcome, and the connection as stored after it (`None` when it
    /// could not be read back), so the listener need not read the whole list again.
    Finished(i64, Outcome, Option<Box<ConnectionRecord>>),
}

/// When to sync next.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub interval: Duration,
    /// Fraction of the interval added or removed at random, so syncs spread out.
    pub jitter: f64,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The least time between two looks of the background loop at the whole schedule: a
    /// look reads every connection, and without a gap it came after every sync that
    /// ended and every time one came due (with 1,000 connections at a 60 s interval, 28
    /// looks a second, more CPU than the syncs). Syncs due in between start at the next
    /// look.
    pub look_gap: Duration,
}

impl Policy {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            jitter: 0.1,
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(30 * 60),
            look_gap: Duration::from_secs(1),
        }
    }

    /// After a good sync: one interval, give or take the jitter. `unit` is a random number in [0, 1).
    pub fn after_success(
        &self,
        now: DateTime<Utc>,
        interval: Duration,
        unit: f64,
    ) -> DateTime<Utc> {
        let spread = interval.as_secs_f64() * self.jitter * (2.0 * unit - 1.0);
        now + chrono::Duration::milliseconds(((interval.as_secs_f64() + spread) * 1000.0) as i64)
    }

    /// After a failure: `None` pauses (only the trader can fix it); otherwise exponential
    /// backoff with a cap, never sooner than the exchange's Retry-After or ban end.
    pub fn after_failure(
        &self,
        now: DateTime<Utc>,
        failure: &Failure,
        streak: u32,
        unit: f64,
    ) -> Option<DateTime<Utc>> {
        if failure.kind.needs_trader() {
            return None;
        }
        let exponent = streak.saturating_sub(1).min(16);
        let backoff = self
            .backoff_base
            .saturating_mul(1 << exponent)
            .min(self.backoff_cap);
        let backoff = backoff.mul_f64(1.0 + self.jitter * unit);
        let wait = failure.retry_after.map_or(backoff, |r| r.max(backoff));
        Some(now + chrono::Duration::from_std(wait).unwrap_or_default())
    }
}

/// A storage error during a sync, reported as the sync's failure.
fn storage_failure(e: StoreError) -> Failure {
    Failure::new(FailureKind::UnexpectedResponse, e.to_string())
}

/// A secret that could not be read: gone for good, or a keyring to unlock.
fn secret_failure(e: SecretError) -> Failure {
    let kind = match e {
        SecretError::Missing => FailureKind::SecretMissing,
        _ => FailureKind::KeyringUnavailable,
    };
    Failure::new(kind, e.to_string())
}

/// Permissions are re-read daily (and at connect).
fn needs_permissions(record: &ConnectionRecord) -> bool {
    record
        .permissions_checked_at
        .is_none_or(|at| Utc::now() - at > chrono::Duration::hours(24))
}

type SharedSync = Shared<BoxFuture<'static, Outcome>>;

/// The background prune: its first run after start, then its period, and the rows it
/// removes per transaction.
const PRUNE_FIRST: Duration = Duration::from_secs(60);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
pub const PRUNE_BATCH: usize = 500;

/// How long a sync lease lasts: longer than any sync (its requests time out first).
const LEASE: Duration = Duration::from_secs(120);

/// The engine: shared by the TUI's background loop, Resync and the CLI.
#[derive(Clone)]
pub struct Engine {
    ctx: Context,
    policy: Policy,
    in_flight: Arc<Mutex<HashMap<i64, (SharedSync, tokio::task::AbortHandle)>>>,
    /// When each connection's last sync in this process ended; set before it leaves
    /// `in_flight`, so the loop can tell a list read before that end from a fresh one.
    finished: Arc<Mutex<HashMap<i64, std::time::Instant>>>,
    /// This process's name in sync leases.
    owner: Arc<str>,
    concurrency: Arc<Semaphore>,
    budgets: Arc<Budgets>,
    events: Option<mpsc::UnboundedSender<SyncEvent>>,
    wake: Arc<Notify>,
}

impl Engine {
    pub fn new(ctx: Context, events: Option<mpsc::UnboundedSender<SyncEvent>>) -> Self {
        let policy = Policy::new(ctx.config.sync_interval());
        let concurrency = Arc::new(Semaphore::new(ctx.config.max_concurrent_syncs.max(1)));
        Self {
            ctx,
            policy,
            in_flight: Arc::default(),
            finished: Arc::default(),
            owner: hex::encode(rand::random::<[u8; 8]>()).into(),
            concurrency,
            budgets: Arc::new(Budgets::documented()),
            events,
            wake: Arc::default(),
        }
    }

    /// The same engine with another schedule (tests run the loop in seconds, not minutes).
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Syncs one connection now, or joins the sync already running for it.
    pub async fn sync(&self, id: i64) -> Outcome {
        let shared = {
            let mut in_flight = self.in_flight.lock().unwrap();
            if let Some((running, _)) = in_flight.get(&id) {
                running.clone()
            } else {
                let engine = self.clone();
                let task = tokio::spawn(async move {
                    let outcome = engine.run_one(id).await;
                    let now = std::time::Instant::now();
                    engine.finished.lock().unwrap().insert(id, now);
                    engine.in_flight.lock().unwrap().remove(&id);
                    // The loop skipped this connection while it ran: let it look again.
                    engine.wake();
                    outcome
                });
                let abort = task.abort_handle();
                let fut = async move {
                    task.await.unwrap_or_else(|_| {
                        Err(Failure::new(
                            FailureKind::UnexpectedResponse,
                            "the sync was cancelled",
                        ))
                    })
                }
                .boxed()
                .shared();
                in_flight.insert(id, (fut.clone(), abort));
                fut
            }
        };
        shared.await
    }

    /// Syncs several connections concurrently (within the limits); outcomes in order.
    pub async fn sync_many(&self, ids: &[i64]) -> Vec<(i64, Outcome)> {
        let mut read_ahead = Vec::new();
        // One connection has nothing to read ahead of: no list read for it.
        if ids.len() > 1
            && let Ok(all) = self.ctx.connections().await
        {
            let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
            read_ahead = self
                .read_secrets_ahead(all.iter().filter(|c| wanted.contains(&c.id)))
                .await;
        }
        let runs = ids
            .iter()
            .map(|&id| async move { (id, self.sync(id).await) });
        let outcomes = futures::future::join_all(runs).await;
        // A sync that ended before reading its secret (a database error) left it held.
        self.ctx.secrets.drop_read_ahead(&read_ahead);
        outcomes
    }

    /// Reads the secrets of a round's connections in one batch where the store can (see
    /// `SecretStore::read_ahead`), except those whose sync already runs; returns the
    /// entries read ahead.
    async fn read_secrets_ahead(
        &self,
        round: impl Iterator<Item = &ConnectionRecord>,
    ) -> Vec<String> {
        let refs: Vec<String> = round
            .filter(|c| !self.is_syncing(c.id))
            .map(|c| c.secret_ref.clone())
            .collect();
        if refs.len() < 2 {
            return Vec::new();
        }
        self.ctx.secrets.read_ahead(&refs).await;
        refs
    }

    /// Whether a sync is running for this connection.
    pub fn is_syncing(&self, id: i64) -> bool {
        self.in_flight.lock().unwrap().contains_key(&id)
    }

    /// Whether the loop may start a sync of a connection it found due in a list read at
    /// `listed_at`: not while one runs, nor when one ended after the read (the list's
    /// schedule for it is stale; the next pass sees the new one).
    fn may_start(&self, id: i64, listed_at: std::time::Instant) -> bool {
        // `finished` is written before `in_flight` is cleared: check in the other order.
        !self.is_syncing(id)
            && self
                .finished
                .lock()
                .unwrap()
                .get(&id)
                .is_none_or(|&end| end < listed_at)
    }

    /// Wakes the background loop (after a connect, a resync, a disconnect).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Cancels the sync in flight for a connection (on disconnect): nothing of it is written.
    pub fn forget(&self, id: i64) {
        self.finished.lock().unwrap().remove(&id);
        if let Some((_, abort)) = self.in_flight.lock().unwrap().remove(&id) {
            abort.abort();
        }
    }

    async fn run_one(&self, id: i64) -> Outcome {
        // The budget comes first: a sync waiting for its exchange holds no slot that a
        // sync of another exchange could use.
        let record = self
            .ctx
            .with_db(move |db| db.connection(id))
            .await
            .map_err(storage_failure)?;
        // An exchange this build lacks: nothing is read from the keyring or sent, and
        // nothing is recorded (its card says "not in this build" from the record itself).
        if !record.exchange.in_build() {
            return Err(Failure::new(
                FailureKind::NotInBuild,
                format!("{} is not in this build of keyfolio", record.exchange.id()),
            ));
        }
        let refresh_permissions = needs_permissions(&record);
        self.budgets
            .take(record.exchange, id, refresh_permissions)
            .await;
        let _slot = self
            .concurrency
            .acquire()
            .await
            .expect("semaphore never closes");
        self.emit(SyncEvent::Started(id));
        let (outcome, stored) = self
            .sync_leased(record, refresh_permissions)
            .await
            .unwrap_or_else(|failure| (Err(failure), None));
        self.emit(SyncEvent::Finished(
            id,
            outcome.clone(),
            stored.map(Box::new),
        ));
        outcome
    }

    /// After a good sync: the connected exchanges' prices, when a round old (one ticker
    /// request per exchange per round, spent from the exchange's budget like any request).
    pub async fn refresh_prices(&self) {
        if let Err(e) = self.read_prices().await {
            tracing::warn!("prices not refreshed: {e}");
        }
    }

    /// The one way prices are read, for the sync engine, the TUI and the CLI alike: each
    /// connected exchange's tickers when a round old, each request taken from its
    /// exchange's per-IP budget.
    pub async fn read_prices(&self) -> Result<(), StoreError> {
        self.ctx
            .refresh_prices_within(Utc::now(), Some(&self.budgets))
            .await
    }

    /// Syncs under the connection's lease in SQLite, so two keyfolio processes on one data
    /// directory never sync the same connection at once: the second waits for the first
    /// and reports its outcome. Also returns the connection as stored after the sync.
    async fn sync_leased(
        &self,
        mut record: ConnectionRecord,
        refresh_permissions: bool,
    ) -> Result<(Outcome, Option<ConnectionRecord>), Failure> {
        let id = record.id;
        let started = Utc::now();
        loop {
            let owner = self.owner.clone();
            let now = Utc::now();
            let until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            let claimed = self
                .ctx
                .with_db(move |db| db.claim_sync(id, &owner, now, until))
                .await
                .map_err(storage_failure)?;
            if claimed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            record = self
                .ctx
                .with_db(move |db| db.connection(id))
                .await
                .map_err(storage_failure)?;
            if record.last_attempt_at.is_some_and(|at| at >= started) {
                let outcome = match record.last_error.clone() {
                    None => Ok(()),
                    Some(e) => Err(Failure::new(e.kind, e.message)),
                };
                return Ok((outcome, Some(record)));
            }
        }
        Ok(self.sync_record(&record, refresh_permissions).await)
    }

    /// Fetches, then records the outcome, the next sync and the lease's end in one write;
    /// with a listener, reads the connection back in the same call (one row, not the list).
    async fn sync_record(
        &self,
        record: &ConnectionRecord,
        refresh_permissions: bool,
    ) -> (Outcome, Option<ConnectionRecord>) {
        let id = record.id;
        // The secret the sync reads with: the row's, or the one it names now when the key
        // was replaced since the row was read.
        let mut key_ref = record.secret_ref.clone();
        let result = match record.auth_kind {
            AuthKind::ApiKey => match self.api_key_credentials(record).await {
                (now, Ok(creds)) => {
                    let record = now.as_ref().unwrap_or(record);
                    key_ref.clone_from(&record.secret_ref);
                    self.ctx
                        .exchange
                        .fetch_skipping(
                            record.exchange,
                            &record.endpoint,
                            &creds,
                            refresh_permissions,
                            &record.unreadable_wallets,
                        )
                        .await
                }
                (_, Err(e)) => Err(secret_failure(e)),
            },
            AuthKind::OAuth => self.fetch_oauth(record, refresh_permissions).await,
        };
        if let Ok(snapshot) = &result {
            self.budgets
                .charge(record.exchange, snapshot.weight, refresh_permissions);
        }
        let unit: f64 = rand::random();
        let interval = record.interval(self.policy.interval);
        let finished = Utc::now();
        let next = match &result {
            Ok(_) => Some(self.policy.after_success(finished, interval, unit)),
            Err(failure) => {
                self.policy
                    .after_failure(finished, failure, record.failure_streak + 1, unit)
            }
        };
        let (written, owner) = (result.clone(), self.owner.clone());
        let read_back = self.events.is_some();
        let saved = self
            .ctx
            .with_db(move |db| {
                let outcome = match &written {
                    Ok(snapshot) => Ok(snapshot),
                    Err(failure) => Err((failure, next.is_none())),
                };
                let recorded = db.finish_sync(id, &key_ref, outcome, finished, next, &owner)?;
                let stored = if read_back {
                    db.connection(id).ok()
                } else {
                    None
                };
                Ok((recorded, stored))
            })
            .await;
        match saved {
            Ok((recorded, stored)) => {
                if let (true, Ok(snapshot)) = (recorded, &result) {
                    self.refresh_prices().await;
                    let held = (
                        record.exchange,
                        record.label.clone(),
                        snapshot.balances.clone(),
                    );
                    if let Err(e) = self.ctx.record_values(id, held, finished).await {
                        tracing::warn!("value not recorded: {e}");
                    }
                }
                (result.map(|_| ()), stored)
            }
            Err(e) => {
                let owner = self.owner.clone();
                let _ = self
                    .ctx
                    .with_db(move |db| db.release_sync(id, &owner))
                    .await;
                (Err(storage_failure(e)), None)
            }
        }
    }

    /// An API-key connection's credentials. When its entry is missing because its key
    /// was replaced (`Context::rotate`) after `record` was read, the connection as stored
    /// now and its new key's credentials, so the sync uses the new key instead of failing
    /// with "secret missing".
    async fn api_key_credentials(
        &self,
        record: &ConnectionRecord,
    ) -> (Option<ConnectionRecord>, Result<Credentials, SecretError>) {
        match self.ctx.secrets.get(&record.secret_ref).await {
            Err(SecretError::Missing) => {
                let id = record.id;
                match self.ctx.with_db(move |db| db.connection(id)).await {
                    Ok(now) if now.secret_ref != record.secret_ref => {
                        let creds = self.ctx.secrets.get(&now.secret_ref).await;
                        (Some(now), creds)
                    }
                    _ => (None, Err(SecretError::Missing)),
                }
            }
            read => (None, read),
        }
    }

    /// An OAuth connection's sync: refreshed tokens are stored whatever the outcome, since
    /// a rotating provider has already retired the old refresh token.
    async fn fetch_oauth(
        &self,
        record: &ConnectionRecord,
        with_permissions: bool,
    ) -> Result<AccountSnapshot, Failure> {
        let text = self
            .ctx
            .secrets
            .get_raw(&record.secret_ref)
            .await
            .map_err(secret_failure)?;
        let tokens = Tokens::from_secret_json(&text).ok_or_else(|| {
            Failure::new(
                FailureKind::InvalidKey,
                "the stored sign-in cannot be read: sign in again",
            )
        })?;
        let provider = self.ctx.config.provider(record.exchange);
        let fetched =
            oauth::fetch_account(record.exchange, &provider, &tokens, with_permissions).await;
        if let Some(new) = fetched.new_tokens
            && let Err(e) = self
                .ctx
                .secrets
                .put_raw(&record.secret_ref, new.to_secret_json())
                .await
        {
            tracing::warn!(
                "could not store refreshed tokens of connection {}: {e}",
                record.id
            );
        }
        fetched.result
    }

    fn emit(&self, event: SyncEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }

    /// One whole prune pass (see `store::history`), batch by batch; after each step the
    /// database is left to syncs and the UI for as long as the step held it.
    pub async fn prune(&self) -> Result<PruneReport, StoreError> {
        let mut total = PruneReport::default();
        loop {
            let started = std::time::Instant::now();
            let step = self
                .ctx
                .with_db(|db| db.prune(Utc::now(), PRUNE_BATCH))
                .await?;
            total += step;
            if !step.more {
                return Ok(total);
            }
            tokio::time::sleep(started.elapsed()).await;
        }
    }

    /// Prunes shortly after start, then every hour (deadlines a long pass does not push).
    async fn prune_forever(self) {
        let mut next = tokio::time::Instant::now() + PRUNE_FIRST;
        loop {
            tokio::time::sleep_until(next).await;
            next += PRUNE_EVERY;
            let started = std::time::Instant::now();
            match self.prune().await {
                Ok(r) => tracing::info!(
                    "pruned the history in {:?}: {} sync runs, {} balances, {} value and {} total points",
                    started.elapsed(),
                    r.sync_runs,
                    r.balances,
                    r.value_history,
                    r.total_history
                ),
                Err(e) => tracing::warn!("could not prune the history: {e}"),
            }
        }
    }

    /// The background work: the sync loop and the prune's schedule, ended together.
    pub async fn run_forever(self) {
        futures::join!(self.clone().prune_forever(), self.sync_forever());
    }

    /// The sync loop: syncs what is due, then sleeps until the next due time or a wake,
    /// and at least [`Policy::look_gap`] between two looks.
    async fn sync_forever(self) {
        // A connect that crashed between writing its secret and its row left the secret behind.
        match self.ctx.clean_orphans().await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} orphaned secret(s) of interrupted connects"),
            Err(e) => tracing::warn!("could not check for orphaned secrets: {e:#}"),
        }
        loop {
            let now = Utc::now();
            let listed_at = std::time::Instant::now();
            let look_ends = tokio::time::Instant::now() + self.policy.look_gap;
            let connections = self.ctx.connections().await.unwrap_or_default();
            let mut next_due: Option<DateTime<Utc>> = None;
            let mut round = Vec::new();
            for c in connections
                .into_iter()
                .filter(|c| !c.paused && c.exchange.in_build())
            {
                let due = c.next_sync_at.unwrap_or(now);
                if due <= now {
                    if self.may_start(c.id, listed_at) {
                        round.push(c);
                    }
                } else {
                    next_due = Some(next_due.map_or(due, |n| n.min(due)));
                }
            }
            self.read_secrets_ahead(round.iter()).await;
            for c in round {
                let engine = self.clone();
                tokio::spawn(async move { engine.sync(c.id).await });
            }
            let sleep = next_due.map_or(Duration::from_secs(3600), |due| {
                (due - now).to_std().unwrap_or_default()
            });
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
            }
            // Whatever woke the loop, the next look waits for the gap; the wakes that come
            // meanwhile are one stored permit, so they make one more look, not one each.
            tokio::time::sleep_until(look_ends).await;
        }
    }
}
