//! Crash consistency: SIGKILL keyfolio at random points during connect, sync and key
//! rotation, many times, then check the database's integrity, that every connection has its
//! secret, that no secret is left orphaned once keyfolio runs again, and that the last good
//! balances are whole. Uses the real binary, a real SQLite file and the real Secret Service.

use crate::common;

use keyfolio::exchange::sim::{Fault, Perms, SimAccount, SimHandle, Simulator};
use keyfolio::store::db::Db;
use rand::Rng;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TRIALS: usize = 50;

fn account(i: usize) -> SimAccount {
    let token = |prefix: char| -> String {
        let mut rng = rand::thread_rng();
        std::iter::once(prefix)
            .chain((0..63).map(|_| rng.sample(rand::distributions::Alphanumeric) as char))
            .collect()
    };
    SimAccount {
        exchange: "binance".into(),
        api_key: token('K'),
        secret: token('S'),
        passphrase: None,
        purpose: format!("crash {i}"),
        perms: Perms {
            read: true,
            ..Default::default()
        },
        balances: vec![
            ("BTC".into(), "1.00000001".into(), "0".into()),
            ("ETH".into(), "2.5".into(), "0.5".into()),
        ],
        fault: None,
        demo: false,
        same_account_as: None,
        wallets: Vec::new(),
    }
}

fn secret_exists(secret_ref: &str) -> bool {
    Command::new("secret-tool")
        .args(["lookup", "service", "keyfolio", "username", secret_ref])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn keyfolio(home: &std::path::Path, args: &[&str], a: Option<&SimAccount>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
    cmd.args(args)
        .env("KEYFOLIO_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(a) = a {
        cmd.env("KF_KEY", &a.api_key).env("KF_SECRET", &a.secret);
    }
    cmd
}

/// Trial `trial` of a command just spawned: every fifth is left to finish (it must succeed),
/// which also tells in `whole` how long a whole run takes on this machine right now; the
/// others are killed with SIGKILL at a random moment from `from` ms to a little past such
/// a span (a few finish anyway), whatever the machine's speed or load. Returns whether it
/// killed the process mid-way.
fn finish_or_kill(mut child: Child, trial: usize, whole: &mut u64, from: u64) -> bool {
    let started = Instant::now();
    if trial.is_multiple_of(5) {
        assert!(child.wait().unwrap().success(), "an unkilled run succeeds");
        *whole = (started.elapsed().as_millis() as u64).max(20);
        return false;
    }
    let wait = rand::thread_rng().gen_range(from..(*whole * 6 / 5).max(from + 1));
    std::thread::sleep(Duration::from_millis(wait));
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap(); // SIGKILL
    }
    child.wait().unwrap();
    killed
}

/// Every connection row has its secret; after keyfolio runs again, no orphan remains.
fn check_consistent(home: &std::path::Path) -> usize {
    let db = Db::open(&home.join("keyfolio.db")).unwrap();
    assert_eq!(db.integrity_check().unwrap(), "ok");
    let orphans_before = db.orphaned_secrets().unwrap();
    drop(db);
    let status = keyfolio(home, &["doctor"], None).status().unwrap();
    assert!(status.success(), "doctor runs after a crash");
    let db = Db::open(&home.join("keyfolio.db")).unwrap();
    for c in db.connections().unwrap() {
        assert!(
            secret_exists(&c.secret_ref),
            "connection {} lost its secret",
            c.id
        );
        let (balances, at) = db.latest_balances(c.id).unwrap();
        assert!(
            at.is_some() && !balances.is_empty(),
            "connection {} has its balances",
            c.id
        );
    }
    assert!(db.orphaned_secrets().unwrap().is_empty());
    for r in &orphans_before {
        assert!(!secret_exists(r), "orphaned secret {r} was not removed");
    }
    orphans_before.len()
}

/// One crash test at a time: `doctor` probes the keyring with an entry of a fixed name,
/// which another test's `doctor` could delete under it.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A data directory, the simulator and its Binance endpoint, once the Secret Service is
/// known to be there, and the turn of the calling test (held until it ends).
async fn trial_ground() -> (
    tempfile::TempDir,
    SimHandle,
    String,
    tokio::sync::MutexGuard<'static, ()>,
) {
    let turn = ONE_AT_A_TIME.lock().await;
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through .ci/run (needs the Secret Service)"
    );
    let sim = Simulator::start(0).await.unwrap();
    let endpoint = format!("{}/binance", sim.base_url);
    (tempfile::tempdir().unwrap(), sim, endpoint, turn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connects_and_syncs_leave_everything_consistent() {
    let (home, sim, endpoint, _turn) = trial_ground().await;
    let mut rng = rand::thread_rng();
    let mut killed = 0;
    let mut orphans = 0;

    let connect = |a: &SimAccount| {
        keyfolio(
            home.path(),
            &[
                "connect",
                "binance",
                "--api-key-env",
                "KF_KEY",
                "--secret-env",
                "KF_SECRET",
                "--endpoint",
                &endpoint,
            ],
            Some(a),
        )
        .spawn()
        .unwrap()
    };
    // Connects: every fifth finishes, the others are killed at a random moment.
    let mut whole = 250;
    for i in 0..TRIALS {
        let a = account(i);
        sim.add_account(a.clone());
        sim.set_fault(&a.api_key, Some(Fault::SlowMs(rng.gen_range(0..40))));
        if finish_or_kill(connect(&a), i, &mut whole, 5) {
            killed += 1;
        }
        orphans += check_consistent(home.path());
    }
    let connected = Db::open(&home.path().join("keyfolio.db"))
        .unwrap()
        .connections()
        .unwrap();
    assert!(
        connected.len() >= TRIALS / 5,
        "every fifth connect finished"
    );

    // Syncs of everything, killed at random moments, with balances changing between them.
    for trial in 0..TRIALS {
        let btc = format!("{}.{:08}", trial + 2, trial);
        for i in 0..TRIALS {
            let a = sim.account_on("binance", &format!("crash {i}")).unwrap();
            sim.set_balance(&a.api_key, "BTC", &btc, "0");
            sim.set_fault(&a.api_key, Some(Fault::SlowMs(rng.gen_range(0..20))));
        }
        let mut child = keyfolio(home.path(), &["sync", "--all"], None)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..300)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        check_consistent(home.path());
        let db = Db::open(&home.path().join("keyfolio.db")).unwrap();
        for c in db.connections().unwrap() {
            let (balances, _) = db.latest_balances(c.id).unwrap();
            assert_eq!(balances.len(), 2, "a snapshot is whole: {balances:?}");
            let eth = balances.iter().find(|b| b.asset == "ETH").unwrap();
            assert_eq!((eth.free.as_str(), eth.total.as_str()), ("2.5", "3.0"));
        }
    }
    eprintln!(
        "crash trials: {} processes, {killed} killed mid-way, {orphans} orphaned secrets found and removed; {} of {TRIALS} connects finished (a whole connect: {whole} ms)",
        2 * TRIALS,
        connected.len()
    );
    assert!(
        killed >= TRIALS / 2,
        "most trials must really kill mid-way (killed {killed})"
    );
}

