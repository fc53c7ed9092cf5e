//! The simulator checked by an independent signer: Python ccxt, pinned, whose signatures
//! real exchanges accept. `keyfolio sim` (the real binary) serves every mount; the script
//! `tests/python/sign_check.py` makes the balance request keyfolio makes on each (and the
//! wallet requests after it, OKX's funding and savings), with the account's credentials
//! (accepted), a wrong secret and a wrong passphrase (refused as AuthenticationError). A
//! mount that refuses Python ccxt, or accepts a wrong secret, fails.
//!
//! The interpreter is `$KEYFOLIO_PYTHON` (default `python3`); it must have ccxt at the
//! version the script pins. `bash .ci/run` installs it in a virtualenv and sets the variable.
//! Without it this test fails, saying so: it never skips.

use serde_json::Value;
use std::io::{BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sign_check.py");

const INSTALL: &str = "Install the pinned Python ccxt with `bash .ci/run` (a virtualenv in \
    ~/.cache/keyfolio-ci/venv), or `python3 -m venv DIR && DIR/bin/pip install ccxt==<the \
    CCXT_VERSION in tests/python/sign_check.py>`, then set KEYFOLIO_PYTHON=DIR/bin/python";

/// The running `keyfolio sim`, killed when dropped (also when an assertion fails).
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> String {
    std::env::var("KEYFOLIO_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Fails, with how to install it, when the interpreter cannot import ccxt.
fn require_ccxt(python: &str) {
    let probe = Command::new(python)
        .args(["-c", "import ccxt; print(ccxt.__version__)"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{python} cannot import ccxt ({}). {INSTALL}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(err) => panic!("cannot run {python} ({err}). {INSTALL}"),
    }
}

/// Starts `keyfolio sim` and reads its listing, the first JSON document on its stdout.
fn start_sim(home: &std::path::Path) -> (Sim, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyfolio"))
        .arg("sim")
        .env("KEYFOLIO_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start keyfolio sim");
    let stdout = child.stdout.take().expect("piped stdout");
    let sim = Sim(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = serde_json::Deserializer::from_reader(BufReader::new(stdout))
            .into_iter::<Value>()
            .next();
        let _ = tx.send(first);
    });
    let listing = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Some(Ok(listing))) => listing,
        Ok(other) => panic!("keyfolio sim printed no JSON listing: {other:?}"),
        Err(_) => panic!("keyfolio sim printed no listing within 60 s"),
    };
    (sim, listing)
}

/// The wallet requests sign_check.py checks beyond the balance (its `WALLET_REQUESTS`):
/// (exchange, label).
const WALLET_REQUESTS: &[(&str, &str)] = &[
    ("binance", "overview"),
    ("binance", "funding"),
    ("binance", "earn-flexible"),
    ("binance", "earn-locked"),
    ("binance", "cross"),
    ("binance", "isolated"),
    ("binance", "usdm"),
    ("binance", "coinm"),
    ("okx", "funding"),
    ("okx", "savings"),
    ("bitget", "usdm"),
    ("blofin", "funding"),
    ("bybit", "funding"),
    ("gate", "usdm"),
    ("htx", "usdm"),
    ("kucoin", "main"),
    ("kucoin", "cross"),
    ("kucoin", "isolated"),
];

#[test]
fn python_ccxt_is_accepted_and_wrong_credentials_refused_on_every_mount() {
    let python = python();
    require_ccxt(&python);
    let home = tempfile::tempdir().unwrap();
    let (sim, listing) = start_sim(home.path());

    let mut script = Command::new(&python)
        .args([SCRIPT, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {python} ({err}). {INSTALL}"));
    script
        .stdin
        .take()
        .unwrap()
        .write_all(listing.to_string().as_bytes())
        .unwrap();
    let out = script.wait_with_output().unwrap();
    drop(sim);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Every compiled-in replayed exchange (and Binance, OKX) was checked, each listed
    // account in each of its cases: an exchange the script skipped fails here. A line is
    // `ok|FAIL  <exchange>/<purpose>  <case>  <detail>` (a purpose may hold spaces).
    let reported = |name: &str, case: &str| {
        text.lines().any(|line| {
            let Some(rest) = line
                .strip_prefix("ok")
                .or_else(|| line.strip_prefix("FAIL"))
            else {
                return false;
            };
            rest.trim_start()
                .strip_prefix(name)
                .filter(|rest| rest.starts_with(' '))
                .is_some_and(|rest| rest.split_whitespace().next() == Some(case))
        })
    };
    let accounts = listing["accounts"].as_array().expect("accounts listed");
    let mut missing = Vec::new();
    let mut exchanges: Vec<&str> = keyfolio::exchange::sim::replay::exchanges();
    exchanges.extend(["binance", "okx"]);
    for id in exchanges {
        let checked: Vec<&Value> = accounts
            .iter()
            .filter(|a| a["exchange"] == id)
            .filter(|a| !matches!(id, "binance" | "okx") || a["purpose"] == "read-only")
            .collect();
        if checked.is_empty() {
            missing.push(format!("{id}: no account in the sim listing"));
        }
        for account in checked {
            let name = format!("{id}/{}", account["purpose"].as_str().unwrap_or_default());
            let mut cases = vec!["correct", "wrong-secret"];
            if account["passphrase"].is_string() {
                cases.push("wrong-passphrase");
            }
            for case in cases {
                if !reported(&name, case) {
                    missing.push(format!("{name} {case}"));
                }
                // Each wallet request keyfolio makes after the balance call, on its own.
                for (_, wallet) in WALLET_REQUESTS.iter().filter(|(e, _)| *e == id) {
                    let case = format!("{case}/{wallet}");
                    if !reported(&name, &case) {
                        missing.push(format!("{name} {case}"));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the Python check did not report: {missing:?}\n{text}"
    );
    assert!(
        out.status.success(),
        "the simulator disagrees with Python ccxt ({}):\n{text}",
        out.status
    );
}
