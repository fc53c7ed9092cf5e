//! The keyring benchmark (`keyfolio-bench -- --keyring`, Linux): `keyfolio sync --all`
//! with its keys in a real Secret Service, cold process and warm, at 100 and 1,000
//! connections, the secret store's share of the CPU, and the Python peer reading the same
//! entries with Python's `keyring` package.
//!
//! It runs in a D-Bus session of its own with a throwaway gnome-keyring, as CI's tests do:
//! the parent re-runs this benchmark under `dbus-run-session` with a temporary
//! `XDG_DATA_HOME`, and the child unlocks a new keyring in it. The simulator runs in the
//! child, on a thread of its own; the connections are Binance (up to 100, the issue's
//! measurement) and OKX beyond, whose request budgets let 1,000 syncs finish in seconds.
//!
//! Cold: a new `keyfolio sync --all` process each time (median of three), and a new
//! process that only reads every connection's secret through `SecretStore`, as the sync
//! engine does; the share is the reads' CPU (from the first, which opens the session, to
//! the last) over the sync's. Warm: in one process, a
//! sync round on pooled CCXT clients and an open Secret Service session (the TUI's
//! background sync), then the same secret reads alone.
//!
//! `--keyring --latency` runs, instead, the latency benchmark (`bench/latency.rs`) in the
//! same kind of session.

use super::{
    Budget, Row, SimThread, answered, connect_accounts, keyfolio_binary, ms, print_report,
    process_cpu, process_cpu_self, profile_name, python_with, sim_accounts,
};
use anyhow::{Context as _, Result, bail};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::store::SecretStore;
use keyfolio::store::db::Db;
use keyfolio::sync::Engine;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "latency.rs"]
mod latency;

/// Set in the child that runs inside the benchmark's own D-Bus session.
const IN_SESSION: &str = "KEYFOLIO_BENCH_KEYRING_SESSION";
/// Connections per measured size, unless `--keyring-connections 100,1000` says otherwise.
const SIZES: [usize; 2] = [100, 1000];
/// Binance connections at most; the rest are OKX.
const BINANCE_AT_MOST: usize = 100;
/// Cold `sync --all` runs per size; the median is reported.
const COLD_RUNS: usize = 3;
/// How long a keyring call may take in the benchmark.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The entry point of `--keyring`: re-runs itself in a D-Bus session of its own.
pub fn run(args: &[String]) -> Result<()> {
    if std::env::var_os(IN_SESSION).is_some() {
        let sizes = match args.iter().position(|a| a == "--keyring-connections") {
            Some(i) => args
                .get(i + 1)
                .map(|list| {
                    list.split(',')
                        .filter_map(|n| n.trim().parse().ok())
                        .collect()
                })
                .unwrap_or_default(),
            None => SIZES.to_vec(),
        };
        if args.iter().any(|a| a == "--latency") {
            return latency::in_session(&keyfolio_binary()?, &sizes, args);
        }
        return in_session(&sizes, args.iter().any(|a| a == "--json"));
    }
    let data = tempfile::Builder::new()
        .prefix("keyfolio-bench-keyring-")
        .tempdir()?;
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--")
        .arg(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(IN_SESSION, "1")
        .env("XDG_DATA_HOME", data.path());
    let status = command
        .status()
        .context("dbus-run-session is needed (apt-get install dbus-bin gnome-keyring)")?;
    if !status.success() {
        bail!("the keyring benchmark failed ({status})");
    }
    Ok(())
}

/// Inside the session: start the keyring, measure each size, print the table.
fn in_session(sizes: &[usize], json_out: bool) -> Result<()> {
    let daemon = start_keyring()?;
    let keyfolio = keyfolio_binary()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    for &n in sizes {
        eprintln!("keyring: {n} connections ...");
        let figure = runtime.block_on(measure(&keyfolio, daemon, n))?;
        rows.extend(size_rows(n, &figure));
        figures.push(figure);
    }
    print_report(
        "keyfolio benchmarks: the OS keyring",
        &profile_name(),
        &rows,
    );
    if json_out {
        println!("\n{}", serde_json::to_string_pretty(&figures)?);
    }
    // The simulator threads never end by themselves.
    std::io::stdout().flush()?;
    std::process::exit(0);
}

/// Unlocks a new gnome-keyring in this session (its data in the throwaway XDG_DATA_HOME)
/// and returns the daemon's process id, to read its CPU time.
fn start_keyring() -> Result<u32> {
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("gnome-keyring-daemon is needed (apt-get install gnome-keyring)")?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"bench-keyring-password")?;
    let output = child.wait_with_output()?;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if let Some((name, value)) = line.split_once('=') {
            // SAFETY: set before any other thread of this process starts.
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var(name, value);
            };
        }
    }
    let data = std::env::var("XDG_DATA_HOME").unwrap_or_default();
    let daemon = std::fs::read_dir("/proc")?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            comm.starts_with("gnome-keyring-d")
                && environ
                    .split(|&b| b == 0)
                    .any(|v| v == format!("XDG_DATA_HOME={data}").as_bytes())
        })
        .context("the keyring daemon of this session is not running")?;
    Ok(daemon)
}

