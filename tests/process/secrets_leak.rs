//! The secrets scenario: drive keyfolio through connect, sync, every error kind, resync and
//! disconnect with known secrets, then scan everything it wrote or showed (SQLite file and
//! WAL, logs, config, every rendered frame, CLI stdout and stderr) for each secret's bytes,
//! its base64 and its hex. None may appear. Also checks file modes and that disconnect
//! empties the secret store.

use crate::common;

use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::action::Action;
use keyfolio::app::state::{Detail, Modal};
use keyfolio::app::update::update;
use keyfolio::exchange::sim::{Fault, SimAccount, Simulator};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn needles(a: &SimAccount) -> Vec<(String, String)> {
    let mut secrets = vec![("secret", a.secret.trim().to_string())];
    if let Some(p) = &a.passphrase {
        secrets.push(("passphrase", p.clone()));
    }
    // A PEM: its base64 body is the secret material.
    if let Some(body) = a
        .secret
        .lines()
        .find(|l| !l.starts_with("-----") && !l.is_empty())
    {
        secrets.push(("pem body", body.to_string()));
    }
    let mut out = Vec::new();
    for (what, s) in secrets {
        out.push((format!("{what} of {}", a.purpose), s.clone()));
        out.push((
            format!("base64 {what} of {}", a.purpose),
            base64::engine::general_purpose::STANDARD.encode(&s),
        ));
        out.push((format!("hex {what} of {}", a.purpose), hex::encode(&s)));
    }
    out
}

struct Run {
    home: PathBuf,
    transcript: String,
}

