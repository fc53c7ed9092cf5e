//! The latency benchmark (`keyfolio-bench -- --keyring --latency`, Linux): cold
//! `keyfolio sync --all` with its keys in the keyring benchmark's throwaway gnome-keyring,
//! against `keyfolio sim` in another process whose every answer waits 0, 20 or 100 ms
//! (`--latency-ms`), at 100 and 1,000 connections; the figure is the whole sync process's
//! CPU (user + system, from the kernel) per connection. Over 0.5 ms per connection at a
//! 100 ms round trip fails the benchmark (exit status 1).
//!
//! Then the TUI under a budget-bound stream: the real TUI on a pseudo-terminal with the
//! 100 Binance connections, a 10 s interval and the 100 ms simulator, so Binance's request
//! budget, not the interval, paces the syncs; the TUI process's own CPU per sync (syncs
//! counted in `sync_runs`) over `--tui-secs` (default 60) after a 20 s warm-up. Over 1.5 ms
//! per sync fails the benchmark.
//!
//! Each run starts a new simulator on the same port (fresh request budgets; the keys
//! follow from `--accounts N`, so every simulator knows them). `--latencies 0,20,100`
//! and `--latency-runs N` (median of N, default 3) change the load.

use super::super::{
    Budget, Row, context_switches, ms, print_report, process_cpu, profile_name, pty, snapshot,
};
use super::{TIMEOUT, run_timed, start_keyring, wrapped};
use anyhow::{Context as _, Result, bail};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::sim::{SimAccount, generated_accounts};
use keyfolio::model::{Credentials, Endpoint, ExchangeId};
use keyfolio::store::SecretStore;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The budget at a 100 ms round trip: CPU seconds per connection.
const BUDGET: f64 = 0.0005;
/// The TUI's budget under a budget-bound stream: CPU seconds per sync.
const TUI_BUDGET: f64 = 0.0015;
/// The TUI stream's round trip, and how long it warms up before it is measured.
const TUI_LATENCY_MS: u64 = 100;
const TUI_WARMUP: Duration = Duration::from_secs(20);
/// Binance connections at most (its per-IP weight limit); the rest are OKX.
const BINANCE_AT_MOST: usize = 100;

