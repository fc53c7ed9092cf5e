//! The exchange simulator driven by the real CCXT client: balances, raw endpoints,
//! and every failure mode mapped to its CCXT error class.

use ccxt::Value;
use ccxt::exchanges::binance::BinanceCore;
use ccxt::exchanges::okx::OkxCore;
use ccxt::runtime::call_typed;
use keyfolio::exchange::sim::{Fault, SimAccount, SimHandle, Simulator, okx_signature};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn sim() -> SimHandle {
    Simulator::start(0).await.expect("simulator starts")
}

fn acct(h: &SimHandle, exchange: &str, purpose: &str) -> SimAccount {
    h.account_on(exchange, purpose).expect("seeded account")
}

/// The CCXT config the app uses for Binance against the simulator.
fn binance_cfg(h: &SimHandle, a: &SimAccount) -> Value {
    let api = format!("{}/binance", h.base_url);
    Value::from_json(&json!({
        "apiKey": a.api_key,
        "secret": a.secret,
        "enableRateLimit": false,
        "timeout": 2000,
        "urls": { "api": {
            "public": format!("{api}/api/v3"),
            "private": format!("{api}/api/v3"),
            "sapi": format!("{api}/sapi/v1"),
        }},
        "options": { "fetchMarkets": { "types": ["spot"] } },
    }))
}

/// The CCXT config the app uses for OKX against the simulator.
fn okx_cfg(h: &SimHandle, a: &SimAccount) -> Value {
    Value::from_json(&json!({
        "apiKey": a.api_key,
        "secret": a.secret,
        "password": a.passphrase,
        "enableRateLimit": false,
        "timeout": 2000,
        "urls": { "api": { "rest": format!("{}/okx", h.base_url) } },
        "options": { "fetchMarkets": { "types": ["spot"] } },
    }))
}

fn empty() -> Value {
    Value::from_json(&json!({}))
}

async fn binance_balance_err(h: &SimHandle, a: &SimAccount) -> ccxt::ExchangeError {
    let mut ex = ccxt::Binance::new(Some(binance_cfg(h, a)));
    ex.fetch_balance(empty()).await.expect_err("must fail")
}

async fn okx_balance_err(h: &SimHandle, a: &SimAccount) -> ccxt::ExchangeError {
    let mut core = OkxCore::new(Some(okx_cfg(h, a)));
    call_typed(core.private_get_account_balance(&[empty()]))
        .await
        .expect_err("must fail")
}

fn assert_class(err: &ccxt::ExchangeError, class: &str, needle: &str) {
    assert!(err.is(class), "expected {class}, got {err}");
    assert!(
        err.to_string().contains(needle),
        "expected {needle:?} in {err}"
    );
}

