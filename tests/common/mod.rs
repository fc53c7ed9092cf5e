//! Shared test fixtures: a fixed clock, sample connections, a frame renderer.
#![allow(dead_code)]

#[cfg(unix)]
pub mod pty;

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use keyfolio::app::state::State;
use keyfolio::exchange::sim::SimAccount;
use keyfolio::model::{AuthKind, ConnectionRecord, StoredError};
use keyfolio::model::{Endpoint, ExchangeId, FailureKind, KeyType, Permissions};
use keyfolio::ui::{self, theme::Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The injected "now" of every snapshot.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap()
}

pub fn state() -> State {
    State::new(
        now(),
        FixedOffset::east_opt(3600).unwrap(),
        std::time::Duration::from_secs(300),
    )
}

pub fn connection(id: i64, exchange: ExchangeId, label: &str) -> ConnectionRecord {
    ConnectionRecord {
        id,
        exchange,
        label: label.into(),
        auth_kind: AuthKind::ApiKey,
        endpoint: Endpoint::default(),
        key_hint: format!("{:04}", 1000 + id).chars().rev().collect(),
        key_type: Some(KeyType::Hmac),
        secret_ref: format!("ref-{id}"),
        permissions: Some(Permissions {
            read: true,
            trade: false,
            withdraw: false,
            ip_restricted: true,
        }),
        permissions_checked_at: Some(now() - Duration::minutes(2)),
        created_at: now() - Duration::days(3),
        last_synced_at: Some(now() - Duration::minutes(2)),
        last_attempt_at: Some(now() - Duration::minutes(2)),
        last_error: None,
        failure_streak: 0,
        paused: false,
        next_sync_at: Some(now() + Duration::minutes(3)),
        sync_interval_secs: None,
        unreadable_wallets: Vec::new(),
        expiry: Default::default(),
    }
}

/// One connection in each status the cards can show.
pub fn every_status() -> Vec<ConnectionRecord> {
    let mut synced = connection(1, ExchangeId::Binance, "Main");
    synced.permissions = Some(Permissions {
        read: true,
        trade: true,
        withdraw: false,
        ip_restricted: false,
    });
    let mut stale = connection(2, ExchangeId::Okx, "Savings");
    stale.last_synced_at = Some(now() - Duration::minutes(47));
    stale.last_attempt_at = stale.last_synced_at;
    let mut never = connection(3, ExchangeId::Binance, "New");
    never.last_synced_at = None;
    never.last_attempt_at = None;
    never.permissions = None;
    let mut error = connection(4, ExchangeId::Okx, "Trading");
    error.last_error = Some(StoredError {
        kind: FailureKind::ExchangeDown,
        message: "OKX answered 503 Service Unavailable".into(),
        since: now() - Duration::minutes(9),
    });
    error.failure_streak = 3;
    error.last_attempt_at = Some(now() - Duration::minutes(1));
    error.next_sync_at = Some(now() + Duration::minutes(4));
    let mut paused = connection(5, ExchangeId::Binance, "Old key");
    paused.last_error = Some(StoredError {
        kind: FailureKind::InvalidKey,
        message: "Invalid API-key, IP, or permissions for action. (-2015)".into(),
        since: now() - Duration::hours(2),
    });
    paused.paused = true;
    paused.failure_streak = 1;
    let syncing = connection(6, ExchangeId::Okx, "Syncing one");
    vec![synced, stale, never, error, paused, syncing]
}

/// Renders the state into a fresh TestBackend of the given size.
pub fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| ui::draw(f, state, Theme { color: true }))
        .unwrap();
    terminal
}

/// The frame as text, one line per row.
pub fn frame_text(state: &State, width: u16, height: u16) -> String {
    buffer_text(render(state, width, height).backend().buffer())
}

/// A rendered buffer as text, one line per row.
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Every file below `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The characters of `text` that could drive a terminal: C0 controls but the line feed,
/// DEL, C1 controls (0x9b is a one-byte CSI) and the bidi overrides and isolates. Written
/// out here rather than taken from keyfolio, so the tests check the product's rule.
pub fn terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            let n = c as u32;
            (n < 0x20 && c != '\n')
                || (0x7f..=0x9f).contains(&n)
                || (0x202a..=0x202e).contains(&n)
                || (0x2066..=0x2069).contains(&n)
                || matches!(n, 0x061c | 0x200e | 0x200f)
        })
        .collect()
}

/// The arguments of `keyfolio validate|connect` that take the credentials from the
/// variables [`with_credentials`] sets, against `endpoint`.
pub fn cred_args<'a>(exchange: &'a str, endpoint: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        exchange,
        "--api-key-env",
        "KF_KEY",
        "--secret-env",
        "KF_SECRET",
        "--endpoint",
        endpoint,
    ];
    if exchange == "okx" {
        args.extend(["--passphrase-env", "KF_PASS"]);
    }
    args
}

/// Gives `command` the account's credentials in the variables [`cred_args`] names.
pub fn with_credentials(command: &mut std::process::Command, a: &SimAccount) {
    command
        .env("KF_KEY", &a.api_key)
        .env("KF_SECRET", &a.secret);
    if let Some(p) = &a.passphrase {
        command.env("KF_PASS", p);
    }
}

/// What a finished command printed, stdout then stderr, for assertion messages.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The text of every keyfolio entry in the Secret Service, as `secret-tool search --all`
/// prints it. A search that fails part-way (an entry another test deleted between the
/// search and its read) is repeated: a partial list would count entries as missing.
pub fn keyring_texts() -> Vec<String> {
    let mut attempts = 0;
    let out = loop {
        let out = std::process::Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "keyfolio"])
            .output()
            .expect("secret-tool (libsecret-tools) must be installed: run .ci/run");
        attempts += 1;
        if out.status.success() {
            break out;
        }
        assert!(
            attempts < 20,
            "secret-tool search failed: {}",
            output_text(&out)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    all.lines()
        .filter_map(|l| l.strip_prefix("secret = "))
        .map(str::to_string)
        .collect()
}

/// How many of keyfolio's entries in the Secret Service hold `needle`.
pub fn keyring_entries_with(needle: &str) -> usize {
    keyring_texts()
        .iter()
        .filter(|t| t.contains(needle))
        .count()
}
