//! A Secret Service that accepts the connection and never answers must not freeze keyfolio:
//! the call ends within its timeout with a message saying what to do.
//! (Its own test binary, because it points this process's D-Bus address at a silent socket.)
#![allow(unsafe_code)] // libc calls; see the [lints] table in Cargo.toml
#![cfg(target_os = "linux")] // the Secret Service on D-Bus

use keyfolio::store::{SecretError, SecretStore};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_hung_secret_service_times_out_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream); // accept, never answer
        }
    });
    // SAFETY: the only test in this binary; set before any thread reads the environment.
    unsafe {
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        );
    };

    let store = SecretStore::keyring(Duration::from_millis(1500));
    let started = Instant::now();
    let result = store.probe().await;
    let elapsed = started.elapsed();
    assert_eq!(result, Err(SecretError::Timeout(1)));
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    let message = result.unwrap_err().to_string();
    assert!(message.contains("secret_store = \"file\""), "{message}");

    // The hung call still holds its thread: the next call gets a thread of its own and
    // times out in its own time, not queued behind the first.
    assert_eq!(SecretStore::threads_started(), 1);
    let started = Instant::now();
    assert_eq!(store.delete("any").await, Err(SecretError::Timeout(1)));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        SecretStore::threads_started(),
        2,
        "a new thread after a timeout"
    );
    // A read (on Linux, straight from the Secret Service) is held to the timeout too.
    let started = Instant::now();
    assert_eq!(store.get_raw("any").await, Err(SecretError::Timeout(1)));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}
