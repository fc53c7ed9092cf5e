//! Value history: each connection's value and the portfolio total over time, in the
//! quote currency, as decimal strings.

use super::db::{Db, Result, parse_ts, ts};
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, params};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A stored (time, decimal) point; a value that does not read back is a storage error.
fn point(row: &Row) -> rusqlite::Result<(DateTime<Utc>, Decimal)> {
    let bad = |column, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(column, Type::Text, e)
    };
    let at = parse_ts(row.get(0)?).ok_or_else(|| bad(0, "not an RFC 3339 time".into()))?;
    let value = Decimal::from_str(&row.get::<_, String>(1)?).map_err(|e| bad(1, Box::new(e)))?;
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
        self.conn.execute(
            "INSERT INTO value_history (connection_id, at, quote, value) VALUES (?1, ?2, ?3, ?4)",
            params![connection_id, ts(at), quote, value.to_string()],
        )?;
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
}
