//! Value history (issue #12): value and total points read back in order, and the total
//! coalesces within a minute.

use chrono::{DateTime, Duration, TimeZone, Utc};
use keyfolio::model::{AccountSnapshot, AuthKind, Balance, Endpoint, ExchangeId, NewConnection};
use keyfolio::store::db::Db;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn snapshot() -> AccountSnapshot {
    let balance = |asset: &str, amount: &str| Balance {
        asset: asset.into(),
        free: amount.into(),
        used: "0".into(),
        total: amount.into(),
        approximate: false,
    };
    AccountSnapshot {
        balances: vec![balance("BTC", "0.5"), balance("USDT", "100")],
        permissions: None,
        account_id: None,
    }
}

/// A database file with `n` connections, each with one good sync at `first(i)`.
fn with_connections(
    n: usize,
    first: impl Fn(usize) -> DateTime<Utc>,
) -> (tempfile::TempDir, PathBuf, Db, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyfolio.db");
    let mut db = Db::open(&path).unwrap();
    let ids = (0..n)
        .map(|i| {
            let new = NewConnection {
                exchange: ExchangeId::Binance,
                label: format!("Account {i}"),
                auth_kind: AuthKind::ApiKey,
                endpoint: Endpoint::default(),
                key_hint: "1234".into(),
                key_hash: Some(format!("hash-{i}")),
                account_hash: None,
                key_type: None,
                secret_ref: format!("ref-{i}"),
            };
            db.insert_connection(&new, &snapshot(), first(i)).unwrap()
        })
        .collect();
    (dir, path, db, ids)
}

fn count(path: &Path, sql: &str) -> i64 {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn record_total_keeps_one_point_a_minute() {
    let (_dir, path, mut db, _) = with_connections(0, |_| Utc::now());
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let s = Duration::seconds;
    db.record_total(t, "USDT", dec("100"), 0).unwrap();
    db.record_total(t + s(30), "USDT", dec("101"), 1).unwrap();
    // 59 s after the first, 29 s after the newest: replaces it too.
    db.record_total(t + s(59), "USDT", dec("102.5"), 2).unwrap();
    // 60 s after the newest: a point of its own.
    db.record_total(t + s(119), "USDT", dec("103"), 0).unwrap();
    db.record_total(t + s(300), "USDT", dec("104"), 0).unwrap();
    assert_eq!(
        db.total_history("USDT", None).unwrap(),
        vec![
            (t + s(59), dec("102.5")),
            (t + s(119), dec("103")),
            (t + s(300), dec("104"))
        ]
    );
    let unpriced = count(
        &path,
        &format!(
            "SELECT unpriced FROM total_history WHERE at = '{}'",
            ts(t + s(59))
        ),
    );
    assert_eq!(
        unpriced, 2,
        "the replacing point's count of unpriced assets"
    );
}

#[test]
fn history_reads_back_oldest_first_and_from_since() {
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let (_dir, _path, mut db, ids) = with_connections(2, |_| t);
    let h = Duration::hours;
    // Recorded out of order, in two quotes and for two connections.
    for (id, hours, quote, value) in [
        (ids[0], 3, "USDT", "30"),
        (ids[0], 1, "USDT", "10.5"),
        (ids[1], 2, "USDT", "999"),
        (ids[0], 2, "EUR", "18"),
        (ids[0], 2, "USDT", "20"),
    ] {
        db.record_value(id, t + h(hours), quote, dec(value))
            .unwrap();
    }
    let first = [
        (t + h(1), dec("10.5")),
        (t + h(2), dec("20")),
        (t + h(3), dec("30")),
    ];
    assert_eq!(db.value_history(ids[0], "USDT", None).unwrap(), first);
    assert_eq!(
        db.value_history(ids[0], "USDT", Some(t + h(2))).unwrap(),
        first[1..],
        "since is inclusive"
    );
    assert_eq!(
        db.value_history(ids[0], "EUR", None).unwrap(),
        [(t + h(2), dec("18"))]
    );
    assert_eq!(
        db.value_history(ids[1], "USDT", None).unwrap(),
        [(t + h(2), dec("999"))]
    );
    assert!(
        db.value_history(ids[0], "USDT", Some(t + h(4)))
            .unwrap()
            .is_empty()
    );

    for (hours, quote, total) in [
        (3, "USDT", "3"),
        (1, "USDT", "1"),
        (4, "EUR", "4"),
        (2, "USDT", "2"),
    ] {
        db.record_total(t + h(hours), quote, dec(total), 0).unwrap();
    }
    assert_eq!(
        db.total_history("USDT", None).unwrap(),
        [
            (t + h(1), dec("1")),
            (t + h(2), dec("2")),
            (t + h(3), dec("3"))
        ]
    );
    assert_eq!(
        db.total_history("USDT", Some(t + h(2))).unwrap(),
        [(t + h(2), dec("2")), (t + h(3), dec("3"))]
    );
    assert_eq!(
        db.total_history("EUR", None).unwrap(),
        [(t + h(4), dec("4"))]
    );
}
