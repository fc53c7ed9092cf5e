//! keyfolio-bench: the benchmarks of the issue "Benchmarks", printed as one table.
//!
//! `cargo run --release --example keyfolio-bench` runs them all (about 5 minutes):
//! 1. start-up: `keyfolio --render-once 120x40` from spawn to its complete first frame,
//!    with 0, 100 and 1,000 connections in the database;
//! 2. render: one Connections frame at 120x40 with 10, 100 and 1,000 connections;
//! 3. sync: 200 connections (100 Binance, 100 OKX) on the in-process simulator, one
//!    full round, cold and warm, in a child process of its own (clean peak RSS) that holds
//!    1,000 connections; then the Python ccxt peer against the same simulator;
//! 4. idle: the real TUI under a pseudo-terminal with 100 and with 1,000 connections,
//!    nothing due, its whole-process CPU over 30 s read from the OS;
//! 5. prune: a generated year of history at 10 and 1,000 connections, then the prune.
//!
//! Options: `--quick` (fewer repetitions, 10 s idle, a shorter prune backlog),
//! `--idle-secs N`, `--prune-only` (just the prune section), `--idle-only` (just the idle
//! section), `--json` (figures as JSON after the table). A figure over its budget fails
//! the benchmark (exit status 1) once the table is printed. `KEYFOLIO_BENCH_BIN=PATH`
//! runs another keyfolio binary (say, an older build) wherever one is spawned.
//!
//! `--keyring` runs, instead, the keyring benchmark (Linux, `examples/bench/keyring.rs`):
//! `keyfolio sync --all` with its keys in a throwaway gnome-keyring, in a D-Bus session of
//! its own, cold and warm at 100 and 1,000 connections, the secret store's share of the
//! CPU, and the Python peer reading the same entries.
//!
//! `--soak` runs, instead, the soak benchmark (Linux): the real TUI on a pseudo-terminal
//! with 1,000 connections on the simulator, syncing all the time, for `--soak-minutes N`
//! (default 30) after a warm-up; then the sync engine alone, without a screen, on the same
//! data for `--soak-engine-minutes M` (default 5), so the TUI's own CPU per sync is the
//! difference. `--soak-interval SECS` (default 60) and `--soak-connections N` (default
//! 1000) change the load.
//!
//! CPU time, peak RSS and the idle benchmark read Linux's clocks and `/proc`; on other
//! platforms they print "n/a" and the idle row says it was not measured.
#![allow(unsafe_code)] // libc calls; see the [lints] table in Cargo.toml

use anyhow::{Context as _, Result, bail};
use chrono::Utc;
use keyfolio::app::state::State;
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::sim::{Perms, SimAccount, SimHandle, Simulator};
use keyfolio::model::{
    AccountSnapshot, Balance, Credentials, Endpoint, ExchangeId, KeyType, Permissions,
};
use keyfolio::model::{AuthKind, ConnectionRecord, NewConnection};
use keyfolio::store::SecretStore;
use keyfolio::store::db::Db;
use keyfolio::sync::{Engine, SyncEvent};
use keyfolio::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
#[path = "bench/keyring.rs"]
mod keyring;

#[cfg(target_os = "linux")]
#[path = "../tests/common/pty.rs"]
#[allow(dead_code)]
mod pty;

const SYNC_PER_EXCHANGE: usize = 100;
const RSS_CONNECTIONS: usize = 1000;

struct Options {
    quick: bool,
    idle_secs: u64,
    prune_only: bool,
    idle_only: bool,
    json: bool,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child-sync") {
        return child_sync();
    }
    #[cfg(target_os = "linux")]
    if args.first().map(String::as_str) == Some("--child-engine") {
        return child_engine(&args[1..]);
    }
    #[cfg(target_os = "linux")]
    if args.first().map(String::as_str) == Some("--child-secrets") {
        return keyring::child_secrets(&args[1..]);
    }
    #[cfg(target_os = "linux")]
    if args.iter().any(|a| a == "--keyring") {
        return keyring::run(&args);
    }
    let number = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    if args.iter().any(|a| a == "--soak") {
        return run_soak(&SoakOptions {
            minutes: number("--soak-minutes", 30),
            engine_minutes: number("--soak-engine-minutes", 5),
            interval_secs: number("--soak-interval", 60).max(10),
            connections: number("--soak-connections", 1000).max(2) as usize,
            json: args.iter().any(|a| a == "--json"),
        });
    }
    let quick = args.iter().any(|a| a == "--quick");
    let idle_secs = args
        .iter()
        .position(|a| a == "--idle-secs")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 10 } else { 30 });
    let options = Options {
        quick,
        idle_secs,
        prune_only: args.iter().any(|a| a == "--prune-only"),
        idle_only: args.iter().any(|a| a == "--idle-only"),
        json: args.iter().any(|a| a == "--json"),
    };
    run_all(&options)
}

// ---------------------------------------------------------------- the parent