/// A bare HTTP/1.1 GET: (status, raw head, body).
async fn raw_get(h: &SimHandle, path: &str, headers: &[(&str, String)]) -> (u16, String, String) {
    let addr = h.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

fn okx_headers(a: &SimAccount, path: &str, demo: bool) -> Vec<(&'static str, String)> {
    let ts = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut v = vec![
        ("OK-ACCESS-KEY", a.api_key.clone()),
        ("OK-ACCESS-PASSPHRASE", a.passphrase.clone().unwrap()),
        (
            "OK-ACCESS-SIGN",
            okx_signature(&a.secret, &ts, "GET", path, ""),
        ),
        ("OK-ACCESS-TIMESTAMP", ts),
    ];
    if demo {
        v.push(("x-simulated-trading", "1".into()));
    }
    v
}

// ---------------------------------------------------------------- Binance

#[tokio::test]
async fn binance_fetch_balance_with_hmac_key() {
    let h = sim().await;
    let a = acct(&h, "binance", "read-only");
    let mut ex = ccxt::Binance::new(Some(binance_cfg(&h, &a)));
    let b = ex.fetch_balance(empty()).await.expect("balance");
    assert_eq!(b.free["BTC"], 0.51234567);
    assert_eq!(b.used["BTC"], 0.1);
    assert_eq!(b.total["ETH"], 12.5);
    assert_eq!(b.free["BNB"], 0.00000012);
    // The raw answer keeps the exact decimal string that an f64 cannot hold.
    let raw = format!("{:?}", b.info);
    assert!(raw.contains("123456789012.12345678"), "{raw}");

    // First call: load_markets (currencies + markets) then the account.
    for (path, n) in [
        ("/sapi/v1/capital/config/getall", 1),
        ("/sapi/v1/margin/allPairs", 2),
        ("/sapi/v1/margin/isolated/allPairs", 1),
        ("/api/v3/exchangeInfo", 1),
        ("/api/v3/account", 1),
    ] {
        assert_eq!(h.request_count(path), n, "{path}");
    }
    // Later calls only hit the account.
    ex.fetch_balance(empty()).await.expect("balance again");
    assert_eq!(h.request_count("/api/v3/account"), 2);
    assert_eq!(h.request_count("/api/v3/exchangeInfo"), 1);
    assert_eq!(h.request_count_for(&a.api_key, "/api/v3/account"), 2);
    assert_eq!(
        h.total_requests_for(&a.api_key),
        6,
        "exchangeInfo is public, sent without the key"
    );
    assert_eq!(h.status_count(429) + h.status_count(418), 0);
}

#[tokio::test]
async fn binance_fetch_balance_with_ed25519_key() {
    let h = sim().await;
    let a = acct(&h, "binance", "ed25519");
    assert!(a.secret.starts_with("-----BEGIN PRIVATE KEY-----"));
    let mut ex = ccxt::Binance::new(Some(binance_cfg(&h, &a)));
    let b = ex.fetch_balance(empty()).await.expect("balance");
    assert_eq!(b.free["ETH"], 1.23456789);
}

#[tokio::test]
async fn binance_raw_endpoints() {
    let h = sim().await;
    let a = acct(&h, "binance", "read-only");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &a)));
    let r = call_typed(core.sapi_get_account_api_restrictions(&[empty()]))
        .await
        .unwrap();
    let r = r.to_json();
    assert_eq!(r["ipRestrict"], false);
    assert_eq!(r["enableReading"], true);
    assert_eq!(r["enableWithdrawals"], false);
    assert_eq!(r["enableSpotAndMarginTrading"], false);
    let acc = call_typed(core.private_get_account(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(acc["canTrade"], false);
    let usdt = acc["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USDT")
        .unwrap();
    assert_eq!(usdt["free"], "123456789012.12345678");

    let ip = acct(&h, "binance", "ip restricted");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &ip)));
    let r = call_typed(core.sapi_get_account_api_restrictions(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(r["ipRestrict"], true);
    assert_eq!(r["enableSpotAndMarginTrading"], true);

    let wd = acct(&h, "binance", "withdraw enabled");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &wd)));
    let r = call_typed(core.sapi_get_account_api_restrictions(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(r["enableWithdrawals"], true);
}

/// Portfolio Margin: the account info and `/papi/v1/balance` answer a signed request in
/// Binance's shape, and refuse what the other signed endpoints refuse: a wrong secret
/// (-1022), and `papi` for an account that is not a Portfolio Margin account (-2015).
#[tokio::test]
async fn binance_portfolio_margin_endpoints() {
    let h = sim().await;
    let core = |a: &SimAccount| {
        let mut cfg = binance_cfg(&h, a).to_json();
        cfg["urls"]["api"]["papi"] = format!("{}/binance/papi/v1", h.base_url).into();
        BinanceCore::new(Some(Value::from_json(&cfg)))
    };
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/wallets/binance.json")).unwrap();
    let recorded = &fixture["answers"]["portfolio_margin"]["httpResponse"];
    for (purpose, is_pm) in [("portfolio margin", true), ("read-only", false)] {
        let mut core = core(&acct(&h, "binance", purpose));
        let info = call_typed(core.sapi_get_account_info(&[empty()]))
            .await
            .unwrap()
            .to_json();
        assert_eq!(info["isPortfolioMarginRetailEnabled"], is_pm, "{purpose}");
        let rows = call_typed(core.papi_get_balance(&[empty()])).await;
        if is_pm {
            assert_eq!(&rows.unwrap().to_json(), recorded, "CCXT's recorded answer");
        } else {
            let err = rows.expect_err("not a Portfolio Margin account");
            assert_class(&err, "AuthenticationError", "-2015");
        }
    }
    let wrong_secret = SimAccount {
        secret: "y".repeat(64),
        ..acct(&h, "binance", "portfolio margin")
    };
    let mut core = core(&wrong_secret);
    let err = call_typed(core.papi_get_balance(&[empty()]))
        .await
        .expect_err("bad signature");
    assert_class(&err, "AuthenticationError", "-1022");
    assert_eq!(h.request_count("/papi/v1/balance"), 3);
}

#[tokio::test]
async fn binance_auth_failures() {
    let h = sim().await;
    let good = acct(&h, "binance", "read-only");

    let unknown = SimAccount {
        api_key: "x".repeat(64),
        ..good.clone()
    };
    assert_class(
        &binance_balance_err(&h, &unknown).await,
        "AuthenticationError",
        "-2015",
    );

    let malformed = SimAccount {
        api_key: "short-key".into(),
        ..good.clone()
    };
    assert_class(
        &binance_balance_err(&h, &malformed).await,
        "AuthenticationError",
        "-2014",
    );

    let wrong_secret = SimAccount {
        secret: "y".repeat(64),
        ..good.clone()
    };
    assert_class(
        &binance_balance_err(&h, &wrong_secret).await,
        "AuthenticationError",
        "-1022",
    );

    let skewed = acct(&h, "binance", "clock skew");
    assert_class(
        &binance_balance_err(&h, &skewed).await,
        "InvalidNonce",
        "-1021",
    );

    let blocked = acct(&h, "binance", "ip not whitelisted");
    assert_class(
        &binance_balance_err(&h, &blocked).await,
        "AuthenticationError",
        "-2015",
    );

    // A key without the reading permission is refused with the same -2015.
    let no_read = SimAccount {
        api_key: "N".repeat(64),
        perms: Default::default(),
        ..good.clone()
    };
    h.add_account(no_read.clone());
    assert_class(
        &binance_balance_err(&h, &no_read).await,
        "AuthenticationError",
        "-2015",
    );

    h.set_fault(&good.api_key, Some(Fault::WrongRegion));
    assert_class(
        &binance_balance_err(&h, &good).await,
        "AuthenticationError",
        "-2015",
    );
    h.set_fault(&good.api_key, None);
}

#[tokio::test]
async fn binance_server_clock_offset() {
    let h = sim().await;
    let a = acct(&h, "binance", "read-only");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &a)));
    // Server 20 s ahead: the client's timestamp is older than recvWindow (CCXT sends 10000).
    h.set_clock_offset_ms(20_000);
    let e = call_typed(core.private_get_account(&[empty()]))
        .await
        .unwrap_err();
    assert_class(&e, "InvalidNonce", "outside of the recvWindow");
    let t = call_typed(core.public_get_time(&[empty()]))
        .await
        .unwrap()
        .to_json();
    let server = t["serverTime"].as_i64().unwrap();
    assert!(server - chrono::Utc::now().timestamp_millis() > 19_000);
    // Server 5 s behind: the client's timestamp is ahead.
    h.set_clock_offset_ms(-5_000);
    let e = call_typed(core.private_get_account(&[empty()]))
        .await
        .unwrap_err();
    assert_class(&e, "InvalidNonce", "1000ms ahead");
    h.set_clock_offset_ms(0);
    call_typed(core.private_get_account(&[empty()]))
        .await
        .expect("in sync again");
}

