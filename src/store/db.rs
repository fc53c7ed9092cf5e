//! SQLite storage: versioned migrations, connections, sync runs and balance snapshots
//! (value history and the prune are in `history`).
//!
//! No secret ever enters this file: connections point at their secret-store entry by a
//! random reference, and API keys are kept only as a keyed hash (to refuse duplicates)
//! and their last four characters.

use crate::model::{
    AccountSnapshot, AuthKind, Balance, ConnectionRecord, Endpoint, ExchangeId, Failure,
    FailureKind, KeyType, NewConnection, Permissions, StoredError, SyncRun, Wallet,
};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use sha2::Sha256;
use std::path::Path;

/// Storage failures, each saying what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}. If it persists, run `keyfolio doctor`.")]
    Sqlite(#[from] rusqlite::Error),
    #[error("this API key is already connected as \"{0}\"")]
    Duplicate(String),
    #[error(
        "this is the exchange account already connected as \"{0}\": its balances would count twice. To replace that connection, disconnect \"{0}\" first"
    )]
    SameAccount(String),
    #[error("no connection with id {0}: run `keyfolio list` to see the ids")]
    NotFound(i64),
    #[error(
        "connection {0} changed while its key was being replaced (another keyfolio replaced or removed it): nothing changed, try again"
    )]
    Changed(i64),
    #[error("the database was written by a newer keyfolio (schema {0}); upgrade keyfolio")]
    TooNew(i64),
    #[error(
        "a storage task stopped before it finished ({0}). If it persists, run `keyfolio doctor`."
    )]
    TaskFailed(String),
}

pub(super) type Result<T> = std::result::Result<T, StoreError>;

