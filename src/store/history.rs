//! Value history (per connection and of the portfolio total), and the prune that keeps
//! it and the sync runs with their balances bounded.
//!
//! The policy, for each connection's sync runs and value points and for the total's
//! points: every point younger than 48 hours stays; from 48 hours to 90 days the newest of
//! each hour (UTC) stays; beyond 90 days the newest of each day (UTC). Each connection's
//! latest sync run and latest successful one (its last good balances) always stay, as
//! does the latest point of each series. "Newest" is the last recorded: points are
//! recorded as syncs finish, in time order. Hours and days are calendar ones, so a point
//! kept once stays kept as it ages from one band into the next.

use super::db::{Db, Result, parse_ts, ts};
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

/// Every point younger than this stays.
pub const KEEP_ALL_HOURS: i64 = 48;
/// Up to this age one point an hour stays; beyond it, one a day.
pub const HOURLY_DAYS: i64 = 90;
/// Rows one `prune` call reads, about: a call stays short even where little goes.
const SCAN: usize = 4096;

/// What one `prune` call removed, and whether the pass has more to look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub sync_runs: usize,
    /// The balances of the removed sync runs.
    pub balances: usize,
    pub value_history: usize,
    pub total_history: usize,
    /// Call `prune` again: the pass has not reached the end of every table.
    pub more: bool,
}

impl PruneReport {
    /// Rows removed, all tables together.
    pub fn removed(&self) -> usize {
        self.sync_runs + self.balances + self.value_history + self.total_history
    }
}

impl std::ops::AddAssign for PruneReport {
    /// Sums the counts; `more` is the later report's.
    fn add_assign(&mut self, other: Self) {
        self.sync_runs += other.sync_runs;
        self.balances += other.balances;
        self.value_history += other.value_history;
        self.total_history += other.total_history;
        self.more = other.more;
    }
}

/// Where a prune pass stands: the table (index in `TABLES`), the last rowid read, and per
/// series (connection, or the total) the last point read, whose fate waits for its next.
#[derive(Debug, Default)]
pub(super) struct PruneCursor {
    table: usize,
    after: i64,
    series: HashMap<i64, Last>,
}

/// A series' last point read, and a good sync run that can go once a later good one shows.
#[derive(Debug)]
struct Last {
    rowid: i64,
    time: String,
    good: bool,
    waiting: Option<i64>,
}