fn run_all(options: &Options) -> Result<()> {
    let profile = profile_name();
    eprintln!("keyfolio-bench ({profile} build): {}", machine());
    if profile == "debug" {
        eprintln!("warning: a debug build; the budgets are for release (cargo run --release)");
    }
    if options.prune_only {
        eprintln!("[5/5] prune ...");
        let (rows, prune) = bench_prune(options)?;
        let figures = json!({ "prune": prune });
        return report(
            "keyfolio benchmarks: prune",
            &profile,
            &rows,
            &figures,
            options,
        );
    }
    let keyfolio = keyfolio_binary()?;
    if options.idle_only {
        eprintln!("[4/5] idle for {} s, twice ...", options.idle_secs);
        let (rows, idle) = idle_rows(&keyfolio, options)?;
        let figures = json!({ "idle": idle });
        return report(
            "keyfolio benchmarks: idle",
            &profile,
            &rows,
            &figures,
            options,
        );
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut figures = json!({ "machine": machine(), "profile": profile, "date": Utc::now().format("%Y-%m-%d").to_string() });

    eprintln!("[1/5] start-up ...");
    let startup = bench_startup(&keyfolio, options)?;
    for (n, median, max) in &startup {
        rows.push(Row::new(
            "Start-up",
            format!("first frame, {n} connections"),
            format!("{} median, {} max", ms(*median), ms(*max)),
            if *n == 1000 {
                Budget::below(*median, 0.050, "< 50 ms")
            } else {
                Budget::none()
            },
        ));
    }
    figures["startup_ms"] = json!(
        startup
            .iter()
            .map(|(n, med, max)| json!({"connections": n, "median": med * 1e3, "max": max * 1e3}))
            .collect::<Vec<_>>()
    );

    eprintln!("[2/5] render ...");
    let render = bench_render(options)?;
    let base = render.first().map_or(1.0, |r| r.1);
    for (n, per_frame) in &render {
        let mut budget = if *n == 1000 {
            Budget::below(*per_frame, 0.001, "< 1 ms")
        } else {
            Budget::none()
        };
        if *n == 1000 {
            budget.note = format!("{}; x{:.2} of 10", budget.note, per_frame / base);
        }
        rows.push(Row::new(
            "Render",
            format!("120x40 frame, {n} connections"),
            us(*per_frame),
            budget,
        ));
    }
    figures["render_us"] = json!(
        render
            .iter()
            .map(|(n, t)| json!({"connections": n, "per_frame": t * 1e6}))
            .collect::<Vec<_>>()
    );

    eprintln!("[3/5] sync round + Python ccxt peer (child process) ...");
    let sync = run_child_sync()?;
    sync_rows(&sync, &mut rows);
    figures["sync"] = sync;

    eprintln!("[4/5] idle for {} s, twice ...", options.idle_secs);
    let (idle_rows, idle) = idle_rows(&keyfolio, options)?;
    rows.extend(idle_rows);
    figures["idle"] = idle;

    eprintln!("[5/5] prune ...");
    let (prune_rows, prune) = bench_prune(options)?;
    rows.extend(prune_rows);
    figures["prune"] = prune;
    report("keyfolio benchmarks", &profile, &rows, &figures, options)
}

/// Prints the table (and with `--json` the figures); an error (exit status 1) when a
/// figure is over its budget.
fn report(
    title: &str,
    profile: &str,
    rows: &[Row],
    figures: &Value,
    options: &Options,
) -> Result<()> {
    print_report(title, profile, rows);
    if options.json {
        println!("\n{}", serde_json::to_string_pretty(figures)?);
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.budget.pass == Some(false))
        .map(|r| format!("{}: {}", r.bench, r.what))
        .collect();
    if !failed.is_empty() {
        bail!("over budget: {}", failed.join("; "));
    }
    Ok(())
}

/// The idle TUI at 100 and at 1,000 connections: its CPU share of one core against the
/// budget of 0.05%, the same at both sizes.
fn idle_rows(keyfolio: &Path, options: &Options) -> Result<(Vec<Row>, Value)> {
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    for n in [100, 1000] {
        let Some(idle) = bench_idle(keyfolio, n, options.idle_secs)? else {
            rows.push(Row::new(
                "Idle",
                format!("TUI, {n} connections"),
                "not measured on this platform (needs a pseudo-terminal and /proc)".into(),
                Budget::none(),
            ));
            continue;
        };
        let share = idle.cpu_s / idle.secs;
        rows.push(Row::new(
            "Idle",
            format!("TUI, {n} connections, {:.0} s", idle.secs),
            format!(
                "{} CPU = {:.3}% of a core; {:.1} wakeups/s, {:.0} B/s to the terminal",
                ms(idle.cpu_s),
                share * 100.0,
                idle.switches as f64 / idle.secs,
                idle.bytes as f64 / idle.secs
            ),
            Budget::below(share, 0.0005, "< 0.05% of a core"),
        ));
        figures.push(
            json!({"connections": n, "secs": idle.secs, "cpu_ms": idle.cpu_s * 1e3,
            "share": share, "context_switches": idle.switches, "terminal_bytes": idle.bytes}),
        );
    }
    Ok((rows, json!(figures)))
}

/// One line of the table.
struct Row {
    bench: &'static str,
    what: String,
    figure: String,
    budget: Budget,
}

impl Row {
    fn new(bench: &'static str, what: String, figure: String, budget: Budget) -> Self {
        Self {
            bench,
            what,
            figure,
            budget,
        }
    }
}

struct Budget {
    text: &'static str,
    pass: Option<bool>,
    note: String,
}

impl Budget {
    fn none() -> Self {
        Self {
            text: "",
            pass: None,
            note: String::new(),
        }
    }

    fn below(value: f64, limit: f64, text: &'static str) -> Self {
        Self::check(value <= limit, value / limit, text)
    }

    fn above(value: f64, limit: f64, text: &'static str) -> Self {
        Self::check(value >= limit, value / limit, text)
    }

    fn check(pass: bool, ratio: f64, text: &'static str) -> Self {
        if ratio.is_nan() {
            // Not measured on this platform: no verdict.
            return Self {
                text,
                ..Self::none()
            };
        }
        Self {
            text,
            pass: Some(pass),
            note: format!("{:.0}% of budget", ratio * 100.0),
        }
    }
}

/// The title line (machine, build), the date, then the table.
fn print_report(title: &str, profile: &str, rows: &[Row]) {
    println!();
    println!("{title}, {} ({profile} build)", machine());
    println!(
        "date: {}",
        Utc::now()
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M %Z")
    );
    println!();
    print_table(rows);
}

fn print_table(rows: &[Row]) {
    println!("| Benchmark | Measure | Figure | Budget | Result |");
    println!("|---|---|---|---|---|");
    for r in rows {
        let result = match r.budget.pass {
            None => String::new(),
            Some(true) => format!("PASS ({})", r.budget.note),
            Some(false) => format!("FAIL ({})", r.budget.note),
        };
        println!(
            "| {} | {} | {} | {} | {} |",
            r.bench, r.what, r.figure, r.budget.text, result
        );
    }
}

/// Milliseconds; "n/a" for a figure not measured on this platform (NaN).
fn ms(secs: f64) -> String {
    if secs.is_nan() {
        return "n/a".into();
    }
    format!("{:.1} ms", secs * 1e3)
}

/// Megabytes; "n/a" for a figure not measured on this platform (NaN).
fn mb(megabytes: f64) -> String {
    if megabytes.is_nan() {
        return "n/a".into();
    }
    format!("{megabytes:.1} MB")
}

fn us(secs: f64) -> String {
    format!("{:.0} µs", secs * 1e6)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or_else(
            || "unknown CPU".into(),
            |l| l.trim_start_matches([' ', '\t', ':']).to_string(),
        );
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(str::to_string))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    format!(
        "{cores} cores, {model}, {:.0} GB RAM, {}",
        mem_kb as f64 / 1048576.0,
        std::env::consts::OS
    )
}

/// The profile's directory (`target/release`): an example is built into its `examples/`.
fn profile_dir() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    let dir = me.parent()?;
    Some(match dir.file_name() {
        Some(name) if name == "examples" => dir.parent()?.to_path_buf(),
        _ => dir.to_path_buf(),
    })
}

/// "release", "debug" or a custom profile: the directory this benchmark was built under.
fn profile_name() -> String {
    profile_dir()
        .and_then(|p| p.file_name()?.to_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// The `keyfolio` binary of the same profile, built if missing or older than this one;
/// `KEYFOLIO_BENCH_BIN` names another.
fn keyfolio_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("KEYFOLIO_BENCH_BIN") {
        return Ok(path.into());
    }
    let me = std::env::current_exe()?;
    let dir = profile_dir().context("cannot tell where this benchmark was built")?;
    let path = dir.join(format!("keyfolio{}", std::env::consts::EXE_SUFFIX));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&path), modified(&me)) {
        (Some(k), Some(b)) => k < b,
        _ => true,
    };
    if stale {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        // With the benchmark itself in the same build: an example brings the
        // dev-dependencies' features in, and a build of the binary alone would rebuild
        // tokio, hyper, reqwest and what needs them (CCXT) with the other feature set.
        // Together, the build is a no-op when both are current (cargo does not relink
        // an unchanged binary, so the times above can say "stale" when it is not).
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--bin",
            "keyfolio",
            "--example",
            "keyfolio-bench",
        ]);
        match profile_name().as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        if let Some(target) = dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        // `cargo run` gives this process the variables cargo sets for a crate; build
        // scripts that watch them (ring watches CARGO_MANIFEST_DIR) would rebuild the
        // whole TLS and CCXT chain if the inner build inherited them.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_MANIFEST_LINKS",
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&name.as_ref())
            {
                cmd.env_remove(name.as_ref());
            }
        }
        eprintln!("making sure the keyfolio binary next to the bench is up to date ...");
        let status = cmd.status().context("cannot run cargo to build keyfolio")?;
        if !status.success() || !path.exists() {
            bail!(
                "{} is missing: build it first (cargo build --release)",
                path.display()
            );
        }
    }
    Ok(path)
}

// ---------------------------------------------------------------- seeding

fn snapshot(assets: usize) -> AccountSnapshot {
    let names = ["BTC", "ETH", "USDT", "SOL", "BNB", "OKB"];
    AccountSnapshot {
        balances: names
            .iter()
            .take(assets)
            .map(|a| Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: a.to_string(),
                free: "1.23456789".into(),
                used: "0.10000000".into(),
                total: "1.33456789".into(),
                approximate: false,
            })
            .collect(),
        permissions: Some(Permissions {
            read: true,
            ..Permissions::default()
        }),
        account_id: None,
        ..Default::default()
    }
}

/// A stored connection that is never synced by the benchmarks (start-up, render, RSS).
fn filler(i: usize) -> NewConnection {
    let exchange = if i.is_multiple_of(2) {
        ExchangeId::Binance
    } else {
        ExchangeId::Okx
    };
    NewConnection {
        exchange,
        label: format!("Account {i}"),
        auth_kind: AuthKind::ApiKey,
        endpoint: Endpoint::default(),
        key_hint: format!("{:04}", i % 10_000),
        key_hash: Some(format!("bench-filler-{i}")),
        account_hash: None,
        key_type: (exchange == ExchangeId::Binance).then_some(KeyType::Hmac),
        secret_ref: format!("bench-filler-{i}"),
    }
}

/// A KEYFOLIO_HOME with `n` connections in its database.
fn seeded_home(n: usize) -> Result<tempfile::TempDir> {
    let home = tempfile::Builder::new()
        .prefix("keyfolio-bench-")
        .tempdir()?;
    let paths = Paths::under(home.path());
    paths.create()?;
    let mut db = Db::open(&paths.database())?;
    let now = Utc::now() - chrono::Duration::seconds(90);
    let snap = snapshot(3);
    for i in 0..n {
        db.insert_connection(&filler(i), &snap, now)?;
    }
    Ok(home)
}

