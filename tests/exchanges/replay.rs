//! Every compiled-in exchange beyond Binance and OKX, through keyfolio's real CCXT client
//! against the simulator's replay of answers CCXT recorded from that exchange
//! (tests/fixtures/replay): balances to the last digit, and each failure named.

use keyfolio::exchange::ccxt::ExchangeClient;
use keyfolio::exchange::sim::{Fault, SimHandle, Simulator, replay};
use keyfolio::model::{
    AccountSnapshot, Credentials, Endpoint, ExchangeId, Failure, FailureKind, Wallet,
};
use rust_decimal::Decimal;
use serde_json::Value;
use std::time::Duration;

async fn sim() -> SimHandle {
    Simulator::start(0).await.expect("simulator starts")
}

fn creds(h: &SimHandle, id: &str) -> Credentials {
    let a = h.account_on(id, "read-only").expect("seeded account");
    Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref())
}

/// The replay mount of `id`.
fn endpoint(h: &SimHandle, id: &str) -> Endpoint {
    Endpoint {
        base_url: Some(format!("{}/{id}", h.base_url)),
        sandbox: false,
    }
}

async fn fetch_with(
    h: &SimHandle,
    id: &str,
    creds: &Credentials,
) -> Result<AccountSnapshot, Failure> {
    let endpoint = endpoint(h, id);
    let client = ExchangeClient::new(Duration::from_secs(5));
    let exchange = ExchangeId::parse(id).expect("compiled in");
    client.fetch(exchange, &endpoint, creds, true).await
}

async fn fetch(h: &SimHandle, id: &str) -> Result<AccountSnapshot, Failure> {
    fetch_with(h, id, &creds(h, id)).await
}

/// The answer the replay serves for the balance request, as JSON text.
fn served_answer(id: &str) -> String {
    let fixture = replay::fixture(id).unwrap();
    let balance = &fixture["replay"]["requests"][0];
    let answer = match &balance["answer"] {
        Value::String(p) if p == "balance.answer" => &fixture["balance"]["answer"],
        other => other,
    };
    let spot = &fixture["replay"]["spot_variant"]["requests"];
    match spot.as_array().and_then(|list| list.last()) {
        Some(spot_balance) => spot_balance["answer"].to_string(),
        None => answer.to_string(),
    }
}

/// Every answer the replay serves for this exchange (the balance call's, its variants',
/// the wallets'), as JSON text: where a wallet's amounts must come from.
fn every_served_answer(id: &str) -> String {
    let fixture = replay::fixture(id).unwrap();
    let mut text = fixture["balance"]["answer"].to_string();
    for list in [
        &fixture["replay"]["requests"],
        &fixture["replay"]["spot_variant"]["requests"],
        &fixture["replay"]["wallets"]["requests"],
    ] {
        for r in list.as_array().into_iter().flatten() {
            text.push_str(&r["answer"].to_string());
        }
    }
    text
}

/// The wallet table of a compiled-in exchange.
fn table(id: &str) -> &'static keyfolio::exchange::wallets::Wallets {
    keyfolio::exchange::wallets::of(ExchangeId::parse(id).expect("compiled in"))
}

/// CCXT's parsed `total` map without its zero amounts, by asset.
fn non_zero(totals: &Value) -> Vec<(String, f64)> {
    let mut list: Vec<(String, f64)> = totals
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(code, t)| Some((code.clone(), t.as_f64()?)))
        .filter(|(_, t)| *t != 0.0)
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list
}

/// One wallet's totals, by asset.
fn totals_in(snapshot: &AccountSnapshot, wallet: Wallet) -> Vec<(String, f64)> {
    snapshot
        .balances
        .iter()
        .filter(|b| b.wallet == wallet)
        .map(|b| (b.asset.clone(), b.total.parse::<f64>().unwrap()))
        .collect()
}

/// Whether the replay serves CCXT's recording (not a minimal answer in the documented shape).
fn recorded(id: &str) -> bool {
    let fixture = replay::fixture(id).unwrap();
    fixture["replay"]["requests"][0]["answer"] == "balance.answer"
        && fixture["replay"]["spot_variant"].is_null()
}