/// Each entry moves the schema one version up; never edit a shipped entry.
const MIGRATIONS: &[&str] = &[
    // 1: connections, sync runs, balances, metadata
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE connections (
        id INTEGER PRIMARY KEY,
        exchange TEXT NOT NULL,
        label TEXT NOT NULL,
        auth_kind TEXT NOT NULL DEFAULT 'api_key',
        endpoint TEXT,
        sandbox INTEGER NOT NULL DEFAULT 0,
        key_hint TEXT NOT NULL,
        key_hash TEXT,
        key_type TEXT,
        secret_ref TEXT NOT NULL UNIQUE,
        perm_read INTEGER, perm_trade INTEGER, perm_withdraw INTEGER, ip_restricted INTEGER,
        permissions_checked_at TEXT,
        created_at TEXT NOT NULL,
        last_synced_at TEXT,
        last_attempt_at TEXT,
        last_error_kind TEXT,
        last_error_message TEXT,
        error_since TEXT,
        failure_streak INTEGER NOT NULL DEFAULT 0,
        paused INTEGER NOT NULL DEFAULT 0,
        next_sync_at TEXT,
        sync_interval_secs INTEGER,
        disconnected_at TEXT
     );
     CREATE UNIQUE INDEX connections_key ON connections(exchange, key_hash) WHERE key_hash IS NOT NULL;
     CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        finished_at TEXT NOT NULL,
        ok INTEGER NOT NULL,
        error_kind TEXT,
        message TEXT
     );
     CREATE INDEX sync_runs_by_connection ON sync_runs(connection_id, id);
     CREATE TABLE balances (
        sync_run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
        asset TEXT NOT NULL,
        free TEXT NOT NULL,
        used TEXT NOT NULL,
        total TEXT NOT NULL,
        PRIMARY KEY (sync_run_id, asset)
     );
     CREATE TABLE pending_secrets (secret_ref TEXT PRIMARY KEY, created_at TEXT NOT NULL);",
    // 2: a lease per connection, so two keyfolio processes never sync the same one at once
    "ALTER TABLE connections ADD COLUMN sync_lease_until TEXT;
     ALTER TABLE connections ADD COLUMN sync_lease_owner TEXT;",
    // 3: the keyed hash of the exchange account number, so one account is not connected
    // twice (through two API keys, or a key and a sign-in)
    "ALTER TABLE connections ADD COLUMN account_hash TEXT;
     CREATE UNIQUE INDEX connections_account ON connections(exchange, account_hash)
        WHERE account_hash IS NOT NULL;",
    // 4: amounts an exchange sent with more digits than CCXT's f64 keeps
    "ALTER TABLE balances ADD COLUMN approximate INTEGER NOT NULL DEFAULT 0;",
    // 5: value history, per connection and of the portfolio total, in the quote currency
    // (decimal strings); `unpriced` counts the assets left out for lack of a price
    "CREATE TABLE value_history (
        connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        quote TEXT NOT NULL,
        value TEXT NOT NULL
     );
     CREATE INDEX value_history_by_connection ON value_history(connection_id, at);
     CREATE TABLE total_history (
        at TEXT PRIMARY KEY,
        quote TEXT NOT NULL,
        total TEXT NOT NULL,
        unpriced INTEGER NOT NULL
     );",
    // 6: every wallet of an account: a balance belongs to one wallet (the earlier rows
    // were each exchange's one wallet: OKX's trading account, everyone else's spot), and
    // the wallets a key could not read, not tried again until the next permission check
    "CREATE TABLE balances_by_wallet (
        sync_run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
        wallet TEXT NOT NULL DEFAULT 'spot',
        asset TEXT NOT NULL,
        free TEXT NOT NULL,
        used TEXT NOT NULL,
        total TEXT NOT NULL,
        approximate INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (sync_run_id, wallet, asset)
     );
     INSERT INTO balances_by_wallet
        SELECT b.sync_run_id,
               CASE c.exchange WHEN 'okx' THEN 'trading' ELSE 'spot' END,
               b.asset, b.free, b.used, b.total, b.approximate
        FROM balances b JOIN sync_runs r ON r.id = b.sync_run_id
        JOIN connections c ON c.id = r.connection_id;
     DROP TABLE balances;
     ALTER TABLE balances_by_wallet RENAME TO balances;
     ALTER TABLE connections ADD COLUMN unreadable_wallets TEXT;",
    // 7: when a key, or its right to trade, stops working, as the exchange told at the
    // last permission check
    "ALTER TABLE connections ADD COLUMN key_expires_at TEXT;
     ALTER TABLE connections ADD COLUMN trading_ends_at TEXT;",
];

/// The keyfolio database.
pub struct Db {
    pub(super) conn: Connection,
    /// Where the current prune pass stands (see `history`).
    pub(super) prune_cursor: super::history::PruneCursor,
}

/// The duplicate check, inside whatever transaction `conn` is; `except` is a connection
/// that does not count (the one whose key is being replaced).
fn check_new(
    conn: &Connection,
    exchange: ExchangeId,
    key_hash: Option<&str>,
    account_hash: Option<&str>,
    except: Option<i64>,
) -> Result<()> {
    let live = |column: &str, hash: &str| -> Result<Option<String>> {
        Ok(row_cached(
            conn,
            &format!(
                "SELECT label FROM connections
                     WHERE exchange = ?1 AND {column} = ?2 AND disconnected_at IS NULL
                        AND id IS NOT ?3"
            ),
            params![exchange.id(), hash, except],
            |r| r.get(0),
        )
        .optional()?)
    };
    if let Some(label) = key_hash.map(|h| live("key_hash", h)).transpose()?.flatten() {
        return Err(StoreError::Duplicate(label));
    }
    if let Some(label) = account_hash
        .map(|h| live("account_hash", h))
        .transpose()?
        .flatten()
    {
        return Err(StoreError::SameAccount(label));
    }
    Ok(())
}

