//! The encrypted-file secret store (for machines without a keyring): entries survive
//! another process rewriting the file, concurrent edits lose nothing (within a process
//! and across two), a wrong passphrase is reported when the store is opened, and the file
//! is owner-only.

use crate::common;

use keyfolio::config::Paths;
use keyfolio::model::Credentials;
use keyfolio::store::db::Db;
use keyfolio::store::{SecretError, SecretStore};
use secrecy::ExposeSecret;

fn store(path: &std::path::Path, passphrase: &str) -> SecretStore {
    SecretStore::file(path.to_path_buf(), passphrase.to_string().into())
}

fn creds(n: usize) -> Credentials {
    Credentials::new(&format!("KEY-{n}"), &format!("secret-{n}"), None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewrite_by_another_process_is_seen_and_concurrent_edits_keep_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.age");
    let (a, b) = (store(&path, "correct horse"), store(&path, "correct horse"));
    a.put("c1", &creds(1)).await.unwrap();
    assert_eq!(b.get("c1").await.unwrap().api_key.expose_secret(), "KEY-1");
    // `a` has the file cached; `b` (another process) rewrites it.
    b.put("c2", &creds(2)).await.unwrap();
    assert_eq!(a.get("c2").await.unwrap().api_key.expose_secret(), "KEY-2");
    b.delete("c1").await.unwrap();
    assert_eq!(a.get("c1").await.unwrap_err(), SecretError::Missing);

    let puts = (3..6).map(|n| {
        let a = a.clone();
        async move { a.put(&format!("c{n}"), &creds(n)).await }
    });
    for result in futures::future::join_all(puts).await {
        result.unwrap();
    }
    let fresh = store(&path, "correct horse");
    for n in 2..6 {
        let got = fresh.get(&format!("c{n}")).await.unwrap();
        assert_eq!(got.secret.expose_secret(), &format!("secret-{n}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_is_reported_when_the_store_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.age");
    store(&path, "first time").unlock().await.unwrap();
    assert!(
        !path.exists(),
        "opening a store that has no file creates none"
    );
    store(&path, "correct horse")
        .put("c1", &creds(1))
        .await
        .unwrap();
    let error = store(&path, "wrong").unlock().await.unwrap_err();
    assert_eq!(error, SecretError::File("wrong passphrase".into()));
    store(&path, "correct horse").unlock().await.unwrap();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_is_owner_only_and_no_temporary_is_left_behind() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.age");
    store(&path, "correct horse")
        .put("c1", &creds(1))
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"secrets.age".to_string()), "{names:?}");
    // The lock file holds nothing.
    let lock = dir.path().join("secrets.age.lock");
    assert_eq!(std::fs::metadata(&lock).unwrap().len(), 0);
    let mode = std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_left_by_a_killed_writer_is_removed_by_the_next_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.age");
    for leftover in ["secrets.age.tmp", "secrets.age.x1Y2z3.tmp"] {
        std::fs::write(dir.path().join(leftover), b"half").unwrap();
    }
    std::fs::write(dir.path().join("other.tmp"), b"not ours").unwrap();
    store(&path, "correct horse")
        .put("c1", &creds(1))
        .await
        .unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["other.tmp", "secrets.age", "secrets.age.lock"]);
}

/// The TUI and a CLI `connect` (or two CLI runs) share one secrets file: two `keyfolio
/// connect` processes started together, each saving a key to the same encrypted file,
/// must both find their key there afterwards. Without the lock between processes both
/// read the file before either wrote it, and the second rename dropped the first key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_connecting_at_once_both_keep_their_key() {
    use keyfolio::exchange::sim::Simulator;
    use std::process::{Command, Stdio};
    const PASSPHRASE: &str = "two processes, one file";
    let sim = Simulator::start(0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), "secret_store = \"file\"\n").unwrap();
    let home_path = home.path().to_path_buf();
    let keyfolio = move |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
        command
            .args(args)
            .env("KEYFOLIO_HOME", &home_path)
            .env("KEYFOLIO_SECRETS_PASSPHRASE", PASSPHRASE)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let accounts = [
        sim.account_on("binance", "read-only").unwrap(),
        sim.account_on("okx", "read-only").unwrap(),
    ];
    let children: Vec<_> = accounts
        .iter()
        .map(|a| {
            let endpoint = format!("{}/{}", sim.base_url, a.exchange);
            let mut args = vec!["connect", "--label", &a.exchange];
            args.extend(common::cred_args(&a.exchange, &endpoint));
            let mut command = keyfolio(&args);
            common::with_credentials(&mut command, a);
            command.spawn().unwrap()
        })
        .collect();
    // The simulator answers on this runtime: wait for the children off it.
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for out in &outputs {
        assert_eq!(out.status.code(), Some(0), "{}", common::output_text(out));
    }

    // Both keys are in the file under their connections' entries, and a sync of every
    // connection (each in a process that reads the file) succeeds.
    let db = Db::open(&Paths::under(home.path()).database()).unwrap();
    let connections = db.connections().unwrap();
    assert_eq!(connections.len(), 2);
    let file = store(&home.path().join("secrets.age"), PASSPHRASE);
    for c in &connections {
        let saved = file.get(&c.secret_ref).await.unwrap();
        let account = accounts.iter().find(|a| a.exchange == c.label).unwrap();
        assert_eq!(saved.api_key.expose_secret(), &account.api_key);
    }
    let sync = tokio::task::spawn_blocking(move || keyfolio(&["sync", "--all"]).output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sync.status.code(),
        Some(0),
        "{}",
        common::output_text(&sync)
    );
}
