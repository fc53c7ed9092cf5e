//! History that stays bounded (issue #12): value and total points read back in order, the
//! total coalesces within a minute, and the prune keeps exactly what its policy says on a
//! generated schedule, always the last good sync, cascades balances and is idempotent.

use chrono::{DateTime, Duration, TimeZone, Utc};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::model::{AccountSnapshot, AuthKind, Balance, Endpoint, ExchangeId, NewConnection};
use keyfolio::store::db::Db;
use keyfolio::store::{PruneReport, SecretStore};
use keyfolio::sync::Engine;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn snapshot() -> AccountSnapshot {
    let balance = |asset: &str, amount: &str| Balance {
        wallet: keyfolio::model::Wallet::Spot,
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
        ..Default::default()
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

/// One generated series: each point's time and whether it is a good sync.
type Series = Vec<(DateTime<Utc>, bool)>;

/// Writes sync runs (a good one with two balances and a value point) straight into the
/// file, in one transaction: the public API writes one transaction a sync, too slow for
/// months of history. The first point of each series is the connect's own run.
fn write_syncs(path: &Path, ids: &[i64], series: &[Series]) {
    let mut raw = rusqlite::Connection::open(path).unwrap();
    let tx = raw.transaction().unwrap();
    {
        let mut run = tx
            .prepare("INSERT INTO sync_runs (connection_id, finished_at, ok) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut balance = tx
            .prepare(
                "INSERT INTO balances (sync_run_id, asset, free, used, total) VALUES (?1, ?2, '1', '0', '1')",
            )
            .unwrap();
        let mut value = tx
            .prepare("INSERT INTO value_history (connection_id, at, quote, value) VALUES (?1, ?2, 'USDT', '123.45')")
            .unwrap();
        for (id, points) in ids.iter().zip(series) {
            value
                .execute(rusqlite::params![id, ts(points[0].0)])
                .unwrap();
            for &(at, ok) in &points[1..] {
                run.execute(rusqlite::params![id, ts(at), ok]).unwrap();
                if ok {
                    let run_id = tx.last_insert_rowid();
                    for asset in ["BTC", "USDT"] {
                        balance.execute(rusqlite::params![run_id, asset]).unwrap();
                    }
                    value.execute(rusqlite::params![id, ts(at)]).unwrap();
                }
            }
        }
    }
    tx.commit().unwrap();
}

/// Total points at the given times, in one transaction.
fn write_totals(path: &Path, points: &Series) {
    let mut raw = rusqlite::Connection::open(path).unwrap();
    let tx = raw.transaction().unwrap();
    for &(at, _) in points {
        tx.execute(
            "INSERT INTO total_history (at, quote, total, unpriced) VALUES (?1, 'USDT', '1000.01', 0)",
            [ts(at)],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

fn count(path: &Path, sql: &str) -> i64 {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A whole prune pass, each step no bigger than `batch` rows.
fn prune_pass(db: &mut Db, now: DateTime<Utc>, batch: usize) -> PruneReport {
    let mut total = PruneReport::default();
    for _ in 0..100_000 {
        let step = db.prune(now, batch).unwrap();
        assert!(step.removed() <= batch, "a step removed {step:?}");
        total += step;
        if !step.more {
            return total;
        }
    }
    panic!("the prune pass never ended");
}

/// What the policy keeps of a series, from buckets (not from neighbours, as the prune
/// finds them): younger than 48 h; else the newest of its hour up to 90 days, the newest
/// of its day beyond; for sync runs also the latest good one and the latest of all.
fn policy_keeps(points: &Series, now: DateTime<Utc>, runs: bool) -> BTreeSet<DateTime<Utc>> {
    // UTC hours and days are whole multiples of 3,600 and 86,400 s since the epoch.
    let newest = |secs: i64| {
        let mut newest: HashMap<i64, DateTime<Utc>> = HashMap::new();
        for &(t, _) in points {
            let slot = newest.entry(t.timestamp().div_euclid(secs)).or_insert(t);
            *slot = (*slot).max(t);
        }
        newest
    };
    let (hours, days) = (newest(3600), newest(86_400));
    let newest_of = |t: DateTime<Utc>, secs, buckets: &HashMap<i64, DateTime<Utc>>| {
        buckets[&t.timestamp().div_euclid(secs)] == t
    };
    let last = points.iter().map(|p| p.0).max();
    let last_good = points.iter().filter(|p| p.1).map(|p| p.0).max();
    points
        .iter()
        .map(|p| p.0)
        .filter(|&t| {
            t >= now - Duration::hours(48)
                || Some(t) == last
                || (runs && Some(t) == last_good)
                || if t >= now - Duration::days(90) {
                    newest_of(t, 3600, &hours)
                } else {
                    newest_of(t, 86_400, &days)
                }
        })
        .collect()
}

fn times(points: Vec<(DateTime<Utc>, Decimal)>) -> BTreeSet<DateTime<Utc>> {
    points.into_iter().map(|p| p.0).collect()
}

fn run_times(db: &Db, id: i64) -> BTreeSet<DateTime<Utc>> {
    db.sync_history(id, usize::MAX >> 1)
        .unwrap()
        .iter()
        .map(|r| r.finished_at)
        .collect()
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

#[test]
fn prune_keeps_what_the_policy_says_on_120_days_of_syncs() {
    // Three connections syncing every 5 minutes for 120 days, each at its own second.
    // The second fails every 7th sync; the third fails for good from day 20 on, so its
    // last good sync sits in the one-a-day band behind failures of the same day.
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let now = start + Duration::days(120) + Duration::seconds(90);
    let first = |c: usize| start + Duration::seconds(13 + 67 * c as i64);
    let (_dir, path, mut db, ids) = with_connections(3, first);
    let fails_from = start + Duration::days(20) + Duration::hours(7);
    let series: Vec<Series> = (0..3)
        .map(|c| {
            (0..)
                .map(|k| (k, first(c) + Duration::minutes(5 * k)))
                .take_while(|&(_, t)| t <= now)
                .map(|(k, t)| {
                    let ok = match c {
                        0 => true,
                        1 => k == 0 || k % 7 != 0,
                        _ => t < fails_from,
                    };
                    (t, ok)
                })
                .collect()
        })
        .collect();
    write_syncs(&path, &ids, &series);
    let totals: Series = series[0].iter().map(|&(t, _)| (t, true)).collect();
    write_totals(&path, &totals);
    let runs_before = count(&path, "SELECT COUNT(*) FROM sync_runs");
    let balances_before = count(&path, "SELECT COUNT(*) FROM balances");

    let report = prune_pass(&mut db, now, 97);

    let mut kept_runs = 0;
    let mut kept_good = 0;
    for (c, (&id, points)) in ids.iter().zip(&series).enumerate() {
        let expected = policy_keeps(points, now, true);
        assert_eq!(run_times(&db, id), expected, "sync runs of connection {c}");
        let good: Series = points.iter().copied().filter(|p| p.1).collect();
        assert_eq!(
            times(db.value_history(id, "USDT", None).unwrap()),
            policy_keeps(&good, now, false),
            "values of connection {c}"
        );
        kept_runs += expected.len() as i64;
        kept_good += points
            .iter()
            .filter(|p| p.1 && expected.contains(&p.0))
            .count() as i64;
    }
    let totals_kept = times(db.total_history("USDT", None).unwrap());
    assert_eq!(
        totals_kept,
        policy_keeps(&totals, now, false),
        "total points"
    );

    // The bands as the policy implies them, for the connection that never failed: every
    // sync of the last 48 h (12 an hour), one an hour to 90 days, one a day beyond.
    let kept = run_times(&db, ids[0]);
    let band = |from: i64, to: i64| {
        kept.iter()
            .filter(|&&t| t <= now - Duration::hours(from) && t > now - Duration::hours(to))
            .count()
    };
    assert_eq!(band(0, 48), 48 * 12);
    assert!(
        (88 * 24..=88 * 24 + 1).contains(&band(48, 90 * 24)),
        "{}",
        band(48, 90 * 24)
    );
    assert!(
        (30..=31).contains(&band(90 * 24, 121 * 24)),
        "{}",
        band(90 * 24, 121 * 24)
    );
    // The third connection's last good sync stayed, with its balances.
    let (balances, at) = db.latest_balances(ids[2]).unwrap();
    assert!(at.is_some_and(|at| at < fails_from && at > fails_from - Duration::minutes(5)));
    assert_eq!(balances.len(), 2);

    // Balances went with their runs, and the report counted every row.
    assert_eq!(count(&path, "SELECT COUNT(*) FROM sync_runs"), kept_runs);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM balances"), 2 * kept_good);
    assert_eq!(
        count(
            &path,
            "SELECT COUNT(*) FROM balances WHERE sync_run_id NOT IN (SELECT id FROM sync_runs)"
        ),
        0
    );
    assert_eq!(report.sync_runs as i64, runs_before - kept_runs);
    assert_eq!(report.balances as i64, balances_before - 2 * kept_good);
    assert_eq!(report.total_history, totals.len() - totals_kept.len());

    // A second pass finds nothing more to remove.
    let again = prune_pass(&mut db, now, 97);
    assert_eq!((again.removed(), again.more), (0, false), "{again:?}");
    assert_eq!(db.integrity_check().unwrap(), "ok");
}

#[test]
fn prune_keeps_a_last_good_sync_a_year_old() {
    // A good sync a year ago, then only failures, hourly: the last good balances stay.
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 30, 0).unwrap();
    let good = now - Duration::days(365);
    let (_dir, path, mut db, ids) = with_connections(2, |_| good);
    let failing: Series = (0..=365 * 24)
        .map(|h| (good + Duration::hours(h), h == 0))
        .collect();
    // The second connection's good syncs go on: only the one a day of a year ago stays.
    let healthy: Series = failing.iter().map(|&(t, _)| (t, true)).collect();
    write_syncs(&path, &ids, &[failing.clone(), healthy]);

    let report = prune_pass(&mut db, now, 500);
    assert!(report.sync_runs > 2 * 200, "{report:?}");

    let (balances, at) = db.latest_balances(ids[0]).unwrap();
    assert_eq!(
        at,
        Some(good),
        "the last good sync survived a year of failures"
    );
    assert_eq!(balances, snapshot().balances);
    let history = db.sync_history(ids[0], 1).unwrap();
    assert_eq!(history[0].finished_at, failing.last().unwrap().0);
    assert!(!history[0].ok, "and the latest run, a failure");
    assert_eq!(run_times(&db, ids[0]), policy_keeps(&failing, now, true));
    assert!(!run_times(&db, ids[1]).contains(&good));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_prunes_a_whole_pass_in_batches() {
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::under(home.path());
    let ctx = Context::open(paths.clone(), Config::default(), SecretStore::memory()).unwrap();
    let now = Utc::now();
    // Clear of the 48 h edge by minutes: the engine's clock runs on from `now`.
    let start = now - Duration::days(10) + Duration::seconds(150);
    let series: Series = (0..10 * 24 * 12)
        .map(|k| (start + Duration::minutes(5 * k), true))
        .collect();
    let id = ctx
        .with_db(move |db| {
            let new = NewConnection {
                exchange: ExchangeId::Okx,
                label: "Main".into(),
                auth_kind: AuthKind::ApiKey,
                endpoint: Endpoint::default(),
                key_hint: "1234".into(),
                key_hash: None,
                account_hash: None,
                key_type: None,
                secret_ref: "ref".into(),
            };
            db.insert_connection(&new, &snapshot(), start)
        })
        .await
        .unwrap();
    write_syncs(&paths.database(), &[id], std::slice::from_ref(&series));

    let engine = Engine::new(ctx.clone(), None);
    let report = engine.prune().await.unwrap();
    // 8 days beyond 48 h at 12 an hour, one an hour kept (give or take the edges).
    assert!(
        (8 * 24 * 11 - 12..=8 * 24 * 11 + 12).contains(&report.sync_runs),
        "{report:?}"
    );
    assert!(!report.more);
    let left = ctx
        .with_db(move |db| db.value_history(id, "USDT", None))
        .await
        .unwrap();
    let expected = 48 * 12 + 8 * 24;
    assert!(
        (expected - 1..=expected + 1).contains(&left.len()),
        "{}",
        left.len()
    );
}

#[test]
fn values_at_takes_each_connections_newest_point_inside_the_window() {
    let t = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let (_dir, _path, mut db, ids) = with_connections(3, |_| t);
    let m = Duration::minutes;
    for (id, minutes, quote, value) in [
        (ids[0], -90, "USDT", "1"),
        (ids[0], -30, "USDT", "2"),
        // After the moment asked for: not "then".
        (ids[0], 10, "USDT", "3"),
        (ids[0], -20, "EUR", "4"),
        // Older than the window.
        (ids[1], -200, "USDT", "5"),
        (ids[2], 0, "USDT", "6"),
    ] {
        db.record_value(id, t + m(minutes), quote, dec(value))
            .unwrap();
    }
    let then = db.values_at("USDT", t, Duration::hours(2)).unwrap();
    assert_eq!(then.len(), 2, "{then:?}");
    assert_eq!(then[&ids[0]], dec("2"));
    assert_eq!(then[&ids[2]], dec("6"));
}