#[tokio::test]
async fn binance_faults() {
    let h = sim().await;
    let a = acct(&h, "binance", "trade");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &a)));
    let mut raw = async |fault| {
        h.set_fault(&a.api_key, Some(fault));
        call_typed(core.private_get_account(&[empty()])).await
    };

    let e = raw(Fault::RateLimitBurst).await.unwrap_err();
    assert_class(&e, "DDoSProtection", "429");
    let e = raw(Fault::Ban418).await.unwrap_err();
    assert_class(&e, "DDoSProtection", "418");
    let e = raw(Fault::Html5xx).await.unwrap_err();
    assert_class(&e, "ExchangeNotAvailable", "502");
    let e = raw(Fault::Hang).await.unwrap_err();
    assert!(e.is("NetworkError"), "{e}");
    let e = raw(Fault::ResetConnection).await.unwrap_err();
    assert!(e.is("NetworkError"), "{e}");

    // 200 with a body that is not JSON: the raw endpoint hands back the text as Value::Str.
    let v = raw(Fault::NonJson200).await.expect("no error raised");
    assert!(
        matches!(&v, Value::Str(t) if t.starts_with("<!DOCTYPE html>")),
        "{v:?}"
    );
    let v = raw(Fault::Truncated200).await.expect("no error raised");
    assert!(
        matches!(&v, Value::Str(t) if t.starts_with("{\"makerCommission\"")),
        "{v:?}"
    );

    // ... and the typed fetch_balance quietly returns an empty balance.
    h.set_fault(&a.api_key, None);
    let mut ex = ccxt::Binance::new(Some(binance_cfg(&h, &a)));
    ex.load_markets(false).await;
    h.set_fault(&a.api_key, Some(Fault::NonJson200));
    let b = ex
        .fetch_balance(empty())
        .await
        .expect("CCXT does not notice");
    assert!(b.total.is_empty(), "{:?}", b.total);

    h.set_fault(&a.api_key, Some(Fault::SlowMs(300)));
    let t0 = std::time::Instant::now();
    raw(Fault::SlowMs(300)).await.expect("slow but fine");
    assert!(t0.elapsed().as_millis() >= 300);
}

