//! SQLite storage on a real file: migrations, reopen, snapshots, and no secret bytes on disk.

use chrono::{Duration, TimeZone, Utc};
use keyfolio::model::{
    AccountSnapshot, Balance, Endpoint, ExchangeId, Failure, FailureKind, Permissions,
};
use keyfolio::model::{AuthKind, NewConnection};
use keyfolio::store::db::{Db, StoreError};

fn new_connection(db: &mut Db, api_key: &str, secret_ref: &str) -> NewConnection {
    NewConnection {
        exchange: ExchangeId::Binance,
        label: "Main".into(),
        auth_kind: AuthKind::ApiKey,
        endpoint: Endpoint::default(),
        key_hint: keyfolio::model::key_hint(api_key),
        key_hash: Some(db.key_hash(api_key).unwrap()),
        account_hash: None,
        key_type: None,
        secret_ref: secret_ref.into(),
    }
}

fn snapshot(btc: &str) -> AccountSnapshot {
    AccountSnapshot {
        balances: vec![Balance {
            wallet: keyfolio::model::Wallet::Spot,
            asset: "BTC".into(),
            free: btc.into(),
            used: "0".into(),
            total: btc.into(),
            approximate: false,
        }],
        permissions: Some(Permissions {
            read: true,
            ..Default::default()
        }),
        account_id: None,
        ..Default::default()
    }
}

#[test]
fn migrates_from_empty_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyfolio.db");
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let id = {
        let mut db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), 7);
        let new = new_connection(&mut db, "AKEY0000000000001234", "ref-1");
        db.insert_connection(&new, &snapshot("1.5"), t).unwrap()
    };
    let db = Db::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), 7);
    let list = db.connections().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].key_hint, "1234");
    assert_eq!(list[0].last_synced_at, Some(t));
    assert_eq!(db.integrity_check().unwrap(), "ok");
}

#[test]
fn refuses_the_same_key_twice_but_allows_it_after_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("k.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let first = new_connection(&mut db, "SAMEKEY", "ref-a");
    let id = db.insert_connection(&first, &snapshot("1"), t).unwrap();
    let again = new_connection(&mut db, "SAMEKEY", "ref-b");
    assert!(
        matches!(db.insert_connection(&again, &snapshot("1"), t), Err(StoreError::Duplicate(l)) if l == "Main")
    );
    assert_eq!(db.disconnect(id, false, t).unwrap(), "ref-a");
    assert!(db.connections().unwrap().is_empty());
    db.insert_connection(&again, &snapshot("1"), t).unwrap();
}

#[test]
fn a_failed_sync_keeps_the_last_good_balances() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("k.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let new = new_connection(&mut db, "K1", "ref-1");
    let id = db
        .insert_connection(&new, &snapshot("123456789012.12345678"), t)
        .unwrap();
    let failure = Failure::new(FailureKind::ExchangeDown, "503");
    db.record_failure(id, &failure, false, t + Duration::minutes(5))
        .unwrap();
    let (balances, at) = db.latest_balances(id).unwrap();
    assert_eq!(balances[0].free, "123456789012.12345678");
    assert_eq!(at, Some(t));
    let c = db.connection(id).unwrap();
    assert_eq!(c.failure_streak, 1);
    assert_eq!(c.last_error.unwrap().kind, FailureKind::ExchangeDown);
    db.record_success(id, &snapshot("2"), t + Duration::minutes(10))
        .unwrap();
    let c = db.connection(id).unwrap();
    assert_eq!((c.failure_streak, c.last_error), (0, None));
    assert_eq!(db.latest_balances(id).unwrap().0[0].free, "2");
    let history = db.sync_history(id, 10).unwrap();
    assert_eq!(
        history.iter().map(|r| r.ok).collect::<Vec<_>>(),
        vec![true, false, true]
    );
}

/// A sync that read the old key and ends after the key was replaced records nothing of
/// its outcome (the old key's refusal or permissions are not the new key's), yet still
/// plans the next sync and ends its lease.
#[test]
fn a_sync_with_the_replaced_key_leaves_the_new_keys_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("k.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let old = new_connection(&mut db, "OLDKEY", "ref-old");
    let id = db.insert_connection(&old, &snapshot("1"), t).unwrap();
    assert!(
        db.claim_sync(id, "me", t, t + Duration::minutes(1))
            .unwrap()
    );
    let new = new_connection(&mut db, "NEWKEY", "ref-new");
    db.add_pending_secret("ref-new", t).unwrap();
    db.replace_key(
        id,
        "ref-old",
        &new,
        &snapshot("2"),
        t + Duration::seconds(1),
    )
    .unwrap();

    let revoked = Failure::new(FailureKind::InvalidKey, "the old key was revoked");
    let next = t + Duration::minutes(5);
    db.finish_sync(
        id,
        "ref-old",
        Err((&revoked, false)),
        t + Duration::seconds(2),
        Some(next),
        "me",
    )
    .unwrap();
    let c = db.connection(id).unwrap();
    assert_eq!(
        (c.failure_streak, c.last_error),
        (0, None),
        "the new key's state stays"
    );
    assert_eq!(db.latest_balances(id).unwrap().0[0].free, "2");
    assert_eq!(c.next_sync_at, Some(next));
    assert!(
        db.claim_sync(id, "other", t, t + Duration::minutes(1))
            .unwrap(),
        "lease ended"
    );

    // With the key it names, a sync's outcome is recorded as always.
    db.finish_sync(
        id,
        "ref-new",
        Err((&revoked, false)),
        t + Duration::seconds(3),
        Some(next),
        "other",
    )
    .unwrap();
    assert_eq!(db.connection(id).unwrap().failure_streak, 1);
}

#[test]
fn holdings_are_the_last_good_balances_of_each_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("k.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let a = new_connection(&mut db, "K1", "ref-1");
    db.insert_connection(&a, &snapshot("0.1"), t).unwrap();
    let mut b = new_connection(&mut db, "K2", "ref-2");
    b.exchange = ExchangeId::Okx;
    db.insert_connection(&b, &snapshot("0.2"), t).unwrap();
    let held = db.holdings().unwrap();
    let totals: Vec<&str> = held.iter().map(|(_, b)| b[0].total.as_str()).collect();
    assert_eq!(totals, ["0.1", "0.2"]);
}

#[test]
fn purge_deletes_history_and_pending_secrets_are_tracked() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("k.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    db.add_pending_secret("ref-crashed", t).unwrap();
    db.add_pending_secret("ref-1", t).unwrap();
    let new = new_connection(&mut db, "K1", "ref-1");
    let id = db.insert_connection(&new, &snapshot("1"), t).unwrap();
    assert_eq!(
        db.orphaned_secrets().unwrap(),
        vec!["ref-crashed".to_string()]
    );
    db.disconnect(id, true, t).unwrap();
    assert!(db.latest_balances(id).unwrap().0.is_empty());
    assert!(db.sync_history(id, 5).unwrap().is_empty());
}

#[test]
fn the_database_file_never_holds_the_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let api_key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    {
        let mut db = Db::open(&path).unwrap();
        let new = new_connection(&mut db, api_key, "ref-1");
        db.insert_connection(&new, &snapshot("1"), Utc::now())
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let hay = String::from_utf8_lossy(&bytes);
    assert!(!hay.contains(api_key));
    assert!(!hay.contains(&api_key[..16]), "not even a prefix");
    assert!(hay.contains("8A"), "the hint is stored");
}
