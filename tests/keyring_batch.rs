//! A sync round's secrets read ahead in one request from the real Secret Service
//! (gnome-keyring): the counts of requests, entries written before entries carried their
//! names, and what drops a held entry (a write, a delete; a lock: tests/keyring/locked.rs).
//! (Its own test binary: it counts this process's requests.)
#![cfg(target_os = "linux")] // the Secret Service on D-Bus

use keyfolio::model::Credentials;
use keyfolio::store::{SecretError, SecretStore};
use secrecy::ExposeSecret;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Writes an entry as keyfolio 0.1 did, without its name in the text.
fn store_unnamed(secret_ref: &str, creds: &Credentials) {
    let mut writer = Command::new("secret-tool")
        .args(["store", "--label=unnamed", "service", "keyfolio"])
        .args(["username", secret_ref])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool (libsecret-tools) must be installed: run .ci/run");
    let text = keyfolio::store::secrets::encode(creds);
    writer
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(writer.wait().unwrap().success());
}

fn creds(i: usize) -> Credentials {
    Credentials::new(
        &format!("APIKEY-batch-{i:04}"),
        &format!("secret {i}"),
        None,
    )
}

#[tokio::test]
async fn a_round_is_read_in_one_request_and_each_read_takes_its_own() {
    let store = SecretStore::keyring(Duration::from_secs(5));
    let refs: Vec<String> = (0..20)
        .map(|i| format!("test-batch-{}-{i}", std::process::id()))
        .collect();
    for (i, secret_ref) in refs.iter().enumerate().take(19) {
        store.put(secret_ref, &creds(i)).await.unwrap();
    }
    // The last one is written as older versions wrote it: its attributes name it.
    store_unnamed(&refs[19], &creds(19));

    let before = SecretStore::service_requests();
    store.read_ahead(&refs).await;
    let ahead = SecretStore::service_requests() - before;
    assert!(
        ahead <= 4,
        "opening the session, one search, one batch, the unnamed entry's attributes: {ahead}"
    );

    let before = SecretStore::service_requests();
    let reads = refs.iter().map(|r| store.get(r));
    let read = futures::future::join_all(reads).await;
    for (i, back) in read.into_iter().enumerate() {
        let back = back.unwrap_or_else(|e| panic!("entry {i}: {e}"));
        assert_eq!(
            back.api_key.expose_secret(),
            &format!("APIKEY-batch-{i:04}")
        );
        assert_eq!(back.secret.expose_secret(), &format!("secret {i}"));
    }
    assert_eq!(
        SecretStore::service_requests() - before,
        0,
        "the 20 reads took their held entries"
    );

    // A second round knows where every entry lives: one request, no search.
    let before = SecretStore::service_requests();
    store.read_ahead(&refs).await;
    assert_eq!(SecretStore::service_requests() - before, 1);

    // A write by keyfolio drops the held entry: the read sees the new text.
    store.put(&refs[0], &creds(100)).await.unwrap();
    let back = store.get(&refs[0]).await.unwrap();
    assert_eq!(back.api_key.expose_secret(), "APIKEY-batch-0100");
    // So does a delete: the entry is missing, not the held copy.
    store.delete(&refs[1]).await.unwrap();
    assert_eq!(store.get(&refs[1]).await.err(), Some(SecretError::Missing));
    // A held entry is taken once: the next read asks the service again.
    let before = SecretStore::service_requests();
    assert_eq!(
        store.get(&refs[2]).await.unwrap().secret.expose_secret(),
        "secret 2"
    );
    assert_eq!(
        store.get(&refs[2]).await.unwrap().secret.expose_secret(),
        "secret 2"
    );
    assert_eq!(SecretStore::service_requests() - before, 1);

    // What no sync takes is wiped after the hold: a read then asks the service.
    store.read_ahead(&refs[3..5]).await;
    assert_eq!(
        SecretStore::held_entries(),
        17,
        "the second round's 20, less the ones written, deleted and taken since"
    );
    tokio::time::sleep(keyfolio::store::secrets::READ_AHEAD_HOLD + Duration::from_millis(300))
        .await;
    assert_eq!(SecretStore::held_entries(), 0, "wiped without a read");
    let before = SecretStore::service_requests();
    assert_eq!(
        store.get(&refs[3]).await.unwrap().secret.expose_secret(),
        "secret 3"
    );
    assert_eq!(
        SecretStore::service_requests() - before,
        1,
        "read at its known path"
    );

    // A round that ends wipes what its syncs did not take.
    store.read_ahead(&refs[5..8]).await;
    store.drop_read_ahead(&refs[5..7]);
    assert_eq!(SecretStore::held_entries(), 1);

    for secret_ref in &refs {
        store.delete(secret_ref).await.unwrap();
    }
    assert_eq!(SecretStore::held_entries(), 0, "a delete drops its entry");
}
