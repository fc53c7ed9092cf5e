//! The simulator's market prices: the public ticker endpoints of Binance
//! (`GET /api/v3/ticker/price`) and OKX (`GET /api/v5/market/tickers?instType=SPOT`), in
//! their real shapes. Prices are fixed unless the demo sets them moving.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

/// (base, quote, price). PEPE has no pair on purpose: a portfolio shows "no price" for it.
const PAIRS: &[(&str, &str, &str)] = &[
    ("BTC", "USDT", "64000.00"),
    ("ETH", "USDT", "3200.00"),
    ("BNB", "USDT", "580.00"),
    ("SOL", "USDT", "150.00"),
    ("LTC", "USDT", "80.00"),
    ("OKB", "USDT", "45.00"),
    ("ADA", "USDT", "0.4500"),
    ("USDC", "USDT", "1.0001"),
    ("BTC", "USDC", "63990.00"),
    ("BTC", "EUR", "59000.00"),
    ("ETH", "BTC", "0.05000"),
    ("XRP", "BTC", "0.00000860"),
    ("CRO", "USDT", "0.0900"),
    ("MNT", "USDT", "0.7000"),
    ("TRX", "USDT", "0.1200"),
];

/// Every pair at `ms` (the simulator's clock); moving, when `moving`, by a few percent
/// over 17 hours and a little over 2.5 hours, so the demo's chart has a line to draw.
pub fn pairs(ms: i64, moving: bool) -> Vec<(&'static str, &'static str, Decimal)> {
    let t = ms as f64 / 1000.0;
    PAIRS
        .iter()
        .enumerate()
        .map(|(i, (base, quote, price))| {
            let price = Decimal::from_str(price).expect("listed prices are decimals");
            let price = if moving && *base != "USDC" {
                let phase = i as f64;
                let swing = 0.04 * (t / (17.0 * 3600.0) * std::f64::consts::TAU + phase).sin()
                    + 0.015 * (t / (2.5 * 3600.0) * std::f64::consts::TAU + phase).sin();
                let factor = Decimal::from_f64_retain(1.0 + swing).unwrap_or(Decimal::ONE);
                (price * factor).round_dp(price.scale())
            } else {
                price
            };
            (*base, *quote, price)
        })
        .collect()
}

/// Binance's answer without a symbol: every pair.
pub fn binance(ms: i64, moving: bool) -> Value {
    Value::Array(
        pairs(ms, moving)
            .into_iter()
            .map(|(base, quote, price)| json!({ "symbol": format!("{base}{quote}"), "price": price.to_string() }))
            .collect(),
    )
}

/// OKX's `data` for instType SPOT.
pub fn okx(ms: i64, moving: bool) -> Value {
    Value::Array(
        pairs(ms, moving)
            .into_iter()
            .map(|(base, quote, price)| {
                json!({
                    "instType": "SPOT", "instId": format!("{base}-{quote}"),
                    "last": price.to_string(), "lastSz": "0.1",
                    "askPx": price.to_string(), "bidPx": price.to_string(),
                    "open24h": price.to_string(), "ts": ms.to_string(),
                })
            })
            .collect(),
    )
}
