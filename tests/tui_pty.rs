//! keyfolio as a person uses it: `keyfolio --demo` on a pseudo-terminal. The demo's
//! failing connection makes CCXT panic (and catch the panic) during its first sync; the
//! screen must survive that (still on the alternate screen, still in raw mode, keys still
//! work), and quitting must restore the terminal.
#![cfg(unix)] // pseudo-terminals

mod common;

use common::pty::Pty;
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
        pty.wait_for(mark, "Esc or ? close", WAIT),
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
}

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
