//! keyfolio as a person uses it: `keyfolio --demo` on a pseudo-terminal. The demo's
//! failing connection makes CCXT panic (and catch the panic) during its first sync; the
//! screen must survive that (still on the alternate screen, still in raw mode, keys still
//! work), and quitting must restore the terminal.
#![cfg(unix)] // pseudo-terminals

use crate::common::pty::Pty;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const LEAVE_ALTERNATE_SCREEN: &str = "\x1b[?1049l";

#[test]
fn the_demo_survives_exchange_errors_and_quits_cleanly() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
    command.arg("--demo");
    let mut pty = Pty::spawn(command, 120, 40).unwrap();
    assert!(
        pty.wait_for(0, "Error: exchange down", WAIT),
        "the failing demo connection shows its error: {}",
        pty.output()
    );
    assert!(pty.wait_for(0, "Synced", WAIT), "{}", pty.output());
    assert!(
        !pty.output().contains(LEAVE_ALTERNATE_SCREEN),
        "an exchange error must not drop the screen"
    );
    assert!(!pty.output().contains("warning:"), "{}", pty.output());

    // Raw mode still on: a single key, with no Enter, opens the help overlay.
    let mark = pty.output_len();
    pty.send(b"?").unwrap();
    assert!(
        pty.wait_for(mark, "Esc/?/q close", WAIT),
        "{}",
        pty.output()
    );
    let mark = pty.output_len();
    pty.send(b"\x1b").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    pty.send(b"q").unwrap();
    let (status, output) = pty.finish(WAIT).unwrap();
    assert!(status.success(), "{status}");
    assert!(
        output[mark..].contains(LEAVE_ALTERNATE_SCREEN),
        "quitting restores the terminal"
    );
    assert!(
        output[..mark].contains(MOUSE_ON) && output[mark..].contains(MOUSE_OFF),
        "mouse capture is on while the screen runs and off after quitting"
    );
}

/// xterm's mouse reporting, as crossterm turns it on and off.
const MOUSE_ON: &str = "\x1b[?1000h";
const MOUSE_OFF: &str = "\x1b[?1000l";

#[test]
fn without_a_keyring_the_screen_says_so_at_once() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
    command.env("KEYFOLIO_HOME", home.path()).env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/keyfolio-test-bus",
    );
    let mut pty = Pty::spawn(command, 120, 40).unwrap();
    assert!(
        pty.wait_for(0, "no OS keyring is reachable", WAIT),
        "the notice line names the missing keyring: {}",
        pty.output()
    );
    pty.send(b"q").unwrap();
    let (status, _) = pty.finish(WAIT).unwrap();
    assert!(status.success(), "{status}");
}

/// What an attacker's text would become on the terminal: an OSC (window title, clipboard),
/// a bell, an 8-bit CSI, DEL, or a bidi override. The TUI's own output uses only CSI.
fn foreign_controls(output: &str) -> Vec<String> {
    let mut found: Vec<String> = output
        .chars()
        .filter(|&c| {
            matches!(c, '\u{7}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    if output.contains("\u{1b}]") {
        found.push("OSC".into());
    }
    found
}

#[test]
fn text_from_outside_never_reaches_the_terminal_raw() {
    use keyfolio::exchange::sim::HOSTILE_TEXT;
    use keyfolio::model::{AccountSnapshot, Balance, Endpoint, ExchangeId, Failure, FailureKind};
    use keyfolio::model::{AuthKind, NewConnection};
    use keyfolio::store::db::Db;
    let home = tempfile::tempdir().unwrap();
    let paths = keyfolio::config::Paths::under(home.path());
    paths.create().unwrap();
    // As an older keyfolio could have stored it: raw, past any check at the boundary.
    let mut db = Db::open(&paths.database()).unwrap();
    let new = NewConnection {
        exchange: ExchangeId::Binance,
        label: format!("Main {HOSTILE_TEXT}"),
        auth_kind: AuthKind::ApiKey,
        endpoint: Endpoint {
            base_url: Some("http://127.0.0.1:9".into()),
            sandbox: false,
        },
        key_hint: "abcd".into(),
        key_hash: None,
        account_hash: None,
        key_type: None,
        secret_ref: "hostile-test".into(),
    };
    let snapshot = AccountSnapshot {
        balances: vec![Balance {
            wallet: keyfolio::model::Wallet::Spot,
            asset: HOSTILE_TEXT.into(),
            free: "1".into(),
            used: "0".into(),
            total: "1".into(),
            approximate: false,
        }],
        permissions: None,
        account_id: None,
        ..Default::default()
    };
    let now = chrono::Utc::now();
    let id = db.insert_connection(&new, &snapshot, now).unwrap();
    let mut failure = Failure::new(FailureKind::InvalidKey, "");
    failure.detail = format!("refused {HOSTILE_TEXT}");
    db.record_failure(id, &failure, true, now).unwrap();
    drop(db);

    let mut command = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
    command.env("KEYFOLIO_HOME", home.path());
    let mut pty = Pty::spawn(command, 120, 40).unwrap();
    assert!(pty.wait_for(0, "Main", WAIT), "{}", pty.output());
    for (key, shows) in [
        (&b"\r"[..], "Balances"),
        (b"\x1b", "exchanges (Binance"),
        (b"p", "Portfolio"),
    ] {
        let mark = pty.output_len();
        pty.send(key).unwrap();
        assert!(pty.wait_for(mark, shows, WAIT), "{}", pty.output());
    }
    pty.send(b"\x1b").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    pty.send(b"q").unwrap();
    let (status, output) = pty.finish(WAIT).unwrap();
    assert!(status.success(), "{status}");
    assert!(output.contains("pwned"), "the text itself shows");
    assert_eq!(
        foreign_controls(&output),
        Vec::<String>::new(),
        "{output:?}"
    );
}