#[tokio::test]
async fn every_replayed_exchange_syncs_its_balances_to_the_last_digit() {
    let h = sim().await;
    assert!(replay::exchanges().len() >= 8, "{:?}", replay::exchanges());
    for id in replay::exchanges() {
        let snapshot = fetch(&h, id)
            .await
            .unwrap_or_else(|f| panic!("{id}: {f:?}"));
        assert!(!snapshot.balances.is_empty(), "{id}: no balances");
        // Permissions and the account are read where the exchange has a request for them.
        // Gate tells only the account, BloFin's and Gate's answers never a guess.
        let tells = keyfolio::exchange::key_info::call_for(id).is_some();
        let told = snapshot.permissions.is_some() || snapshot.account_id.is_some();
        assert_eq!(
            told, tells,
            "{id}: {:?} {:?}",
            snapshot.permissions, snapshot.account_id
        );
        assert!(
            snapshot.unreadable.is_empty(),
            "{id}: {:?}",
            snapshot.unreadable
        );
        let primary = table(id).primary;
        let answer = served_answer(id);
        let every_answer = every_served_answer(id);
        for b in &snapshot.balances {
            let answer = if b.wallet == primary {
                &answer
            } else {
                &every_answer
            };
            // An exact total is the exchange's own string, the sum of its free and used
            // strings, or (summed by CCXT over several wallets) a decimal short enough for
            // an f64 to keep every digit; otherwise it is marked approximate.
            let sent = |s: &str| s == "0" || answer.contains(s);
            let sum = b.free.parse::<Decimal>().unwrap() + b.used.parse::<Decimal>().unwrap();
            let digits = b
                .total
                .trim_start_matches(['0', '.'])
                .replace('.', "")
                .len();
            if !b.approximate {
                assert!(
                    sent(&b.total)
                        || (sent(&b.free) && sent(&b.used) && sum.to_string() == b.total)
                        || digits <= 15,
                    "{id} {}: total {} is not the exchange's digits ({b:?})",
                    b.asset,
                    b.total
                );
            }
        }
        if recorded(id) {
            // CCXT's own parse of the same answer, recorded with it: same assets, same
            // amounts.
            let parsed = &replay::fixture(id).unwrap()["balance"]["parsed"];
            assert_eq!(
                totals_in(&snapshot, primary),
                non_zero(&parsed["total"]),
                "{id}"
            );
        }
    }
}

#[tokio::test]
async fn amounts_beyond_an_f64_are_marked_approximate() {
    if ExchangeId::parse("blofin").is_none() {
        return;
    }
    let h = sim().await;
    // Blofin's recorded equity and available differ only in the 18th decimal.
    let usdt: Vec<_> = fetch(&h, "blofin")
        .await
        .unwrap()
        .balances
        .into_iter()
        .filter(|b| b.wallet == Wallet::UsdmFutures)
        .collect();
    assert!(usdt[0].approximate, "{usdt:?}");
    assert_eq!(usdt[0].total, "61.33874377565181");
    assert_eq!(usdt[0].used, "0.000000000000000009");
}

#[tokio::test]
async fn each_exchange_names_a_bad_key_a_rate_limit_an_outage_and_a_non_json_answer() {
    let h = sim().await;
    for id in replay::exchanges() {
        let wrong = Credentials::new("kf-unknown-key-0000", "not-the-secret", Some("nope"));
        let f = fetch_with(&h, id, &wrong).await.expect_err(id);
        // MEXC answers an unknown key with its signature error (700002).
        assert!(
            matches!(f.kind, FailureKind::InvalidKey | FailureKind::BadSignature),
            "{id}: {f:?}"
        );

        let key = creds(&h, id).api_key;
        let key = keyfolio::exchange::reveal(&key).to_string();
        for (fault, kind) in [
            (Fault::RateLimitBurst, FailureKind::RateLimited),
            (Fault::Html5xx, FailureKind::ExchangeDown),
            (Fault::NonJson200, FailureKind::UnexpectedResponse),
        ] {
            h.set_fault(&key, Some(fault));
            let f = fetch(&h, id).await.expect_err(id);
            assert_eq!(f.kind, kind, "{id} {fault:?}: {f:?}");
        }
        h.set_fault(&key, None);
        assert!(fetch(&h, id).await.is_ok(), "{id} recovers");
    }
}