#[tokio::test]
async fn binance_weight_limit_then_ban() {
    let h = sim().await;
    // exchangeInfo weighs 20: 300 calls use the whole 6000 of this minute.
    let mut last_weight = String::new();
    for _ in 0..300 {
        let (status, head, _) = raw_get(&h, "/binance/api/v3/exchangeInfo", &[]).await;
        if status != 200 {
            // The minute rolled over mid-loop; the rest of the test would be meaningless.
            return;
        }
        last_weight = head
            .lines()
            .find(|l| l.to_lowercase().starts_with("x-mbx-used-weight-1m"))
            .unwrap()
            .to_string();
    }
    assert!(last_weight.ends_with("6000"), "{last_weight}");
    let (status, head, body) = raw_get(&h, "/binance/api/v3/time", &[]).await;
    if status == 200 {
        return; // new minute
    }
    assert_eq!(status, 429, "{body}");
    assert!(head.to_lowercase().contains("retry-after:"));
    assert!(body.contains("-1003"));
    let (status, head, body) = raw_get(&h, "/binance/api/v3/ping", &[]).await;
    assert_eq!(status, 418, "{body}");
    assert!(head.to_lowercase().contains("retry-after:"));
    assert!(body.contains("IP banned until"));
    assert_eq!(h.status_count(429), 1);
    // SAPI never bans with 418; with CCXT the ban is a DDoSProtection error.
    let a = acct(&h, "binance", "read-only");
    let mut core = BinanceCore::new(Some(binance_cfg(&h, &a)));
    let e = call_typed(core.private_get_account(&[empty()]))
        .await
        .unwrap_err();
    assert_class(&e, "DDoSProtection", "418");
}

// ---------------------------------------------------------------- OKX

#[tokio::test]
async fn okx_fetch_balance() {
    let h = sim().await;
    let a = acct(&h, "okx", "read-only");
    let mut ex = ccxt::Okx::new(Some(okx_cfg(&h, &a)));
    let b = ex.fetch_balance(empty()).await.expect("balance");
    assert_eq!(b.free["BTC"], 1.2);
    assert_eq!(b.used["BTC"], 0.05);
    assert_eq!(b.free["PEPE"], 0.00000012);
    assert!(format!("{:?}", b.info).contains("123456789012.12345678"));
    for (path, n) in [
        ("/api/v5/asset/currencies", 1),
        ("/api/v5/public/instruments", 1),
        ("/api/v5/account/balance", 1),
    ] {
        assert_eq!(h.request_count(path), n, "{path}");
    }
    ex.fetch_balance(empty()).await.expect("balance again");
    assert_eq!(h.request_count("/api/v5/account/balance"), 2);
    assert_eq!(h.request_count("/api/v5/public/instruments"), 1);
    assert_eq!(h.request_count("/api/v5/asset/currencies"), 1);
}

