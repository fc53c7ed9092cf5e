//! A real Secret Service round trip: store through SecretStore, read back with `secret-tool`,
//! delete, confirm it is gone. CI runs this inside a D-Bus session with gnome-keyring.
#![cfg(target_os = "linux")] // the Secret Service on D-Bus

use keyfolio::model::Credentials;
use keyfolio::store::SecretStore;
use secrecy::ExposeSecret;
use std::process::Command;
use std::time::Duration;

fn secret_tool_lookup(secret_ref: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "keyfolio", "username", secret_ref])
        .output()
        .expect("secret-tool (libsecret-tools) must be installed: run .ci/run");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn round_trip_through_the_os_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run the tests through .ci/run, which starts gnome-keyring"
    );
    let store = SecretStore::keyring(Duration::from_secs(5));
    store.probe().await.expect("the Secret Service answers");
    let secret_ref = format!("test-{}", std::process::id());
    let pem = "-----BEGIN PRIVATE KEY-----\ns3cr3t-value-from-test\n-----END PRIVATE KEY-----";
    let creds = Credentials::new("APIKEY-round-trip-1234", pem, Some("pass phrase"));

    store.put(&secret_ref, &creds).await.unwrap();
    let seen = secret_tool_lookup(&secret_ref).expect("secret-tool finds the entry");
    assert!(
        seen.contains("s3cr3t-value-from-test"),
        "secret-tool reads what keyfolio wrote"
    );

    let back = store.get(&secret_ref).await.unwrap();
    assert_eq!(
        back.secret.expose_secret(),
        pem,
        "a multi-line PEM survives"
    );
    assert_eq!(
        back.passphrase.as_ref().unwrap().expose_secret(),
        "pass phrase"
    );
    assert_eq!(format!("{back:?}"), "Credentials(••••1234)", "Debug masks");

    store.delete(&secret_ref).await.unwrap();
    assert_eq!(secret_tool_lookup(&secret_ref), None, "gone after delete");
    assert!(store.get(&secret_ref).await.is_err());
    store
        .delete(&secret_ref)
        .await
        .expect("deleting twice is fine");
}

#[tokio::test]
async fn every_keyring_call_runs_on_one_long_lived_thread() {
    let store = SecretStore::keyring(Duration::from_secs(5));
    let secret_ref = format!("test-thread-{}", std::process::id());
    let creds = Credentials::new("APIKEY-one-thread-5678", "secret", None);
    store.put(&secret_ref, &creds).await.unwrap();
    // Concurrent reads, as a sync round makes them.
    let reads = (0..40).map(|_| store.get(&secret_ref));
    for back in futures::future::join_all(reads).await {
        assert_eq!(
            back.unwrap().api_key.expose_secret(),
            "APIKEY-one-thread-5678"
        );
    }
    store.delete(&secret_ref).await.unwrap();
    // This binary's other tests share the thread; none of them times out.
    assert_eq!(SecretStore::threads_started(), 1, "42 calls, one thread");
}

#[tokio::test]
async fn encrypted_file_store_never_writes_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.age");
    let store = SecretStore::file(path.clone(), "correct horse".to_string().into());
    let creds = Credentials::new("FILEKEY-5678", "file-secret-abcdef", None);
    store.put("c1", &creds).await.unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("file-secret-abcdef"));
    assert_eq!(
        store.get("c1").await.unwrap().secret.expose_secret(),
        "file-secret-abcdef"
    );
    let wrong = SecretStore::file(path, "wrong".to_string().into());
    assert!(
        wrong.get("c1").await.is_err(),
        "a wrong passphrase opens nothing"
    );
    store.delete("c1").await.unwrap();
    assert!(store.get("c1").await.is_err());
}

/// Linux reads remember where an entry lives: an entry deleted and written again behind
/// keyfolio's back (here with secret-tool) must read as it is now, never as it was.
#[tokio::test]
async fn a_read_after_the_entry_changed_elsewhere_sees_the_change() {
    let store = SecretStore::keyring(Duration::from_secs(5));
    let secret_ref = format!("test-moved-{}", std::process::id());
    let first = Credentials::new("APIKEY-first-1111", "first secret", None);
    store.put(&secret_ref, &first).await.unwrap();
    // Twice: the second read goes to the remembered path.
    for _ in 0..2 {
        let back = store.get(&secret_ref).await.unwrap();
        assert_eq!(back.secret.expose_secret(), "first secret");
    }
    let clear = Command::new("secret-tool")
        .args(["clear", "service", "keyfolio", "username", &secret_ref])
        .status()
        .unwrap();
    assert!(clear.success());
    assert_eq!(
        store.get(&secret_ref).await.err(),
        Some(keyfolio::store::SecretError::Missing),
        "deleted elsewhere: missing, not the remembered secret"
    );
    let second = keyfolio::store::secrets::encode(&Credentials::new(
        "APIKEY-second-2222",
        "second secret",
        None,
    ));
    let mut writer = Command::new("secret-tool")
        .args([
            "store",
            "--label=moved",
            "service",
            "keyfolio",
            "username",
            &secret_ref,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(writer.stdin.as_mut().unwrap(), second.as_bytes()).unwrap();
    drop(writer.stdin.take());
    assert!(writer.wait().unwrap().success());
    for _ in 0..2 {
        let back = store.get(&secret_ref).await.unwrap();
        assert_eq!(
            back.secret.expose_secret(),
            "second secret",
            "written elsewhere"
        );
    }
    store.delete(&secret_ref).await.unwrap();
}