#[tokio::test]
async fn a_sync_makes_one_request_and_htx_two_plus_one_per_wallet() {
    let h = sim().await;
    for id in replay::exchanges() {
        let a = h.account_on(id, "read-only").unwrap();
        h.reset_counts();
        fetch(&h, id).await.unwrap();
        // One balance request (HTX: its accounts first), the key-information requests
        // where the exchange has them (HTX: two), and one per wallet beyond the balance
        // call's.
        let expected = 1
            + u64::from(id == "htx")
            + u64::from(keyfolio::exchange::key_info::requests(id))
            + table(id).reads.len() as u64;
        assert_eq!(
            h.total_requests_for(&a.api_key),
            expected,
            "{id}: no account-mode or market look-ups"
        );
    }
}

/// Bybit's and HTX's keys bound to no IP say when they end (Bybit `expiredAt`, HTX
/// `validDays` left): the card warns before the exchange revokes them.
#[tokio::test]
async fn bybit_and_htx_keys_tell_when_they_expire() {
    let h = sim().await;
    for (id, days) in [("bybit", 88), ("htx", 85)] {
        if ExchangeId::parse(id).is_none() {
            continue;
        }
        let snapshot = fetch(&h, id)
            .await
            .unwrap_or_else(|f| panic!("{id}: {f:?}"));
        let ends = snapshot.expiry.key_expires_at.expect(id);
        let hours = (ends - chrono::Utc::now()).num_hours();
        assert!(
            (days * 24 - 1..=days * 24).contains(&hours),
            "{id}: {hours} hours left"
        );
        let p = snapshot.permissions.expect(id);
        assert!(
            p.read && !p.trade && !p.withdraw && !p.ip_restricted,
            "{id}: {p:?}"
        );
    }
}

/// The first request a client sends to a bare listener, as text (head and body).
async fn first_request_to(id: &str, creds: &Credentials) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut seen = vec![0u8; 16 * 1024];
        let n = socket.read(&mut seen).await.unwrap();
        let _ = socket
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        String::from_utf8_lossy(&seen[..n]).into_owned()
    });
    let endpoint = Endpoint {
        base_url: Some(base),
        sandbox: false,
    };
    let client = ExchangeClient::new(Duration::from_secs(5));
    let exchange = ExchangeId::parse(id).unwrap();
    let _ = client.fetch(exchange, &endpoint, creds, false).await;
    server.await.unwrap().to_ascii_lowercase()
}

/// Headers Python ccxt (the client real exchanges see most) sends from each exchange's
/// description: Coinbase's API version, Gate's channel id.
#[tokio::test]
async fn the_reference_clients_own_headers_are_sent() {
    let h = sim().await;
    for (id, header) in [
        ("coinbase", "cb-version: 2018-05-30"),
        ("gate", "x-gate-channel-id: ccxt"),
    ] {
        if ExchangeId::parse(id).is_none() {
            continue;
        }
        let request = first_request_to(id, &creds(&h, id)).await;
        assert!(request.contains(header), "{id}: {request}");
    }
}