#[tokio::test]
async fn okx_raw_endpoints() {
    let h = sim().await;
    let a = acct(&h, "okx", "read-only");
    let mut core = OkxCore::new(Some(okx_cfg(&h, &a)));
    let cfg = call_typed(core.private_get_account_config(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(cfg["data"][0]["perm"], "read_only");
    assert_eq!(cfg["data"][0]["label"], "keyfolio read-only");
    let bal = call_typed(core.private_get_account_balance(&[empty()]))
        .await
        .unwrap()
        .to_json();
    let usdt = bal["data"][0]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ccy"] == "USDT")
        .unwrap()
        .clone();
    assert_eq!(usdt["availBal"], "123456789012.12345678");
    assert_eq!(usdt["frozenBal"], "2500.5");
    assert_eq!(usdt["eq"], "123456791512.62345678");

    let wd = acct(&h, "okx", "withdraw enabled");
    let mut core = OkxCore::new(Some(okx_cfg(&h, &wd)));
    let cfg = call_typed(core.private_get_account_config(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(cfg["data"][0]["perm"], "read_only,trade,withdraw");

    let ip = acct(&h, "okx", "ip restricted");
    let mut core = OkxCore::new(Some(okx_cfg(&h, &ip)));
    let cfg = call_typed(core.private_get_account_config(&[empty()]))
        .await
        .unwrap()
        .to_json();
    assert_eq!(cfg["data"][0]["ip"], "127.0.0.1,::1");
}

#[tokio::test]
async fn okx_auth_failures() {
    let h = sim().await;
    let good = acct(&h, "okx", "read-only");

    let unknown = SimAccount {
        api_key: "00000000-0000-4000-8000-000000000000".into(),
        ..good.clone()
    };
    assert_class(
        &okx_balance_err(&h, &unknown).await,
        "AuthenticationError",
        "50111",
    );
    let bad_pass = SimAccount {
        passphrase: Some("nope".into()),
        ..good.clone()
    };
    assert_class(
        &okx_balance_err(&h, &bad_pass).await,
        "AuthenticationError",
        "50105",
    );
    let bad_secret = SimAccount {
        secret: "ABCDEF0123456789ABCDEF0123456789".into(),
        ..good.clone()
    };
    assert_class(
        &okx_balance_err(&h, &bad_secret).await,
        "AuthenticationError",
        "50113",
    );

    // 50119 comes with HTTP 200; CCXT has no mapping for it, so it is a plain ExchangeError.
    let region = acct(&h, "okx", "wrong region");
    assert_class(
        &okx_balance_err(&h, &region).await,
        "ExchangeError",
        "50119",
    );
    assert_eq!(h.status_count(200), 1);

    h.set_fault(&good.api_key, Some(Fault::IpNotWhitelisted));
    assert_class(
        &okx_balance_err(&h, &good).await,
        "PermissionDenied",
        "50110",
    );
    h.set_fault(&good.api_key, Some(Fault::ClockSkewMs(-40_000)));
    assert_class(&okx_balance_err(&h, &good).await, "InvalidNonce", "50102");
    h.set_fault(&good.api_key, None);
    h.set_clock_offset_ms(31_000);
    assert_class(&okx_balance_err(&h, &good).await, "InvalidNonce", "50102");
    h.set_clock_offset_ms(0);
}

#[tokio::test]
async fn okx_demo_environment() {
    let h = sim().await;
    let demo = acct(&h, "okx", "demo");
    // CCXT 4.5.91 (Rust) never puts its `headers` (where set_sandbox_mode stores
    // x-simulated-trading) on the wire, so a demo key through CCXT looks live: 50101.
    assert_class(
        &okx_balance_err(&h, &demo).await,
        "AuthenticationError",
        "50101",
    );

    let path = "/api/v5/account/balance";
    let (status, _, body) =
        raw_get(&h, &format!("/okx{path}"), &okx_headers(&demo, path, true)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"code\":\"0\""));
    let live = acct(&h, "okx", "read-only");
    let (status, _, body) =
        raw_get(&h, &format!("/okx{path}"), &okx_headers(&live, path, true)).await;
    assert_eq!(status, 401);
    assert!(body.contains("50101") && body.contains("APIKey does not match current environment"));
    let (status, _, body) =
        raw_get(&h, &format!("/okx{path}"), &okx_headers(&live, path, false)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn okx_rate_limit_and_faults() {
    let h = sim().await;
    let a = acct(&h, "okx", "trade");
    let mut core = OkxCore::new(Some(okx_cfg(&h, &a)));
    // account/config allows 5 requests per 2 s per account.
    for _ in 0..5 {
        call_typed(core.private_get_account_config(&[empty()]))
            .await
            .expect("within limit");
    }
    let e = call_typed(core.private_get_account_config(&[empty()]))
        .await
        .unwrap_err();
    assert_class(&e, "RateLimitExceeded", "50011");
    assert_eq!(h.status_count(429), 1);

    let mut raw = async |fault| {
        h.set_fault(&a.api_key, Some(fault));
        call_typed(core.private_get_account_balance(&[empty()])).await
    };
    assert_class(
        &raw(Fault::RateLimitBurst).await.unwrap_err(),
        "RateLimitExceeded",
        "50011",
    );
    assert_class(
        &raw(Fault::Html5xx).await.unwrap_err(),
        "ExchangeNotAvailable",
        "503",
    );
    assert!(raw(Fault::Hang).await.unwrap_err().is("NetworkError"));
    assert!(
        raw(Fault::ResetConnection)
            .await
            .unwrap_err()
            .is("NetworkError")
    );
    let v = raw(Fault::NonJson200).await.expect("no error raised");
    assert!(
        matches!(&v, Value::Str(t) if t.contains("maintenance")),
        "{v:?}"
    );
    let v = raw(Fault::Truncated200).await.expect("no error raised");
    assert!(
        matches!(&v, Value::Str(t) if t.starts_with("{\"code\":\"0\"")),
        "{v:?}"
    );
}

#[tokio::test]
async fn listing_and_generated_accounts() {
    let h = sim().await;
    let listing = keyfolio::exchange::sim::listing_json(&h);
    assert_eq!(listing["base_url"], h.base_url.as_str());
    let accounts = listing["accounts"].as_array().unwrap();
    // Binance's and OKX's seeded accounts (10 and 7: Binance's "wallets only", "no
    // futures" and "portfolio margin", OKX's "funding and savings" among them), one
    // read-only account per replayed exchange, and Coinbase's second (Ed25519) key.
    let coinbase_ed25519 = usize::from(keyfolio::model::ExchangeId::parse("coinbase").is_some());
    assert_eq!(
        accounts.len(),
        17 + keyfolio::exchange::sim::replay::exchanges().len() + coinbase_ed25519
    );
    assert!(
        accounts
            .iter()
            .all(|a| a["base_url"] == format!("{}/{}", h.base_url, a["exchange"].as_str().unwrap())),
        "each account names its endpoint"
    );
    assert_eq!(h.account("okx:demo").unwrap().exchange, "okx");
    assert_eq!(h.account("read-only").unwrap().exchange, "binance");

    let template = acct(&h, "binance", "read-only");
    let extra = SimAccount {
        api_key: "Z".repeat(64),
        purpose: "generated 1".into(),
        ..template
    };
    h.add_account(extra.clone());
    h.set_balance(&extra.api_key, "DOGE", "1000.5", "0");
    let mut ex = ccxt::Binance::new(Some(binance_cfg(&h, &extra)));
    let b = ex.fetch_balance(empty()).await.expect("balance");
    assert_eq!(b.free["DOGE"], 1000.5);
    h.reset_counts();
    assert_eq!(h.request_count("/api/v3/account"), 0);
    h.shutdown();
}