/// The request weight of a Binance balance (`GET /api/v3/account`); a phase also spends
/// about as much again on markets or tickers.
const BINANCE_WEIGHT: u32 = 20;

/// Keeps the benchmark under the simulator's Binance limit (per IP, 6,000 weight a
/// minute, as Binance's own; every phase comes from 127.0.0.1): before a phase, waits
/// for the next minute when this one cannot hold the phase's weight.
#[derive(Default)]
struct BinanceMinute {
    minute: i64,
    used: u32,
}

impl BinanceMinute {
    const LIMIT: u32 = 6000;

    async fn room(&mut self, weight: u32) {
        let now = chrono::Utc::now().timestamp_millis();
        if now / 60_000 == self.minute && self.used + weight > Self::LIMIT {
            let wait = 60_000 - now % 60_000 + 200;
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        let now = chrono::Utc::now().timestamp_millis();
        if now / 60_000 != self.minute {
            self.minute = now / 60_000;
            self.used = 0;
        }
        self.used += weight;
    }
}

/// One size: a home whose keys are in the keyring, then the cold and warm figures.
async fn measure(keyfolio: &Path, daemon: u32, n: usize) -> Result<Value> {
    let sim = SimThread::start()?;
    let mut accounts: Vec<_> = sim_accounts(2 * n)
        .into_iter()
        .filter(|a| a.exchange == "binance")
        .take(BINANCE_AT_MOST.min(n))
        .collect();
    let okx = sim_accounts(2 * n)
        .into_iter()
        .filter(|a| a.exchange == "okx")
        .take(n - accounts.len());
    accounts.extend(okx);
    for a in &accounts {
        sim.handle.add_account(a.clone());
    }
    let home = tempfile::Builder::new()
        .prefix("keyfolio-bench-keyring-home-")
        .tempdir()?;
    let store = SecretStore::keyring(TIMEOUT);
    let ctx = Context::open(Paths::under(home.path()), Config::default(), store.clone())?;
    let seeding = Instant::now();
    let ids: Vec<i64> = connect_accounts(&ctx, &sim.handle, &accounts)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let seed_s = seeding.elapsed().as_secs_f64();

    // Cold: new processes.
    let weight =
        BINANCE_WEIGHT * (accounts.iter().filter(|a| a.exchange == "binance").count() as u32 + 1);
    let mut minute = BinanceMinute::default();
    let mut cold = Vec::new();
    for _ in 0..COLD_RUNS {
        minute.room(weight).await;
        cold.push(cold_sync(keyfolio, home.path(), daemon, &sim, n)?);
    }
    let cold_median = median_by_cpu(&cold);
    let mut reads = Vec::new();
    for _ in 0..COLD_RUNS {
        reads.push(cold_reads(home.path(), daemon)?);
    }
    let reads_median = median_by_cpu(&reads);

    // Warm: one process (this one), the TUI's background sync after its first round.
    let refs = ctx
        .connections()
        .await?
        .into_iter()
        .map(|c| c.secret_ref)
        .collect::<Vec<_>>();
    minute.room(weight).await;
    let _first = warm_round(&ctx, &sim, &ids).await?;
    minute.room(weight).await;
    let warm = warm_round(&ctx, &sim, &ids).await?;
    let cpu0 = process_cpu_self();
    let daemon0 = process_cpu(daemon)?;
    let started = Instant::now();
    read_all(&store, &refs).await?;
    let warm_reads = json!({
        "wall_s": started.elapsed().as_secs_f64(),
        "cpu_s": process_cpu_self() - cpu0,
        "daemon_cpu_s": process_cpu(daemon)? - daemon0,
    });
    minute.room(weight).await;
    let peer = python_peer(home.path(), &sim, &accounts)?;
    for reference in &refs {
        store.delete(reference).await?;
    }
    Ok(json!({
        "connections": n,
        "binance": accounts.iter().filter(|a| a.exchange == "binance").count(),
        "seed_s": seed_s,
        "cold_sync": cold_median,
        "cold_sync_runs": cold,
        "cold_reads": reads_median,
        "warm_round": warm,
        "warm_reads": warm_reads,
        "secret_threads": SecretStore::threads_started(),
        "peer": peer,
    }))
}

/// The run of median CPU time.
fn median_by_cpu(runs: &[Value]) -> Value {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| {
        a["cpu_s"]
            .as_f64()
            .partial_cmp(&b["cpu_s"].as_f64())
            .unwrap()
    });
    sorted[sorted.len() / 2].clone()
}

