//! The sync engine: scheduling policy on tokio's paused clock, and end to end against the
//! simulator with faults (last good balances kept, pause on key failure, join, request budget).

use chrono::{TimeZone, Utc};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::budget::Budget;
use keyfolio::exchange::sim::{Fault, Simulator};
use keyfolio::model::{Credentials, Endpoint, ExchangeId, Failure, FailureKind};
use keyfolio::store::SecretStore;
use keyfolio::sync::{Engine, Policy};
use std::time::Duration;

fn policy() -> Policy {
    Policy::new(Duration::from_secs(300))
}

#[test]
fn intervals_stay_within_the_jitter_bounds() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let p = policy();
    let low = p.after_success(now, p.interval, 0.0);
    let high = p.after_success(now, p.interval, 0.999);
    assert_eq!((low - now).num_seconds(), 270);
    assert!((high - now).num_seconds() >= 329 && (high - now).num_seconds() <= 330);
}

#[test]
fn backoff_grows_is_capped_and_honours_retry_after() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let p = policy();
    let down = Failure::new(FailureKind::ExchangeDown, "503");
    let wait = |streak| (p.after_failure(now, &down, streak, 0.0).unwrap() - now).num_seconds();
    assert_eq!((wait(1), wait(2), wait(3)), (30, 60, 120));
    assert_eq!(wait(30), 1800, "capped at 30 minutes");
    let mut banned = Failure::new(FailureKind::Banned, "418");
    banned.retry_after = Some(Duration::from_secs(7200));
    assert_eq!(
        (p.after_failure(now, &banned, 1, 0.0).unwrap() - now).num_seconds(),
        7200,
        "a ban is waited out"
    );
    let dead_key = Failure::new(FailureKind::InvalidKey, "-2015");
    assert_eq!(
        p.after_failure(now, &dead_key, 1, 0.0),
        None,
        "key failures pause"
    );
}

#[tokio::test(start_paused = true)]
async fn the_budget_waits_instead_of_overspending() {
    let budget = Budget::new(40, Duration::from_secs(60));
    let started = tokio::time::Instant::now();
    budget.take(20).await;
    budget.take(20).await;
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "the first 40 units are free"
    );
    budget.take(20).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(29) && waited <= Duration::from_secs(31),
        "{waited:?}"
    );
}

async fn setup() -> (
    tempfile::TempDir,
    Context,
    keyfolio::exchange::sim::SimHandle,
) {
    let home = tempfile::tempdir().unwrap();
    let ctx = Context::open(
        Paths::under(home.path()),
        Config::default(),
        SecretStore::memory(),
    )
    .unwrap();
    let sim = Simulator::start(0).await.unwrap();
    (home, ctx, sim)
}