/// The tables the prune thins, each read in rowid order (the order points are recorded
/// in) as (rowid, series, time, good): only sync runs have a good one to keep.
const TABLES: [(&str, &str); 3] = [
    (
        "sync_runs",
        "SELECT id, connection_id, finished_at, ok FROM sync_runs WHERE id > ?1 ORDER BY id LIMIT ?2",
    ),
    (
        "value_history",
        "SELECT rowid, connection_id, at, 0 FROM value_history WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    ),
    (
        "total_history",
        "SELECT rowid, 0, at, 0 FROM total_history WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    ),
];

/// Whether two stored times share the hour, or the day with `daily`.
fn same_bucket(a: &str, b: &str, daily: bool) -> bool {
    let len = if daily { 10 } else { 13 };
    a.get(..len).is_some_and(|a| b.get(..len) == Some(a))
}

/// A stored (time, decimal) point; a value that does not read back is a storage error.
fn point(row: &Row) -> rusqlite::Result<(DateTime<Utc>, Decimal)> {
    point_at(row, 0)
}

/// The point in columns `first` (time) and `first + 1` (value).
fn point_at(row: &Row, first: usize) -> rusqlite::Result<(DateTime<Utc>, Decimal)> {
    let bad = |column, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(column, Type::Text, e)
    };
    let at = parse_ts(row.get(first)?).ok_or_else(|| bad(first, "not an RFC 3339 time".into()))?;
    let value = Decimal::from_str(&row.get::<_, String>(first + 1)?)
        .map_err(|e| bad(first + 1, Box::new(e)))?;
    Ok((at, value))
}

impl Db {
    /// A connection's value in `quote` after a successful sync.
    pub fn record_value(
        &mut self,
        connection_id: i64,
        at: DateTime<Utc>,
        quote: &str,
        value: Decimal,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO value_history (connection_id, at, quote, value) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![connection_id, ts(at), quote, value.to_string()])?;
        Ok(())
    }

    /// The portfolio's total in `quote`, with how many assets were left out for lack of a
    /// price. One point a minute at most: a point less than 60 s after the newest one
    /// replaces it.
    pub fn record_total(
        &mut self,
        at: DateTime<Utc>,
        quote: &str,
        total: Decimal,
        unpriced: usize,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let newest: Option<String> = tx
            .query_row(
                "SELECT at FROM total_history ORDER BY at DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let recent = parse_ts(newest.clone())
            .is_some_and(|n| n <= at && at - n < chrono::Duration::seconds(60));
        let values = params![ts(at), quote, total.to_string(), unpriced as i64, newest];
        if recent {
            tx.execute(
                "UPDATE total_history SET at = ?1, quote = ?2, total = ?3, unpriced = ?4 WHERE at = ?5",
                values,
            )?;
        } else {
            tx.execute(
                "INSERT OR REPLACE INTO total_history (at, quote, total, unpriced)
                 VALUES (?1, ?2, ?3, ?4)",
                &values[..4],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The total's points in `quote` from `since` on (all without it), oldest first.
    pub fn total_history(
        &self,
        quote: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(DateTime<Utc>, Decimal)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, total FROM total_history WHERE quote = ?1 AND at >= ?2 ORDER BY at",
        )?;
        let points = stmt
            .query_map(params![quote, since.map(ts).unwrap_or_default()], point)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(points)
    }

    /// Each connection's value in `quote` at `at`: its newest point no older than
    /// `window` before it, by connection id. A connection without one is left out.
    pub fn values_at(
        &self,
        quote: &str,
        at: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<HashMap<i64, Decimal>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.connection_id, v.at, v.value FROM value_history v
             WHERE v.quote = ?1 AND v.at <= ?2 AND v.at >= ?3
               AND v.at = (SELECT MAX(w.at) FROM value_history w
                           WHERE w.connection_id = v.connection_id AND w.quote = ?1
                             AND w.at <= ?2 AND w.at >= ?3)",
        )?;
        let rows = stmt
            .query_map(params![quote, ts(at), ts(at - window)], |row| {
                let id: i64 = row.get(0)?;
                let (_, value) = point_at(row, 1)?;
                Ok((id, value))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A connection's value points in `quote` from `since` on (all without it), oldest first.
    pub fn value_history(
        &self,
        connection_id: i64,
        quote: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(DateTime<Utc>, Decimal)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, value FROM value_history
             WHERE connection_id = ?1 AND quote = ?2 AND at >= ?3 ORDER BY at",
        )?;
        let points = stmt
            .query_map(
                params![connection_id, quote, since.map(ts).unwrap_or_default()],
                point,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(points)
    }

    /// One step of a prune pass (see the module's policy): removes at most `batch` rows
    /// (a sync run counts with its balances) in one short transaction, and says whether
    /// to call again. A pass reads sync runs, value points and total points in rowid
    /// order, a few thousand rows a call, and decides each point when its series' next
    /// one shows (a series' last point always stays); the next call resumes where this
    /// one stopped, and a new pass starts once one has ended.
    pub fn prune(&mut self, now: DateTime<Utc>, batch: usize) -> Result<PruneReport> {
        let batch = batch.max(1);
        let chunk = batch.clamp(64, SCAN);
        let keep_all = ts(now - chrono::Duration::hours(KEEP_ALL_HOURS));
        let hourly = ts(now - chrono::Duration::days(HOURLY_DAYS));
        let table = self.prune_cursor.table;
        let (name, scan) = TABLES[table];
        let runs = table == 0;
        let mut report = PruneReport::default();
        let (mut removed, mut scanned) = (0, 0);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cursor = &mut self.prune_cursor;
        // Chunks of rows until the batch is full, SCAN rows are read or the table ends.
        let ended = 'read: loop {
            let rows: Vec<(i64, i64, String, bool)> = tx
                .prepare_cached(scan)?
                .query_map(params![cursor.after, chunk as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let read = rows.len();
            for (rowid, series, time, good) in rows {
                // What this point's arrival lets go: its series' previous point when that
                // is old and shares its hour (its day beyond 90 days), unless that is a
                // good run and no later good one has shown yet; a good run waiting for one.
                let mut go = Vec::new();
                let mut waiting = None;
                if let Some(last) = cursor.series.get(&series) {
                    waiting = last.waiting;
                    if good {
                        go.extend(waiting.take());
                    }
                    if last.time < keep_all && same_bucket(&last.time, &time, last.time < hourly) {
                        if !last.good || good {
                            go.push(last.rowid);
                        } else {
                            waiting = Some(last.rowid);
                        }
                    }
                }
                let mut cost = go.len();
                if runs {
                    for id in &go {
                        cost += tx.query_row(
                            "SELECT COUNT(*) FROM balances WHERE sync_run_id = ?1",
                            params![id],
                            |r| r.get::<_, usize>(0),
                        )?;
                    }
                }
                if removed > 0 && removed + cost > batch {
                    break 'read false;
                }
                for id in go {
                    if runs {
                        report.balances +=
                            tx.execute("DELETE FROM balances WHERE sync_run_id = ?1", params![id])?;
                    }
                    let gone =
                        tx.execute(&format!("DELETE FROM {name} WHERE rowid = ?1"), params![id])?;
                    match table {
                        0 => report.sync_runs += gone,
                        1 => report.value_history += gone,
                        _ => report.total_history += gone,
                    }
                }
                removed += cost;
                cursor.after = rowid;
                let last = Last {
                    rowid,
                    time,
                    good,
                    waiting,
                };
                cursor.series.insert(series, last);
            }
            scanned += read;
            if read < chunk {
                break true;
            }
            if scanned >= SCAN {
                break false;
            }
        };
        tx.commit()?;

        // Resume in this table, go on with the next one, or end the pass.
        report.more = true;
        if ended {
            *cursor = PruneCursor {
                table: table + 1,
                ..PruneCursor::default()
            };
            if cursor.table == TABLES.len() {
                cursor.table = 0;
                report.more = false;
            }
        }
        Ok(report)
    }
}
