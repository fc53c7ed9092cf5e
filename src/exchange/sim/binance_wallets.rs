//! Binance's wallets beyond spot in the simulator: the wallet overview, Funding, Simple
//! Earn, cross and isolated margin, USDⓈ-M and COIN-M futures, each in Binance's
//! documented shape, from the account's `wallets`; the account info, and a Portfolio
//! Margin account's unified wallet as CCXT recorded it. Keys, signatures and clocks are
//! checked by the same code as `/api/v3/account` ([`super::binance`]).
//!
//! Holdings are (asset, free, locked). In a margin wallet a negative `free` is a debt:
//! that much borrowed, nothing free (interest 0).

use super::binance::{Api, Body, Endpoint, Security, error};
use super::{Fault, Req, Shared, SimAccount};
use crate::model::Wallet;
use axum::http::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;

/// The wallet endpoints: (method, path) → what answers them.
pub(super) fn endpoint(method: &Method, path: &str) -> Option<Endpoint> {
    let ep = |weight, api, wallet: Option<Wallet>, body: Body| {
        Some(Endpoint {
            security: Security::Signed,
            weight,
            api,
            body,
            wallet,
        })
    };
    match (method.as_str(), path) {
        ("GET", "/sapi/v1/asset/wallet/balance") => ep(60, Api::Sapi, None, overview),
        ("POST", "/sapi/v1/asset/get-funding-asset") => {
            ep(1, Api::Sapi, Some(Wallet::Funding), funding)
        }
        ("GET", "/sapi/v1/simple-earn/flexible/position") => {
            ep(150, Api::Sapi, Some(Wallet::EarnFlexible), earn_flexible)
        }
        ("GET", "/sapi/v1/simple-earn/locked/position") => {
            ep(150, Api::Sapi, Some(Wallet::EarnLocked), earn_locked)
        }
        ("GET", "/sapi/v1/margin/account") => {
            ep(10, Api::Sapi, Some(Wallet::CrossMargin), cross_margin)
        }
        ("GET", "/sapi/v1/margin/isolated/account") => {
            ep(10, Api::Sapi, Some(Wallet::IsolatedMargin), isolated_margin)
        }
        ("GET", "/fapi/v3/account") => ep(5, Api::Fapi, Some(Wallet::UsdmFutures), usdm_futures),
        ("GET", "/dapi/v1/balance") => ep(1, Api::Dapi, Some(Wallet::CoinmFutures), coinm_futures),
        ("GET", "/sapi/v1/account/info") => ep(1, Api::Sapi, None, account_info),
        ("GET", "/papi/v1/balance") => {
            ep(20, Api::Papi, Some(Wallet::PortfolioMargin), papi_balance)
        }
        _ => None,
    }
}

/// A Portfolio Margin account: its wallets list [`Wallet::PortfolioMargin`]. Its cross
/// margin, USDⓈ-M and COIN-M wallets are inside the unified account.
fn portfolio_margin(acct: &SimAccount) -> bool {
    acct.wallets
        .iter()
        .any(|(w, _)| *w == Wallet::PortfolioMargin)
}

/// "Enable Futures" is off for a key whose futures wallet is refused
/// ([`Fault::WalletRefused`] of either futures wallet), and for every key of a Portfolio
/// Margin account (Binance takes it from them): both futures APIs refuse it.
pub(super) fn futures_enabled(acct: &SimAccount) -> bool {
    !portfolio_margin(acct)
        && !matches!(
            acct.fault,
            Some(Fault::WalletRefused(
                Wallet::UsdmFutures | Wallet::CoinmFutures
            ))
        )
}

