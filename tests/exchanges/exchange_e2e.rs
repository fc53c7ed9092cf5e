//! The exchange boundary end to end: the real CCXT client against the simulator, for good
//! keys and every failure kind, on both exchanges.

use keyfolio::exchange::ccxt::ExchangeClient;
use keyfolio::exchange::sim::{Fault, SimAccount, SimHandle, Simulator};
use keyfolio::model::{Credentials, Endpoint, ExchangeId, FailureKind, Wallet};
use std::time::Duration;

fn endpoint(sim: &SimHandle, exchange: ExchangeId) -> Endpoint {
    Endpoint {
        base_url: Some(format!("{}/{}", sim.base_url, exchange.id())),
        sandbox: false,
    }
}

fn creds(a: &SimAccount) -> Credentials {
    Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref())
}

fn client() -> ExchangeClient {
    ExchangeClient::new(Duration::from_millis(1500))
}

async fn expect_failure(
    sim: &SimHandle,
    exchange: ExchangeId,
    a: &Credentials,
    kind: FailureKind,
) -> keyfolio::model::Failure {
    let result = client()
        .fetch(exchange, &endpoint(sim, exchange), a, true)
        .await;
    let failure = result.expect_err("must fail");
    assert_eq!(failure.kind, kind, "{exchange}: {failure}");
    failure
}

#[tokio::test]
async fn good_keys_give_exact_balances_and_permissions() {
    let sim = Simulator::start(0).await.unwrap();
    let c = client();
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let a = sim.account_on(exchange.id(), "read-only").unwrap();
        let snap = c
            .fetch(exchange, &endpoint(&sim, exchange), &creds(&a), true)
            .await
            .unwrap();
        assert!(!snap.balances.is_empty(), "{exchange}");
        let p = snap.permissions.unwrap();
        assert!(p.read && !p.trade && !p.withdraw, "{exchange}: {p:?}");
        let big = snap
            .balances
            .iter()
            .find(|b| b.free == "123456789012.12345678");
        assert!(
            big.is_some(),
            "{exchange} keeps every digit: {:?}",
            snap.balances
        );
    }
    let withdraw = sim.account_on("okx", "withdraw enabled").unwrap();
    let snap = c
        .fetch(
            ExchangeId::Okx,
            &endpoint(&sim, ExchangeId::Okx),
            &creds(&withdraw),
            true,
        )
        .await
        .unwrap();
    assert!(snap.permissions.unwrap().withdraw);
}

#[tokio::test]
async fn ed25519_keys_work_on_binance() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("binance", "ed25519").unwrap();
    let cr = creds(&a);
    assert_eq!(cr.key_type(), keyfolio::model::KeyType::Ed25519);
    let snap = client()
        .fetch(
            ExchangeId::Binance,
            &endpoint(&sim, ExchangeId::Binance),
            &cr,
            true,
        )
        .await
        .unwrap();
    assert!(!snap.balances.is_empty());
}

#[tokio::test]
async fn a_sync_costs_one_request_and_no_market_loading() {
    let sim = Simulator::start(0).await.unwrap();
    let c = client();
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let a = sim.account_on(exchange.id(), "read-only").unwrap();
        sim.reset_counts();
        c.fetch(exchange, &endpoint(&sim, exchange), &creds(&a), false)
            .await
            .unwrap();
        c.fetch(exchange, &endpoint(&sim, exchange), &creds(&a), false)
            .await
            .unwrap();
        // OKX: the trading account, then funding and savings (no overview: see
        // exchange::wallets::okx). Binance: spot, the wallet overview, the account info
        // (a Portfolio Margin account or not), then the six wallets the overview names
        // (funding, flexible and locked earn, cross margin, both futures).
        let per_sync = if exchange == ExchangeId::Okx { 3 } else { 9 };
        assert_eq!(
            sim.total_requests_for(&a.api_key),
            2 * per_sync,
            "{exchange}: {per_sync} request(s) per sync"
        );
    }
}

