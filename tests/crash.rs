//! Crash consistency: SIGKILL keyfolio at random points during connect and during sync, many
//! times, then check the database's integrity, that every connection has its secret, that no
//! secret is left orphaned once keyfolio runs again, and that the last good balances are whole.
//! Uses the real binary, a real SQLite file and the real Secret Service.

use keyfolio::exchange::sim::{Fault, Perms, SimAccount, Simulator};
use keyfolio::store::db::Db;
use rand::Rng;
use std::process::{Command, Stdio};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connects_and_syncs_leave_everything_consistent() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through .ci/run (needs the Secret Service)"
    );
    let home = tempfile::tempdir().unwrap();
    let sim = Simulator::start(0).await.unwrap();
    let endpoint = format!("{}/binance", sim.base_url);
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
    // Connects. Every fifth is left to finish, which also tells how long a whole connect
    // takes on this machine right now; the others are killed at a random moment inside
    // such a span (a few finish anyway), whatever the machine's speed or load.
    let mut whole = 250;
    for i in 0..TRIALS {
        let a = account(i);
        sim.add_account(a.clone());
        sim.set_fault(&a.api_key, Some(Fault::SlowMs(rng.gen_range(0..40))));
        let started = Instant::now();
        let mut child = connect(&a);
        if i % 5 == 0 {
            assert!(
                child.wait().unwrap().success(),
                "an unkilled connect succeeds"
            );
            whole = (started.elapsed().as_millis() as u64).max(20);
            orphans += check_consistent(home.path());
            continue;
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..whole * 6 / 5)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
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