/// Binance's refusal of a key that may not read this endpoint's wallet, after the key,
/// clock and signature checks passed: futures without "Enable Futures" answer 401 -2015
/// naming the caller's IP (as `fapi`/`dapi` do), and so does `papi` for an account that
/// is not a Portfolio Margin account; any other refused wallet the same code.
pub(super) fn refusal(req: &Req, acct: &SimAccount, ep: &Endpoint) -> Option<super::Answer> {
    let wallet = ep.wallet?;
    let refused = match ep.api {
        Api::Fapi | Api::Dapi => !futures_enabled(acct),
        Api::Papi => !portfolio_margin(acct),
        _ => acct.fault == Some(Fault::WalletRefused(wallet)),
    };
    refused.then(|| {
        error(
            401,
            -2015,
            &format!(
                "Invalid API-key, IP, or permissions for action, request ip: {}",
                req.ip
            ),
        )
    })
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn holdings(acct: &SimAccount, wallet: Wallet) -> &[super::Holding] {
    acct.wallets
        .iter()
        .find(|(w, _)| *w == wallet)
        .map_or(&[], |(_, h)| h.as_slice())
}

/// free + locked of one holding, exactly.
fn amount(free: &str, locked: &str) -> Decimal {
    dec(free) + dec(locked)
}

/// 8-decimal string, as Binance writes amounts.
fn fixed(d: Decimal) -> String {
    format!("{:.8}", d.round_dp(8))
}

/// The price of `asset` in `quote` from the sim's tickers: direct, inverse, or through
/// USDT. Unpriced assets are worth nothing here (Binance prices every listed one).
fn price(pairs: &[(&str, &str, Decimal)], asset: &str, quote: &str) -> Decimal {
    if asset == quote {
        return Decimal::ONE;
    }
    let direct = |b: &str, q: &str| {
        pairs.iter().find_map(|(pb, pq, p)| {
            if *pb == b && *pq == q {
                Some(*p)
            } else if *pb == q && *pq == b && !p.is_zero() {
                Some(Decimal::ONE / *p)
            } else {
                None
            }
        })
    };
    direct(asset, quote)
        .or_else(|| Some(direct(asset, "USDT")? * direct("USDT", quote)?))
        .unwrap_or_default()
}

/// `GET /sapi/v1/asset/wallet/balance`: each wallet's value in BTC (8 decimals), in the
/// documented order; wallets keyfolio does not read are listed empty.
fn overview(sim: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let pairs = super::prices::pairs(sim.server_ms(), sim.ticker_state().0);
    let value = |list: &[super::Holding], margin: bool| -> Decimal {
        list.iter()
            .map(|(asset, free, locked)| {
                let held = if margin {
                    // Net: a debt lowers the wallet's value.
                    amount(free, locked)
                } else {
                    amount(free, locked).max(Decimal::ZERO)
                };
                held * price(&pairs, asset, "BTC")
            })
            .sum()
    };
    let wallet = |w: Wallet| {
        value(
            holdings(acct, w),
            matches!(w, Wallet::CrossMargin | Wallet::IsolatedMargin),
        )
    };
    let spot: Vec<super::Holding> = acct.balances.clone();
    let rows = [
        ("Spot", value(&spot, false), true),
        ("Funding", wallet(Wallet::Funding), true),
        ("Cross Margin", wallet(Wallet::CrossMargin), true),
        ("Isolated Margin", wallet(Wallet::IsolatedMargin), true),
        ("USDⓈ-M Futures", wallet(Wallet::UsdmFutures), true),
        ("COIN-M Futures", wallet(Wallet::CoinmFutures), true),
        (
            "Earn",
            wallet(Wallet::EarnFlexible) + wallet(Wallet::EarnLocked),
            true,
        ),
        ("Options", Decimal::ZERO, false),
        ("Trading Bots", Decimal::ZERO, true),
        ("Copy Trading", Decimal::ZERO, true),
    ];
    Value::Array(
        rows.iter()
            .map(|(name, btc, active)| {
                let btc = fixed(*btc);
                // Binance writes an empty wallet as "0".
                let balance = if dec(&btc).is_zero() {
                    "0".to_string()
                } else {
                    btc
                };
                json!({ "activate": active, "balance": balance, "walletName": name })
            })
            .collect(),
    )
}

fn funding(sim: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let pairs = super::prices::pairs(sim.server_ms(), sim.ticker_state().0);
    Value::Array(
        holdings(acct, Wallet::Funding)
            .iter()
            .map(|(asset, free, locked)| {
                let btc = amount(free, locked) * price(&pairs, asset, "BTC");
                json!({ "asset": asset, "free": free, "locked": locked, "freeze": "0",
                    "withdrawing": "0", "btcValuation": fixed(btc) })
            })
            .collect(),
    )
}

/// The page Simple Earn asks for (`current`, `size`: default 1 and 10, at most 100).
fn page<T: Clone>(req: &Req, rows: &[T]) -> Vec<T> {
    let q = super::util::parse_query(&req.query);
    let current: usize = q
        .get("current")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
        .max(1);
    let size: usize = q
        .get("size")
        .and_then(|c| c.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    rows.iter()
        .skip((current - 1) * size)
        .take(size)
        .cloned()
        .collect()
}

fn earn_flexible(_: &Shared, req: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let all: Vec<Value> = holdings(acct, Wallet::EarnFlexible)
        .iter()
        .map(|(asset, free, locked)| {
            json!({
                "totalAmount": fixed(amount(free, locked)),
                "tierAnnualPercentageRate": { "0-5BTC": 0.05, "5-10BTC": 0.03 },
                "latestAnnualPercentageRate": "0.02599895",
                "yesterdayAirdropPercentageRate": "0.02599895",
                "asset": asset, "airDropAsset": "BETH", "canRedeem": true,
                "collateralAmount": "0", "productId": format!("{asset}001"),
                "yesterdayRealTimeRewards": "0", "cumulativeBonusRewards": "0",
                "cumulativeRealTimeRewards": "0", "cumulativeTotalRewards": "0",
                "autoSubscribe": true
            })
        })
        .collect();
    let rows = page(req, &all);
    json!({ "rows": rows, "total": all.len() })
}

fn earn_locked(sim: &Shared, req: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let now = sim.server_ms();
    let all: Vec<Value> = holdings(acct, Wallet::EarnLocked)
        .iter()
        .enumerate()
        .map(|(i, (asset, free, locked))| {
            json!({
                "positionId": 123_123 + i as i64, "parentPositionId": 123_122 + i as i64,
                "projectId": format!("{asset}*90"), "asset": asset,
                "amount": fixed(amount(free, locked)),
                "purchaseTime": now - 4 * 86_400_000, "duration": "90", "accrualDays": "4",
                "rewardAsset": asset, "APY": "0.0500", "rewardAmt": "0",
                "nextPay": "0", "nextPayDate": now + 86_400_000, "payPeriod": "1",
                "redeemAmountEarly": fixed(amount(free, locked)),
                "rewardsEndDate": now + 86 * 86_400_000, "deliverDate": now + 87 * 86_400_000,
                "redeemPeriod": "1", "redeemingAmt": "0", "redeemTo": "SPOT",
                "canRedeemEarly": true, "canFastRedemption": false, "autoSubscribe": true,
                "type": "NORMAL", "status": "HOLDING", "canReStake": true
            })
        })
        .collect();
    let rows = page(req, &all);
    json!({ "rows": rows, "total": all.len() })
}

/// One margin asset in Binance's shape: a negative `free` is borrowed.
fn margin_asset(asset: &str, free: &str, locked: &str) -> Value {
    let f = dec(free);
    let (free, borrowed) = if f < Decimal::ZERO {
        (Decimal::ZERO, -f)
    } else {
        (f, Decimal::ZERO)
    };
    let locked = dec(locked);
    json!({
        "asset": asset, "borrowed": fixed(borrowed), "free": fixed(free),
        "interest": fixed(Decimal::ZERO), "locked": fixed(locked),
        "netAsset": fixed(free + locked - borrowed)
    })
}

fn cross_margin(_: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let assets: Vec<Value> = holdings(acct, Wallet::CrossMargin)
        .iter()
        .map(|(a, f, l)| margin_asset(a, f, l))
        .collect();
    json!({
        "created": true, "borrowEnabled": true, "marginLevel": "999.00000000",
        "collateralMarginLevel": "999.00000000",
        "totalAssetOfBtc": "0", "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0",
        "TotalCollateralValueInUSDT": "0", "totalOpenOrderLossInUSDT": "0",
        "tradeEnabled": true, "transferInEnabled": true, "transferOutEnabled": true,
        "accountType": "MARGIN_1", "userAssets": assets
    })
}

/// Each holding its own pair against USDT (USDT itself: the quote of BTCUSDT).
fn isolated_margin(_: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let side = |v: Value| {
        let mut v = v;
        v["borrowEnabled"] = json!(true);
        v["repayEnabled"] = json!(true);
        v["netAssetOfBtc"] = json!("0");
        v["totalAsset"] = v["free"].clone();
        v
    };
    let pairs: Vec<Value> = holdings(acct, Wallet::IsolatedMargin)
        .iter()
        .map(|(a, f, l)| {
            let (base, quote) = if a == "USDT" {
                (margin_asset("BTC", "0", "0"), margin_asset(a, f, l))
            } else {
                (margin_asset(a, f, l), margin_asset("USDT", "0", "0"))
            };
            let symbol = format!("{}USDT", base["asset"].as_str().unwrap_or_default());
            json!({
                "baseAsset": side(base), "quoteAsset": side(quote), "symbol": symbol,
                "isolatedCreated": true, "enabled": true, "marginLevel": "999.00000000",
                "marginLevelStatus": "EXCESSIVE", "marginRatio": "10.00000000",
                "indexPrice": "0", "liquidatePrice": "0", "liquidateRate": "0",
                "tradeEnabled": true
            })
        })
        .collect();
    json!({ "assets": pairs, "totalAssetOfBtc": "0", "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0" })
}

/// `GET /fapi/v3/account`: single-asset mode, no positions; totals in USDT.
fn usdm_futures(sim: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let pairs = super::prices::pairs(sim.server_ms(), sim.ticker_state().0);
    let list = holdings(acct, Wallet::UsdmFutures);
    let assets: Vec<Value> = list
        .iter()
        .map(|(asset, free, locked)| {
            let wallet = fixed(amount(free, locked));
            json!({
                "asset": asset, "walletBalance": wallet, "unrealizedProfit": "0.00000000",
                "marginBalance": wallet, "maintMargin": "0.00000000",
                "initialMargin": fixed(dec(locked)), "positionInitialMargin": fixed(dec(locked)),
                "openOrderInitialMargin": "0.00000000", "maxWithdrawAmount": fixed(dec(free)),
                "crossWalletBalance": wallet, "crossUnPnl": "0.00000000",
                "availableBalance": fixed(dec(free)), "marginAvailable": true,
                "updateTime": sim.server_ms() - 60_000
            })
        })
        .collect();
    let usdt = |pick: fn(&str, &str) -> Decimal| -> String {
        fixed(
            list.iter()
                .map(|(a, f, l)| pick(f, l) * price(&pairs, a, "USDT"))
                .sum(),
        )
    };
    let total = usdt(amount);
    let free = usdt(|f, _| dec(f));
    json!({
        "totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
        "totalWalletBalance": total, "totalUnrealizedProfit": "0.00000000",
        "totalMarginBalance": total, "totalPositionInitialMargin": "0.00000000",
        "totalOpenOrderInitialMargin": "0.00000000", "totalCrossWalletBalance": total,
        "totalCrossUnPnl": "0.00000000", "availableBalance": free, "maxWithdrawAmount": free,
        "assets": assets, "positions": []
    })
}

fn coinm_futures(sim: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    Value::Array(
        holdings(acct, Wallet::CoinmFutures)
            .iter()
            .map(|(asset, free, locked)| {
                let wallet = fixed(amount(free, locked));
                json!({
                    "accountAlias": "SgsR", "asset": asset, "balance": wallet,
                    "withdrawAvailable": fixed(dec(free)), "crossWalletBalance": wallet,
                    "crossUnPnl": "0.00000000", "availableBalance": fixed(dec(free)),
                    "updateTime": sim.server_ms() - 60_000
                })
            })
            .collect(),
    )
}

/// `GET /sapi/v1/account/info`, Binance's documented shape.
fn account_info(_: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    json!({
        "vipLevel": 0, "isMarginEnabled": true, "isFutureEnabled": futures_enabled(acct),
        "isOptionsEnabled": false, "isPortfolioMarginRetailEnabled": portfolio_margin(acct)
    })
}

/// The wallet fixture, whose `portfolio_margin` answer is CCXT's recording of
/// `GET /papi/v1/balance` (the file names its source and commit), compiled in so the demo
/// and `keyfolio sim` carry it.
const FIXTURE: &str = include_str!("../../../tests/fixtures/wallets/binance.json");

/// `GET /papi/v1/balance`: a Portfolio Margin account's unified wallet, as CCXT recorded
/// it from Binance (only such an account gets here: [`refusal`]).
fn papi_balance(_: &Shared, _: &Req, _: Option<&SimAccount>) -> Value {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("wallet fixture is JSON");
    fixture["answers"]["portfolio_margin"]["httpResponse"].clone()
}