#[tokio::test]
async fn credential_failures_are_named() {
    let sim = Simulator::start(0).await.unwrap();
    let b = sim.account_on("binance", "read-only").unwrap();
    let o = sim.account_on("okx", "read-only").unwrap();

    let f = expect_failure(
        &sim,
        ExchangeId::Binance,
        &Credentials::new("nope", &b.secret, None),
        FailureKind::InvalidKey,
    )
    .await;
    assert!(
        f.detail.contains("-2014") || f.detail.contains("-2015"),
        "{f}"
    );
    let unknown = "X".repeat(64);
    expect_failure(
        &sim,
        ExchangeId::Binance,
        &Credentials::new(&unknown, &b.secret, None),
        FailureKind::InvalidKey,
    )
    .await;
    let f = expect_failure(
        &sim,
        ExchangeId::Binance,
        &Credentials::new(&b.api_key, &"y".repeat(64), None),
        FailureKind::BadSignature,
    )
    .await;
    assert!(f.detail.contains("-1022"), "{f}");

    expect_failure(
        &sim,
        ExchangeId::Okx,
        &Credentials::new("unknown-key", &o.secret, o.passphrase.as_deref()),
        FailureKind::InvalidKey,
    )
    .await;
    expect_failure(
        &sim,
        ExchangeId::Okx,
        &Credentials::new(
            &o.api_key,
            "0123456789ABCDEF0123456789ABCDEF",
            o.passphrase.as_deref(),
        ),
        FailureKind::BadSignature,
    )
    .await;
    let f = expect_failure(
        &sim,
        ExchangeId::Okx,
        &Credentials::new(&o.api_key, &o.secret, Some("wrong")),
        FailureKind::WrongPassphrase,
    )
    .await;
    assert!(f.detail.contains("50105"), "{f}");
}

#[tokio::test]
async fn account_faults_are_named() {
    let sim = Simulator::start(0).await.unwrap();
    let okx_ip = sim.account_on("okx", "trade").unwrap();
    sim.set_fault(&okx_ip.api_key, Some(Fault::IpNotWhitelisted));
    expect_failure(
        &sim,
        ExchangeId::Okx,
        &creds(&okx_ip),
        FailureKind::IpNotWhitelisted,
    )
    .await;

    let region = sim.account_on("okx", "wrong region").unwrap();
    expect_failure(
        &sim,
        ExchangeId::Okx,
        &creds(&region),
        FailureKind::WrongRegion,
    )
    .await;

    let demo = sim.account_on("okx", "demo").unwrap();
    expect_failure(
        &sim,
        ExchangeId::Okx,
        &creds(&demo),
        FailureKind::WrongEnvironment,
    )
    .await;
    let mut demo_endpoint = endpoint(&sim, ExchangeId::Okx);
    demo_endpoint.sandbox = true;
    client()
        .fetch(ExchangeId::Okx, &demo_endpoint, &creds(&demo), true)
        .await
        .expect("demo key on the demo environment");

    let not_whitelisted = sim.account_on("binance", "ip not whitelisted").unwrap();
    expect_failure(
        &sim,
        ExchangeId::Binance,
        &creds(&not_whitelisted),
        FailureKind::InvalidKey,
    )
    .await;
}

#[tokio::test]
async fn clock_skew_is_measured_and_corrected_once() {
    let sim = Simulator::start(0).await.unwrap();
    // The exchange's clock runs 20 s ahead of ours: keyfolio measures it and succeeds.
    sim.set_clock_offset_ms(20_000);
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let a = sim.account_on(exchange.id(), "read-only").unwrap();
        let c = client();
        c.fetch(exchange, &endpoint(&sim, exchange), &creds(&a), false)
            .await
            .expect("corrected");
    }
    sim.set_clock_offset_ms(0);
    // A skew the time endpoint does not show persists: named, with the offset.
    let skewed = sim.account_on("binance", "clock skew").unwrap();
    let f = expect_failure(
        &sim,
        ExchangeId::Binance,
        &creds(&skewed),
        FailureKind::ClockSkew,
    )
    .await;
    assert!(f.detail.contains("-1021"), "{f}");
}

