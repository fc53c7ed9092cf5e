//! The panic hook in a child process: CCXT's caught panics stay silent and the program
//! goes on; a real bug is reported with exit code 101, and the report carries no secret
//! even when the panic message formats credentials.

use keyfolio::model::Credentials;
use std::process::Command;

const CHILD: &str = "KEYFOLIO_PANIC_HOOK_CHILD";

#[test]
fn ccxt_panics_stay_silent_and_a_bug_is_reported_without_secrets() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "panic_hook::ccxt_panics_stay_silent_and_a_bug_is_reported_without_secrets",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("after the CCXT panic"), "{stderr}");
    assert!(!stderr.contains("AuthenticationError"), "{stderr}");
    assert!(
        stderr.contains("keyfolio hit a bug and stopped at tests/process/panic_hook.rs"),
        "{stderr}"
    );
    assert!(stderr.contains("a bug while holding"), "{stderr}");
    for secret in ["APIKEY-PANIC-1234", "SECRET-PANIC-abcdef", "PASS-PANIC"] {
        assert!(!stderr.contains(secret), "{secret} leaked: {stderr}");
    }
}

/// Runs in the child: a CCXT-style caught panic, then a bug.
fn child() {
    keyfolio::panic_hook::install();
    let caught = std::panic::catch_unwind(|| {
        std::panic::panic_any(String::from(
            "[AuthenticationError] binance {\"code\":-2015}",
        ))
    });
    assert!(caught.is_err());
    eprintln!("after the CCXT panic");
    let creds = Credentials::new(
        "APIKEY-PANIC-1234",
        "SECRET-PANIC-abcdef",
        Some("PASS-PANIC"),
    );
    panic!("a bug while holding {creds:?}");
}
