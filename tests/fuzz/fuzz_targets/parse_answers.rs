//! Fuzz target: exchange answers (any bytes) parsed into balances, permissions, prices and
//! failures.
//! Nothing may panic; a parsed balance must keep decimal strings.
#![no_main]

use keyfolio::exchange::parse;
use keyfolio::model::ExchangeId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The body as CCXT carries it in an error, under one of four error classes and two
    // exchanges. The input's length picks the pair (one classification per input, not all
    // eight: each scans the whole text, and eight of them were most of an execution).
    let exchange = [ExchangeId::Binance, ExchangeId::Okx][data.len() % 2];
    let class = [
        "AuthenticationError",
        "DDoSProtection",
        "NetworkError",
        "ExchangeError",
    ][data.len() / 2 % 4];
    let error = ccxt::ExchangeError::new(class, format!("{} {text}", exchange.id()));
    let failure = keyfolio::exchange::ccxt::classify(exchange, &error, None);
    assert!(failure.detail.chars().count() <= 160);
    assert!(
        !failure.detail.chars().any(keyfolio::text::is_control_like),
        "{failure:?}"
    );
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for balances in [
        parse::binance_balances(&body),
        parse::okx_balances(&body),
        // CCXT's unified balance of any other exchange.
        parse::unified_balances(&body),
    ] {
        if let Ok(list) = balances {
            for b in list {
                assert!(
                    keyfolio::model::add_decimals([b.total.as_str()]).is_some(),
                    "total is a decimal: {b:?}"
                );
                assert!(
                    keyfolio::text::check_asset_code(&b.asset).is_ok(),
                    "asset code: {b:?}"
                );
            }
        }
    }
    // Every exchange's ticker reader (Binance, OKX and the generic ones).
    for exchange in ExchangeId::all().iter().copied() {
        if let Ok(prices) = keyfolio::exchange::tickers::read(exchange, &body) {
            for ((base, _), price) in prices {
                assert!(keyfolio::text::check_asset_code(&base).is_ok(), "{base:?}");
                assert!(price > rust_decimal::Decimal::ZERO);
            }
        }
    }
    let _ = parse::binance_permissions(&body);
    let _ = parse::okx_permissions(&body);
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let _ = parse::snapshot(exchange, &body, Some(&body));
    }
});
