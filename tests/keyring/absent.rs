//! No Secret Service at all (headless Linux, SSH): keyfolio says so within seconds, names
//! the encrypted-file alternative, and never falls back to plaintext.
#![cfg(target_os = "linux")] // the Secret Service on D-Bus

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn doctor_reports_a_missing_keyring_quickly_with_the_alternative() {
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .arg("doctor")
        .env("KEYFOLIO_HOME", home.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/keyfolio-test-bus",
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert!(text.contains("secret store answers: NO"), "{text}");
    assert!(
        text.contains("secret_store = \"file\""),
        "names the encrypted-file alternative: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_a_key_is_refused_before_the_exchange_is_asked() {
    let home = tempfile::tempdir().unwrap();
    let sim = keyfolio::exchange::sim::Simulator::start(0).await.unwrap();
    let a = sim.account_on("binance", "read-only").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args([
            "connect",
            "binance",
            "--api-key-env",
            "K",
            "--secret-env",
            "S",
            "--endpoint",
        ])
        .arg(format!("{}/binance", sim.base_url))
        .env("KEYFOLIO_HOME", home.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/keyfolio-test-bus",
        )
        .env("K", &a.api_key)
        .env("S", &a.secret)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "the same cause as doctor's exit 4: {text}"
    );
    assert!(text.contains("nothing was saved"), "{text}");
    assert_eq!(
        sim.total_requests_for(&a.api_key),
        0,
        "no validation is spent on a key that could not be kept"
    );
    for entry in std::fs::read_dir(home.path()).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&a.secret),
                "{}",
                entry.path().display()
            );
        }
    }
    let list = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args(["list", "--json"])
        .env("KEYFOLIO_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "[]");
}