async fn connect(
    ctx: &Context,
    sim: &keyfolio::exchange::sim::SimHandle,
    exchange: ExchangeId,
    purpose: &str,
) -> (i64, String) {
    let a = sim.account_on(exchange.id(), purpose).unwrap();
    let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
    let endpoint = Endpoint {
        base_url: Some(format!("{}/{}", sim.base_url, exchange.id())),
        sandbox: false,
    };
    let (id, _) = ctx
        .connect(exchange, purpose, &endpoint, &creds, true)
        .await
        .unwrap();
    (id, a.api_key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_keeps_the_last_good_balances_marked_stale() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let (id, key) = connect(&ctx, &sim, exchange, "trade").await;
        let before = ctx.detail(id).await.unwrap().0;
        assert!(!before.is_empty());
        for fault in [Fault::NonJson200, Fault::Truncated200, Fault::Html5xx] {
            sim.set_fault(&key, Some(fault));
            let outcome = engine.sync(id).await;
            assert!(outcome.is_err(), "{exchange} {fault:?}");
            let (after, _, history) = ctx.detail(id).await.unwrap();
            assert_eq!(after, before, "{exchange} {fault:?}: balances kept");
            assert!(!history[0].ok);
        }
        let c = ctx.with_db(move |db| db.connection(id)).await.unwrap();
        assert_eq!(c.failure_streak, 3);
        assert!(!c.paused, "server faults retry, they do not pause");
        assert!(c.next_sync_at.is_some());
        sim.set_fault(&key, None);
        engine.sync(id).await.unwrap();
        let c = ctx.with_db(move |db| db.connection(id)).await.unwrap();
        assert_eq!((c.failure_streak, c.last_error.is_none()), (0, true));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_key_pauses_until_the_trader_resyncs() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    let (id, key) = connect(&ctx, &sim, ExchangeId::Okx, "trade").await;
    sim.set_fault(&key, Some(Fault::IpNotWhitelisted));
    let f = engine.sync(id).await.unwrap_err();
    assert_eq!(f.kind, FailureKind::IpNotWhitelisted);
    let c = ctx.with_db(move |db| db.connection(id)).await.unwrap();
    assert!(c.paused && c.next_sync_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_join_one_sync_and_cost_one_request() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    let (id, key) = connect(&ctx, &sim, ExchangeId::Binance, "read-only").await;
    // One sync's requests: spot, the wallet overview and each wallet it names.
    sim.reset_counts();
    engine.sync(id).await.unwrap();
    let one_sync = sim.total_requests_for(&key);
    assert!(one_sync > 1, "the rich account holds coins beyond spot");
    sim.set_fault(&key, Some(Fault::SlowMs(300)));
    sim.reset_counts();
    let (a, b, c) = tokio::join!(engine.sync(id), engine.sync(id), engine.sync(id));
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert_eq!(
        sim.total_requests_for(&key),
        one_sync,
        "joined, not repeated; permissions are fresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_of_many_connections_costs_the_same_every_round_and_never_sees_a_429() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    let mut ids = Vec::new();
    for (exchange, purpose) in [
        (ExchangeId::Binance, "read-only"),
        (ExchangeId::Binance, "trade"),
        (ExchangeId::Binance, "ed25519"),
        (ExchangeId::Okx, "read-only"),
        (ExchangeId::Okx, "trade"),
    ] {
        ids.push(connect(&ctx, &sim, exchange, purpose).await.0);
    }
    let accounts = sim.accounts();
    let requests = || -> u64 {
        accounts
            .iter()
            .map(|a| sim.total_requests_for(&a.api_key))
            .sum()
    };
    // One round's requests: each connection's balance call and the wallets beyond it
    // (Binance: the overview, then the wallets it names; OKX: funding and savings).
    sim.reset_counts();
    for (_, outcome) in engine.sync_many(&ids).await {
        outcome.unwrap();
    }
    let one_round = requests();
    sim.reset_counts();
    for _ in 0..3 {
        for (_, outcome) in engine.sync_many(&ids).await {
            outcome.unwrap();
        }
    }
    let total = requests();
    assert_eq!(
        total,
        3 * one_round,
        "{total} requests, {one_round} a round"
    );
    assert_eq!(sim.status_count(429) + sim.status_count(418), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_directory_never_sync_the_same_connection_twice() {
    let (home, ctx, sim) = setup().await;
    let (id, key) = connect(&ctx, &sim, ExchangeId::Binance, "read-only").await;
    // A second process: its own database handle on the same file, its own engine.
    let other = Context::open(
        Paths::under(home.path()),
        Config::default(),
        ctx.secrets.clone(),
    )
    .unwrap();
    let first = Engine::new(ctx.clone(), None);
    let second = Engine::new(other, None);
    // One sync's requests: spot, the wallet overview and each wallet it names.
    sim.reset_counts();
    first.sync(id).await.unwrap();
    let one_sync = sim.total_requests_for(&key);
    sim.set_fault(&key, Some(Fault::SlowMs(600)));
    sim.reset_counts();
    let (a, b) = tokio::join!(first.sync(id), second.sync(id));
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(
        sim.total_requests_for(&key),
        one_sync,
        "the second process waited for the first"
    );
    let history = ctx.detail(id).await.unwrap().2;
    assert_eq!(
        history.len(),
        3,
        "connect, the counted sync, and one joined sync, not two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_cancels_the_sync_in_flight() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    let (id, key) = connect(&ctx, &sim, ExchangeId::Okx, "read-only").await;
    sim.set_fault(&key, Some(Fault::SlowMs(800)));
    let running = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.sync(id).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    engine.forget(id);
    ctx.disconnect(id, true).await.unwrap();
    let outcome = running.await.unwrap();
    assert!(outcome.is_err(), "cancelled");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(ctx.connections().await.unwrap().is_empty());
    assert!(
        ctx.detail(id).await.unwrap().2.is_empty(),
        "nothing written after the disconnect"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exchange_fault_ends_in_a_named_state_with_a_retry_plan() {
    let home = tempfile::tempdir().unwrap();
    let config = Config {
        request_timeout_ms: 1000,
        ..Config::default()
    };
    let ctx = Context::open(Paths::under(home.path()), config, SecretStore::memory()).unwrap();
    let sim = Simulator::start(0).await.unwrap();
    let engine = Engine::new(ctx.clone(), None);
    let cases = [
        (Fault::Hang, FailureKind::Unreachable),
        (Fault::TrickleMs(400), FailureKind::Unreachable),
        (Fault::ResetConnection, FailureKind::Unreachable),
        (Fault::Html5xx, FailureKind::ExchangeDown),
        (Fault::Truncated200, FailureKind::UnexpectedResponse),
        (Fault::NonJson200, FailureKind::UnexpectedResponse),
        (Fault::RateLimitBurst, FailureKind::RateLimited),
    ];
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let (id, key) = connect(&ctx, &sim, exchange, "trade").await;
        for (fault, kind) in cases {
            sim.reset_counts();
            sim.set_fault(&key, Some(fault));
            let started = std::time::Instant::now();
            let failure = engine.sync(id).await.unwrap_err();
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{exchange} {fault:?} took {:?}",
                started.elapsed()
            );
            assert_eq!(failure.kind, kind, "{exchange} {fault:?}: {failure}");
            let c = ctx.with_db(move |db| db.connection(id)).await.unwrap();
            assert!(!c.paused, "{exchange} {fault:?} retries by itself");
            let next = c.next_sync_at.expect("a retry is planned");
            assert!(
                next > Utc::now(),
                "{exchange} {fault:?}: the retry is in the future"
            );
            if let Some(wait) = failure.retry_after {
                assert!(
                    next >= Utc::now() + chrono::Duration::from_std(wait).unwrap()
                        - chrono::Duration::seconds(2)
                );
            }
        }
        sim.set_fault(&key, None);
    }
    let a = sim.account_on("binance", "trade").unwrap();
    sim.set_fault(&a.api_key, Some(Fault::Ban418));
    let ids = ctx.connections().await.unwrap();
    let binance = ids
        .iter()
        .find(|c| c.exchange == ExchangeId::Binance)
        .unwrap()
        .id;
    let failure = engine.sync(binance).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Banned);
    let next = ctx
        .with_db(move |db| db.connection(binance))
        .await
        .unwrap()
        .next_sync_at
        .unwrap();
    let ban = chrono::Duration::from_std(failure.retry_after.expect("the ban's end")).unwrap();
    assert!(
        next >= Utc::now() + ban - chrono::Duration::seconds(2),
        "the ban is waited out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hammering_resync_on_one_okx_account_never_causes_a_429() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    let (id, key) = connect(&ctx, &sim, ExchangeId::Okx, "read-only").await;
    sim.reset_counts();
    // OKX allows 10 balance requests per 2 s per account; 12 resyncs in a row would exceed it.
    engine.sync(id).await.expect("never rate limited");
    let per_sync = sim.total_requests_for(&key);
    assert_eq!(per_sync, 3, "trading account, funding, savings");
    for _ in 1..12 {
        engine.sync(id).await.expect("never rate limited");
    }
    assert_eq!(sim.total_requests_for(&key), 12 * per_sync);
    assert_eq!(
        sim.status_count(429),
        0,
        "keyfolio's own budget kept it under the limit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_syncs_on_schedule_backs_off_and_leaves_paused_ones_alone() {
    let (_home, ctx, sim) = setup().await;
    let (healthy, _) = connect(&ctx, &sim, ExchangeId::Binance, "read-only").await;
    let (failing, failing_key) = connect(&ctx, &sim, ExchangeId::Okx, "read-only").await;
    let (dead, dead_key) = connect(&ctx, &sim, ExchangeId::Binance, "trade").await;
    sim.set_fault(&failing_key, Some(Fault::Html5xx));
    sim.set_fault(&dead_key, Some(Fault::IpNotWhitelisted));
    for id in [healthy, failing, dead] {
        ctx.with_db(move |db| db.set_next_sync(id, None))
            .await
            .unwrap();
    }
    // The default schedule in miniature: a 1 s interval, backoff 250 ms doubling to 1 s,
    // looks at the schedule at least 10 ms apart.
    let policy = Policy {
        interval: Duration::from_secs(1),
        jitter: 0.0,
        backoff_base: Duration::from_millis(250),
        backoff_cap: Duration::from_secs(1),
        look_gap: Duration::from_millis(10),
    };
    let engine = Engine::new(ctx.clone(), None).with_policy(policy);
    let started = Utc::now();
    let running = tokio::spawn(engine.run_forever());
    tokio::time::sleep(Duration::from_millis(3600)).await;
    running.abort();

    // Newest first; only what the loop did (the connect's own run came before `started`).
    let runs = |id: i64| {
        let ctx = ctx.clone();
        async move {
            let mut runs = ctx.detail(id).await.unwrap().2;
            runs.retain(|r| r.finished_at >= started);
            runs.reverse();
            runs
        }
    };
    let healthy_runs = runs(healthy).await;
    assert!(
        (3..=5).contains(&healthy_runs.len()) && healthy_runs.iter().all(|r| r.ok),
        "about one sync a second: {healthy_runs:?}"
    );

    let failing_runs = runs(failing).await;
    assert!(failing_runs.iter().all(|r| !r.ok));
    let gaps: Vec<i64> = failing_runs
        .windows(2)
        .map(|w| (w[1].finished_at - w[0].finished_at).num_milliseconds())
        .collect();
    assert!(
        (4..=7).contains(&failing_runs.len()),
        "retries, with backoff: {gaps:?}"
    );
    assert!(
        gaps.iter().all(|&g| g >= 200) && gaps.windows(2).all(|w| w[1] >= w[0] - 150),
        "the waits grow (250, 500, 1000, 1000 ms): {gaps:?}"
    );
    assert!(
        gaps[gaps.len() - 1] >= 800,
        "the waits reach the cap: {gaps:?}"
    );

    let dead_runs = runs(dead).await;
    assert_eq!(
        dead_runs.len(),
        1,
        "a refused key is tried once, then paused"
    );
    let record = ctx.with_db(move |db| db.connection(dead)).await.unwrap();
    assert!(record.paused);
    // Binance answers -2015 for an IP off the whitelist, as for a bad key.
    assert_eq!(
        record.last_error.map(|e| e.kind),
        Some(FailureKind::InvalidKey)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replayed_exchange_syncs_and_keeps_its_last_good_balances_through_an_outage() {
    let (_home, ctx, sim) = setup().await;
    let engine = Engine::new(ctx.clone(), None);
    for id in keyfolio::exchange::sim::replay::exchanges() {
        let exchange = ExchangeId::parse(id).unwrap();
        let (cid, key) = connect(&ctx, &sim, exchange, "read-only").await;
        engine
            .sync(cid)
            .await
            .unwrap_or_else(|f| panic!("{id}: {f:?}"));
        let before = ctx.detail(cid).await.unwrap().0;
        assert!(!before.is_empty(), "{id}");
        sim.set_fault(&key, Some(Fault::Html5xx));
        assert_eq!(
            engine.sync(cid).await.unwrap_err().kind,
            FailureKind::ExchangeDown
        );
        assert_eq!(
            ctx.detail(cid).await.unwrap().0,
            before,
            "{id}: balances kept"
        );
        let c = ctx.with_db(move |db| db.connection(cid)).await.unwrap();
        assert!(!c.paused && c.next_sync_at.is_some(), "{id}: retried later");
        sim.set_fault(&key, None);
        engine
            .sync(cid)
            .await
            .unwrap_or_else(|f| panic!("{id} recovers: {f:?}"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_generic_exchange_is_budgeted_from_ccxts_rate_limit() {
    use keyfolio::exchange::budget::Budgets;
    let bybit = ExchangeId::parse("bybit").unwrap();
    let gap = keyfolio::exchange::catalog::facts("bybit").rate_limit_ms;
    assert!(gap > 0.0);
    let budgets = Budgets::documented();
    let started = tokio::time::Instant::now();
    for connection in 0..5 {
        budgets.take(bybit, connection, false).await;
    }
    // One request every two of CCXT's gaps, whatever the number of connections.
    let waited = started.elapsed().as_secs_f64() * 1000.0;
    assert!(
        waited >= 4.0 * 2.0 * gap - 1.0 && waited <= 4.0 * 2.0 * gap + 50.0,
        "{waited} ms for 5 requests at a {gap} ms gap"
    );
}