/// A secret of the same shape as `secret` that is not it: another EC key for a PEM,
/// another 64 bytes for a base64 secret, one character changed otherwise.
fn another_secret_like(secret: &str) -> String {
    if secret.starts_with("-----BEGIN EC PRIVATE KEY") {
        // Made for this test with `openssl ecparam -name prime256v1 -genkey -noout`.
        return "-----BEGIN EC PRIVATE KEY-----\n\
            MHcCAQEEINS549DA+by0HPpUM258RqEHIIZFp+7y26xV0IEQDyFQoAoGCCqGSM49\n\
            AwEHoUQDQgAE15l6DYsXkPL70J7vO3R1WRYn21fANXbC8T4+4WYFvtnfLcdDTqHR\n\
            0ioF+sBgXK/ClNq9GNzPYfOQag0tTvuPMQ==\n\
            -----END EC PRIVATE KEY-----\n"
            .to_string();
    }
    if secret.len() == 88 && secret.ends_with("==") {
        // 64 random bytes, base64 (an Ed25519 seed and public key, or a Kraken secret).
        return "tt2QuyoxO7PcqwdQMHZjQufqohGLItBeRYvTzGznlTE34elBbd8l+NzLmR0UZHnrikphyFdHRS3ccILDsYHZDg=="
            .to_string();
    }
    let mut chars: Vec<char> = secret.chars().collect();
    let at = chars.len() / 2;
    chars[at] = if chars[at] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

/// The simulator checks each exchange's signature as the exchange documents it, so a
/// known key with the wrong secret (or passphrase) is refused, and keyfolio names it as
/// the trader's to fix (exit 3), never "try again later".
#[tokio::test]
async fn a_wrong_secret_or_passphrase_is_refused_on_every_exchange() {
    let h = sim().await;
    for id in replay::exchanges() {
        for a in h.accounts().into_iter().filter(|a| a.exchange == id) {
            let right = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
            fetch_with(&h, id, &right)
                .await
                .unwrap_or_else(|f| panic!("{id} {}: {f:?}", a.purpose));

            let wrong = another_secret_like(&a.secret);
            let creds = Credentials::new(&a.api_key, &wrong, a.passphrase.as_deref());
            let f = fetch_with(&h, id, &creds).await.expect_err(id);
            assert!(
                matches!(f.kind, FailureKind::BadSignature | FailureKind::InvalidKey),
                "{id} {}: wrong secret: {f:?}",
                a.purpose
            );

            if let Some(passphrase) = &a.passphrase {
                let creds =
                    Credentials::new(&a.api_key, &a.secret, Some(&format!("{passphrase}x")));
                let f = fetch_with(&h, id, &creds).await.expect_err(id);
                assert!(
                    matches!(
                        f.kind,
                        FailureKind::WrongPassphrase
                            | FailureKind::BadSignature
                            | FailureKind::InvalidKey
                    ),
                    "{id}: wrong passphrase: {f:?}"
                );
            }
        }
    }
}

/// The simulator's clock two minutes ahead of the trader's: an exchange that checks
/// timestamps refuses the request as stale, keyfolio measures the offset with CCXT's
/// `fetch_time` (the exchange's public time endpoint, served by the replay without a
/// key), corrects its clock and retries. Where the port has no `fetch_time`, the
/// refusal stands as clock skew.
#[tokio::test]
async fn a_clock_off_by_two_minutes_is_measured_and_corrected() {
    const AHEAD_MS: i64 = 120_000;
    let h = sim().await;
    h.set_clock_offset_ms(AHEAD_MS);

    // Each time endpoint answers without a key, in the simulator's time.
    let http = reqwest::Client::new();
    for id in replay::exchanges() {
        let time = &replay::fixture(id).unwrap()["replay"]["time"];
        let Some(path) = time["path"].as_str() else {
            continue;
        };
        let before = (chrono::Utc::now().timestamp_millis() + AHEAD_MS) / 1000;
        let answer = http
            .get(format!("{}/{id}{path}", h.base_url))
            .send()
            .await
            .unwrap();
        let after = (chrono::Utc::now().timestamp_millis() + AHEAD_MS) / 1000;
        assert_eq!(answer.status(), 200, "{id} {path}");
        let body = answer.text().await.unwrap();
        assert!(
            (before..=after).any(|s| body.contains(&s.to_string())),
            "{id}: {body} is not the simulator's time ({before})"
        );
    }

    for id in replay::exchanges() {
        let time_path = replay::fixture(id).unwrap()["replay"]["time"]["path"]
            .as_str()
            .map(|path| format!("/{id}{path}"));
        let asked_before = time_path.as_deref().map_or(0, |p| h.request_count(p));
        let result = fetch(&h, id).await;
        let asked = time_path.as_deref().map_or(0, |p| h.request_count(p)) - asked_before;
        match id {
            // Only an increasing nonce is checked (Bitfinex, Kraken), and Bitstamp takes an
            // X-Auth-Timestamp within 150 s: two minutes are not refused, nothing to measure.
            // HTX takes a Timestamp within 5 minutes (checked beyond them below).
            "bitfinex" | "kraken" | "bitstamp" | "htx" => {
                assert!(result.is_ok(), "{id}: {result:?}");
                assert_eq!(asked, 0, "{id}: no refusal, no time request");
            }
            // No fetchTime in CCXT's port: nothing to measure, the refusal stands.
            "blofin" | "cryptocom" => {
                let f = result.expect_err(id);
                assert_eq!(f.kind, FailureKind::ClockSkew, "{id}: {f:?}");
                assert_eq!(f.clock_offset_ms, None, "{id}: {f:?}");
            }
            // The offset is measured, but the port signs Bitvavo-Access-Timestamp with
            // milliseconds(), not nonce(): options.timeDifference never reaches it.
            "bitvavo" => {
                let f = result.expect_err(id);
                assert_eq!(f.kind, FailureKind::ClockSkew, "{id}: {f:?}");
                assert_eq!(asked, 1, "{id}: the time is measured");
                let offset = f.clock_offset_ms.expect("the measured offset is named");
                assert!((offset + AHEAD_MS).abs() < 2_000, "{id}: {offset}");
            }
            // Coinbase refuses an expired JWT (`expired_token`: clock skew); the offset is
            // measured, but the port signs the JWT with seconds(), which ignores
            // options.timeDifference (as CCXT's other languages do): the trader is told
            // how far the clock is off.
            "coinbase" => {
                let f = result.expect_err(id);
                assert_eq!(f.kind, FailureKind::ClockSkew, "{id}: {f:?}");
                assert_eq!(asked, 1, "{id}: the time is measured");
                let offset = f.clock_offset_ms.expect("the measured offset is named");
                assert!((offset + AHEAD_MS).abs() < 2_000, "{id}: {offset}");
            }
            // Refused, measured through the public time endpoint, corrected, retried.
            _ => {
                let snapshot = result.unwrap_or_else(|f| panic!("{id}: {f:?}"));
                assert!(!snapshot.balances.is_empty(), "{id}");
                assert_eq!(asked, 1, "{id}: one time request measures the offset");
            }
        }
    }

    // Beyond the wide windows. Bitstamp (no fetchTime) stays clock skew. HTX refuses a
    // stale Timestamp ("Invalid submission time": clock skew), its time is measured and
    // the request signed again with the corrected clock.
    h.set_clock_offset_ms(6 * 60_000);
    if ExchangeId::parse("bitstamp").is_some() {
        let f = fetch(&h, "bitstamp").await.expect_err("bitstamp");
        assert_eq!(f.kind, FailureKind::ClockSkew, "bitstamp: {f:?}");
    }
    if ExchangeId::parse("htx").is_some() {
        let asked = h.request_count("/htx/v1/common/timestamp");
        let result = fetch(&h, "htx").await;
        assert!(result.is_ok(), "htx: {result:?}");
        assert_eq!(h.request_count("/htx/v1/common/timestamp"), asked + 1);
    }
    h.set_clock_offset_ms(0);
}

/// The rows of one wallet, as (asset, total).
fn rows_in(snapshot: &AccountSnapshot, wallet: Wallet) -> Vec<(String, String)> {
    snapshot
        .balances
        .iter()
        .filter(|b| b.wallet == wallet)
        .map(|b| (b.asset.clone(), b.total.clone()))
        .collect()
}

/// (asset, total) rows as a test writes them.
type Rows<'a> = &'a [(&'a str, &'a str)];

fn pairs(list: Rows) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .collect()
}