/// `keyfolio sync --all` in a new process: wall, the child's CPU (user + system, from
/// the kernel's accounting of waited-for children), the keyring daemon's CPU meanwhile.
fn cold_sync(
    keyfolio: &Path,
    home: &Path,
    daemon: u32,
    sim: &SimThread,
    n: usize,
) -> Result<Value> {
    sim.handle.reset_counts();
    let daemon0 = process_cpu(daemon)?;
    let (output, wall, cpu) = run_timed(
        "keyfolio sync --all",
        wrapped("KEYFOLIO_BENCH_WRAP", keyfolio)
            .args(["sync", "--all", "--json"])
            .env("KEYFOLIO_HOME", home),
    )?;
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout)?;
    let synced = rows.iter().filter(|r| r["ok"] == true).count();
    if synced != n {
        bail!("{synced} of {n} connections synced: {rows:?}");
    }
    Ok(json!({
        "wall_s": wall,
        "cpu_s": cpu,
        "daemon_cpu_s": process_cpu(daemon)? - daemon0,
        "requests": answered(&sim.handle),
    }))
}

/// `program`, wrapped in the command the environment variable `var` holds, if any: a
/// profiler (`KEYFOLIO_BENCH_WRAP="perf record -g -o FILE"` for `sync --all`,
/// `KEYFOLIO_BENCH_WRAP_READS` for the process that only reads the secrets).
fn wrapped(var: &str, program: &Path) -> Command {
    let wrap = std::env::var(var).unwrap_or_default();
    let mut words = wrap.split_whitespace();
    match words.next() {
        Some(wrapper) => {
            let mut command = Command::new(wrapper);
            command.args(words).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A new process of this benchmark that reads every connection's secret and exits.
fn cold_reads(home: &Path, daemon: u32) -> Result<Value> {
    let daemon0 = process_cpu(daemon)?;
    let (output, wall, cpu) = run_timed(
        "--child-secrets",
        wrapped("KEYFOLIO_BENCH_WRAP_READS", &std::env::current_exe()?)
            .arg("--child-secrets")
            .arg(home),
    )?;
    let inner: Value = serde_json::from_slice(&output.stdout)?;
    Ok(json!({
        "wall_s": wall,
        "cpu_s": cpu,
        "reads_cpu_s": inner["reads_cpu_s"],
        "reads": inner["reads"],
        "daemon_cpu_s": process_cpu(daemon)? - daemon0,
    }))
}

/// `--child-secrets HOME`: what a cold `sync --all` does with the secret store and
/// nothing else: open the database, list the connections, read each secret the way the
/// engine does (as many at once as it runs syncs), check each decodes.
pub fn child_secrets(args: &[String]) -> Result<()> {
    let home = PathBuf::from(args.first().context("--child-secrets HOME")?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let db = Db::open(&Paths::under(&home).database())?;
        let refs: Vec<String> = db
            .connections()?
            .into_iter()
            .map(|c| c.secret_ref)
            .collect();
        drop(db);
        let cpu0 = process_cpu_self();
        read_all(&SecretStore::keyring(TIMEOUT), &refs).await?;
        anyhow::Ok(json!({"reads": refs.len(), "reads_cpu_s": process_cpu_self() - cpu0}))
    })?;
    println!("{result}");
    std::io::stdout().flush()?;
    std::process::exit(0);
}

/// Reads every secret as a sync round does: the round's batch read ahead, then each
/// sync's read, as many at once as it runs syncs (the default `max_concurrent_syncs`);
/// checks each one decodes.
async fn read_all(store: &SecretStore, refs: &[String]) -> Result<()> {
    use futures::StreamExt as _;
    store.read_ahead(refs).await;
    let at_once = Config::default().max_concurrent_syncs;
    let reads = futures::stream::iter(refs.iter().map(|r| store.get(r))).buffered(at_once);
    let results: Vec<_> = reads.collect().await;
    for (reference, read) in refs.iter().zip(results) {
        read.with_context(|| format!("reading {reference}"))?;
    }
    Ok(())
}

/// One sync round in this process on a fresh engine (budgets full), as the TUI's
/// background sync runs it: CPU is this process's minus the simulator thread's.
async fn warm_round(ctx: &Context, sim: &SimThread, ids: &[i64]) -> Result<Value> {
    let engine = Engine::new(ctx.clone(), None);
    sim.handle.reset_counts();
    let cpu0 = process_cpu_self();
    let sim0 = sim.cpu();
    let started = Instant::now();
    let outcomes = engine.sync_many(ids).await;
    let wall = started.elapsed().as_secs_f64();
    let cpu = process_cpu_self() - cpu0 - (sim.cpu() - sim0);
    let failed = outcomes.iter().filter(|(_, o)| o.is_err()).count();
    if failed > 0 {
        bail!("{failed} of {} syncs failed in the warm round", ids.len());
    }
    Ok(json!({"wall_s": wall, "cpu_s": cpu, "requests": answered(&sim.handle)}))
}

/// Runs a child process to its end: its output (stderr passed through), wall time and
/// CPU time (user + system, from the kernel's accounting of waited-for children).
fn run_timed(what: &str, command: &mut Command) -> Result<(std::process::Output, f64, f64)> {
    let children0 = children_cpu();
    let started = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = children_cpu() - children0;
    if !output.status.success() {
        bail!("{what} failed ({})", output.status);
    }
    Ok((output, wall, cpu))
}

/// User + system CPU of this process's waited-for children so far, in seconds.
fn children_cpu() -> f64 {
    // SAFETY: getrusage writes into the struct it is given.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The Python peer on the same work: a new Python process reads each connection's secret
/// with the `keyring` package (the same Secret Service entries keyfolio wrote) and
/// fetches every balance with ccxt, once. `{"skipped": why}` without the packages.
fn python_peer(
    home: &Path,
    sim: &SimThread,
    accounts: &[keyfolio::exchange::sim::SimAccount],
) -> Result<Value> {
    let Some(python) = python_with("ccxt.async_support, keyring, secretstorage") else {
        return Ok(json!({"skipped": "python ccxt, keyring or secretstorage not installed"}));
    };
    let db = Db::open(&Paths::under(home).database())?;
    let list: Vec<Value> = db
        .connections()?
        .into_iter()
        .map(|c| json!({"exchange": c.exchange.id(), "secret_ref": c.secret_ref}))
        .collect();
    drop(db);
    if list.len() != accounts.len() {
        bail!("{} connections for {} accounts", list.len(), accounts.len());
    }
    let mut file = tempfile::NamedTempFile::new()?;
    serde_json::to_writer(&mut file, &list)?;
    file.flush()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/bench/ccxt_peer.py");
    sim.handle.reset_counts();
    let (output, wall, cpu) = run_timed(
        "the Python keyring peer",
        Command::new(&python)
            .arg(&script)
            .arg(&sim.handle.base_url)
            .arg(file.path())
            .arg("--keyring"),
    )?;
    let last = String::from_utf8_lossy(&output.stdout);
    let mut peer: Value = serde_json::from_str(last.trim().lines().last().unwrap_or(""))
        .with_context(|| format!("the Python peer printed {last:.300}"))?;
    peer["process_wall_s"] = json!(wall);
    peer["process_cpu_s"] = json!(cpu);
    peer["requests"] = json!(answered(&sim.handle));
    Ok(peer)
}

/// The table rows of one size.
fn size_rows(n: usize, f: &Value) -> Vec<Row> {
    let at = |path: &[&str]| {
        path.iter()
            .fold(f, |v, k| &v[*k])
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let per = |secs: f64| format!("{:.2} ms", secs * 1e3 / n as f64);
    let cold_cpu = at(&["cold_sync", "cpu_s"]);
    // The reads' own CPU, from the first (which opens the session) to the last; the
    // process around them (start-up, the database) is not the secret store's.
    let reads_cpu = at(&["cold_reads", "reads_cpu_s"]);
    let warm_cpu = at(&["warm_round", "cpu_s"]);
    let warm_reads = at(&["warm_reads", "cpu_s"]);
    let cold_share = reads_cpu / cold_cpu;
    let warm_share = warm_reads / warm_cpu;
    let mut rows = vec![
        Row::new(
            "Keyring",
            format!("`sync --all`, {n} connections, cold process"),
            format!(
                "{} wall, {} CPU = {} per connection (median of {COLD_RUNS}); keyring daemon {} CPU",
                ms(at(&["cold_sync", "wall_s"])),
                ms(cold_cpu),
                per(cold_cpu),
                ms(at(&["cold_sync", "daemon_cpu_s"])),
            ),
            if n == 100 {
                Budget::below(cold_cpu / n as f64, 0.001, "< 1 ms CPU per connection")
            } else {
                Budget::none()
            },
        ),
        Row::new(
            "Keyring",
            format!("secret store's share, {n} connections, cold process"),
            format!(
                "{:.1}%: a new process reading the {n} secrets, {} CPU in the reads ({} the whole process); keyring daemon {} CPU",
                cold_share * 100.0,
                ms(reads_cpu),
                ms(at(&["cold_reads", "cpu_s"])),
                ms(at(&["cold_reads", "daemon_cpu_s"])),
            ),
            Budget::below(cold_share, 0.10, "< 10%"),
        ),
        Row::new(
            "Keyring",
            format!("sync round, {n} connections, warm process"),
            format!(
                "{} wall, {} CPU = {} per connection; the {n} secret reads alone {} CPU ({:.1}%), keyring daemon {}",
                ms(at(&["warm_round", "wall_s"])),
                ms(warm_cpu),
                per(warm_cpu),
                ms(warm_reads),
                warm_share * 100.0,
                ms(at(&["warm_reads", "daemon_cpu_s"])),
            ),
            Budget::below(warm_share, 0.10, "secret store < 10%"),
        ),
    ];
    let peer = &f["peer"];
    if let Some(reason) = peer["skipped"].as_str() {
        rows.push(Row::new(
            "Peer",
            format!("Python keyring + ccxt, {n} connections"),
            format!("skipped: {reason}"),
            Budget::none(),
        ));
    } else {
        let peer_cpu = peer["process_cpu_s"].as_f64().unwrap_or(f64::NAN);
        let peer_wall = peer["process_wall_s"].as_f64().unwrap_or(f64::NAN);
        rows.push(Row::new(
            "Peer",
            format!("Python keyring + ccxt, {n} connections, cold process"),
            format!(
                "{} wall, {} CPU; keyring reads {} wall, {} CPU; {} errors ({} {}, ccxt {})",
                ms(peer_wall),
                ms(peer_cpu),
                ms(peer["keyring"]["wall_s"].as_f64().unwrap_or(f64::NAN)),
                ms(peer["keyring"]["cpu_s"].as_f64().unwrap_or(f64::NAN)),
                peer["cold"]["errors"],
                "Python",
                peer["python"].as_str().unwrap_or("?"),
                peer["ccxt_version"].as_str().unwrap_or("?"),
            ),
            Budget::none(),
        ));
        rows.push(Row::new(
            "Ratio",
            format!("Python ÷ keyfolio, cold process, {n} connections, keys in the keyring"),
            format!(
                "{:.1}x wall, {:.1}x CPU",
                peer_wall / at(&["cold_sync", "wall_s"]),
                peer_cpu / cold_cpu
            ),
            Budget::none(),
        ));
    }
    rows
}
