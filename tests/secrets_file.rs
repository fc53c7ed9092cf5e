//! The encrypted-file secret store (for machines without a keyring): entries survive
//! another process rewriting the file, concurrent edits lose nothing, a wrong passphrase
//! is reported when the store is opened, and the file is owner-only.

use keyfolio::model::Credentials;
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
    assert_eq!(names, ["secrets.age"]);
}