#[tokio::test]
async fn every_wallet_of_a_generic_exchange_is_read_with_the_answers_amounts() {
    let h = sim().await;
    for id in replay::exchanges() {
        let table = table(id);
        let snapshot = fetch(&h, id).await.unwrap();
        // Every row sits in the balance call's wallet or one the table reads.
        for b in &snapshot.balances {
            assert!(
                b.wallet == table.primary || table.reads.iter().any(|r| r.wallet == b.wallet),
                "{id}: {b:?}"
            );
        }
        // Where a wallet's answer is CCXT's recording, its parse is the amounts.
        let fixture = replay::fixture(id).unwrap();
        for served in fixture["replay"]["wallets"]["requests"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let wallet = Wallet::from_code(served["wallet"].as_str().unwrap()).unwrap();
            assert!(
                table.reads.iter().any(|r| r.wallet == wallet),
                "{id}: the fixture serves {wallet:?}, which the table does not read"
            );
            if served["parsed_total"].is_object() {
                assert_eq!(
                    totals_in(&snapshot, wallet),
                    non_zero(&served["parsed_total"]),
                    "{id} {wallet:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn bybit_reads_its_unified_account_once_and_its_funding_wallet() {
    if ExchangeId::parse("bybit").is_none() {
        return;
    }
    let h = sim().await;
    let snapshot = fetch(&h, "bybit").await.unwrap();
    // The unified account: each coin's wallet balance as recorded, nothing else in it.
    let fixture = replay::fixture("bybit").unwrap();
    let account = &fixture["balance"]["answer"]["result"]["list"][0];
    let mut recorded: Vec<(String, String)> = account["coin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let total: Decimal = c["walletBalance"].as_str().unwrap().parse().unwrap();
            (
                c["coin"].as_str().unwrap().to_string(),
                total.normalize().to_string(),
            )
        })
        .collect();
    recorded.sort();
    assert_eq!(rows_in(&snapshot, Wallet::Trading), recorded);
    // The account's own total is the sum of its coins' values: the coins listed are
    // all of it (none missing, none counted twice).
    let equity: Decimal = account["coin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["usdValue"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    let stated: Decimal = account["totalEquity"].as_str().unwrap().parse().unwrap();
    assert!(
        (equity - stated).abs() < Decimal::new(1, 6),
        "{equity} {stated}"
    );
    assert_eq!(
        rows_in(&snapshot, Wallet::Funding),
        pairs(&[("USDT", "1010")])
    );
    assert!(rows_in(&snapshot, Wallet::Spot).is_empty());
}

#[tokio::test]
async fn kucoin_reads_trade_main_and_both_margins_each_from_its_own_answer() {
    if ExchangeId::parse("kucoin").is_none() {
        return;
    }
    let h = sim().await;
    let snapshot = fetch(&h, "kucoin").await.unwrap();
    assert_eq!(
        rows_in(&snapshot, Wallet::Spot),
        pairs(&[("LTC", "0.171021"), ("USDT", "40.12618754")])
    );
    assert_eq!(
        rows_in(&snapshot, Wallet::Funding),
        pairs(&[("BTC", "0.0125"), ("USDT", "250.5")])
    );
    assert_eq!(
        rows_in(&snapshot, Wallet::CrossMargin),
        pairs(&[("USDT", "5")])
    );
    assert_eq!(
        rows_in(&snapshot, Wallet::IsolatedMargin),
        pairs(&[("USDT", "5")])
    );
    // The isolated answer states its total in the quote currency: assets less liabilities.
    let fixture = replay::fixture("kucoin").unwrap();
    let isolated = &fixture["replay"]["wallets"]["requests"][2]["answer"]["data"];
    let stated = isolated["totalAssetOfQuoteCurrency"]
        .as_str()
        .unwrap()
        .parse::<Decimal>()
        .unwrap()
        - isolated["totalLiabilityOfQuoteCurrency"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap();
    assert_eq!(
        stated.to_string(),
        rows_in(&snapshot, Wallet::IsolatedMargin)[0].1
    );
}

#[tokio::test]
async fn the_other_wallets_of_htx_bitfinex_gate_bitget_and_blofin() {
    let h = sim().await;
    let cases: &[(&str, Wallet, Rows)] = &[
        // The exchange's own digits, beyond an f64's.
        (
            "htx",
            Wallet::UsdmFutures,
            &[("USDT", "162.523160998562004875")],
        ),
        ("bitfinex", Wallet::CrossMargin, &[("USD", "10")]),
        ("bitfinex", Wallet::Funding, &[("USD", "25")]),
        ("gate", Wallet::UsdmFutures, &[("USDT", "250.5")]),
        ("bitget", Wallet::UsdmFutures, &[("USDT", "125.5")]),
        ("blofin", Wallet::Funding, &[("USDT", "80.5")]),
    ];
    for (id, wallet, rows) in cases {
        if ExchangeId::parse(id).is_none() {
            continue;
        }
        let snapshot = fetch(&h, id).await.unwrap();
        assert_eq!(rows_in(&snapshot, *wallet), pairs(rows), "{id} {wallet:?}");
    }
}

#[tokio::test]
async fn coinbase_counts_its_staked_account_once_with_its_asset() {
    if ExchangeId::parse("coinbase").is_none() {
        return;
    }
    let h = sim().await;
    let snapshot = fetch(&h, "coinbase").await.unwrap();
    // "ADA Wallet" 22.314018 and "Staked ADA" 5.047160, one request, one row.
    let ada: Vec<_> = snapshot
        .balances
        .iter()
        .filter(|b| b.asset == "ADA")
        .collect();
    assert_eq!(ada.len(), 1, "{ada:?}");
    assert_eq!(ada[0].total, "27.361178");
    assert_eq!(ada[0].wallet, Wallet::Spot);
}

#[tokio::test]
async fn a_wallet_the_key_may_not_read_is_unreadable_and_the_rest_still_counts() {
    let h = sim().await;
    for (id, refused) in [("bybit", Wallet::Funding), ("kucoin", Wallet::CrossMargin)] {
        if ExchangeId::parse(id).is_none() {
            continue;
        }
        let whole = fetch(&h, id).await.unwrap();
        let key = creds(&h, id).api_key;
        let key = keyfolio::exchange::reveal(&key).to_string();
        h.set_fault(&key, Some(Fault::WalletRefused(refused)));
        let snapshot = fetch(&h, id)
            .await
            .unwrap_or_else(|f| panic!("{id}: {f:?}"));
        assert_eq!(
            snapshot.unreadable.len(),
            1,
            "{id}: {:?}",
            snapshot.unreadable
        );
        assert_eq!(snapshot.unreadable[0].wallet, refused);
        assert_eq!(snapshot.unreadable[0].kind, FailureKind::PermissionDenied);
        let kept: Vec<_> = whole
            .balances
            .iter()
            .filter(|b| b.wallet != refused)
            .cloned()
            .collect();
        assert_eq!(snapshot.balances, kept, "{id}: every other wallet counts");

        // Until permissions are read again it costs no request and stays unreadable.
        let a = h.account_on(id, "read-only").unwrap();
        h.reset_counts();
        let again = ExchangeClient::new(Duration::from_secs(5))
            .fetch_skipping(
                ExchangeId::parse(id).unwrap(),
                &endpoint(&h, id),
                &creds(&h, id),
                false,
                &snapshot.unreadable,
            )
            .await
            .unwrap();
        assert_eq!(again.unreadable, snapshot.unreadable, "{id}");
        assert_eq!(
            h.total_requests_for(&a.api_key),
            table(id).reads.len() as u64,
            "{id}: the balance call and every wallet but the refused one"
        );
        h.set_fault(&key, None);
    }
}

/// The exchanges whose key information keyfolio reads, and of those the ones whose
/// answer tells when the key ends and whether it is bound to an IP (`replay.key_variants`
/// serves "expired" and "ip_bound" for exactly these).
const KEY_INFO: [&str; 9] = [
    "bybit", "kucoin", "bitget", "gate", "htx", "coinbase", "bitfinex", "kraken", "blofin",
];
const TELLS_EXPIRY: [&str; 4] = ["bybit", "htx", "kraken", "blofin"];
const HAS_IP_FIELD: [&str; 7] = [
    "bybit", "kucoin", "bitget", "gate", "htx", "kraken", "blofin",
];

/// The sim key of `id`'s read-only account, as text.
fn api_key(h: &SimHandle, id: &str) -> String {
    h.account_on(id, "read-only")
        .expect("seeded account")
        .api_key
}

/// A fetch of `id` with the sim key `key` answering as its key variant `variant`.
async fn fetch_as(h: &SimHandle, id: &str, key: &str, variant: &'static str) -> AccountSnapshot {
    h.set_key_variant(key, Some(variant));
    fetch(h, id)
        .await
        .unwrap_or_else(|f| panic!("{id} {variant}: {f:?}"))
}

/// Hours from now to `at`.
fn hours_left(at: chrono::DateTime<chrono::Utc>) -> i64 {
    (at - chrono::Utc::now()).num_hours()
}

#[tokio::test]
async fn each_key_variant_reads_as_the_key_it_is() {
    let h = sim().await;
    for id in KEY_INFO {
        if ExchangeId::parse(id).is_none() {
            continue;
        }
        let variants = &replay::fixture(id).unwrap()["replay"]["key_variants"];
        let key = api_key(&h, id);
        let read = |variant| fetch_as(&h, id, &key, variant);

        // Reads, trades and withdraws, from any IP, 5 days from its end where told.
        let withdraw = read("withdraw").await;
        match (id, withdraw.permissions) {
            // Gate's account detail tells no permissions; BloFin's answer does not say
            // what a read-and-write key may do: both stay not known.
            ("gate" | "blofin", p) => assert_eq!(p, None, "{id}"),
            (_, p) => {
                let p = p.expect(id);
                assert!(
                    p.read && p.trade && p.withdraw && !p.ip_restricted,
                    "{id}: {p:?}"
                );
            }
        }
        match withdraw.expiry.key_expires_at {
            Some(end) => {
                assert!(TELLS_EXPIRY.contains(&id), "{id}");
                let hours = hours_left(end);
                assert!(
                    (5 * 24 - 1..=5 * 24).contains(&hours),
                    "{id}: {hours} hours"
                );
            }
            None => assert!(!TELLS_EXPIRY.contains(&id), "{id}: no expiry read"),
        }

        // Read-only, bound to an IP, no end.
        assert_eq!(
            variants["ip_bound"].is_object(),
            HAS_IP_FIELD.contains(&id),
            "{id}"
        );
        if variants["ip_bound"].is_object() {
            let bound = read("ip_bound").await;
            if id == "gate" {
                assert_eq!(bound.permissions, None, "{id}");
            } else {
                let p = bound.permissions.expect(id);
                assert!(
                    p.read && !p.trade && !p.withdraw && p.ip_restricted,
                    "{id}: {p:?}"
                );
            }
            assert_eq!(bound.expiry.key_expires_at, None, "{id}");
        }

        // Past its end.
        assert_eq!(
            variants["expired"].is_object(),
            TELLS_EXPIRY.contains(&id),
            "{id}"
        );
        if variants["expired"].is_object() {
            let expired = read("expired").await;
            let end = expired.expiry.key_expires_at.expect(id);
            assert!(end <= chrono::Utc::now(), "{id}: {end}");
            if id != "htx" {
                // HTX tells days left (0), not the date it ended.
                let hours = hours_left(end);
                assert!(
                    (-2 * 24 - 1..=-2 * 24 + 1).contains(&hours),
                    "{id}: {hours}"
                );
            }
        }

        // Unset: the recorded read-only key again.
        h.set_key_variant(&key, None);
        let recorded = fetch(&h, id).await.unwrap();
        assert!(
            recorded.permissions.is_none_or(|p| !p.withdraw),
            "{id}: {:?}",
            recorded.permissions
        );
    }
}

#[tokio::test]
async fn a_generic_key_that_can_withdraw_needs_consent_and_warns_before_it_ends() {
    use keyfolio::config::{Config, Paths};
    use keyfolio::context::{ConnectError, Context};
    let h = sim().await;
    for (id, notice) in [
        ("bybit", Some("key expires in 5 days")),
        ("kucoin", None),
        ("kraken", Some("key expires in 5 days")),
        ("coinbase", None),
    ] {
        let Some(exchange) = ExchangeId::parse(id) else {
            continue;
        };
        let home = tempfile::tempdir().unwrap();
        let ctx = Context::open(
            Paths::under(home.path()),
            Config::default(),
            keyfolio::store::SecretStore::memory(),
        )
        .unwrap();
        h.set_key_variant(&api_key(&h, id), Some("withdraw"));
        let (endpoint, creds) = (endpoint(&h, id), creds(&h, id));

        let refused = ctx.connect(exchange, id, &endpoint, &creds, false).await;
        assert!(
            matches!(refused, Err(ConnectError::WithdrawRisk(_))),
            "{id}: {refused:?}"
        );
        assert!(ctx.connections().await.unwrap().is_empty(), "{id}: saved");

        // The expiry is read to the second: a card looked at when the key was read.
        let asked = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
        let (conn, snapshot) = ctx
            .connect(exchange, id, &endpoint, &creds, true)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(snapshot.permissions.unwrap().withdraw, "{id}");
        let listed = ctx.connections().await.unwrap();
        assert_eq!(listed.len(), 1, "{id}");
        assert_eq!(listed[0].id, conn, "{id}");
        assert!(listed[0].permissions.unwrap().withdraw, "{id}");
        assert_eq!(
            listed[0].expiry_notice(asked),
            notice.map(|text| (text.to_string(), true)),
            "{id}"
        );
    }
}