/// Inside the keyring benchmark's D-Bus session: every size at every latency.
pub fn in_session(keyfolio: &Path, sizes: &[usize], args: &[String]) -> Result<()> {
    let list = |flag: &str, default: &[u64]| -> Vec<u64> {
        match args.iter().position(|a| a == flag) {
            Some(i) => args
                .get(i + 1)
                .map(|l| l.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                .unwrap_or_default(),
            None => default.to_vec(),
        }
    };
    let latencies = list("--latencies", &[0, 20, 100]);
    let runs = list("--latency-runs", &[3])
        .first()
        .copied()
        .unwrap_or(3)
        .max(1) as usize;
    start_keyring()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    let mut failed = false;
    for &n in sizes {
        let home = tempfile::Builder::new()
            .prefix("keyfolio-bench-latency-home-")
            .tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        eprintln!("latency: {n} connections, storing their keys ...");
        let store = SecretStore::keyring(TIMEOUT);
        let refs = runtime.block_on(seed(home.path(), &store, port, n))?;
        for &latency in &latencies {
            let mut cold = Vec::new();
            for run in 0..runs {
                eprintln!(
                    "latency: {n} connections, {latency} ms, run {} ...",
                    run + 1
                );
                cold.push(cold_sync(keyfolio, home.path(), port, n, latency)?);
            }
            cold.sort_by(|a, b| a.1.total_cmp(&b.1));
            let (wall, cpu) = cold[cold.len() / 2];
            let per = cpu / n as f64;
            let budget = if latency == 100 {
                Budget::below(per, BUDGET, "< 0.5 ms CPU per connection")
            } else {
                Budget::none()
            };
            failed |= budget.pass == Some(false);
            rows.push(Row::new(
                "Latency",
                format!("cold `sync --all`, {n} connections, {latency} ms round trip"),
                format!(
                    "{} wall, {} CPU = {:.2} ms per connection (median of {runs})",
                    ms(wall),
                    ms(cpu),
                    per * 1e3
                ),
                budget,
            ));
            figures.push(
                json!({"connections": n, "latency_ms": latency, "wall_s": wall,
                "cpu_s": cpu, "cpu_ms_per_connection": per * 1e3, "runs": cold}),
            );
        }
        if n <= BINANCE_AT_MOST {
            let secs = list("--tui-secs", &[60])
                .first()
                .copied()
                .unwrap_or(60)
                .max(5);
            eprintln!("latency: the TUI with {n} connections, {TUI_LATENCY_MS} ms, {secs} s ...");
            let stream = tui_stream(keyfolio, home.path(), port, n, secs)?;
            let per = stream.cpu_s / stream.syncs.max(1) as f64;
            let budget = Budget::below(per, TUI_BUDGET, "< 1.5 ms CPU per sync");
            failed |= budget.pass == Some(false);
            rows.push(Row::new(
                "Latency",
                format!("TUI, {n} connections, 10 s interval, {TUI_LATENCY_MS} ms round trip"),
                format!(
                    "{} syncs in {:.0} s ({} failed), {} CPU = {:.2} ms per sync, {:.0} wakeups/s",
                    stream.syncs,
                    stream.secs,
                    stream.failed,
                    ms(stream.cpu_s),
                    per * 1e3,
                    stream.switches as f64 / stream.secs
                ),
                budget,
            ));
            figures.push(json!({"tui_connections": n, "latency_ms": TUI_LATENCY_MS,
                "secs": stream.secs, "syncs": stream.syncs, "failed": stream.failed,
                "cpu_s": stream.cpu_s, "cpu_ms_per_sync": per * 1e3,
                "switches": stream.switches}));
        }
        runtime.block_on(async {
            for reference in &refs {
                store.delete(reference).await?;
            }
            anyhow::Ok(())
        })?;
    }
    print_report(
        "keyfolio benchmarks: sync --all at an exchange's round trip (simulator in another process)",
        &profile_name(),
        &rows,
    );
    if args.iter().any(|a| a == "--json") {
        println!("\n{}", serde_json::to_string_pretty(&figures)?);
    }
    std::process::exit(if failed { 1 } else { 0 });
}

/// The accounts of `n` connections among the simulator's `--accounts 2n`: Binance up to
/// [`BINANCE_AT_MOST`], OKX beyond.
fn accounts(n: usize) -> Vec<SimAccount> {
    let all = generated_accounts(2 * n);
    let binance = all
        .iter()
        .filter(|a| a.exchange == "binance")
        .take(BINANCE_AT_MOST.min(n));
    let okx = all
        .iter()
        .filter(|a| a.exchange == "okx")
        .take(n - BINANCE_AT_MOST.min(n));
    binance.chain(okx).cloned().collect()
}

/// A home with `n` connections to the simulator on `port`, their keys in the keyring;
/// returns the keyring entries to delete afterwards.
async fn seed(home: &Path, store: &SecretStore, port: u16, n: usize) -> Result<Vec<String>> {
    let ctx = Context::open(Paths::under(home), Config::default(), store.clone())?;
    for a in accounts(n) {
        let exchange = ExchangeId::parse(&a.exchange).expect("binance or okx");
        let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
        let endpoint = Endpoint {
            base_url: Some(format!("http://127.0.0.1:{port}/{}", a.exchange)),
            sandbox: false,
        };
        let key = a.api_key.clone();
        let hash = ctx.with_db(move |db| db.key_hash(&key)).await?;
        ctx.save(exchange, &a.purpose, &endpoint, &creds, hash, &snapshot(3))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(ctx
        .connections()
        .await?
        .into_iter()
        .map(|c| c.secret_ref)
        .collect())
}

/// One cold `keyfolio sync --all` against a new `keyfolio sim` answering after `latency`
/// ms: (wall, CPU) of the sync process.
fn cold_sync(
    keyfolio: &Path,
    home: &Path,
    port: u16,
    n: usize,
    latency: u64,
) -> Result<(f64, f64)> {
    let mut sim = start_sim(keyfolio, port, 2 * n, latency)?;
    let timed = run_timed(
        "keyfolio sync --all",
        wrapped("KEYFOLIO_BENCH_WRAP", keyfolio)
            .args(["sync", "--all", "--json"])
            .env("KEYFOLIO_HOME", home),
    );
    sim.kill()?;
    sim.wait()?;
    let (output, wall, cpu) = timed?;
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout)?;
    let synced = rows.iter().filter(|r| r["ok"] == true).count();
    if synced != n {
        bail!("{synced} of {n} connections synced at {latency} ms: {rows:?}");
    }
    Ok((wall, cpu))
}

/// `keyfolio sim --port P --latency-ms L --accounts N`, once it accepts connections.
fn start_sim(keyfolio: &Path, port: u16, accounts: usize, latency: u64) -> Result<Child> {
    let mut child = Command::new(keyfolio)
        .args(["sim", "--port", &port.to_string()])
        .args(["--latency-ms", &latency.to_string()])
        .args(["--accounts", &accounts.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .context("starting keyfolio sim")?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(20) || child.try_wait()?.is_some() {
            let _ = child.kill();
            bail!("keyfolio sim did not listen on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

/// What the TUI paid over a measured window of a sync stream.
struct Stream {
    secs: f64,
    cpu_s: f64,
    switches: u64,
    syncs: u64,
    failed: u64,
}

/// The real TUI on a 120x40 pseudo-terminal over `home`'s connections, a 10 s interval
/// (keyfolio's shortest), against a new simulator answering after [`TUI_LATENCY_MS`]:
/// after [`TUI_WARMUP`], its CPU, wakeups and syncs over `secs`.
fn tui_stream(keyfolio: &Path, home: &Path, port: u16, n: usize, secs: u64) -> Result<Stream> {
    let config = home.join("config.toml");
    let before = std::fs::read_to_string(&config).ok();
    std::fs::write(&config, "sync_interval_secs = 10\n")?;
    let database = Paths::under(home).database();
    // The cold runs left every connection due in a 5-minute interval: due now instead.
    {
        let db = keyfolio::store::db::Db::open(&database)?;
        for c in db.connections()? {
            db.set_next_sync(c.id, None)?;
        }
    }
    let mut sim = start_sim(keyfolio, port, 2 * n, TUI_LATENCY_MS)?;
    let measured = (|| {
        let mut command = Command::new(keyfolio);
        command.env("KEYFOLIO_HOME", home);
        if std::env::var_os("KEYFOLIO_BENCH_SHOW").is_some() {
            command.env("KEYFOLIO_LOG", "info,keyfolio::app=debug");
        }
        let mut pty = pty::Pty::spawn(command, 120, 40)?;
        let pid = pty.child.id();
        std::thread::sleep(TUI_WARMUP);
        if let Some(status) = pty.child.try_wait()? {
            bail!(
                "keyfolio exited during the TUI stream: {status}: {}",
                pty.output()
            );
        }
        let (cpu0, switches0, last0) = (
            process_cpu(pid)?,
            context_switches(pid),
            last_sync_run(&database)?,
        );
        let started = Instant::now();
        std::thread::sleep(Duration::from_secs(secs));
        let (cpu1, switches1, last1) = (
            process_cpu(pid)?,
            context_switches(pid),
            last_sync_run(&database)?,
        );
        let elapsed = started.elapsed().as_secs_f64();
        if std::env::var_os("KEYFOLIO_BENCH_SHOW").is_some() {
            let mut screen = pty::Screen::new(120, 40);
            screen.update(&pty);
            eprintln!("{}", screen.text());
            let listed = Command::new(keyfolio)
                .args(["list", "--json"])
                .env("KEYFOLIO_HOME", home)
                .output()?;
            let listed = String::from_utf8_lossy(&listed.stdout);
            eprintln!("{}", &listed[..listed.len().min(1500)]);
            for log in std::fs::read_dir(home.join("logs"))?.flatten() {
                let text = std::fs::read_to_string(log.path()).unwrap_or_default();
                let tail: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.contains("hyper"))
                    .rev()
                    .take(40)
                    .collect();
                eprintln!(
                    "{}:\n{}",
                    log.path().display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        }
        pty.send(b"q")?;
        pty.finish(Duration::from_secs(10))?;
        Ok(Stream {
            secs: elapsed,
            cpu_s: cpu1 - cpu0,
            switches: switches1.saturating_sub(switches0),
            syncs: (last1 - last0) as u64,
            failed: failed_since(&database, last0)?,
        })
    })();
    sim.kill()?;
    sim.wait()?;
    match before {
        Some(text) => std::fs::write(&config, text)?,
        None => std::fs::remove_file(&config)?,
    }
    measured
}

/// The database read-only, as the TUI writes it.
fn read_only(database: &Path) -> Result<rusqlite::Connection> {
    let db = rusqlite::Connection::open_with_flags(
        database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    db.busy_timeout(Duration::from_secs(5))?;
    Ok(db)
}

/// The id of the last `sync_runs` row: each sync adds one, and the engine's hourly prune
/// (which runs shortly after start) never removes a connection's last sync, so ids only
/// grow while rows are thinned. (Counting rows would count the prune too.)
fn last_sync_run(database: &Path) -> Result<i64> {
    let db = read_only(database)?;
    Ok(
        db.query_row("SELECT COALESCE(MAX(id), 0) FROM sync_runs", [], |r| {
            r.get(0)
        })?,
    )
}

/// Failed syncs recorded after the row `after`.
fn failed_since(database: &Path, after: i64) -> Result<u64> {
    let n: i64 = read_only(database)?.query_row(
        "SELECT COUNT(*) FROM sync_runs WHERE id > ?1 AND ok = 0",
        [after],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}