#[tokio::test]
async fn rate_limits_and_bans_carry_the_wait() {
    let sim = Simulator::start(0).await.unwrap();
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let a = sim.account_on(exchange.id(), "trade").unwrap();
        sim.set_fault(&a.api_key, Some(Fault::RateLimitBurst));
        let f = expect_failure(&sim, exchange, &creds(&a), FailureKind::RateLimited).await;
        assert!(
            f.retry_after.is_some(),
            "{exchange}: Retry-After read: {f:?}"
        );
    }
    let a = sim.account_on("binance", "withdraw enabled").unwrap();
    sim.set_fault(&a.api_key, Some(Fault::Ban418));
    let f = expect_failure(&sim, ExchangeId::Binance, &creds(&a), FailureKind::Banned).await;
    assert!(f.retry_after.is_some(), "{f:?}");
}

#[tokio::test]
async fn broken_answers_never_become_empty_portfolios() {
    let sim = Simulator::start(0).await.unwrap();
    let cases = [
        (Fault::Html5xx, FailureKind::ExchangeDown),
        (Fault::NonJson200, FailureKind::UnexpectedResponse),
        (Fault::Truncated200, FailureKind::UnexpectedResponse),
        (Fault::Hang, FailureKind::Unreachable),
        (Fault::ResetConnection, FailureKind::Unreachable),
    ];
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let a = sim.account_on(exchange.id(), "read-only").unwrap();
        for (fault, kind) in cases {
            sim.set_fault(&a.api_key, Some(fault));
            let f = expect_failure(&sim, exchange, &creds(&a), kind).await;
            assert!(!f.detail.contains(&a.secret), "no secret in the detail");
            let cause = match fault {
                Fault::Hang => Some("the exchange did not answer within 1.5 s"),
                Fault::ResetConnection => Some("takes connections but dropped the request"),
                _ => None,
            };
            if let Some(cause) = cause {
                assert!(f.detail.contains(cause), "{fault:?}: {}", f.detail);
            }
        }
        sim.set_fault(&a.api_key, None);
    }
}

#[tokio::test]
async fn nothing_listens_means_unreachable() {
    let c = client();
    let endpoint = Endpoint {
        base_url: Some("http://127.0.0.1:9".into()),
        sandbox: false,
    };
    let f = c
        .fetch(
            ExchangeId::Binance,
            &endpoint,
            &Credentials::new("k", "s", None),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::Unreachable);
    assert!(
        f.detail
            .starts_with("127.0.0.1:9 refused the connection (nothing listens there)"),
        "the cause in words, not reqwest's URL line: {}",
        f.detail
    );
}

fn okx_rows(
    snap: &keyfolio::model::AccountSnapshot,
) -> Vec<(Wallet, String, rust_decimal::Decimal)> {
    snap.balances
        .iter()
        .map(|b| (b.wallet, b.asset.clone(), b.total.parse().unwrap()))
        .collect()
}