impl Run {
    fn cli(&mut self, args: &[&str], a: Option<&SimAccount>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyfolio"));
        cmd.args(args)
            .env("KEYFOLIO_HOME", &self.home)
            .env("KEYFOLIO_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null());
        if let Some(a) = a {
            common::with_credentials(&mut cmd, a);
        }
        let out = cmd.output().unwrap();
        self.transcript
            .push_str(&String::from_utf8_lossy(&out.stdout));
        self.transcript
            .push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }
}

fn creds_args(exchange: &str, endpoint: &str) -> Vec<String> {
    common::cred_args(exchange, endpoint)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_disk_logs_frames_or_output() {
    let home = tempfile::tempdir().unwrap();
    let sim = Simulator::start(0).await.unwrap();
    let accounts: Vec<SimAccount> = [
        ("binance", "read-only"),
        ("binance", "ed25519"),
        ("okx", "read-only"),
        ("okx", "withdraw enabled"),
    ]
    .iter()
    .map(|(e, p)| sim.account_on(e, p).unwrap())
    .collect();
    let mut run = Run {
        home: home.path().to_path_buf(),
        transcript: String::new(),
    };

    // Connect (validate first), with a wrong secret and a wrong passphrase on the way.
    for a in &accounts {
        let ep = format!("{}/{}", sim.base_url, a.exchange);
        let args = creds_args(&a.exchange, &ep);
        let mut validate = vec!["validate".to_string()];
        validate.extend(args.clone());
        assert_eq!(
            run.cli(
                &validate.iter().map(String::as_str).collect::<Vec<_>>(),
                Some(a)
            )
            .status
            .code(),
            Some(0)
        );
        let mut wrong = a.clone();
        wrong.secret = wrong.secret.chars().rev().collect();
        wrong.passphrase = wrong.passphrase.map(|p| format!("{p}x"));
        assert_eq!(
            run.cli(
                &validate.iter().map(String::as_str).collect::<Vec<_>>(),
                Some(&wrong)
            )
            .status
            .code(),
            Some(3)
        );
        let mut connect = vec!["connect".to_string()];
        connect.extend(args);
        connect.push("--accept-withdraw-risk".into());
        let out = run.cli(
            &connect.iter().map(String::as_str).collect::<Vec<_>>(),
            Some(a),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Sync through every fault, then clean, then resync.
    let faults = [
        Fault::IpNotWhitelisted,
        Fault::ClockSkewMs(40_000),
        Fault::RateLimitBurst,
        Fault::Ban418,
        Fault::Html5xx,
        Fault::Truncated200,
        Fault::NonJson200,
        Fault::ResetConnection,
        Fault::WrongRegion,
    ];
    for fault in faults {
        for a in &accounts {
            sim.set_fault(&a.api_key, Some(fault));
        }
        run.cli(&["sync", "--all", "--json"], None);
        run.cli(&["list", "--json"], None);
    }
    for a in &accounts {
        sim.set_fault(&a.api_key, None);
    }
    sim.reset_counts(); // lifts the simulator's rate-limit windows and bans
    let out = run.cli(&["sync", "--all"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    run.cli(&["balances", "--json"], None);
    run.cli(&["list"], None);
    run.cli(&["doctor"], None);

    // Every screen the TUI can show for these connections, and the key form with secrets typed in.
    let ctx = keyfolio::context::Context::open(
        keyfolio::config::Paths::under(home.path()),
        keyfolio::config::Config::default(),
        keyfolio::store::SecretStore::keyring(std::time::Duration::from_secs(5)),
    )
    .unwrap();
    let mut state = common::state();
    state.set_connections(ctx.connections().await.unwrap());
    let mut frames = common::frame_text(&state, 120, 40);
    for c in state.connections.clone() {
        let (balances, synced_at, history) = ctx.detail(c.id).await.unwrap();
        state.modal = Some(Modal::Detail(Detail {
            id: c.id,
            balances,
            synced_at,
            history,
            values: vec![],
        }));
        frames.push_str(&common::frame_text(&state, 120, 40));
    }
    state.modal = None;
    for a in &accounts {
        state.selected = state.card_count() - if a.exchange == "okx" { 1 } else { 2 };
        update(
            &mut state,
            Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)),
        );
        for text in [&a.api_key, &a.secret] {
            update(
                &mut state,
                Action::Paste(keyfolio::app::action::Pasted::new(text.clone())),
            );
            frames.push_str(&common::frame_text(&state, 120, 40));
            update(
                &mut state,
                Action::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
            );
        }
        if let Some(p) = &a.passphrase {
            update(
                &mut state,
                Action::Paste(keyfolio::app::action::Pasted::new(p.clone())),
            );
            frames.push_str(&common::frame_text(&state, 80, 24));
        }
        update(
            &mut state,
            Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        );
    }

    // Disconnect everything: the secret store must be empty of them afterwards.
    let refs: Vec<String> = ctx
        .connections()
        .await
        .unwrap()
        .iter()
        .map(|c| c.secret_ref.clone())
        .collect();
    assert_eq!(refs.len(), accounts.len());
    for c in ctx.connections().await.unwrap() {
        let purge = c.id % 2 == 0;
        let mut args = vec!["disconnect".to_string(), c.id.to_string(), "--yes".into()];
        if purge {
            args.push("--purge".into());
        }
        assert_eq!(
            run.cli(&args.iter().map(String::as_str).collect::<Vec<_>>(), None)
                .status
                .code(),
            Some(0)
        );
    }
    for r in &refs {
        assert!(
            ctx.secrets.get(r).await.is_err(),
            "secret {r} still in the store after disconnect"
        );
    }

    // The scan.
    let mut haystacks: Vec<(String, String)> = common::files_under(home.path())
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
            )
        })
        .collect();
    haystacks.push(("CLI output".into(), run.transcript.clone()));
    haystacks.push(("rendered frames".into(), frames));
    assert!(
        haystacks
            .iter()
            .any(|(name, _)| name.ends_with("keyfolio.db")),
        "the database was scanned"
    );
    assert!(
        haystacks
            .iter()
            // One file a day: logs/keyfolio.YYYY-MM-DD.log.
            .any(|(name, text)| {
                name.contains("keyfolio.") && name.ends_with(".log") && !text.is_empty()
            }),
        "logs were written and scanned"
    );
    for a in &accounts {
        for (what, needle) in needles(a) {
            for (name, text) in &haystacks {
                assert!(!text.contains(&needle), "{what} found in {name}");
            }
        }
    }

    // Modes: directories 0700, files 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in common::files_under(home.path()) {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} has mode {mode:o}", p.display());
        }
    }
}
