//! The CLI end to end: the real binary, a real SQLite file, the real Secret Service, and the
//! simulator standing in for the exchanges. Secrets travel only through env vars and stdin.

use crate::common;

use keyfolio::exchange::sim::{SimAccount, SimHandle, Simulator};
use std::path::Path;
use std::process::{Command, Output, Stdio};

struct Env {
    home: tempfile::TempDir,
    sim: SimHandle,
}

impl Env {
    async fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            sim: Simulator::start(0).await.unwrap(),
        }
    }

    fn account(&self, exchange: &str, purpose: &str) -> SimAccount {
        self.sim.account_on(exchange, purpose).unwrap()
    }

    fn endpoint(&self, exchange: &str) -> String {
        format!("{}/{exchange}", self.sim.base_url)
    }

    /// Runs keyfolio with the account's credentials in environment variables.
    fn run_with(&self, args: &[&str], account: Option<&SimAccount>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
        cmd.args(args)
            .env("KEYFOLIO_HOME", self.home.path())
            .env("NO_COLOR", "1");
        if let Some(a) = account {
            common::with_credentials(&mut cmd, a);
        }
        cmd.stdin(Stdio::null()).output().unwrap()
    }

    /// Runs keyfolio with `input` on standard input.
    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
            .args(args)
            .env("KEYFOLIO_HOME", self.home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // keyfolio may refuse before reading it all: a broken pipe is its answer.
        let _ = std::io::Write::write_all(child.stdin.as_mut().unwrap(), input);
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn cred_args<'a>(&self, exchange: &'a str, endpoint: &'a str) -> Vec<&'a str> {
        common::cred_args(exchange, endpoint)
    }

    fn list(&self) -> Vec<serde_json::Value> {
        let out = self.run_with(&["list", "--json"], None);
        assert!(out.status.success(), "{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn text(out: &Output) -> String {
    common::output_text(out)
}

fn scan_dir_for(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in common::files_under(dir) {
        if let Ok(bytes) = std::fs::read(&entry)
            && String::from_utf8_lossy(&bytes).contains(needle)
        {
            hits.push(entry.display().to_string());
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_saves_nothing_and_connect_saves_once() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let mut args = vec!["validate"];
    args.extend(env.cred_args("binance", &ep));
    let out = env.run_with(&args, Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("read · any IP"), "{}", text(&out));
    assert!(env.list().is_empty(), "validate saves nothing");

    let mut args = vec!["connect"];
    args.extend(env.cred_args("binance", &ep));
    args.extend(["--label", "Main"]);
    let out = env.run_with(&args, Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let list = env.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["label"], "Main");
    assert_eq!(list[0]["status"], "Synced");
    assert_eq!(list[0]["key_hint"], a.api_key[a.api_key.len() - 4..]);
    assert_eq!(list[0]["permissions"]["withdraw"], false);
    assert!(list[0]["last_synced_at"].is_string());

    let again = env.run_with(&args, Some(&a));
    assert_eq!(
        again.status.code(),
        Some(3),
        "duplicate refused: {}",
        text(&again)
    );
    assert!(text(&again).contains("already connected"));
    assert_eq!(env.list().len(), 1);

    // Balances, sync and disconnect.
    let id = list[0]["id"].as_i64().unwrap().to_string();
    let out = env.run_with(&["balances", &id, "--json"], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("123456789012.12345678"),
        "{}",
        text(&out)
    );
    let out = env.run_with(&["sync", "--all", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        scan_dir_for(env.home.path(), &a.secret).is_empty(),
        "no secret in the data directory"
    );
    let out = env.run_with(&["disconnect", &id, "--yes", "--purge"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.list().is_empty());
    let out = env.run_with(&["sync", &id], None);
    assert_ne!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_keys_exit_3_with_the_failure_named() {
    let env = Env::new().await;
    let ep = env.endpoint("okx");
    let mut wrong = env.account("okx", "read-only");
    wrong.passphrase = Some("not-the-passphrase".into());
    let mut args = vec!["connect"];
    args.extend(env.cred_args("okx", &ep));
    let out = env.run_with(&args, Some(&wrong));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("wrong passphrase"), "{}", text(&out));
    assert!(env.list().is_empty(), "a failed validation saves nothing");

    let withdraw = env.account("okx", "withdraw enabled");
    let out = env.run_with(&args, Some(&withdraw));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("withdraw"), "{}", text(&out));
    assert!(env.list().is_empty());
    args.push("--accept-withdraw-risk");
    let out = env.run_with(&args, Some(&withdraw));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(env.list()[0]["permissions"]["withdraw"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_exchange_exits_4_and_usage_errors_exit_2() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let out = env.run_with(
        &[
            "validate",
            "binance",
            "--api-key-env",
            "KF_KEY",
            "--secret-env",
            "KF_SECRET",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        Some(&a),
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("unreachable"), "{}", text(&out));

    let out = env.run_with(&["validate", "binance"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = env.run_with(&["validate", "kraken", "--stdin"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = env.run_with(&["validate", "binance", "--secret", "oops"], None);
    assert_eq!(out.status.code(), Some(2), "no secret flag on argv exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_credentials_and_pem_files() {
    let env = Env::new().await;
    let a = env.account("binance", "ed25519");
    let pem = env.home.path().join("key.pem");
    std::fs::write(&pem, &a.secret).unwrap();
    let body =
        serde_json::json!({"api_key": a.api_key, "secret": pem.display().to_string()}).to_string();
    let ep = env.endpoint("binance");
    let out = env.run_stdin(
        &["validate", "binance", "--stdin", "--endpoint", &ep],
        body.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Ed25519"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn wider_data_directories_are_narrowed_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args(["list"])
        .env("KEYFOLIO_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("readable by others"),
        "{}",
        text(&out)
    );
    let mode = std::fs::metadata(home.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let db = std::fs::metadata(home.path().join("keyfolio.db"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(db, 0o600);
}

/// Another string of the same shape: the last character changed.
fn sibling(s: &str) -> String {
    let mut out: String = s[..s.len() - 1].into();
    out.push(if s.ends_with('0') { '1' } else { '0' });
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_key_of_a_connected_account_is_refused() {
    let env = Env::new().await;
    for exchange in ["binance", "okx"] {
        let first = env.account(exchange, "read-only");
        let second = SimAccount {
            api_key: sibling(&first.api_key),
            secret: sibling(&first.secret),
            purpose: "second key".into(),
            same_account_as: Some(first.api_key.clone()),
            ..first.clone()
        };
        env.sim.add_account(second.clone());
        let endpoint = env.endpoint(exchange);
        let args = [&["connect"][..], &env.cred_args(exchange, &endpoint)].concat();
        let out = env.run_with(&args, Some(&first));
        assert!(out.status.success(), "{}", text(&out));
        let out = env.run_with(&args, Some(&second));
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(
            text(&out).contains("already connected as") && text(&out).contains("count twice"),
            "{}",
            text(&out)
        );
        // A key of another account of the same exchange is welcome.
        let other = env.account(exchange, "trade");
        let out = env.run_with(&args, Some(&other));
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(env.list().len(), 4, "the second keys were not saved");
}

/// Every byte a command wrote, checked for terminal controls.
fn assert_terminal_safe(what: &str, out: &Output) {
    let all = text(out);
    let found = common::terminal_controls(&all);
    assert!(found.is_empty(), "{what} wrote {found:?}:\n{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_exchange_text_never_reaches_the_terminal_raw() {
    use keyfolio::exchange::sim::{Fault, HOSTILE_TEXT};
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &env.cred_args("binance", &ep)].concat();
    let out = env.run_with(&connect, Some(&a));
    assert!(out.status.success(), "{}", text(&out));

    // An answer naming a hostile asset is unexpected: nothing of it is saved.
    env.sim.set_fault(&a.api_key, Some(Fault::HostileAsset));
    let out = env.run_with(&["sync", "--all"], None);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("unexpected response"), "{}", text(&out));
    assert_terminal_safe("sync", &out);
    let out = env.run_with(&["balances"], None);
    assert!(
        text(&out).contains("USDT") && !text(&out).contains("pwned"),
        "{}",
        text(&out)
    );

    // A hostile error message is kept, marked.
    env.sim.set_fault(&a.api_key, Some(Fault::HostileMessage));
    let out = env.run_with(&["sync", "--all", "--json"], None);
    assert!(text(&out).contains("invalid_key"), "{}", text(&out));
    assert_terminal_safe("sync --json", &out);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = rows[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("pwned") && message.contains('\u{FFFD}'),
        "{message}"
    );
    let other = env.account("binance", "trade");
    env.sim
        .set_fault(&other.api_key, Some(Fault::HostileMessage));
    let validate = [&["validate"][..], &env.cred_args("binance", &ep)].concat();
    let out = env.run_with(&validate, Some(&other));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_terminal_safe("validate", &out);

    // Text an older keyfolio stored raw is cleaned at the edge all the same.
    let db_path = keyfolio::config::Paths::under(env.home.path()).database();
    let db = rusqlite::Connection::open(db_path).unwrap();
    db.execute(
        "UPDATE connections SET label = ?1, last_error_message = ?1",
        [format!("Main {HOSTILE_TEXT}")],
    )
    .unwrap();
    db.execute(
        "UPDATE balances SET asset = ?1 WHERE asset = 'BTC'",
        [HOSTILE_TEXT],
    )
    .unwrap();
    drop(db);
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["balances"],
        &["balances", "--json"],
        &["sync", "--all"],
        &["disconnect", "1"],
        &["interval", "1", "60"],
        &["doctor"],
    ] {
        let out = env.run_with(args, None);
        assert_terminal_safe(&args.join(" "), &out);
    }
    let out = env.run_with(&["list", "--json"], None);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows[0]["label"].as_str().unwrap(),
        format!("Main {HOSTILE_TEXT}"),
        "JSON escapes, and the value stays the same"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_with_controls_and_oversized_credentials_are_refused_before_any_request() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let mut connect = [&["connect"][..], &env.cred_args("binance", &ep)].concat();
    connect.extend(["--label", "a\u{1b}]0;x\u{7}b"]);
    let out = env.run_with(&connect, Some(&a));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("escape character"), "{}", text(&out));
    assert_terminal_safe("connect --label", &out);

    let huge = "k".repeat(5 * 1024 * 1024);
    let body = serde_json::json!({"api_key": huge, "secret": "s"}).to_string();
    let out = env.run_stdin(
        &["validate", "binance", "--stdin", "--endpoint", &ep],
        body.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("at most 4096"), "{}", text(&out));

    let body = serde_json::json!({"api_key": "k".repeat(4097), "secret": "s"}).to_string();
    let out = env.run_stdin(
        &["validate", "binance", "--stdin", "--endpoint", &ep],
        body.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("the API key is 4097 characters"),
        "{}",
        text(&out)
    );

    let pem = env.home.path().join("big.pem");
    std::fs::write(&pem, "A".repeat(64 * 1024)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args([
            "validate",
            "binance",
            "--api-key-env",
            "KF_KEY",
            "--secret-env",
            "KF_SECRET",
        ])
        .args(["--endpoint", &ep])
        .env("KEYFOLIO_HOME", env.home.path())
        .env("KF_KEY", &a.api_key)
        .env("KF_SECRET", &pem)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("PEM file"), "{}", text(&out));

    assert!(env.list().is_empty(), "nothing saved");
    assert_eq!(
        env.sim.total_requests_for(&a.api_key) + env.sim.total_requests_for(&huge),
        0,
        "refused before any request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_subcommands_never_touch_the_real_data() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let connect = [
        &["connect"][..],
        &common::cred_args("binance", &ep),
        &["--label", "Real"],
    ]
    .concat();
    let out = env.run_with(&connect, Some(&a));
    assert!(out.status.success(), "{}", text(&out));

    let out = env.run_with(&["--demo", "list", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let demo: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(demo.len(), 4, "the demo's own connections: {demo:?}");
    assert!(
        demo.iter().any(|c| c["exchange"] == "bybit"),
        "Bybit through the replay"
    );
    assert!(demo.iter().all(|c| c["label"] != "Real"));
    let out = env.run_with(&["--demo", "disconnect", "1", "--yes", "--purge"], None);
    assert!(out.status.success(), "{}", text(&out));

    let real = env.list();
    assert_eq!(real.len(), 1, "the real connection is untouched");
    assert_eq!(real[0]["label"], "Real");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_exits_4_when_the_exchange_is_down_and_3_when_the_trader_must_act() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &common::cred_args("binance", &ep)].concat();
    let out = env.run_with(&connect, Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    env.sim
        .set_fault(&a.api_key, Some(keyfolio::exchange::sim::Fault::Html5xx));
    let out = env.run_with(&["sync", "--all"], None);
    assert_eq!(out.status.code(), Some(4), "exchange down: {}", text(&out));

    env.sim.set_fault(
        &a.api_key,
        Some(keyfolio::exchange::sim::Fault::IpNotWhitelisted),
    );
    let out = env.run_with(&["sync", "--all", "--json"], None);
    assert_eq!(
        out.status.code(),
        Some(3),
        "needs the trader: {}",
        text(&out)
    );

    env.sim.set_fault(&a.api_key, None);
    env.sim.reset_counts();
    let out = env.run_with(&["sync", "--all"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Parses standard output as JSON, or fails showing everything printed.
fn json_out(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_that_prints_takes_json() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let creds = common::cred_args("binance", &ep);

    let out = env.run_with(&[&["validate"][..], &creds, &["--json"]].concat(), Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_out(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["exchange"], "binance");
    assert_eq!(v["key_hint"], a.api_key[a.api_key.len() - 4..]);
    assert_eq!(v["permissions"]["withdraw"], false);
    assert!(v["assets"].is_u64(), "{v}");

    let mut wrong = a.clone();
    wrong.secret = wrong.secret.chars().rev().collect();
    let out = env.run_with(
        &[&["validate"][..], &creds, &["--json"]].concat(),
        Some(&wrong),
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let v = json_out(&out);
    assert_eq!(v["ok"], false);
    assert!(v["error"]["kind"].is_string(), "{v}");

    let connect = [&["connect"][..], &creds, &["--label", "Main", "--json"]].concat();
    let out = env.run_with(&connect, Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_out(&out);
    assert_eq!(v["label"], "Main");
    let id = v["id"].as_i64().unwrap();
    let id_text = id.to_string();

    let out = env.run_with(&["interval", &id_text, "60", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_out(&out);
    assert_eq!(
        (v["id"].as_i64(), v["interval_secs"].as_u64()),
        (Some(id), Some(60))
    );
    let out = env.run_with(&["interval", &id_text, "default", "--json"], None);
    let v = json_out(&out);
    assert!(
        v["interval_secs"].is_null() && v["effective_secs"].is_u64(),
        "{v}"
    );

    let out = env.run_with(&["doctor", "--json"], None);
    let v = json_out(&out);
    assert!(v["schema_version"].is_u64(), "{v}");
    assert!(v["secret_store_answers"].is_boolean(), "{v}");
    assert_eq!(
        out.status.code(),
        Some(if v["secret_store_answers"] == true {
            0
        } else {
            4
        })
    );

    let out = env.run_with(&["disconnect", &id_text, "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json_out(&out)["disconnected"], false, "no answer is no");
    let out = env.run_with(&["disconnect", &id_text, "--yes", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json_out(&out);
    assert_eq!(
        (v["disconnected"].as_bool(), v["purged"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(env.list().is_empty());
}

#[test]
fn exchange_is_a_listed_value_and_a_wrong_one_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keyfolio"))
            .args(args)
            .env("KEYFOLIO_HOME", home.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    for sub in ["validate", "connect"] {
        let out = run(&[sub, "--help"]);
        let help = text(&out);
        assert!(
            help.contains("binance") && help.contains("okx") && help.contains("bybit"),
            "{help}"
        );
        let out = run(&[sub, "notanexchange", "--stdin"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = text(&out);
        assert!(err.contains("possible values: binance, okx, "), "{err}");
    }
}

/// Runs keyfolio with a KEYFOLIO_HOME that does not exist, and no keyring on the bus.
fn run_offline(args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args(args)
        .env("KEYFOLIO_HOME", dir.path().join("home"))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/keyfolio-test-bus",
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out, dir)
}

#[test]
fn help_names_the_exit_codes_and_the_environment_variables() {
    let (out, _dir) = run_offline(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = text(&out);
    for needle in [
        "Exit codes",
        "3  credentials rejected",
        "4  network, exchange or keyring unavailable",
        "KEYFOLIO_HOME",
        "KEYFOLIO_LOG",
        "KEYFOLIO_SECRETS_PASSPHRASE",
    ] {
        assert!(
            help.contains(needle),
            "{needle} missing from --help:\n{help}"
        );
    }
}

#[test]
fn completions_and_man_page_are_printed_without_opening_any_data() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (out, dir) = run_offline(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["keyfolio", "validate", "balances"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // clap_complete's fish and PowerShell scripts complete flags and subcommands,
        // not positional values.
        if matches!(shell, "bash" | "zsh") {
            assert!(
                script.contains("binance") && script.contains("okx"),
                "{shell}"
            );
        }
        assert!(!dir.path().join("home").exists(), "no data directory made");
    }
    let (out, _dir) = run_offline(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let (out, dir) = run_offline(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH keyfolio"),
        "{page}"
    );
    for word in ["completions", "KEYFOLIO_HOME", "Exit codes"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    assert!(!dir.path().join("home").exists());
}

#[cfg(unix)]
#[test]
fn logs_rotate_daily_keep_seven_files_and_stay_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let logs = home.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o700)).unwrap();
    for day in 1..=10 {
        std::fs::write(logs.join(format!("keyfolio.2020-01-{day:02}.log")), "old\n").unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .args(["list", "--json"])
        .env("KEYFOLIO_HOME", home.path())
        .env("KEYFOLIO_LOG", "debug")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let names: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() <= 7, "at most 7 files kept: {names:?}");
    let today = format!("keyfolio.{}.log", chrono::Utc::now().format("%Y-%m-%d"));
    assert!(names.contains(&today), "{today} in {names:?}");
    let mode = std::fs::metadata(logs.join(&today))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{today}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_text_shows_amounts_trimmed_like_the_app() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let out = env.run_with(
        &[&["connect"][..], &common::cred_args("binance", &ep)].concat(),
        Some(&a),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.run_with(&["balances"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    let amounts: Vec<&str> = shown
        .split_whitespace()
        .filter(|w| w.parse::<f64>().is_ok())
        .collect();
    assert!(!amounts.is_empty(), "{shown}");
    for amount in amounts {
        assert!(
            !(amount.contains('.') && amount.ends_with('0')),
            "{amount} keeps padding zeros:\n{shown}"
        );
    }
    let out = env.run_with(&["balances", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v[0]["balances"][0]["total"].is_string(),
        "JSON keeps decimal strings: {v}"
    );
    assert!(v[0]["balances"][0]["wallet"].is_string(), "{v}");

    // --csv: the same rows, one per balance, parsed back by a CSV reader.
    let out = env.run_with(&["balances", "--csv"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "id",
            "exchange",
            "label",
            "synced_at",
            "stale",
            "wallet",
            "asset",
            "free",
            "used",
            "total",
            "approximate"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let json_rows = v[0]["balances"].as_array().unwrap();
    assert_eq!(rows.len(), json_rows.len());
    for (row, json) in rows.iter().zip(json_rows) {
        assert_eq!(&row[5], json["wallet"].as_str().unwrap());
        assert_eq!(&row[6], json["asset"].as_str().unwrap());
        assert_eq!(
            &row[9],
            json["total"].as_str().unwrap(),
            "decimal strings as is"
        );
    }
    let out = env.run_with(&["history", "--csv"], None);
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    assert_eq!(reader.headers().unwrap(), vec!["at", "quote", "total"]);
    let out = env.run_with(&["balances", "--csv", "--json"], None);
    assert_eq!(out.status.code(), Some(2), "one format at a time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_compiled_in_exchange_connects_from_the_sim_listing_and_lists_itself() {
    let env = Env::new().await;
    let out = env.run_with(&["exchanges", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listed.len() >= 10, "{listed:?}");
    assert_eq!(listed[0]["id"], "binance");
    let kucoin = listed.iter().find(|e| e["id"] == "kucoin").unwrap();
    let names: Vec<&str> = kucoin["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["apiKey", "secret", "password"]);
    // KuCoin tells a key's permissions (GET /api/v1/user/api-key); Bitvavo does not.
    assert_eq!(kucoin["reads"]["permissions"], true);
    if let Some(bitvavo) = listed.iter().find(|e| e["id"] == "bitvavo") {
        assert_eq!(bitvavo["reads"]["permissions"], false);
    }

    // What `keyfolio sim` prints: each account with its endpoint and credentials under the
    // names `connect --stdin` takes.
    let listing = keyfolio::exchange::sim::listing_json(&env.sim);
    for id in ["bybit", "kucoin", "coinbase"] {
        let account = listing["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["exchange"] == id)
            .unwrap();
        let endpoint = account["base_url"].as_str().unwrap();
        let input = account["credentials"].to_string();
        let out = env.run_stdin(
            &["connect", id, "--stdin", "--endpoint", endpoint, "--json"],
            input.as_bytes(),
        );
        assert!(out.status.success(), "{id}: {}", text(&out));
        let connected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(connected["assets"].as_u64().unwrap() > 0, "{connected}");
        // The simulator's keys are read-only, as their key information says.
        let permissions = &connected["permissions"];
        assert_eq!(permissions["read"], true, "{id}: {connected}");
        assert_eq!(permissions["withdraw"], false, "{id}: {connected}");
        // The same key again is refused.
        let again = env.run_stdin(
            &[
                "connect",
                id,
                "--stdin",
                "--endpoint",
                endpoint,
                "--label",
                "again",
            ],
            input.as_bytes(),
        );
        assert_eq!(again.status.code(), Some(3), "{id}: {}", text(&again));
    }
    let out = env.run_with(&["balances", "--json"], None);
    let balances: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(balances.len(), 3);
    let bybit = balances.iter().find(|c| c["exchange"] == "bybit").unwrap();
    let btc = bybit["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "BTC")
        .unwrap();
    assert_eq!(btc["total"], "0.85581394", "Bybit's recorded walletBalance");
    assert_eq!(btc["approximate"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cred_names_any_credential_and_a_missing_one_is_named() {
    let env = Env::new().await;
    let a = env.account("kucoin", "read-only");
    let endpoint = env.endpoint("kucoin");
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
        cmd.args([
            "validate", "kucoin", "--cred", "apiKey=K", "--cred", "secret=S",
        ])
        .args(extra.iter().flat_map(|(flag, v)| [*flag, *v]))
        .args(["--endpoint", &endpoint])
        .env("KEYFOLIO_HOME", env.home.path())
        .env("K", &a.api_key)
        .env("S", &a.secret)
        .env("P", a.passphrase.as_deref().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap()
    };
    let missing = run(&[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).contains("KuCoin keys need their passphrase"),
        "{}",
        text(&missing)
    );
    let ok = run(&[("--cred", "password=P")]);
    assert!(ok.status.success(), "{}", text(&ok));
    let wrong = run(&[("--cred", "walletAddress=P")]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong).contains("not a credential keyfolio takes"));
}

/// A database written by a build with more exchanges: a connection of an exchange this
/// build lacks keeps its own name, is never synced or sent anywhere (before, it was read
/// as Binance and its key sent to Binance), and can be disconnected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_of_an_exchange_not_in_this_build_is_never_another_exchange() {
    let env = Env::new().await;
    let a = env.account("binance", "read-only");
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &common::cred_args("binance", &ep)].concat();
    let out = env.run_with(&connect, Some(&a));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = env.list()[0]["id"].as_i64().unwrap();
    let absent = keyfolio::exchange::catalog::KNOWN
        .iter()
        .map(|(id, _)| *id)
        .find(|id| keyfolio::model::ExchangeId::parse(id).is_none())
        .expect("the default build leaves some exchange out");
    let db_path = keyfolio::config::Paths::under(env.home.path()).database();
    rusqlite::Connection::open(db_path)
        .unwrap()
        .execute("UPDATE connections SET exchange = ?1", [absent])
        .unwrap();

    env.sim.reset_counts();
    let listed = env.list();
    assert_eq!(listed[0]["exchange"], absent, "{listed:?}");
    let shown = env.run_with(&["list"], None);
    assert!(
        text(&shown).contains("not in this build"),
        "{}",
        text(&shown)
    );

    let out = env.run_with(&["sync", "--all", "--json"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("not_in_build"), "{}", text(&out));
    let out = env.run_with(&["sync", &id.to_string()], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(
        env.sim.total_requests_for(&a.api_key),
        0,
        "the key went to an exchange"
    );

    let doctor = env.run_with(&["doctor"], None);
    assert!(
        text(&doctor).contains(&format!("--features {absent}")),
        "{}",
        text(&doctor)
    );

    let out = env.run_with(&["disconnect", &id.to_string(), "--yes"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.list().is_empty());
}

/// `keyfolio audit`: every key with what it may do; exit 3 (for cron) once any key can
/// withdraw or has no IP restriction, each flagged key saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_lists_every_key_and_exits_3_when_one_can_withdraw_or_has_no_ip_restriction() {
    let env = Env::new().await;
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &env.cred_args("binance", &ep)].concat();
    let restricted = env.account("binance", "ip restricted");
    let out = env.run_with(
        &[&connect[..], &["--label", "Restricted"]].concat(),
        Some(&restricted),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.run_with(&["audit"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let hint = &restricted.api_key[restricted.api_key.len() - 4..];
    assert!(
        text(&out).contains("Restricted") && text(&out).contains(&format!("••••{hint}")),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("IP-restricted"), "{}", text(&out));
    assert!(!text(&out).contains("FLAGGED"), "{}", text(&out));
    assert!(
        !text(&out).contains(&restricted.api_key[..8]),
        "more of the key than its hint"
    );

    let read_only = env.account("binance", "read-only");
    let out = env.run_with(
        &[&connect[..], &["--label", "ReadOnly"]].concat(),
        Some(&read_only),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let withdraw = env.account("binance", "withdraw enabled");
    let args = [
        &connect[..],
        &["--label", "Withdraw", "--accept-withdraw-risk"],
    ]
    .concat();
    let out = env.run_with(&args, Some(&withdraw));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = env.run_with(&["audit"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let shown = text(&out);
    let line = |label: &str| {
        shown
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no line for {label}: {shown}"))
            .to_string()
    };
    assert!(line("Withdraw").contains("WITHDRAW"), "{shown}");
    assert!(line("Withdraw").contains("can withdraw"), "{shown}");
    assert!(line("ReadOnly").contains("no IP restriction"), "{shown}");
    assert!(!line("ReadOnly").contains("can withdraw"), "{shown}");
    assert!(!line("Restricted").contains("FLAGGED"), "{shown}");

    let out = env.run_with(&["audit", "--json"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let keys = json_out(&out);
    let key = |label: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["label"] == label)
            .unwrap_or_else(|| panic!("no {label}: {keys}"))
            .clone()
    };
    let w = key("Withdraw");
    assert_eq!(w["permissions"]["withdraw"], true, "{w}");
    assert!(
        w["flags"]
            .as_array()
            .unwrap()
            .contains(&"can withdraw".into()),
        "{w}"
    );
    assert_eq!(
        w["key_hint"],
        withdraw.api_key[withdraw.api_key.len() - 4..]
    );
    assert_eq!(
        key("ReadOnly")["flags"],
        serde_json::json!(["no IP restriction"])
    );
    let r = key("Restricted");
    assert_eq!(r["flags"], serde_json::json!([]), "{r}");
    assert_eq!(r["ip_restricted"], true, "{r}");
    assert!(
        r["permissions_checked_at"].is_string() && r["last_synced_at"].is_string(),
        "{r}"
    );
    assert!(r["created_at"].is_string() && r["age_days"].is_u64(), "{r}");

    let doctor = env.run_with(&["doctor"], None);
    assert!(
        text(&doctor).contains("keyfolio audit"),
        "{}",
        text(&doctor)
    );
}

/// A key of its own (random key and secret) of `base`'s exchange and balances: no other
/// test, sharing the Secret Service, holds it. `same_account_as` makes it a second key of
/// that account; without, it is an account of its own.
fn fresh_key(
    env: &Env,
    base: &SimAccount,
    purpose: &str,
    same_account_as: Option<&str>,
) -> SimAccount {
    let token = |prefix: &str| -> String {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let tail: String = (0..63)
            .map(|_| rng.sample(rand::distributions::Alphanumeric) as char)
            .collect();
        format!("{prefix}{tail}")
    };
    let key = SimAccount {
        api_key: token("K"),
        secret: token("S"),
        purpose: purpose.into(),
        same_account_as: same_account_as.map(str::to_string),
        ..base.clone()
    };
    env.sim.add_account(key.clone());
    key
}

/// `keyfolio rotate ID` with the key in the variables [`common::with_credentials`] sets.
fn rotate_args(id: &str) -> [&str; 6] {
    [
        "rotate",
        id,
        "--api-key-env",
        "KF_KEY",
        "--secret-env",
        "KF_SECRET",
    ]
}

/// The stored row of the one connection, read from the database itself.
fn stored(env: &Env) -> (keyfolio::model::ConnectionRecord, usize, Vec<String>) {
    let db = keyfolio::store::db::Db::open(&env.home.path().join("keyfolio.db")).unwrap();
    let rows = db.connections().unwrap();
    assert_eq!(rows.len(), 1, "one connection");
    let runs = db.sync_history(rows[0].id, 1000).unwrap().len();
    (rows[0].clone(), runs, db.orphaned_secrets().unwrap())
}

/// `keyfolio rotate ID` to a second key of the same account: the id, label and history
/// stay, the card's hint and the keyring's entry change, and the next sync uses the new
/// key; the keyring holds the new secret only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_replaces_the_key_in_place_keeping_id_label_and_history() {
    let env = Env::new().await;
    let base = env.account("binance", "read-only");
    let first = fresh_key(&env, &base, "rotate first", None);
    let second = fresh_key(&env, &base, "rotate second", Some(&first.api_key));
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &env.cred_args("binance", &ep)].concat();
    let out = env.run_with(&[&connect[..], &["--label", "Main"]].concat(), Some(&first));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = env.run_with(&["sync", "--all"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (before, runs_before, _) = stored(&env);
    assert_eq!(runs_before, 2, "connect and a sync");
    assert_eq!(common::keyring_entries_with(&first.api_key), 1);

    let id = before.id.to_string();
    let rotate = [&rotate_args(&id)[..], &["--json"]].concat();
    let out = env.run_with(&rotate, Some(&second));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let answer = json_out(&out);
    assert_eq!(answer["id"], before.id, "{answer}");
    assert_eq!(answer["label"], "Main");
    assert_eq!(
        answer["key_hint"],
        second.api_key[second.api_key.len() - 4..]
    );
    assert_eq!(answer["old_key_hint"], before.key_hint);

    let (after, runs_after, orphans) = stored(&env);
    assert_eq!((after.id, after.label.as_str()), (before.id, "Main"));
    assert_eq!(after.key_hint, second.api_key[second.api_key.len() - 4..]);
    assert_ne!(after.secret_ref, before.secret_ref, "a new keyring entry");
    assert_eq!(
        runs_after,
        runs_before + 1,
        "history kept, the new key's read added"
    );
    assert!(orphans.is_empty(), "no pending mark left: {orphans:?}");
    assert_eq!(
        common::keyring_entries_with(&first.api_key),
        0,
        "the old secret is gone"
    );
    assert_eq!(
        common::keyring_entries_with(&second.api_key),
        1,
        "the new secret, once"
    );
    let list = env.list();
    assert_eq!(list[0]["key_hint"], after.key_hint);
    assert_eq!(list[0]["status"], "Synced");
    let out = env.run_with(&["balances", &id, "--json"], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("BTC"),
        "{}",
        text(&out)
    );

    // The next sync asks the exchange with the new key, never the old one.
    let (old_asked, new_asked) = (
        env.sim.total_requests_for(&first.api_key),
        env.sim.total_requests_for(&second.api_key),
    );
    let out = env.run_with(&["sync", &id], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(env.sim.total_requests_for(&first.api_key), old_asked);
    assert!(env.sim.total_requests_for(&second.api_key) > new_asked);

    // Text output, and back to a third key of the account.
    let third = fresh_key(&env, &base, "rotate third", Some(&first.api_key));
    let out = env.run_with(&rotate[..6], Some(&third));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "••••{} → ••••{}",
            after.key_hint,
            &third.api_key[third.api_key.len() - 4..]
        )),
        "{}",
        text(&out)
    );
    assert_eq!(common::keyring_entries_with(&second.api_key), 0);
    assert_eq!(common::keyring_entries_with(&third.api_key), 1);
}

/// Refusals change nothing: the row, its entry and the keyring stay as they were, and no
/// pending mark is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_refuses_another_account_a_bad_key_the_same_key_and_a_withdraw_key() {
    let env = Env::new().await;
    let base = env.account("binance", "read-only");
    let first = fresh_key(&env, &base, "refuse first", None);
    let ep = env.endpoint("binance");
    let connect = [&["connect"][..], &env.cred_args("binance", &ep)].concat();
    let out = env.run_with(&[&connect[..], &["--label", "Main"]].concat(), Some(&first));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let other = fresh_key(&env, &base, "refuse other connection", None);
    let out = env.run_with(
        &[&connect[..], &["--label", "Other"]].concat(),
        Some(&other),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let db_path = env.home.path().join("keyfolio.db");
    let row = || {
        let db = keyfolio::store::db::Db::open(&db_path).unwrap();
        let c = db
            .connections()
            .unwrap()
            .into_iter()
            .find(|c| c.label == "Main")
            .unwrap();
        let runs = db.sync_history(c.id, 1000).unwrap().len();
        let orphans = db.orphaned_secrets().unwrap();
        (c.id, c.secret_ref, c.key_hint, c.permissions, runs, orphans)
    };
    let before = row();
    let id = before.0.to_string();
    let rotate = rotate_args(&id);
    let unchanged = |what: &str| {
        assert_eq!(row(), before, "{what} changed nothing");
        assert_eq!(
            common::keyring_entries_with(&first.api_key),
            1,
            "{what}: the old entry stays"
        );
    };

    // A key of another account.
    let stranger = fresh_key(&env, &base, "refuse stranger", None);
    let out = env.run_with(&[&rotate[..], &["--json"]].concat(), Some(&stranger));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(
        json_out(&out)["error"]["kind"],
        "other_account",
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("another Binance account"),
        "{}",
        text(&out)
    );
    assert_eq!(common::keyring_entries_with(&stranger.api_key), 0);
    unchanged("another account");

    // A bad key: the exchange refuses it.
    let mut bad = fresh_key(&env, &base, "refuse bad", Some(&first.api_key));
    bad.secret = sibling(&bad.secret);
    let out = env.run_with(&rotate, Some(&bad));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(common::keyring_entries_with(&bad.api_key), 0);
    unchanged("a rejected key");

    // An unreachable exchange exits 4, as connect does.
    let out = env.run_with(
        &[&rotate[..], &["--endpoint", "http://127.0.0.1:9"]].concat(),
        Some(&bad),
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    unchanged("an unreachable exchange");

    // Its own key, and the other connection's.
    let refused = |key: &SimAccount, why: &str| {
        let out = env.run_with(&rotate, Some(key));
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(text(&out).contains(why), "{}", text(&out));
    };
    refused(&first, "already the key of");
    refused(&other, "already connected as \"Other\"");
    unchanged("a key already in use");

    // A key of the account that can withdraw: only with consent, as connect.
    let mut can_withdraw = base.clone();
    can_withdraw.perms.withdraw = true;
    let withdraw = fresh_key(&env, &can_withdraw, "refuse withdraw", Some(&first.api_key));
    refused(&withdraw, "--accept-withdraw-risk");
    unchanged("a withdraw-capable key");
    let out = env.run_with(
        &[&rotate[..], &["--accept-withdraw-risk"]].concat(),
        Some(&withdraw),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = row();
    assert_eq!((after.0, after.4), (before.0, before.4 + 1));
    assert!(
        after.3.is_some_and(|p| p.withdraw),
        "the new key's permissions"
    );
    assert_eq!(common::keyring_entries_with(&first.api_key), 0);

    let out = env.run_with(&rotate_args("999"), Some(&first));
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}