fn dec(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

/// Issue #24's Done criterion on OKX: an account with nothing in its trading account and
/// every coin in funding and Simple Earn savings comes back whole, wallet by wallet, in
/// three requests.
#[tokio::test]
async fn okx_funding_and_savings_come_back_wallet_by_wallet() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("okx", "funding and savings").unwrap();
    sim.reset_counts();
    let snap = client()
        .fetch(
            ExchangeId::Okx,
            &endpoint(&sim, ExchangeId::Okx),
            &creds(&a),
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        okx_rows(&snap),
        vec![
            (Wallet::Funding, "BTC".into(), dec("0.06")),
            (Wallet::EarnFlexible, "ETH".into(), dec("1.5")),
            (Wallet::Funding, "USDT".into(), dec("1500.25")),
            // Lent plus waiting; the interest OKX reports beside it is already inside.
            (
                Wallet::EarnFlexible,
                "USDT".into(),
                dec("2500.5000106745475002")
            ),
        ]
    );
    let usdt: rust_decimal::Decimal = okx_rows(&snap)
        .iter()
        .filter(|r| r.1 == "USDT")
        .map(|r| r.2)
        .sum();
    assert_eq!(
        usdt,
        dec("4000.7500106745475002"),
        "every digit, both wallets"
    );
    let btc = snap.balances.iter().find(|b| b.asset == "BTC").unwrap();
    assert_eq!((btc.free.as_str(), btc.used.as_str()), ("0.05", "0.01"));
    assert!(snap.unreadable.is_empty(), "{:?}", snap.unreadable);
    assert_eq!(snap.weight, 3, "balance, funding, savings");
    assert_eq!(sim.total_requests_for(&a.api_key), 3);
    for path in [
        "/api/v5/account/balance",
        "/api/v5/asset/balances",
        "/api/v5/finance/savings/balance",
    ] {
        assert_eq!(sim.request_count_for(&a.api_key, path), 1, "{path}");
    }

    // The rich account: its trading account, and coins in funding beside it.
    let rich = sim.account_on("okx", "read-only").unwrap();
    let snap = client()
        .fetch(
            ExchangeId::Okx,
            &endpoint(&sim, ExchangeId::Okx),
            &creds(&rich),
            false,
        )
        .await
        .unwrap();
    let wallets_of = |asset: &str| -> Vec<Wallet> {
        snap.balances
            .iter()
            .filter(|b| b.asset == asset)
            .map(|b| b.wallet)
            .collect()
    };
    assert_eq!(wallets_of("USDT"), [Wallet::Funding, Wallet::Trading]);
    assert_eq!(wallets_of("SOL"), [Wallet::Funding]);
    assert_eq!(wallets_of("BTC"), [Wallet::Trading]);
}

/// A key OKX refuses savings to keeps the rest: the wallet is listed as unreadable, the
/// funding account still counts, and the refused wallet is not asked again until the
/// permissions are read again.
#[tokio::test]
async fn okx_savings_refused_is_an_unreadable_wallet_not_a_failed_sync() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("okx", "funding and savings").unwrap();
    sim.set_fault(&a.api_key, Some(Fault::WalletRefused(Wallet::EarnFlexible)));
    let ep = endpoint(&sim, ExchangeId::Okx);
    let c = client();
    let snap = c
        .fetch(ExchangeId::Okx, &ep, &creds(&a), true)
        .await
        .expect("a refused wallet does not fail the sync");
    assert_eq!(
        okx_rows(&snap),
        vec![
            (Wallet::Funding, "BTC".into(), dec("0.06")),
            (Wallet::Funding, "USDT".into(), dec("1500.25")),
        ]
    );
    assert_eq!(snap.unreadable.len(), 1, "{:?}", snap.unreadable);
    let refused = &snap.unreadable[0];
    assert_eq!(refused.wallet, Wallet::EarnFlexible);
    assert_eq!(refused.kind, FailureKind::PermissionDenied);
    assert!(refused.detail.contains("50120"), "{}", refused.detail);

    // Next round: not asked again, still listed.
    sim.reset_counts();
    let again = c
        .fetch_skipping(ExchangeId::Okx, &ep, &creds(&a), false, &snap.unreadable)
        .await
        .unwrap();
    assert_eq!(again.unreadable, snap.unreadable);
    assert_eq!(
        sim.request_count_for(&a.api_key, "/api/v5/finance/savings/balance"),
        0
    );
    assert_eq!(sim.total_requests_for(&a.api_key), 2);
    assert_eq!(again.weight, 2);

    // With the permissions read again (daily, or Resync) it is asked, and now answers.
    sim.set_fault(&a.api_key, None);
    let checked = c
        .fetch_skipping(ExchangeId::Okx, &ep, &creds(&a), true, &snap.unreadable)
        .await
        .unwrap();
    assert!(checked.unreadable.is_empty());
    assert_eq!(checked.balances.len(), 4);

    // The funding account refused instead: savings still count.
    sim.set_fault(&a.api_key, Some(Fault::WalletRefused(Wallet::Funding)));
    let snap = c
        .fetch(ExchangeId::Okx, &ep, &creds(&a), false)
        .await
        .unwrap();
    assert!(
        snap.balances
            .iter()
            .all(|b| b.wallet == Wallet::EarnFlexible)
    );
    assert_eq!(snap.unreadable[0].wallet, Wallet::Funding);

    // A wrong passphrase is not a refused wallet: the sync fails as before.
    let mut wrong = a.clone();
    wrong.passphrase = Some("Keyfolio#Earn2".into());
    sim.set_fault(&a.api_key, None);
    expect_failure(
        &sim,
        ExchangeId::Okx,
        &creds(&wrong),
        FailureKind::WrongPassphrase,
    )
    .await;
}