/// The API key stored in a keyring entry (its JSON's `api_key`).
fn stored_key(secret_ref: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "keyfolio", "username", secret_ref])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let entry: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    entry["api_key"].as_str().map(str::to_string)
}

/// `keyfolio rotate` killed at random moments, many times, each to a new key of the same
/// account: afterwards, once keyfolio runs again, the row names the old key or the new one,
/// its entry holds that key, a sync works with it (and asks the exchange with it), and of
/// every key the trials used exactly one is left in the keyring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_rotates_leave_the_old_or_the_new_key_working() {
    let (home, sim, endpoint, _turn) = trial_ground().await;
    let mut rng = rand::thread_rng();
    let first = account(0);
    sim.add_account(first.clone());
    let args = ["--api-key-env", "KF_KEY", "--secret-env", "KF_SECRET"];
    let connect = [
        &["connect", "binance"][..],
        &args,
        &["--endpoint", &endpoint],
    ]
    .concat();
    let status = keyfolio(home.path(), &connect, Some(&first))
        .status()
        .unwrap();
    assert!(status.success(), "the connect succeeds");
    let id = Db::open(&home.path().join("keyfolio.db"))
        .unwrap()
        .connections()
        .unwrap()[0]
        .id
        .to_string();
    let rotate = [&["rotate", id.as_str()][..], &args].concat();

    let mut keys = vec![first.clone()];
    let (mut killed, mut orphans, mut moved) = (0, 0, 0);
    let mut whole = 250;
    for i in 1..=TRIALS {
        let key = SimAccount {
            same_account_as: Some(first.api_key.clone()),
            ..account(i)
        };
        sim.add_account(key.clone());
        sim.set_fault(&key.api_key, Some(Fault::SlowMs(rng.gen_range(0..20))));
        keys.push(key.clone());
        let child = keyfolio(home.path(), &rotate, Some(&key)).spawn().unwrap();
        // Half the kills aim at the end, where the entries are written and swapped.
        let from = if i.is_multiple_of(2) { whole / 2 } else { 5 };
        if finish_or_kill(child, i, &mut whole, from) {
            killed += 1;
        }
        orphans += check_consistent(home.path());

        let row = Db::open(&home.path().join("keyfolio.db"))
            .unwrap()
            .connections()
            .unwrap()
            .remove(0);
        let named = stored_key(&row.secret_ref).expect("the row's entry holds a key");
        assert!(
            named.ends_with(&row.key_hint),
            "the entry holds the key the row's hint names"
        );
        let old = &keys[keys.len() - 2].api_key;
        assert!(
            named == key.api_key || (named == *old && !i.is_multiple_of(5)),
            "trial {i}: the row names the old key or (always after an unkilled rotate) the new one"
        );
        if named == key.api_key {
            moved += 1;
        }
        let asked = sim.total_requests_for(&named);
        let status = keyfolio(home.path(), &["sync", &id], None)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "trial {i}: the connection syncs with its row's key"
        );
        assert!(
            sim.total_requests_for(&named) > asked,
            "the sync used the row's key"
        );
        let texts = common::keyring_texts();
        let left = keys
            .iter()
            .map(|k| texts.iter().filter(|t| t.contains(&k.api_key)).count())
            .sum::<usize>();
        assert_eq!(left, 1, "trial {i}: one key in the keyring, the row's");
        // The key the row names is the old one of the next trial.
        let current = keys.iter().position(|k| k.api_key == named).unwrap();
        let current = keys.remove(current);
        keys.push(current);
    }
    eprintln!(
        "rotate trials: {TRIALS} processes, {killed} killed mid-way, {moved} ended on the new key, {orphans} orphaned secrets found and removed (a whole rotate: {whole} ms)"
    );
    assert!(
        killed >= TRIALS / 2,
        "most trials must really kill mid-way (killed {killed})"
    );
    assert!(moved >= TRIALS / 5, "every fifth rotate finished");
}
