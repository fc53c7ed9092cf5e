//! The encrypted-file store on a machine without a keyring: keyfolio asks for the file's
//! passphrase on the terminal without echoing it, has a new one typed twice, reports a
//! wrong one at once, and tells scripts to use the environment variable instead.
#![cfg(unix)] // pseudo-terminals

use crate::common::pty::Pty;
use keyfolio::model::Credentials;
use keyfolio::store::SecretStore;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn file_store_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), "secret_store = \"file\"\n").unwrap();
    home
}

fn keyfolio(home: &tempfile::TempDir, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
    command
        .args(args)
        .env("KEYFOLIO_HOME", home.path())
        .env_remove("KEYFOLIO_SECRETS_PASSPHRASE");
    command
}

/// Waits for `prompt` in what keyfolio wrote after byte `from`, then types `typed` as a
/// person does: a moment after the prompt shows (the terminal stops echoing once the
/// prompt is up; keys typed ahead of it would echo, as in any terminal program).
/// Returns where the output stood when the answer was typed.
fn answer(pty: &mut Pty, from: usize, prompt: &str, typed: &[u8]) -> usize {
    assert!(
        pty.wait_for(from, prompt, WAIT),
        "{prompt}: {}",
        pty.output()
    );
    std::thread::sleep(Duration::from_millis(200));
    let mark = pty.output_len();
    pty.send(typed).unwrap();
    mark
}

#[test]
fn a_new_file_passphrase_is_typed_twice_unseen_then_the_tui_opens() {
    let home = file_store_home();
    let mut pty = Pty::spawn(keyfolio(&home, &[]), 100, 30).unwrap();
    let mark = answer(&mut pty, 0, "Choose its passphrase", b"short\r");
    assert!(pty.wait_for(mark, "Too short", WAIT), "{}", pty.output());
    let mark = answer(&mut pty, mark, "Choose its passphrase", b"correct horse\r");
    let mark = answer(&mut pty, mark, "Type it again", b"correct horsf\r");
    assert!(pty.wait_for(mark, "differ", WAIT), "{}", pty.output());
    let mark = answer(&mut pty, mark, "Choose its passphrase", b"correct horse\r");
    let mark = answer(&mut pty, mark, "Type it again", b"correct horse\r");
    assert!(
        pty.wait_for(mark, "Connect an exchange", WAIT),
        "the Connections screen opens: {}",
        pty.output()
    );
    pty.send(b"q").unwrap();
    let (status, output) = pty.finish(WAIT).unwrap();
    assert!(status.success(), "{status}: {output}");
    assert!(
        !output.contains("horse") && !output.contains("horsf"),
        "the passphrase is never echoed"
    );
}

#[test]
fn a_wrong_passphrase_is_named_and_asked_again() {
    let home = file_store_home();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(
            SecretStore::file(
                home.path().join("secrets.age"),
                "correct horse".to_string().into(),
            )
            .put("c1", &Credentials::new("KEY", "SECRET", None)),
        )
        .unwrap();
    let mut pty = Pty::spawn(keyfolio(&home, &["list"]), 100, 30).unwrap();
    let mark = answer(&mut pty, 0, "Passphrase for", b"wrong horse\r");
    assert!(
        pty.wait_for(mark, "wrong passphrase", WAIT),
        "{}",
        pty.output()
    );
    let mark = answer(&mut pty, mark, "Passphrase for", b"correct horse\r");
    assert!(
        pty.wait_for(mark, "No connections", WAIT),
        "{}",
        pty.output()
    );
    let (status, output) = pty.finish(WAIT).unwrap();
    assert!(status.success(), "{status}: {output}");
    assert!(!output.contains("horse"), "the passphrase is never echoed");
}

#[test]
fn without_a_terminal_the_error_names_the_environment_variable() {
    let home = file_store_home();
    let out = keyfolio(&home, &["list"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("KEYFOLIO_SECRETS_PASSPHRASE"), "{stderr}");
    assert!(!home.path().join("secrets.age").exists());
}