/// OKX offers no Earn in demo trading (50038): a demo key's savings are unreadable in
/// that environment, its trading and funding accounts count.
#[tokio::test]
async fn okx_demo_keys_have_no_savings() {
    let sim = Simulator::start(0).await.unwrap();
    let demo = sim.account_on("okx", "demo").unwrap();
    sim.set_wallets(
        &demo.api_key,
        vec![(
            Wallet::Funding,
            vec![("USDT".into(), "100".into(), "0".into())],
        )],
    );
    let mut ep = endpoint(&sim, ExchangeId::Okx);
    ep.sandbox = true;
    let snap = client()
        .fetch(ExchangeId::Okx, &ep, &creds(&demo), false)
        .await
        .unwrap();
    assert!(snap.balances.iter().any(|b| b.wallet == Wallet::Trading));
    assert!(
        snap.balances
            .iter()
            .any(|b| b.wallet == Wallet::Funding && b.asset == "USDT")
    );
    assert_eq!(snap.unreadable.len(), 1);
    assert_eq!(snap.unreadable[0].wallet, Wallet::EarnFlexible);
    assert_eq!(snap.unreadable[0].kind, FailureKind::WrongEnvironment);
}

/// Issue #24's Done criterion on Binance: an account with nothing in spot and every coin
/// in Funding, Simple Earn (flexible and locked) and USDⓈ-M futures comes back whole,
/// wallet by wallet, the empty wallets never asked.
#[tokio::test]
async fn binance_wallets_only_account_comes_back_wallet_by_wallet() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("binance", "wallets only").unwrap();
    sim.reset_counts();
    let ep = endpoint(&sim, ExchangeId::Binance);
    let snap = client()
        .fetch(ExchangeId::Binance, &ep, &creds(&a), false)
        .await
        .unwrap();
    assert_eq!(
        okx_rows(&snap),
        vec![
            (Wallet::Funding, "BTC".into(), dec("0.01")),
            (Wallet::EarnFlexible, "ETH".into(), dec("0.5")),
            (Wallet::EarnLocked, "SOL".into(), dec("20")),
            (Wallet::UsdmFutures, "USDC".into(), dec("100")),
            (Wallet::Funding, "USDT".into(), dec("1200.5")),
            (Wallet::EarnFlexible, "USDT".into(), dec("3000")),
            (Wallet::UsdmFutures, "USDT".into(), dec("2500.75")),
        ]
    );
    // Valued at the sim's prices, the account is worth what its wallets hold.
    let price = |asset: &str| match asset {
        "BTC" => dec("64000"),
        "ETH" => dec("3200"),
        "SOL" => dec("150"),
        "USDC" => dec("1.0001"),
        _ => dec("1"),
    };
    let worth: rust_decimal::Decimal = okx_rows(&snap).iter().map(|r| r.2 * price(&r.1)).sum();
    assert_eq!(worth, dec("12041.26"));
    assert!(snap.unreadable.is_empty(), "{:?}", snap.unreadable);
    assert_eq!(
        snap.weight,
        20 + 60 + 1 + 1 + 150 + 150 + 5,
        "spot, overview, account info, four wallets"
    );
    for (path, n) in [
        ("/api/v3/account", 1),
        ("/sapi/v1/asset/wallet/balance", 1),
        ("/sapi/v1/account/info", 1),
        ("/sapi/v1/asset/get-funding-asset", 1),
        ("/sapi/v1/simple-earn/flexible/position", 1),
        ("/sapi/v1/simple-earn/locked/position", 1),
        ("/fapi/v3/account", 1),
        ("/sapi/v1/margin/account", 0),
        ("/sapi/v1/margin/isolated/account", 0),
        ("/dapi/v1/balance", 0),
        ("/papi/v1/balance", 0),
    ] {
        assert_eq!(sim.request_count_for(&a.api_key, path), n, "{path}");
    }

    // The rich account: spot beside every other wallet, a margin debt kept negative,
    // and its LD-free spot rows untouched.
    let rich = sim.account_on("binance", "read-only").unwrap();
    let snap = client()
        .fetch(ExchangeId::Binance, &ep, &creds(&rich), false)
        .await
        .unwrap();
    let row = |wallet: Wallet, asset: &str| {
        snap.balances
            .iter()
            .find(|b| b.wallet == wallet && b.asset == asset)
            .map(|b| b.total.clone())
    };
    assert_eq!(
        snap.weight,
        20 + 60 + 1 + 1 + 150 + 150 + 10 + 5 + 1,
        "spot, overview, account info, funding, both Simple Earn, cross margin, both futures"
    );
    assert_eq!(
        row(Wallet::CrossMargin, "USDC").as_deref(),
        Some("-50.00000000")
    );
    assert_eq!(
        row(Wallet::CoinmFutures, "BTC").as_deref(),
        Some("0.10000000")
    );
    assert_eq!(row(Wallet::Funding, "BNB").as_deref(), Some("1.75"));
    assert_eq!(
        row(Wallet::Spot, "USDT").as_deref(),
        Some("123456790512.12345678")
    );
}