/// Connection records as the TUI holds them, without a database.
fn records(n: usize) -> Vec<ConnectionRecord> {
    let now = Utc::now();
    (0..n)
        .map(|i| {
            let f = filler(i);
            ConnectionRecord {
                id: i as i64 + 1,
                exchange: f.exchange,
                label: f.label,
                auth_kind: f.auth_kind,
                endpoint: f.endpoint,
                key_hint: f.key_hint,
                key_type: f.key_type,
                secret_ref: f.secret_ref,
                permissions: snapshot(0).permissions,
                permissions_checked_at: Some(now),
                created_at: now,
                last_synced_at: Some(now - chrono::Duration::seconds(120)),
                last_attempt_at: Some(now - chrono::Duration::seconds(120)),
                last_error: None,
                failure_streak: 0,
                paused: false,
                next_sync_at: Some(now + chrono::Duration::seconds(180)),
                sync_interval_secs: None,
                unreadable_wallets: Vec::new(),
                expiry: Default::default(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------- 1. start-up

/// (connections, median s, max s) from spawning `keyfolio --render-once 120x40` to
/// reading the last line of its frame.
fn bench_startup(keyfolio: &Path, options: &Options) -> Result<Vec<(usize, f64, f64)>> {
    let runs = if options.quick { 5 } else { 20 };
    let mut out = Vec::new();
    for n in [0, 100, 1000] {
        let home = seeded_home(n)?;
        let mut times = Vec::new();
        for run in 0..=runs {
            let started = Instant::now();
            let mut child = Command::new(keyfolio)
                .args(["--render-once", "120x40"])
                .env("KEYFOLIO_HOME", home.path())
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?;
            let mut reader = BufReader::new(child.stdout.take().expect("piped"));
            let mut lines = Vec::new();
            let mut line = String::new();
            while lines.len() < 40 && reader.read_line(&mut line)? > 0 {
                lines.push(std::mem::take(&mut line));
            }
            let elapsed = started.elapsed().as_secs_f64();
            let status = child.wait()?;
            if !status.success() || lines.len() < 40 {
                bail!("keyfolio --render-once failed ({status}) with {n} connections");
            }
            let expected = format!("· {n} connection");
            if !lines[0].contains(&expected) {
                bail!("unexpected first frame header: {}", lines[0].trim_end());
            }
            if run > 0 {
                // The first run warms the page cache.
                times.push(elapsed);
            }
        }
        times.sort_by(f64::total_cmp);
        out.push((n, times[times.len() / 2], times[times.len() - 1]));
    }
    Ok(out)
}

// ---------------------------------------------------------------- 2. render

/// (connections, seconds per frame): the worse of the selection at the top and at the
/// last connection, drawn into a 120x40 in-memory terminal.
fn bench_render(options: &Options) -> Result<Vec<(usize, f64)>> {
    let iterations = if options.quick { 500 } else { 3000 };
    let mut out = Vec::new();
    for n in [10, 100, 1000] {
        let mut state = State::new(
            Utc::now(),
            *chrono::Local::now().offset(),
            Duration::from_secs(300),
        );
        state.set_connections(records(n));
        let theme = Theme { color: true };
        let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
        let mut worst: f64 = 0.0;
        for selected in [0, n - 1] {
            state.selected = selected;
            for _ in 0..iterations / 10 {
                terminal.draw(|f| keyfolio::ui::draw(f, &state, theme))?;
            }
            let started = Instant::now();
            for i in 0..iterations {
                // Alternate the spinner so consecutive frames differ like a live screen.
                state.spinner = i;
                terminal.draw(|f| keyfolio::ui::draw(f, &state, theme))?;
            }
            worst = worst.max(started.elapsed().as_secs_f64() / iterations as f64);
        }
        out.push((n, worst));
    }
    Ok(out)
}

// ---------------------------------------------------------------- 4. idle

struct Idle {
    secs: f64,
    cpu_s: f64,
    switches: u64,
    bytes: u64,
}

/// The CPU time of a whole process (its threads, live and ended), in seconds: its CPU
/// clock to the nanosecond, else utime + stime from `/proc` (in clock ticks, 10 ms).
#[cfg(target_os = "linux")]
fn process_cpu(pid: u32) -> Result<f64> {
    let mut clock: libc::clockid_t = 0;
    if unsafe { libc::clock_getcpuclockid(pid as libc::pid_t, &mut clock) } == 0 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 {
            return Ok(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9);
        }
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the command name: state is field 3, utime 14, stime 15.
    let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((utime + stime) as f64 / ticks)
}

/// Context switches of every thread of a process (each one is a wakeup).
#[cfg(target_os = "linux")]
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// The real TUI on a 120x40 pseudo-terminal with `n` connections, nothing due: CPU over
/// `secs` after 3 s of settling. Its database's connections are not due for an hour and
/// its secret store is the age file, so it touches neither the network nor the keyring.
/// `None` where there is no `/proc` to read the CPU time from.
#[cfg(not(target_os = "linux"))]
fn bench_idle(_keyfolio: &Path, _n: usize, _secs: u64) -> Result<Option<Idle>> {
    Ok(None)
}

#[cfg(target_os = "linux")]
fn bench_idle(keyfolio: &Path, n: usize, secs: u64) -> Result<Option<Idle>> {
    let home = seeded_home(n)?;
    {
        let db = Db::open(&Paths::under(home.path()).database())?;
        let later = Utc::now() + chrono::Duration::hours(1);
        for id in 1..=n as i64 {
            db.set_next_sync(id, Some(later))?;
        }
    }
    std::fs::write(home.path().join("config.toml"), "secret_store = \"file\"\n")?;

    let mut command = Command::new(keyfolio);
    command
        .env("KEYFOLIO_HOME", home.path())
        .env("KEYFOLIO_SECRETS_PASSPHRASE", "bench-only");
    let mut pty = pty::Pty::spawn(command, 120, 40)?;
    let pid = pty.child.id();
    std::thread::sleep(Duration::from_secs(3));
    if let Some(status) = pty.child.try_wait()? {
        bail!("keyfolio exited during the idle benchmark: {status}");
    }
    let cpu0 = process_cpu(pid)?;
    let switches0 = context_switches(pid);
    let bytes0 = pty.output_len();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let cpu1 = process_cpu(pid)?;
    let switches1 = context_switches(pid);
    let elapsed = started.elapsed().as_secs_f64();
    let bytes1 = pty.output_len();
    pty.send(b"q")?;
    pty.finish(Duration::from_secs(5))?;
    Ok(Some(Idle {
        secs: elapsed,
        cpu_s: cpu1 - cpu0,
        switches: switches1 - switches0,
        bytes: (bytes1 - bytes0) as u64,
    }))
}

// ---------------------------------------------------------------- 3. sync (child)

fn run_child_sync() -> Result<Value> {
    run_child(&["--child-sync".as_ref()])
}

/// Runs this benchmark again with `args` (a `--child-...` mode) and reads the JSON line
/// it prints last.
fn run_child(args: &[&std::ffi::OsStr]) -> Result<Value> {
    let output = Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let what = args[0].to_string_lossy();
    if !output.status.success() {
        bail!("{what} failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or("");
    serde_json::from_str(last).with_context(|| format!("{what} printed {last:.200}"))
}

fn sync_rows(sync: &Value, rows: &mut Vec<Row>) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let n = f(&sync["connections"]);
    for round in ["cold", "warm"] {
        let r = &sync[round];
        let requests = f(&r["requests"]) / n;
        rows.push(Row::new(
            "Sync",
            format!("{n} connections, {round} round"),
            format!(
                "{} wall, {} CPU, {:.2} req/conn, {} failed; Binance done {}, OKX done {}",
                ms(f(&r["wall_s"])),
                ms(f(&r["cpu_s"])),
                requests,
                r["failed"],
                ms(f(&r["binance_done_s"])),
                ms(f(&r["okx_done_s"])),
            ),
            if round == "warm" {
                Budget::below(requests, 2.0, "≤ 2 req/conn")
            } else {
                Budget::none()
            },
        ));
    }
    for (key, what, count) in [
        (
            "binance_only",
            "diagnostic: 100 Binance alone, warm (no budget wait)",
            100.0,
        ),
        (
            "okx_burst",
            "diagnostic: 40 OKX alone, warm (within the budget's burst)",
            40.0,
        ),
    ] {
        let b = &sync[key];
        rows.push(Row::new(
            "Sync",
            what.into(),
            format!(
                "{} wall, {} CPU, {:.2} req/conn, {} failed",
                ms(f(&b["wall_s"])),
                ms(f(&b["cpu_s"])),
                f(&b["requests"]) / count,
                b["failed"]
            ),
            Budget::none(),
        ));
    }
    let rss_mb = f(&sync["peak_rss_kb"]) / 1024.0;
    rows.push(Row::new(
        "Sync",
        format!(
            "peak RSS, {} connections loaded + sync round",
            sync["stored_connections"]
        ),
        format!(
            "{} (before the rounds {})",
            mb(rss_mb),
            mb(f(&sync["rss_before_sync_kb"]) / 1024.0)
        ),
        Budget::below(rss_mb, 60.0, "< 60 MB"),
    ));
    let peer = &sync["peer"];
    if let Some(reason) = peer["skipped"].as_str() {
        rows.push(Row::new(
            "Peer",
            "Python ccxt, same 200 balances".into(),
            format!("skipped: {reason}"),
            Budget::none(),
        ));
        return;
    }
    let p = |path: &[&str]| {
        let mut v = peer;
        for k in path {
            v = &v[*k];
        }
        f(v)
    };
    // The script loads markets once per exchange, then runs two rounds.
    let market_requests = p(&["markets", "requests"]);
    rows.push(Row::new(
        "Peer",
        format!(
            "Python {} ccxt {}, warm round",
            peer["python"].as_str().unwrap_or("?"),
            peer["ccxt_version"].as_str().unwrap_or("?")
        ),
        format!(
            "{} wall, {} CPU, {:.2} req/conn (+{} for markets, once), {} failed; Binance done {}, OKX done {}",
            ms(p(&["warm", "wall_s"])),
            ms(p(&["warm", "cpu_s"])),
            p(&["warm", "requests"]) / n,
            market_requests,
            peer["warm"]["errors"],
            ms(p(&["warm", "finished_s", "binance"])),
            ms(p(&["warm", "finished_s", "okx"])),
        ),
        Budget::none(),
    ));
    rows.push(Row::new(
        "Peer",
        "Python ccxt, cold round / whole script".into(),
        format!(
            "{} round; script {} wall ({} import, {} instances, {} markets), {} CPU, {} RSS",
            ms(p(&["cold", "wall_s"])),
            ms(p(&["process_wall_s"])),
            ms(p(&["import_s"])),
            ms(p(&["setup", "create_s"])),
            ms(p(&["setup", "markets_s"])),
            ms(p(&["total_cpu_s"])),
            mb(p(&["peak_rss_kb"]) / 1024.0),
        ),
        Budget::none(),
    ));
    let warm_ratio = p(&["warm", "wall_s"]) / f(&sync["warm"]["wall_s"]);
    let cold_ratio = p(&["process_wall_s"]) / f(&sync["cold"]["wall_s"]);
    let cpu_ratio = p(&["warm", "cpu_s"]) / f(&sync["warm"]["cpu_s"]);
    rows.push(Row::new(
        "Ratio",
        "Python warm round ÷ keyfolio warm round (wall)".into(),
        format!("{warm_ratio:.2}x (CPU {cpu_ratio:.1}x)"),
        Budget::above(warm_ratio, 3.0, "≥ 3x"),
    ));
    rows.push(Row::new(
        "Ratio",
        "Python whole script ÷ keyfolio cold round (wall)".into(),
        format!("{cold_ratio:.2}x"),
        Budget::none(),
    ));
}

/// CPU time of the whole process, in seconds (NaN: not measured on this platform).
#[cfg(unix)]
fn process_cpu_self() -> f64 {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

#[cfg(not(unix))]
fn process_cpu_self() -> f64 {
    f64::NAN
}

#[cfg(unix)]
fn cpu_clock(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// A figure of `/proc/self/status` in kB (NaN where there is no such file).
fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The simulator on a thread and a single-threaded runtime of its own, so its CPU time
/// can be told apart from keyfolio's (on Linux, which has per-thread CPU clocks).
struct SimThread {
    handle: SimHandle,
    #[cfg(target_os = "linux")]
    clock: libc::clockid_t,
}

impl SimThread {
    fn start() -> Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("simulator".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("simulator runtime");
                runtime.block_on(async move {
                    let sim = Simulator::start(0).await;
                    let _ = tx.send(sim);
                    std::future::pending::<()>().await;
                });
            })?;
        let handle = rx.recv()??;
        #[cfg(target_os = "linux")]
        let clock = {
            let mut clock: libc::clockid_t = 0;
            use std::os::unix::thread::JoinHandleExt;
            let rc = unsafe { libc::pthread_getcpuclockid(thread.as_pthread_t(), &mut clock) };
            if rc != 0 {
                bail!("pthread_getcpuclockid failed: {rc}");
            }
            clock
        };
        std::mem::forget(thread);
        Ok(Self {
            handle,
            #[cfg(target_os = "linux")]
            clock,
        })
    }

    /// The simulator thread's CPU time (NaN: not measured on this platform).
    fn cpu(&self) -> f64 {
        #[cfg(target_os = "linux")]
        return cpu_clock(self.clock);
        #[cfg(not(target_os = "linux"))]
        f64::NAN
    }
}

fn alnum(seed: u64, len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            CHARS[(x % CHARS.len() as u64) as usize] as char
        })
        .collect()
}

/// `n` accounts on the simulator, Binance and OKX alternating.
fn sim_accounts(n: usize) -> Vec<SimAccount> {
    let balances = vec![
        ("BTC".into(), "0.51234567".into(), "0.10000000".into()),
        ("ETH".into(), "12.00000000".into(), "0.50000000".into()),
        ("USDT".into(), "1234.12345678".into(), "15.00000000".into()),
    ];
    let perms = Perms {
        read: true,
        ..Perms::default()
    };
    (0..n)
        .map(|i| {
            let okx = i % 2 == 1;
            SimAccount {
                exchange: if okx { "okx" } else { "binance" }.into(),
                api_key: if okx {
                    let h = alnum(i as u64, 32).to_lowercase();
                    format!("{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..28])
                } else {
                    alnum(i as u64, 64)
                },
                secret: if okx {
                    alnum(i as u64 + 7777, 32).to_uppercase()
                } else {
                    alnum(i as u64 + 7777, 64)
                },
                passphrase: okx.then(|| format!("Bench#{i}")),
                purpose: format!("bench {i}"),
                perms: perms.clone(),
                balances: balances.clone(),
                fault: None,
                demo: false,
                same_account_as: None,
                wallets: Vec::new(),
            }
        })
        .collect()
}

/// The sync benchmark, in a process of its own: prints one JSON line.
fn child_sync() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(sync_rounds())?;
    println!("{result}");
    std::io::stdout().flush()?;
    // The simulator thread never ends by itself.
    std::process::exit(0);
}

async fn sync_rounds() -> Result<Value> {
    let sim = SimThread::start()?;
    let accounts = sim_accounts(SYNC_PER_EXCHANGE * 2);
    for a in &accounts {
        sim.handle.add_account(a.clone());
    }
    let home = tempfile::Builder::new()
        .prefix("keyfolio-bench-sync-")
        .tempdir()?;
    let ctx = Context::open(
        Paths::under(home.path()),
        Config::default(),
        SecretStore::memory(),
    )?;
    // The 200 connections on the simulator, stored as a connect stores them (secret in
    // the secret store, permissions just read), then fillers up to 1,000.
    let ids = connect_accounts(&ctx, &sim.handle, &accounts).await?;
    for i in ids.len()..RSS_CONNECTIONS {
        ctx.with_db(move |db| db.insert_connection(&filler(i), &snapshot(3), Utc::now()))
            .await?;
    }
    // Hold the list and one frame the way the TUI does.
    let mut state = State::new(
        Utc::now(),
        *chrono::Local::now().offset(),
        ctx.config.sync_interval(),
    );
    state.set_connections(ctx.connections().await?);
    let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
    terminal.draw(|f| keyfolio::ui::draw(f, &state, Theme { color: true }))?;
    let rss_before = status_kb("VmHWM:");

    // A fresh engine per round: its request budgets start full, as they are when rounds
    // are an interval (5 min) apart. The client pool lives in the context: round 1 builds
    // the CCXT clients (cold), round 2 reuses them (warm).
    let cold = round(&ctx, &sim, &ids).await?;
    let warm = round(&ctx, &sim, &ids).await?;
    // Diagnostic: the Binance half alone, where keyfolio's request budget does not bind
    // (100 x weight 20 of 3,000), to show the rate without the OKX budget's waits.
    let binance: Vec<(i64, ExchangeId)> = ids
        .iter()
        .copied()
        .filter(|(_, e)| *e == ExchangeId::Binance)
        .collect();
    let binance_only = round(&ctx, &sim, &binance).await?;
    // Diagnostic: 40 OKX connections, the OKX budget's burst, so no budget wait either.
    let okx_burst: Vec<(i64, ExchangeId)> = ids
        .iter()
        .copied()
        .filter(|(_, e)| *e == ExchangeId::Okx)
        .take(40)
        .collect();
    let okx_only = round(&ctx, &sim, &okx_burst).await?;
    let peak = status_kb("VmHWM:");
    drop(terminal);

    let peer = tokio::task::spawn_blocking({
        let handle = sim.handle.clone();
        let accounts = accounts.clone();
        move || run_peer(&handle, &accounts)
    })
    .await??;
    Ok(json!({
        "connections": ids.len(),
        "stored_connections": state.connections.len(),
        "cold": cold,
        "warm": warm,
        "binance_only": binance_only,
        "okx_burst": okx_only,
        "peak_rss_kb": peak,
        "rss_before_sync_kb": rss_before,
        "peer": peer,
    }))
}

/// Stores a connection per simulator account as a connect stores it (the secret in the
/// context's secret store, permissions just read).
async fn connect_accounts(
    ctx: &Context,
    sim: &SimHandle,
    accounts: &[SimAccount],
) -> Result<Vec<(i64, ExchangeId)>> {
    let mut ids = Vec::new();
    for a in accounts {
        let exchange = ExchangeId::parse(&a.exchange).expect("binance or okx");
        let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
        let endpoint = Endpoint {
            base_url: Some(format!("{}/{}", sim.base_url, exchange.id())),
            sandbox: false,
        };
        let key = a.api_key.clone();
        let hash = ctx.with_db(move |db| db.key_hash(&key)).await?;
        let id = ctx
            .save(exchange, &a.purpose, &endpoint, &creds, hash, &snapshot(3))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.push((id, exchange));
    }
    Ok(ids)
}

async fn round(ctx: &Context, sim: &SimThread, ids: &[(i64, ExchangeId)]) -> Result<Value> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = Engine::new(ctx.clone(), Some(tx));
    sim.handle.reset_counts();
    let only_ids: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
    let started = Instant::now();
    let collector = tokio::spawn(async move {
        let mut finished = Vec::new();
        while let Some(event) = rx.recv().await {
            if let SyncEvent::Finished(id, ..) = event {
                finished.push((id, started.elapsed().as_secs_f64()));
            }
        }
        finished
    });
    let cpu0 = process_cpu_self();
    let sim_cpu0 = sim.cpu();
    let outcomes = engine.sync_many(&only_ids).await;
    let wall = started.elapsed().as_secs_f64();
    let cpu = process_cpu_self() - cpu0;
    let sim_cpu = sim.cpu() - sim_cpu0;
    drop(engine);
    let finished = collector.await?;
    let done = |exchange: ExchangeId| {
        finished
            .iter()
            .filter(|(id, _)| ids.iter().any(|(i, e)| i == id && *e == exchange))
            .map(|(_, t)| *t)
            .fold(0.0, f64::max)
    };
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|(id, o)| o.as_ref().err().map(|f| format!("{id}: {f}")))
        .collect();
    let requests = answered(&sim.handle);
    Ok(json!({
        "wall_s": wall,
        "cpu_s": cpu - sim_cpu,
        "sim_cpu_s": sim_cpu,
        "requests": requests,
        "failed": failed.len(),
        "first_failure": failed.first(),
        "binance_done_s": done(ExchangeId::Binance),
        "okx_done_s": done(ExchangeId::Okx),
    }))
}

/// Every request the simulator answered since its counters were reset, whatever the status.
fn answered(sim: &SimHandle) -> u64 {
    (100..600).map(|status| sim.status_count(status)).sum()
}

/// The Python interpreter (`KEYFOLIO_BENCH_PYTHON`, else `python3`) if it can import
/// `modules` (comma-separated, as `import` takes them).
fn python_with(modules: &str) -> Option<String> {
    let python = std::env::var("KEYFOLIO_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(python)
}

/// Runs `assets/bench/ccxt_peer.py` against the simulator; `{"skipped": why}` when Python
/// or its ccxt package is missing.
fn run_peer(sim: &SimHandle, accounts: &[SimAccount]) -> Result<Value> {
    let Some(python) = python_with("ccxt.async_support") else {
        return Ok(json!({"skipped": "python ccxt not installed (pip install 'ccxt==4.5.*')"}));
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/bench/ccxt_peer.py");
    let mut file = tempfile::NamedTempFile::new()?;
    let list: Vec<Value> = accounts
        .iter()
        .map(|a| json!({"exchange": a.exchange, "api_key": a.api_key, "secret": a.secret, "passphrase": a.passphrase}))
        .collect();
    serde_json::to_writer(&mut file, &list)?;
    file.flush()?;
    sim.reset_counts();
    let started = Instant::now();
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(&sim.base_url)
        .arg(file.path())
        .arg("--checkpoints")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut counts = serde_json::Map::new();
    let mut last = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        if let Some(phase) = line.strip_prefix("phase ") {
            counts.insert(phase.to_string(), json!(answered(sim)));
            stdin.write_all(b"go\n")?;
            stdin.flush()?;
        } else if !line.trim().is_empty() {
            last = line;
        }
    }
    let status = child.wait()?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("the Python peer failed ({status})");
    }
    let mut peer: Value = serde_json::from_str(&last)
        .with_context(|| format!("the Python peer printed {last:.300}"))?;
    let at = |phase: &str| counts.get(phase).and_then(Value::as_u64).unwrap_or(0);
    peer["markets"]["requests"] = json!(at("markets"));
    peer["cold"]["requests"] = json!(at("cold") - at("markets"));
    peer["warm"]["requests"] = json!(at("warm") - at("cold"));
    let requests = answered(sim);
    peer["process_wall_s"] = json!(wall);
    peer["requests"] = json!(requests);
    Ok(peer)
}

// ---------------------------------------------------------------- 5. soak

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct SoakOptions {
    /// Minutes measured after the warm-up.
    minutes: u64,
    /// Minutes of the engine alone (after its own warm-up).
    engine_minutes: u64,
    interval_secs: u64,
    /// Connections on the simulator; one more, the clock sentinel, is never synced.
    connections: usize,
    json: bool,
}

/// The encrypted secrets file's passphrase in the soak's throwaway home.
#[cfg(target_os = "linux")]
const SOAK_PASSPHRASE: &str = "bench-only";

/// The label of the connection whose "Last sync 5m ago" shows the screen's clock: it is
/// paused (never synced), its last sync is the moment the home was seeded.
#[cfg(target_os = "linux")]
const SENTINEL: &str = "Clock sentinel";

/// Before the first measured minute: the first syncs build the CCXT clients and spend
/// the request budgets' full buckets.
#[cfg(target_os = "linux")]
const SOAK_WARMUP: Duration = Duration::from_secs(60);

/// A KEYFOLIO_HOME for the soak: the sentinel first (so its card is on top), then one
/// connection per simulator account, their next syncs spread over one interval, their
/// keys in the encrypted file (written at once: one scrypt, not one per key).
#[cfg(target_os = "linux")]
fn soak_home(
    sim: &SimHandle,
    accounts: &[SimAccount],
    interval_secs: u64,
) -> Result<(tempfile::TempDir, chrono::DateTime<Utc>)> {
    let home = tempfile::Builder::new()
        .prefix("keyfolio-bench-soak-")
        .tempdir()?;
    let paths = Paths::under(home.path());
    paths.create()?;
    std::fs::write(
        home.path().join("config.toml"),
        format!("secret_store = \"file\"\nsync_interval_secs = {interval_secs}\n"),
    )?;
    let mut db = Db::open(&paths.database())?;
    let seeded_at = Utc::now();
    let mut sentinel = filler(0);
    sentinel.label = SENTINEL.into();
    sentinel.secret_ref = "soak-sentinel".into();
    sentinel.key_hash = None;
    let id = db.insert_connection(&sentinel, &snapshot(3), seeded_at)?;
    db.set_paused(id, true)?;
    let mut secrets = std::collections::HashMap::new();
    let interval = chrono::Duration::seconds(interval_secs as i64);
    for (i, a) in accounts.iter().enumerate() {
        let exchange = ExchangeId::parse(&a.exchange).expect("binance or okx");
        let new = NewConnection {
            exchange,
            label: format!("Soak {i}"),
            auth_kind: AuthKind::ApiKey,
            endpoint: Endpoint {
                base_url: Some(format!("{}/{}", sim.base_url, exchange.id())),
                sandbox: false,
            },
            key_hint: a.api_key[a.api_key.len() - 4..].to_string(),
            key_hash: None,
            account_hash: None,
            key_type: (exchange == ExchangeId::Binance).then_some(KeyType::Hmac),
            secret_ref: format!("soak-{i}"),
        };
        let id = db.insert_connection(&new, &snapshot(3), seeded_at - interval)?;
        db.set_next_sync(
            id,
            Some(seeded_at + interval * i as i32 / accounts.len() as i32),
        )?;
        let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
        secrets.insert(new.secret_ref, keyfolio::store::secrets::encode(&creds));
    }
    drop(db);
    // The secrets file as keyfolio writes it: a JSON map, encrypted with the passphrase.
    let view: std::collections::HashMap<&str, &str> = secrets
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let plain = serde_json::to_vec(&view)?;
    let encryptor = age::Encryptor::with_user_passphrase(secrecy::SecretString::from(
        SOAK_PASSPHRASE.to_string(),
    ));
    let mut sealed = Vec::new();
    let mut writer = encryptor.wrap_output(&mut sealed)?;
    writer.write_all(&plain)?;
    writer.finish()?;
    std::fs::write(paths.secrets_file(), sealed)?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(paths.secrets_file(), std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((home, seeded_at))
}

/// Syncs recorded so far (each writes one row of `sync_runs`) and how many failed.
#[cfg(target_os = "linux")]
fn soak_syncs(database: &Path) -> Result<(u64, u64)> {
    let db = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    db.busy_timeout(Duration::from_secs(5))?;
    Ok(db.query_row(
        "SELECT COUNT(*), COALESCE(SUM(ok = 0), 0) FROM sync_runs",
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )?)
}

#[cfg(target_os = "linux")]
fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

/// A figure of `/proc/<pid>/status` in kB.
#[cfg(target_os = "linux")]
fn status_kb_of(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The sentinel card's "Last sync ..." text on screen, e.g. "7m ago".
#[cfg(target_os = "linux")]
fn sentinel_ago(screen: &pty::Screen) -> Option<String> {
    let text = screen.text();
    let mut rows = text.lines().skip_while(|row| !row.contains(SENTINEL));
    rows.next()?;
    let row = rows.next()?;
    let rest = &row[row.find("Last sync ")? + "Last sync ".len()..];
    Some(rest.split(" · ").next()?.trim().to_string())
}

/// What "Last sync ..." should read `secs` after the sentinel's last sync (the rules of
/// `keyfolio::app::state::ago`).
#[cfg(target_os = "linux")]
fn expected_ago(secs: i64) -> String {
    let now = Utc::now();
    keyfolio::app::state::ago(now, now - chrono::Duration::seconds(secs))
}

/// One minute of the soak, as sampled at its end.
#[cfg(target_os = "linux")]
struct SoakSample {
    at_s: f64,
    cpu_s: f64,
    switches: u64,
    syncs: u64,
    failed: u64,
    rss_mb: f64,
    db_mb: f64,
    wal_mb: f64,
    /// (on screen, expected)
    clock: (String, String),
}

/// The loop's counters as the TUI logs them once a minute (`loop stats` lines at debug
/// level), summed over the run: (minutes logged, actions, frames, list loads).
#[cfg(target_os = "linux")]
fn loop_stats(log_dir: &Path) -> Option<(u64, u64, u64, u64)> {
    let mut total = (0, 0, 0, 0);
    for entry in std::fs::read_dir(log_dir).ok()?.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines().filter(|l| l.contains("loop stats")) {
            let field = |name: &str| -> u64 {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            total.0 += 1;
            total.1 += field("actions");
            total.2 += field("frames");
            total.3 += field("lists");
        }
    }
    (total.0 > 0).then_some(total)
}

#[cfg(not(target_os = "linux"))]
fn run_soak(_options: &SoakOptions) -> Result<()> {
    bail!("the soak benchmark needs Linux (/proc and a pseudo-terminal)")
}

#[cfg(target_os = "linux")]
fn run_soak(options: &SoakOptions) -> Result<()> {
    let keyfolio = keyfolio_binary()?;
    let profile = profile_name();
    eprintln!("keyfolio-bench soak ({profile} build): {}", machine());
    let sim = SimThread::start()?;
    let accounts = sim_accounts(options.connections);
    for a in &accounts {
        sim.handle.add_account(a.clone());
    }
    let (home, seeded_at) = soak_home(&sim.handle, &accounts, options.interval_secs)?;
    let paths = Paths::under(home.path());
    let database = paths.database();
    let wal = database.with_extension("db-wal");
    eprintln!(
        "seeded {} connections (+ the clock sentinel), interval {} s, in {}",
        accounts.len(),
        options.interval_secs,
        home.path().display()
    );

    let mut command = Command::new(&keyfolio);
    command
        .env("KEYFOLIO_HOME", home.path())
        .env("KEYFOLIO_SECRETS_PASSPHRASE", SOAK_PASSPHRASE)
        .env("KEYFOLIO_LOG", "info,keyfolio::app=debug");
    let (cols, rows) = (120, 40);
    let mut pty = pty::Pty::spawn(command, cols, rows)?;
    let pid = pty.child.id();
    if !pty.wait_for(0, SENTINEL, Duration::from_secs(30)) {
        bail!("the TUI did not show its cards: {}", pty.output());
    }
    let tui_started = Utc::now();
    let syncs_at_start = soak_syncs(&database)?.0;
    let mut screen = pty::Screen::new(cols, rows);
    // Samples at 3 s past each whole minute since the sentinel's last sync: "7m ago" must
    // show then, unless the screen's clock is more than 3 s behind the wall clock.
    let first = ((tui_started - seeded_at).num_seconds() + SOAK_WARMUP.as_secs() as i64) / 60 + 1;
    let sample_at = |k: i64| seeded_at + chrono::Duration::seconds(k * 60 + 3);
    let mut samples: Vec<SoakSample> = Vec::new();
    eprintln!(
        "warm-up until {}, then {} minute(s) measured",
        sample_at(first)
            .with_timezone(&chrono::Local)
            .format("%H:%M:%S"),
        options.minutes
    );
    for k in first..=first + options.minutes as i64 {
        let wait = (sample_at(k) - Utc::now()).to_std().unwrap_or_default();
        std::thread::sleep(wait);
        if let Some(status) = pty.child.try_wait()? {
            bail!("keyfolio exited during the soak: {status}");
        }
        let cpu_s = process_cpu(pid)?;
        let switches = context_switches(pid);
        let (syncs, failed) = soak_syncs(&database)?;
        screen.update(&pty);
        let on_screen = sentinel_ago(&screen).unwrap_or_else(|| "(not found)".into());
        let expected = expected_ago((Utc::now() - seeded_at).num_seconds());
        let sample = SoakSample {
            at_s: (Utc::now() - tui_started).num_milliseconds() as f64 / 1e3,
            cpu_s,
            switches,
            syncs,
            failed,
            rss_mb: status_kb_of(pid, "VmRSS:") / 1024.0,
            db_mb: file_mb(&database),
            wal_mb: file_mb(&wal),
            clock: (on_screen, expected),
        };
        if let Some(last) = samples.last() {
            let syncs = sample.syncs - last.syncs;
            let cpu = sample.cpu_s - last.cpu_s;
            let secs = sample.at_s - last.at_s;
            eprintln!(
                "minute {:>2}: {} syncs ({} failed), CPU {:.2} s ({:.2} ms/sync), {:.1} wakeups/s, RSS {:.1} MB, DB {:.1} MB + WAL {:.1} MB, screen \"{}\" (expected \"{}\")",
                samples.len(),
                syncs,
                sample.failed - last.failed,
                cpu,
                cpu * 1e3 / syncs.max(1) as f64,
                (sample.switches - last.switches) as f64 / secs,
                sample.rss_mb,
                sample.db_mb,
                sample.wal_mb,
                sample.clock.0,
                sample.clock.1,
            );
        } else {
            eprintln!(
                "start of the measured minutes: {} syncs so far, RSS {:.1} MB, screen \"{}\" (expected \"{}\")",
                sample.syncs - syncs_at_start,
                sample.rss_mb,
                sample.clock.0,
                sample.clock.1
            );
        }
        samples.push(sample);
    }
    let syncs_at_end = soak_syncs(&database)?.0;
    pty.send(b"q")?;
    let (status, _) = pty.finish(Duration::from_secs(10))?;
    if !status.success() {
        bail!("keyfolio did not quit cleanly: {status}");
    }
    let stats = loop_stats(&paths.log_dir);

    eprintln!(
        "the engine alone for {} minute(s) after its warm-up ...",
        options.engine_minutes
    );
    let engine = run_child_engine(home.path(), options.engine_minutes * 60)?;

    let (first_s, last_s) = (&samples[0], &samples[samples.len() - 1]);
    let secs = last_s.at_s - first_s.at_s;
    let syncs = last_s.syncs - first_s.syncs;
    let failed = last_s.failed - first_s.failed;
    let tui_cpu = (last_s.cpu_s - first_s.cpu_s) / syncs.max(1) as f64;
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let engine_cpu = f(&engine["cpu_s"]) / f(&engine["syncs"]).max(1.0);
    let own = tui_cpu - engine_cpu;
    let clock_ok = samples.iter().filter(|s| s.clock.0 == s.clock.1).count();
    // Growth over the last two thirds of the run (the last 20 of 30 minutes).
    let tail_from = samples.len() - 1 - (samples.len() - 1) * 2 / 3;
    let rss_growth = last_s.rss_mb - samples[tail_from].rss_mb;
    let tail_minutes = samples.len() - 1 - tail_from;
    let rss_list: Vec<String> = samples.iter().map(|s| format!("{:.1}", s.rss_mb)).collect();

    let mut rows_out = vec![
        Row::new(
            "Soak",
            format!(
                "TUI on a pty, {} connections, interval {} s, {} min after {} s warm-up",
                accounts.len(),
                options.interval_secs,
                options.minutes,
                SOAK_WARMUP.as_secs()
            ),
            format!(
                "{syncs} syncs ({:.2}/s), {failed} failed; {} syncs in the warm-up",
                syncs as f64 / secs,
                first_s.syncs - syncs_at_start
            ),
            Budget::none(),
        ),
        Row::new(
            "Soak",
            "CPU per sync: TUI / engine alone / TUI's own".into(),
            format!(
                "{:.2} ms / {:.2} ms ({} syncs in {} min) / {:.2} ms",
                tui_cpu * 1e3,
                engine_cpu * 1e3,
                engine["syncs"],
                options.engine_minutes,
                own * 1e3
            ),
            Budget::below(own, 0.0005, "TUI's own < 0.5 ms"),
        ),
        Row::new(
            "Soak",
            "CPU, wakeups: TUI / engine alone".into(),
            format!(
                "{:.1}% / {:.1}% of a core; {:.0} / {:.0} wakeups/s",
                (last_s.cpu_s - first_s.cpu_s) / secs * 100.0,
                f(&engine["cpu_s"]) / f(&engine["secs"]) * 100.0,
                (last_s.switches - first_s.switches) as f64 / secs,
                f(&engine["context_switches"]) / f(&engine["secs"]),
            ),
            Budget::none(),
        ),
        Row::new(
            "Soak",
            format!("RSS every minute, growth over the last {tail_minutes} min"),
            format!(
                "{} MB; {:+.1} MB (the engine alone: {:.1} to {:.1} MB in its {} min)",
                rss_list.join(", "),
                rss_growth,
                f(&engine["rss_start_mb"]),
                f(&engine["rss_end_mb"]),
                options.engine_minutes
            ),
            Budget::below(rss_growth.max(0.0), 2.0, "< 2 MB"),
        ),
        Row::new(
            "Soak",
            "database and WAL at the end".into(),
            format!(
                "{:.1} MB + WAL {:.1} MB after {} syncs in all",
                last_s.db_mb, last_s.wal_mb, syncs_at_end
            ),
            Budget::none(),
        ),
        Row::new(
            "Soak",
            "screen clock vs wall clock, every minute".into(),
            format!(
                "{clock_ok} of {} readings right to 3 s (last: \"{}\")",
                samples.len(),
                last_s.clock.0
            ),
            Budget::above(clock_ok as f64, samples.len() as f64, "all"),
        ),
    ];
    if let Some((minutes, actions, frames, lists)) = stats {
        let total = (syncs_at_end - syncs_at_start).max(1) as f64;
        rows_out.push(Row::new(
            "Soak",
            "the loop's work per sync (whole run)".into(),
            format!(
                "{:.2} actions, {:.2} frames, {:.3} list loads ({minutes} minutes logged)",
                actions as f64 / total,
                frames as f64 / total,
                lists as f64 / total
            ),
            Budget::none(),
        ));
    }
    print_report("keyfolio soak", &profile, &rows_out);
    if options.json {
        let minutes: Vec<Value> = samples
            .iter()
            .map(|s| {
                json!({"at_s": s.at_s, "cpu_s": s.cpu_s, "context_switches": s.switches,
                    "syncs": s.syncs, "failed": s.failed, "rss_mb": s.rss_mb, "db_mb": s.db_mb,
                    "wal_mb": s.wal_mb, "clock_shown": s.clock.0, "clock_expected": s.clock.1})
            })
            .collect();
        println!(
            "\n{}",
            serde_json::to_string_pretty(&json!({"samples": minutes, "engine": engine}))?
        );
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn run_child_engine(home: &Path, secs: u64) -> Result<Value> {
    let secs = secs.to_string();
    run_child(&["--child-engine".as_ref(), home.as_os_str(), secs.as_ref()])
}

/// The sync engine alone on the soak's home, as the TUI runs it but without a screen:
/// the secrets file opened once, the engine's loop, its events counted. Prints one JSON
/// line: syncs, CPU and context switches over `secs` after the warm-up.
#[cfg(target_os = "linux")]
fn child_engine(args: &[String]) -> Result<()> {
    let home = PathBuf::from(args.first().context("--child-engine HOME SECS")?);
    let secs: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .context("--child-engine HOME SECS")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let paths = Paths::under(&home);
        let config = Config::load(&paths)?;
        let secrets = SecretStore::file(
            paths.secrets_file(),
            secrecy::SecretString::from(SOAK_PASSPHRASE.to_string()),
        );
        secrets.unlock().await?;
        let ctx = Context::open(paths, config, secrets)?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let finished = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = finished.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if matches!(event, SyncEvent::Finished(..)) {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        tokio::spawn(Engine::new(ctx, Some(tx)).run_forever());
        let me = std::process::id();
        let sample = || {
            (
                process_cpu_self(),
                finished.load(std::sync::atomic::Ordering::Relaxed),
                context_switches(me),
                status_kb("VmRSS:") / 1024.0,
            )
        };
        tokio::time::sleep(SOAK_WARMUP).await;
        let (cpu0, n0, switches0, rss0) = sample();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let (cpu1, n1, switches1, rss1) = sample();
        anyhow::Ok(json!({"secs": secs, "syncs": n1 - n0, "cpu_s": cpu1 - cpu0,
            "context_switches": switches1 - switches0, "rss_start_mb": rss0, "rss_end_mb": rss1}))
    })?;
    println!("{result}");
    std::io::stdout().flush()?;
    std::process::exit(0);
}

// ---------------------------------------------------------------- 6. prune

/// Seconds between two syncs of a connection in the generated history (the default interval).
const SYNC_EVERY_SECS: i64 = 300;
const TABLES: [&str; 4] = ["sync_runs", "balances", "value_history", "total_history"];

/// One prune scenario: a generated history, then one whole prune pass over it, step by
/// step as the engine runs it (without the engine's pauses between steps).
struct PruneCase {
    what: String,
    rows_before: Vec<i64>,
    rows_after: Vec<i64>,
    /// Database file and WAL, bytes.
    before: (u64, u64),
    after: (u64, u64),
    vacuumed: Option<u64>,
    generate_s: f64,
    prune_s: f64,
    steps: usize,
    /// Step times: the 99th percentile and the longest (a step holds the database).
    p99_step_s: f64,
    longest_step_s: f64,
}

impl PruneCase {
    fn removed(&self) -> i64 {
        self.rows_before.iter().sum::<i64>() - self.rows_after.iter().sum::<i64>()
    }

    fn json(&self) -> Value {
        json!({"what": self.what, "rows_before": self.rows_before, "rows_after": self.rows_after,
            "file_before": self.before.0, "wal_before": self.before.1, "file_after": self.after.0,
            "wal_after": self.after.1, "file_vacuumed": self.vacuumed, "generate_s": self.generate_s,
            "prune_s": self.prune_s, "steps": self.steps, "p99_step_s": self.p99_step_s,
            "longest_step_s": self.longest_step_s})
    }
}

/// The policy as the prune applies it, for a point of a 5-minute schedule (its next
/// point is 5 minutes later): what stays after a prune at `at`.
fn kept_at(t: chrono::DateTime<Utc>, at: chrono::DateTime<Utc>) -> bool {
    let next = t + chrono::Duration::seconds(SYNC_EVERY_SECS);
    let bucket = if t < at - chrono::Duration::days(90) {
        "%Y-%m-%d"
    } else {
        "%Y-%m-%d %H"
    };
    t >= at - chrono::Duration::hours(48)
        || next > at
        || t.format(bucket).to_string() != next.format(bucket).to_string()
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn db_files(path: &Path) -> (u64, u64) {
    (file_size(path), file_size(&path.with_extension("db-wal")))
}

/// Writes a history straight into a new database at `path`, the way the engine would
/// have: one sync every 5 minutes of each of `connections` connections (three balances
/// and a value point each) and one total point a round, over `days` days up to `now`,
/// keeping the rounds `keep` lets through. Bulk inserts, one transaction a simulated day:
/// the public API writes a transaction a sync, far too slow for a year.
fn generate_history(
    path: &Path,
    connections: usize,
    days: i64,
    now: chrono::DateTime<Utc>,
    keep: impl Fn(chrono::DateTime<Utc>) -> bool,
) -> Result<()> {
    drop(Db::open(path)?);
    let mut raw = rusqlite::Connection::open(path)?;
    raw.pragma_update(None, "synchronous", "OFF")?;
    let ts = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let first = now - chrono::Duration::days(days);
    let tx = raw.transaction()?;
    for i in 0..connections {
        let f = filler(i);
        tx.execute(
            "INSERT INTO connections (id, exchange, label, key_hint, secret_ref, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                i as i64 + 1,
                f.exchange.id(),
                f.label,
                f.key_hint,
                f.secret_ref,
                ts(first)
            ],
        )?;
    }
    tx.commit()?;
    let balances = snapshot(3).balances;
    let rounds = days * 86_400 / SYNC_EVERY_SECS;
    let per_day = 86_400 / SYNC_EVERY_SECS;
    for day in 0..days {
        let tx = raw.transaction()?;
        {
            let mut run = tx.prepare(
                "INSERT INTO sync_runs (connection_id, finished_at, ok) VALUES (?1, ?2, 1)",
            )?;
            let mut balance = tx.prepare(
                "INSERT INTO balances (sync_run_id, asset, free, used, total) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut value = tx.prepare(
                "INSERT INTO value_history (connection_id, at, quote, value) VALUES (?1, ?2, 'USDT', '12345.67')",
            )?;
            let mut total = tx.prepare(
                "INSERT INTO total_history (at, quote, total, unpriced) VALUES (?1, 'USDT', '1234567.89', 0)",
            )?;
            for k in day * per_day..((day + 1) * per_day).min(rounds) {
                // The last round ends a minute before `now`.
                let t =
                    first + chrono::Duration::seconds(k * SYNC_EVERY_SECS + SYNC_EVERY_SECS - 60);
                if !keep(t) {
                    continue;
                }
                let at = ts(t);
                for c in 1..=connections as i64 {
                    run.execute(rusqlite::params![c, at])?;
                    let id = tx.last_insert_rowid();
                    for b in &balances {
                        balance.execute(rusqlite::params![id, b.asset, b.free, b.used, b.total])?;
                    }
                    value.execute(rusqlite::params![c, at])?;
                }
                total.execute([&at])?;
            }
        }
        tx.commit()?;
    }
    raw.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn row_counts(path: &Path) -> Result<Vec<i64>> {
    let raw = rusqlite::Connection::open(path)?;
    TABLES
        .iter()
        .map(|t| Ok(raw.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))?))
        .collect()
}

/// Generates a history (see `generate_history`), then prunes it at `now` as the engine
/// does, batch by batch, timing the whole pass and its longest step.
fn prune_case(
    what: String,
    connections: usize,
    days: i64,
    keep: impl Fn(chrono::DateTime<Utc>, chrono::DateTime<Utc>) -> bool,
    vacuum: bool,
) -> Result<PruneCase> {
    let dir = tempfile::Builder::new()
        .prefix("keyfolio-bench-prune-")
        .tempdir()?;
    let path = dir.path().join("keyfolio.db");
    let now = Utc::now();
    eprintln!("  generating: {what} ...");
    let started = Instant::now();
    generate_history(&path, connections, days, now, |t| keep(t, now))?;
    let generate_s = started.elapsed().as_secs_f64();
    let (rows_before, before) = (row_counts(&path)?, db_files(&path));

    eprintln!("  pruning ...");
    let mut db = Db::open(&path)?;
    let mut step_times = Vec::new();
    let started = Instant::now();
    loop {
        let step_started = Instant::now();
        let report = db.prune(now, keyfolio::sync::PRUNE_BATCH)?;
        step_times.push(step_started.elapsed().as_secs_f64());
        if !report.more {
            break;
        }
    }
    let prune_s = started.elapsed().as_secs_f64();
    // Before closing, which checkpoints and removes the WAL.
    let after = db_files(&path);
    drop(db);
    let rows_after = row_counts(&path)?;
    step_times.sort_by(f64::total_cmp);
    let steps = step_times.len();
    let vacuumed = if vacuum {
        let raw = rusqlite::Connection::open(&path)?;
        raw.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Some(file_size(&path))
    } else {
        None
    };
    Ok(PruneCase {
        what,
        rows_before,
        rows_after,
        before,
        after,
        vacuumed,
        generate_s,
        prune_s,
        steps,
        p99_step_s: step_times[steps * 99 / 100],
        longest_step_s: step_times[steps - 1],
    })
}

/// The prune benchmarks: a year of history at 10 connections (generated whole, then
/// pruned), a year at 1,000 connections as the hourly prune keeps it plus the hour since
/// (the hourly prune), and a few unpruned days at 1,000 connections (the first prune
/// after an upgrade, from which a whole unpruned year is extrapolated: a year at 1,000
/// connections unpruned is about 500 million rows, too big to generate here).
fn bench_prune(options: &Options) -> Result<(Vec<Row>, Value)> {
    let backlog_days = if options.quick { 3 } else { 7 };
    let everything = |_, _| true;
    let hourly = |t, now| kept_at(t, now - chrono::Duration::hours(1));
    let cases = [
        prune_case(
            "10 connections, a year, never pruned".into(),
            10,
            365,
            everything,
            true,
        )?,
        prune_case(
            "1000 connections, a year as the hourly prune keeps it, + the hour since".into(),
            1000,
            365,
            hourly,
            false,
        )?,
        prune_case(
            format!("1000 connections, {backlog_days} days, never pruned"),
            1000,
            backlog_days,
            everything,
            false,
        )?,
    ];
    let mut rows = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let rows_text = |r: &[i64]| {
            r.iter()
                .map(|n| format!("{:.2} M", *n as f64 / 1e6))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let size = |(file, wal): (u64, u64)| {
            format!("{} + WAL {}", mb(file as f64 / 1e6), mb(wal as f64 / 1e6))
        };
        let vacuumed = case.vacuumed.map_or(String::new(), |v| {
            format!(" ({} after VACUUM)", mb(v as f64 / 1e6))
        });
        rows.push(Row::new(
            "Prune",
            case.what.clone(),
            format!(
                "{} wall, {} steps (99% under {}, longest {}); rows (runs / balances / values / totals) {} → {}; file {} → {}{vacuumed}",
                ms(case.prune_s),
                case.steps,
                ms(case.p99_step_s),
                ms(case.longest_step_s),
                rows_text(&case.rows_before),
                rows_text(&case.rows_after),
                size(case.before),
                size(case.after),
            ),
            if i == 1 {
                Budget::below(case.prune_s, 5.0, "< 5 s")
            } else {
                Budget::none()
            },
        ));
    }
    // A year unpruned at 1,000 connections removes 100 times the rows of 10 connections,
    // at the rate measured on the 1,000-connection backlog.
    let rate = cases[2].removed() as f64 / cases[2].prune_s;
    let year_rows = cases[0].removed() as f64 * 100.0;
    rows.push(Row::new(
        "Prune",
        "extrapolated: 1000 connections, a year, never pruned".into(),
        format!(
            "≈ {:.0} s: {:.0} M rows to remove at the backlog's {:.2} M rows/s",
            year_rows / rate,
            year_rows / 1e6,
            rate / 1e6
        ),
        Budget::none(),
    ));
    let figures = json!(cases.iter().map(PruneCase::json).collect::<Vec<_>>());
    Ok((rows, figures))
}