/// How a key type is stored.
fn key_type_code(k: KeyType) -> &'static str {
    if k == KeyType::Ed25519 {
        "ed25519"
    } else {
        "hmac"
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn parse_ts(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A connection row's columns, in [`connection_from_row`]'s order (a macro, so the
/// queries below are whole strings at compile time).
macro_rules! connection_columns {
    () => {
        "id, exchange, label, auth_kind, endpoint, sandbox, key_hint, key_type, secret_ref,
    perm_read, perm_trade, perm_withdraw, ip_restricted, permissions_checked_at, created_at,
    last_synced_at, last_attempt_at, last_error_kind, last_error_message, error_since,
    failure_streak, paused, next_sync_at, sync_interval_secs, unreadable_wallets,
    key_expires_at, trading_ends_at"
    };
}

fn connection_from_row(row: &Row) -> rusqlite::Result<ConnectionRecord> {
    let exchange: String = row.get(1)?;
    let perm_read: Option<bool> = row.get(9)?;
    let permissions = match perm_read {
        Some(read) => Some(Permissions {
            read,
            trade: row.get::<_, Option<bool>>(10)?.unwrap_or(false),
            withdraw: row.get::<_, Option<bool>>(11)?.unwrap_or(false),
            ip_restricted: row.get::<_, Option<bool>>(12)?.unwrap_or(false),
        }),
        None => None,
    };
    let error_kind: Option<String> = row.get(17)?;
    let last_error = error_kind
        .and_then(|k| FailureKind::from_code(&k))
        .map(|kind| -> rusqlite::Result<StoredError> {
            Ok(StoredError {
                kind,
                message: row.get::<_, Option<String>>(18)?.unwrap_or_default(),
                since: parse_ts(row.get(19)?).unwrap_or_default(),
            })
        })
        .transpose()?;
    let key_type: Option<String> = row.get(7)?;
    Ok(ConnectionRecord {
        id: row.get(0)?,
        exchange: ExchangeId::from_stored(&exchange),
        label: row.get(2)?,
        auth_kind: if row.get::<_, String>(3)? == "oauth" {
            AuthKind::OAuth
        } else {
            AuthKind::ApiKey
        },
        endpoint: Endpoint {
            base_url: row.get(4)?,
            sandbox: row.get(5)?,
        },
        key_hint: row.get(6)?,
        key_type: key_type.map(|t| {
            if t == "ed25519" {
                KeyType::Ed25519
            } else {
                KeyType::Hmac
            }
        }),
        secret_ref: row.get(8)?,
        permissions,
        permissions_checked_at: parse_ts(row.get(13)?),
        created_at: parse_ts(row.get(14)?).unwrap_or_default(),
        last_synced_at: parse_ts(row.get(15)?),
        last_attempt_at: parse_ts(row.get(16)?),
        last_error,
        failure_streak: row.get(20)?,
        paused: row.get(21)?,
        next_sync_at: parse_ts(row.get(22)?),
        sync_interval_secs: row.get(23)?,
        // Written by keyfolio as JSON; anything else (hand-edited) means none known.
        unreadable_wallets: row
            .get::<_, Option<String>>(24)?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default(),
        expiry: crate::model::KeyExpiry {
            key_expires_at: parse_ts(row.get(25)?),
            trading_ends_at: parse_ts(row.get(26)?),
        },
    })
}

impl Db {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Room for every statement a sync runs (rusqlite keeps 16): past that, each sync
        // prepared again what the last one evicted (#28).
        conn.set_prepared_statement_cache_capacity(64);
        let mut db = Self {
            conn,
            prune_cursor: Default::default(),
        };
        db.migrate()?;
        for file in [
            path.to_path_buf(),
            path.with_extension("db-wal"),
            path.with_extension("db-shm"),
        ] {
            crate::config::restrict_permissions(&file, 0o600);
        }
        Ok(db)
    }

    /// Brings the schema up to date. Two processes can open a new database at once (the
    /// TUI and a CLI command): the version is read again under the write lock, so the one
    /// that waited finds the schema current instead of creating its tables a second time.
    fn migrate(&mut self) -> Result<()> {
        if self.schema_version()? == MIGRATIONS.len() as i64 {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew(version));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Keyed hash of an API key: refuses duplicates without storing the key.
    pub fn key_hash(&mut self, api_key: &str) -> Result<String> {
        let salt: Option<Vec<u8>> = row_cached(
            &self.conn,
            "SELECT value FROM meta WHERE key = 'key_hash_salt'",
            [],
            |r| r.get(0),
        )
        .optional()?;
        let Some(salt) = salt else {
            let fresh: [u8; 32] = rand::random();
            exec_cached(
                &self.conn,
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('key_hash_salt', ?1)",
                params![fresh.to_vec()],
            )?;
            return self.key_hash(api_key);
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&salt).expect("HMAC takes any key length");
        mac.update(api_key.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// The label of the live connection already using this key, if any.
    /// Refuses a new connection whose API key, or exchange account, a live connection of
    /// the exchange already has.
    pub fn check_new(
        &self,
        exchange: ExchangeId,
        key_hash: Option<&str>,
        account_hash: Option<&str>,
    ) -> Result<()> {
        check_new(&self.conn, exchange, key_hash, account_hash, None)
    }

    /// The account hash a connection was saved with (none where the exchange never told
    /// the account number).
    pub fn account_hash_of(&self, id: i64) -> Result<Option<String>> {
        Ok(row_cached(
            &self.conn,
            "SELECT account_hash FROM connections WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?)
    }

    /// Notes a secret-store entry about to be written, so a crash cannot orphan it.
    pub fn add_pending_secret(&self, secret_ref: &str, now: DateTime<Utc>) -> Result<()> {
        exec_cached(
            &self.conn,
            "INSERT OR REPLACE INTO pending_secrets (secret_ref, created_at) VALUES (?1, ?2)",
            params![secret_ref, ts(now)],
        )?;
        Ok(())
    }

    pub fn remove_pending_secret(&self, secret_ref: &str) -> Result<()> {
        exec_cached(
            &self.conn,
            "DELETE FROM pending_secrets WHERE secret_ref = ?1",
            params![secret_ref],
        )?;
        Ok(())
    }

    /// Secret references written but never attached to a connection (a crash mid-connect),
    /// or detached from one whose key was replaced (a crash before the old entry went).
    pub fn orphaned_secrets(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT secret_ref FROM pending_secrets
             WHERE secret_ref NOT IN (SELECT secret_ref FROM connections WHERE disconnected_at IS NULL)",
        )?;
        let refs = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(refs)
    }

    /// Saves a validated connection with its first balances, in one transaction.
    pub fn insert_connection(
        &mut self,
        new: &NewConnection,
        snapshot: &AccountSnapshot,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        check_new(
            &tx,
            new.exchange,
            new.key_hash.as_deref(),
            new.account_hash.as_deref(),
            None,
        )?;
        exec_cached(&tx,
            "INSERT INTO connections (exchange, label, auth_kind, endpoint, sandbox, key_hint, key_hash,
                key_type, secret_ref, created_at, account_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                new.exchange.id(),
                new.label,
                new.auth_kind.code(),
                new.endpoint.base_url,
                new.endpoint.sandbox,
                new.key_hint,
                new.key_hash,
                new.key_type.map(key_type_code),
                new.secret_ref,
                ts(now),
                new.account_hash,
            ],
        )?;
        let id = tx.last_insert_rowid();
        write_success(&tx, id, snapshot, now)?;
        exec_cached(
            &tx,
            "DELETE FROM pending_secrets WHERE secret_ref = ?1",
            params![new.secret_ref],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The keyed hashes a live connection's key and account were saved with.
    pub fn key_hashes(&self, id: i64) -> Result<(Option<String>, Option<String>)> {
        row_cached(
            &self.conn,
            "SELECT key_hash, account_hash FROM connections
             WHERE id = ?1 AND disconnected_at IS NULL",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound(id))
    }

    /// The database half of a key rotation, in one transaction: the connection whose
    /// secret is still `old_ref` takes the new key's secret reference, hint, hashes, type
    /// and endpoint (its id, label and exchange stay; `key.label` and `key.auth_kind` are
    /// not read), the new key's snapshot is recorded as a good sync (permissions and
    /// expiry replaced, unknown ones cleared), `key.secret_ref` leaves the pending
    /// secrets and `old_ref` joins them, so a crash before the old entry is deleted
    /// leaves it to [`Db::orphaned_secrets`].
    ///
    /// Refused, nothing changed, when the row's secret is no longer `old_ref` (another
    /// rotation or a disconnect came first), when `key.secret_ref` is no longer pending (a
    /// start-up cleanup took it for an orphan), or when another live connection has the
    /// key or the account.
    pub fn replace_key(
        &mut self,
        id: i64,
        old_ref: &str,
        key: &NewConnection,
        snapshot: &AccountSnapshot,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let current: Option<String> = row_cached(
            &tx,
            "SELECT secret_ref FROM connections WHERE id = ?1 AND disconnected_at IS NULL",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
        if current.as_deref() != Some(old_ref) {
            return Err(StoreError::Changed(id));
        }
        let pending: bool = row_cached(
            &tx,
            "SELECT EXISTS (SELECT 1 FROM pending_secrets WHERE secret_ref = ?1)",
            params![key.secret_ref],
            |r| r.get(0),
        )?;
        if !pending {
            return Err(StoreError::Changed(id));
        }
        check_new(
            &tx,
            key.exchange,
            key.key_hash.as_deref(),
            key.account_hash.as_deref(),
            Some(id),
        )?;
        exec_cached(
            &tx,
            "UPDATE connections SET secret_ref = ?2, key_hint = ?3, key_hash = ?4, key_type = ?5,
                account_hash = ?6, endpoint = ?7, sandbox = ?8, perm_read = NULL,
                perm_trade = NULL, perm_withdraw = NULL, ip_restricted = NULL,
                permissions_checked_at = NULL, key_expires_at = NULL, trading_ends_at = NULL
             WHERE id = ?1",
            params![
                id,
                key.secret_ref,
                key.key_hint,
                key.key_hash,
                key.key_type.map(key_type_code),
                key.account_hash,
                key.endpoint.base_url,
                key.endpoint.sandbox,
            ],
        )?;
        write_success(&tx, id, snapshot, now)?;
        exec_cached(
            &tx,
            "DELETE FROM pending_secrets WHERE secret_ref = ?1",
            params![key.secret_ref],
        )?;
        exec_cached(
            &tx,
            "INSERT OR REPLACE INTO pending_secrets (secret_ref, created_at) VALUES (?1, ?2)",
            params![old_ref, ts(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Live connections, oldest first.
    pub fn connections(&self) -> Result<Vec<ConnectionRecord>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT ",
            connection_columns!(),
            " FROM connections WHERE disconnected_at IS NULL ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], connection_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn connection(&self, id: i64) -> Result<ConnectionRecord> {
        row_cached(
            &self.conn,
            concat!(
                "SELECT ",
                connection_columns!(),
                " FROM connections WHERE id = ?1 AND disconnected_at IS NULL"
            ),
            params![id],
            connection_from_row,
        )
        .optional()?
        .ok_or(StoreError::NotFound(id))
    }

    /// Labels in use, for suggesting "Binance 2".
    pub fn labels(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT label FROM connections WHERE disconnected_at IS NULL")?;
        let labels = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(labels)
    }

    /// Records a good sync: a new balance snapshot and a cleared error, in one transaction.
    pub fn record_success(
        &mut self,
        id: i64,
        snapshot: &AccountSnapshot,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_success(&tx, id, snapshot, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a failed sync. The last good balances stay untouched.
    pub fn record_failure(
        &mut self,
        id: i64,
        failure: &Failure,
        paused: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_failure(&tx, id, failure, paused, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a finished sync in one transaction: its outcome (a failure with whether it
    /// pauses the connection), the next planned sync, and the end of `owner`'s lease.
    /// The outcome is dropped when the connection's key was replaced while the sync ran
    /// with `key_ref`'s: the old key's permissions, or its refusal, are not the new key's.
    /// Returns whether the outcome was recorded.
    pub fn finish_sync(
        &mut self,
        id: i64,
        key_ref: &str,
        outcome: std::result::Result<&AccountSnapshot, (&Failure, bool)>,
        now: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        owner: &str,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let current: Option<String> = row_cached(
            &tx,
            "SELECT secret_ref FROM connections WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
        let recorded = current.as_deref() == Some(key_ref);
        if recorded {
            match outcome {
                Ok(snapshot) => write_success(&tx, id, snapshot, now)?,
                Err((failure, paused)) => write_failure(&tx, id, failure, paused, now)?,
            }
        }
        exec_cached(&tx,
            "UPDATE connections SET next_sync_at = ?2,
                sync_lease_until = CASE WHEN sync_lease_owner = ?3 THEN NULL ELSE sync_lease_until END,
                sync_lease_owner = CASE WHEN sync_lease_owner = ?3 THEN NULL ELSE sync_lease_owner END
             WHERE id = ?1",
            params![id, next.map(ts), owner],
        )?;
        tx.commit()?;
        Ok(recorded)
    }

    /// Sets or clears the pause of a connection (a Resync clears it).
    pub fn set_paused(&self, id: i64, paused: bool) -> Result<()> {
        exec_cached(
            &self.conn,
            "UPDATE connections SET paused = ?2 WHERE id = ?1",
            params![id, paused],
        )?;
        Ok(())
    }

    /// [`Self::set_paused`] for several connections, in one transaction.
    pub fn set_paused_many(&mut self, ids: &[i64], paused: bool) -> Result<()> {
        let tx = self.conn.transaction()?;
        for &id in ids {
            exec_cached(
                &tx,
                "UPDATE connections SET paused = ?2 WHERE id = ?1",
                params![id, paused],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A connection's own sync interval; `None` follows the global setting.
    pub fn set_interval(&self, id: i64, secs: Option<u64>) -> Result<()> {
        let changed = exec_cached(
            &self.conn,
            "UPDATE connections SET sync_interval_secs = ?2 WHERE id = ?1 AND disconnected_at IS NULL",
            params![id, secs.map(|s| s as i64)],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(id));
        }
        Ok(())
    }

    pub fn set_next_sync(&self, id: i64, at: Option<DateTime<Utc>>) -> Result<()> {
        exec_cached(
            &self.conn,
            "UPDATE connections SET next_sync_at = ?2 WHERE id = ?1",
            params![id, at.map(ts)],
        )?;
        Ok(())
    }

    /// The balances of the last good sync and when it happened.
    pub fn latest_balances(&self, id: i64) -> Result<(Vec<Balance>, Option<DateTime<Utc>>)> {
        let run: Option<(i64, String)> = row_cached(&self.conn,
                "SELECT id, finished_at FROM sync_runs WHERE connection_id = ?1 AND ok = 1 ORDER BY id DESC LIMIT 1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((run_id, at)) = run else {
            return Ok((Vec::new(), None));
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT wallet, asset, free, used, total, approximate FROM balances WHERE sync_run_id = ?1 ORDER BY asset, wallet",
        )?;
        let balances = stmt
            .query_map(params![run_id], |r| {
                Ok(Balance {
                    wallet: wallet_column(r.get_ref(0)?)?,
                    asset: r.get(1)?,
                    free: r.get(2)?,
                    used: r.get(3)?,
                    total: r.get(4)?,
                    approximate: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok((balances, parse_ts(Some(at))))
    }

    /// The last `limit` sync attempts, newest first.
    pub fn sync_history(&self, id: i64, limit: usize) -> Result<Vec<SyncRun>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT finished_at, ok, error_kind, message FROM sync_runs
             WHERE connection_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let runs = stmt
            .query_map(params![id, limit as i64], |r| {
                Ok(SyncRun {
                    finished_at: parse_ts(r.get(0)?).unwrap_or_default(),
                    ok: r.get(1)?,
                    error_kind: r
                        .get::<_, Option<String>>(2)?
                        .and_then(|k| FailureKind::from_code(&k)),
                    message: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(runs)
    }

    /// Removes a connection from the list. `purge` also deletes its balance history.
    /// Returns the secret reference, which the caller deletes from the secret store.
    pub fn disconnect(&mut self, id: i64, purge: bool, now: DateTime<Utc>) -> Result<String> {
        let record = self.connection(id)?;
        let tx = self.conn.transaction()?;
        if purge {
            exec_cached(&tx, "DELETE FROM connections WHERE id = ?1", params![id])?;
        } else {
            exec_cached(
                &tx,
                "UPDATE connections SET disconnected_at = ?2, key_hash = NULL, account_hash = NULL
                 WHERE id = ?1",
                params![id, ts(now)],
            )?;
        }
        tx.commit()?;
        Ok(record.secret_ref)
    }

    /// Takes the sync lease of a connection for `owner` until `until`, unless another
    /// owner holds an unexpired one. Returns whether this owner holds it now.
    pub fn claim_sync(
        &self,
        id: i64,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let changed = exec_cached(&self.conn,
            "UPDATE connections SET sync_lease_until = ?3, sync_lease_owner = ?2
             WHERE id = ?1 AND (sync_lease_until IS NULL OR sync_lease_until < ?4 OR sync_lease_owner = ?2)",
            params![id, owner, ts(until), ts(now)],
        )?;
        Ok(changed == 1)
    }

    pub fn release_sync(&self, id: i64, owner: &str) -> Result<()> {
        exec_cached(
            &self.conn,
            "UPDATE connections SET sync_lease_until = NULL, sync_lease_owner = NULL
             WHERE id = ?1 AND sync_lease_owner = ?2",
            params![id, owner],
        )?;
        Ok(())
    }

    /// The underlying connection, for integrity checks in tests and `doctor`.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

fn write_failure(
    tx: &rusqlite::Transaction,
    id: i64,
    failure: &Failure,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    exec_cached(
        tx,
        "INSERT INTO sync_runs (connection_id, finished_at, ok, error_kind, message) VALUES (?1, ?2, 0, ?3, ?4)",
        params![id, ts(now), failure.kind.code(), failure.detail],
    )?;
    exec_cached(tx,
        "UPDATE connections SET last_attempt_at = ?2, last_error_kind = ?3, last_error_message = ?4,
            error_since = COALESCE(error_since, ?2), failure_streak = failure_streak + 1, paused = ?5
         WHERE id = ?1",
        params![id, ts(now), failure.kind.code(), failure.detail, paused],
    )?;
    Ok(())
}

fn write_success(
    tx: &rusqlite::Transaction,
    id: i64,
    snapshot: &AccountSnapshot,
    now: DateTime<Utc>,
) -> Result<()> {
    exec_cached(
        tx,
        "INSERT INTO sync_runs (connection_id, finished_at, ok) VALUES (?1, ?2, 1)",
        params![id, ts(now)],
    )?;
    let run_id = tx.last_insert_rowid();
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO balances (sync_run_id, wallet, asset, free, used, total, approximate)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for b in &snapshot.balances {
            stmt.execute(params![
                run_id,
                b.wallet.code(),
                b.asset,
                b.free,
                b.used,
                b.total,
                b.approximate
            ])?;
        }
    }
    let unreadable = (!snapshot.unreadable.is_empty())
        .then(|| serde_json::to_string(&snapshot.unreadable).expect("plain data serialises"));
    exec_cached(
        tx,
        "UPDATE connections SET last_synced_at = ?2, last_attempt_at = ?2, last_error_kind = NULL,
            last_error_message = NULL, error_since = NULL, failure_streak = 0, paused = 0,
            unreadable_wallets = ?3
         WHERE id = ?1",
        params![id, ts(now), unreadable],
    )?;
    if let Some(p) = snapshot.permissions {
        exec_cached(tx,
            "UPDATE connections SET perm_read = ?2, perm_trade = ?3, perm_withdraw = ?4, ip_restricted = ?5,
                permissions_checked_at = ?6, key_expires_at = ?7, trading_ends_at = ?8 WHERE id = ?1",
            params![
                id,
                p.read,
                p.trade,
                p.withdraw,
                p.ip_restricted,
                ts(now),
                snapshot.expiry.key_expires_at.map(ts),
                snapshot.expiry.trading_ends_at.map(ts)
            ],
        )?;
    }
    Ok(())
}

impl Db {
    /// The last good balances of every live connection, by connection id.
    pub fn holdings(&self) -> Result<Vec<(i64, Vec<Balance>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.connection_id, b.wallet, b.asset, b.free, b.used, b.total, b.approximate FROM balances b
             JOIN sync_runs r ON r.id = b.sync_run_id
             JOIN connections c ON c.id = r.connection_id AND c.disconnected_at IS NULL
             WHERE r.id IN (SELECT MAX(id) FROM sync_runs WHERE ok = 1 GROUP BY connection_id)
             ORDER BY r.connection_id, b.asset, b.wallet",
        )?;
        let rows: Vec<(i64, Balance)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Balance {
                        wallet: wallet_column(r.get_ref(1)?)?,
                        asset: r.get(2)?,
                        free: r.get(3)?,
                        used: r.get(4)?,
                        total: r.get(5)?,
                        approximate: r.get(6)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .chunk_by(|a, b| a.0 == b.0)
            .map(|chunk| (chunk[0].0, chunk.iter().map(|(_, b)| b.clone()).collect()))
            .collect())
    }
}

/// A stored wallet code; one this build does not know (a newer keyfolio wrote it) reads
/// as an error, not as spot.
fn wallet_column(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Wallet> {
    let code = value.as_str()?;
    Wallet::from_code(code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown wallet `{code:.32}`").into(),
        )
    })
}

/// Runs a statement from the connection's cache of prepared statements: the sync path
/// runs the same few statements thousands of times, and SQLite's parser was a tenth of
/// a cold `sync --all`.
fn exec_cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// The one row a cached statement returns.
fn row_cached<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written by keyfolio before wallets (schema 5) opens with each
    /// balance in the one wallet it came from: OKX's trading account, anyone else's spot.
    #[test]
    fn schema_5_balances_move_to_their_wallets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyfolio.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            for (index, sql) in MIGRATIONS[..5].iter().enumerate() {
                tx.execute_batch(sql).unwrap();
                tx.pragma_update(None, "user_version", index as i64 + 1)
                    .unwrap();
            }
            tx.execute_batch(
                "INSERT INTO connections (id, exchange, label, key_hint, secret_ref, created_at)
                    VALUES (1, 'okx', 'O', '1234', 'r1', '2026-01-01T00:00:00Z'),
                           (2, 'binance', 'B', '5678', 'r2', '2026-01-01T00:00:00Z');
                 INSERT INTO sync_runs (id, connection_id, finished_at, ok)
                    VALUES (10, 1, '2026-01-01T00:00:00Z', 1), (20, 2, '2026-01-01T00:00:00Z', 1);
                 INSERT INTO balances (sync_run_id, asset, free, used, total)
                    VALUES (10, 'BTC', '1', '0', '1'), (20, 'ETH', '2', '0.5', '2.5');",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), 7);
        let holdings = db.holdings().unwrap();
        let okx = &holdings.iter().find(|(id, _)| *id == 1).unwrap().1;
        let binance = &holdings.iter().find(|(id, _)| *id == 2).unwrap().1;
        assert_eq!(
            (okx[0].wallet, okx[0].asset.as_str()),
            (Wallet::Trading, "BTC")
        );
        assert_eq!(binance[0].wallet, Wallet::Spot);
        assert_eq!(binance[0].total, "2.5");
        assert!(db.connections().unwrap()[0].unreadable_wallets.is_empty());
    }
}