/// A Portfolio Margin account (issue #24: unified accounts read once): its unified wallet
/// is CCXT's recording of `GET /papi/v1/balance`, and the sim's overview also names its
/// parts under Cross Margin, USDⓈ-M and COIN-M. keyfolio reads the unified wallet alone:
/// each asset's total is Binance's own `totalWalletBalance` less what is borrowed and its
/// interest, and the cross margin and futures wallets are never asked, so nothing counts
/// twice.
#[tokio::test]
async fn binance_portfolio_margin_is_read_once_as_binance_totals_it() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("binance", "portfolio margin").unwrap();
    sim.reset_counts();
    let snap = client()
        .fetch(
            ExchangeId::Binance,
            &endpoint(&sim, ExchangeId::Binance),
            &creds(&a),
            false,
        )
        .await
        .unwrap();
    assert!(snap.unreadable.is_empty(), "{:?}", snap.unreadable);
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/wallets/binance.json")).unwrap();
    let recorded = fixture["answers"]["portfolio_margin"]["httpResponse"]
        .as_array()
        .unwrap();
    let unified: Vec<_> = okx_rows(&snap)
        .into_iter()
        .filter(|r| r.0 == Wallet::PortfolioMargin)
        .collect();
    assert_eq!(unified.len(), recorded.len());
    for entry in recorded {
        let f = |k: &str| dec(entry[k].as_str().unwrap());
        let binance = f("totalWalletBalance") - f("crossMarginBorrowed") - f("crossMarginInterest");
        let asset = entry["asset"].as_str().unwrap();
        let ours = unified.iter().find(|r| r.1 == asset).map(|r| r.2);
        assert_eq!(ours, Some(binance), "{asset}");
    }
    let others: Vec<Wallet> = snap.balances.iter().map(|b| b.wallet).collect();
    assert!(
        others
            .iter()
            .all(|w| matches!(w, Wallet::Spot | Wallet::Funding | Wallet::PortfolioMargin)),
        "{others:?}"
    );
    // Valued at the sim's prices: spot 0.02 BTC × 64000 + 100 USDT = 1380; Funding 25
    // USDT; the unified account, per asset net of debt, 0.00057786 ETH × 3200 = 1.849152,
    // 136.0343262 USDT, 0.000636 LTC × 80 = 0.05088, −0.00017186 USDC × 1.0001 =
    // −0.000171877186, 10.0325 ADA × 0.45 = 4.514625: 142.448811322814. In all
    // 1380 + 25 + 142.448811322814 = 1547.448811322814.
    let price = |asset: &str| match asset {
        "BTC" => dec("64000"),
        "ETH" => dec("3200"),
        "LTC" => dec("80"),
        "ADA" => dec("0.45"),
        "USDC" => dec("1.0001"),
        _ => dec("1"),
    };
    let worth: rust_decimal::Decimal = okx_rows(&snap).iter().map(|r| r.2 * price(&r.1)).sum();
    assert_eq!(worth, dec("1547.448811322814"));
    assert_eq!(
        snap.weight,
        20 + 60 + 1 + 1 + 20,
        "spot, overview, account info, funding, Portfolio Margin"
    );
    for (path, n) in [
        ("/sapi/v1/account/info", 1),
        ("/papi/v1/balance", 1),
        ("/sapi/v1/asset/get-funding-asset", 1),
        ("/sapi/v1/margin/account", 0),
        ("/fapi/v3/account", 0),
        ("/dapi/v1/balance", 0),
    ] {
        assert_eq!(sim.request_count_for(&a.api_key, path), n, "{path}");
    }
}

/// A key without "Enable Futures": the other wallets count, USDⓈ-M futures is listed as
/// unreadable, and the next round does not ask for it again.
#[tokio::test]
async fn binance_futures_refused_is_an_unreadable_wallet_not_a_failed_sync() {
    let sim = Simulator::start(0).await.unwrap();
    let a = sim.account_on("binance", "no futures").unwrap();
    let ep = endpoint(&sim, ExchangeId::Binance);
    let c = client();
    sim.reset_counts();
    let snap = c
        .fetch(ExchangeId::Binance, &ep, &creds(&a), true)
        .await
        .unwrap();
    let wallets: Vec<Wallet> = snap.balances.iter().map(|b| b.wallet).collect();
    assert!(wallets.contains(&Wallet::Funding) && wallets.contains(&Wallet::EarnFlexible));
    assert!(
        !wallets.contains(&Wallet::UsdmFutures),
        "{:?}",
        snap.balances
    );
    assert_eq!(snap.unreadable.len(), 1, "{:?}", snap.unreadable);
    let refused = &snap.unreadable[0];
    assert_eq!(refused.wallet, Wallet::UsdmFutures);
    assert!(
        keyfolio::exchange::wallets::is_unreadable(refused.kind),
        "{refused:?}"
    );
    assert_eq!(sim.request_count_for(&a.api_key, "/fapi/v3/account"), 1);

    let again = c
        .fetch_skipping(
            ExchangeId::Binance,
            &ep,
            &creds(&a),
            false,
            &snap.unreadable,
        )
        .await
        .unwrap();
    assert_eq!(again.unreadable, snap.unreadable, "still listed, not asked");
    assert_eq!(
        sim.request_count_for(&a.api_key, "/fapi/v3/account"),
        1,
        "no futures request the second time"
    );
    assert_eq!(again.balances, snap.balances);
}

#[tokio::test]
async fn binance_tells_when_trading_ends_on_a_key_without_an_ip_restriction() {
    let sim = Simulator::start(0).await.unwrap();
    let c = client();
    let fetch = |purpose: &'static str| {
        let a = sim.account_on("binance", purpose).unwrap();
        let c = &c;
        let sim = &sim;
        async move {
            c.fetch(
                ExchangeId::Binance,
                &endpoint(sim, ExchangeId::Binance),
                &creds(&a),
                true,
            )
            .await
            .unwrap()
        }
    };
    let trade = fetch("trade").await;
    let ends = trade
        .expiry
        .trading_ends_at
        .expect("a trading key bound to no IP");
    let days = (ends - chrono::Utc::now()).num_days();
    assert!((59..=60).contains(&days), "{days}");
    assert_eq!(
        trade.expiry.key_expires_at, None,
        "the key itself keeps reading"
    );
    let read_only = fetch("read-only").await;
    assert_eq!(
        read_only.expiry,
        Default::default(),
        "no trading, nothing ends"
    );
}
