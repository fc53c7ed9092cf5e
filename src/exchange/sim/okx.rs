//! OKX v5 front-end: public time/instruments and the private account calls, with
//! OKX's header, passphrase, clock, environment, IP, signature and rate-limit checks.

use super::util::{add_decimal, is_zero, now_ms, parse_query, usd_price};
use super::{Answer, Fault, Req, Shared, SimAccount, okx_signature};
use crate::model::Wallet;
use axum::http::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};

/// Sliding request windows per (caller, endpoint); the caller is an API key or an IP.
#[derive(Default)]
pub(super) struct Limiter {
    windows: HashMap<(String, &'static str), VecDeque<i64>>,
}

impl Limiter {
    fn allow(
        &mut self,
        who: String,
        path: &'static str,
        limit: usize,
        window_ms: i64,
        now: i64,
    ) -> bool {
        let q = self.windows.entry((who, path)).or_default();
        while q.front().is_some_and(|t| now - t >= window_ms) {
            q.pop_front();
        }
        if q.len() >= limit {
            return false;
        }
        q.push_back(now);
        true
    }
}

fn error(status: u16, code: &str, msg: &str) -> Answer {
    Answer::json(status, json!({ "msg": msg, "code": code, "data": [] }))
}

fn ok(data: Value) -> Answer {
    Answer::json(200, json!({ "code": "0", "msg": "", "data": data }))
}

fn too_many_requests() -> Answer {
    error(429, "50011", "Too Many Requests")
}

type Body = fn(&Shared, &Req, Option<&SimAccount>) -> Result<Value, Answer>;

struct Endpoint {
    path: &'static str,
    private: bool,
    /// Requests allowed per window (per IP for public, per account for private).
    limit: usize,
    window_ms: i64,
    body: Body,
}

const ENDPOINTS: [Endpoint; 8] = [
    Endpoint {
        path: "/api/v5/market/tickers",
        private: false,
        limit: 20,
        window_ms: 2000,
        body: |sim, _, _| Ok(super::prices::okx(sim.server_ms(), sim.ticker_state().0)),
    },
    Endpoint {
        path: "/api/v5/public/time",
        private: false,
        limit: 10,
        window_ms: 2000,
        body: time,
    },
    Endpoint {
        path: "/api/v5/public/instruments",
        private: false,
        limit: 20,
        window_ms: 2000,
        body: instruments,
    },
    Endpoint {
        path: "/api/v5/asset/currencies",
        private: true,
        limit: 6,
        window_ms: 1000,
        body: currencies,
    },
    Endpoint {
        path: "/api/v5/account/balance",
        private: true,
        limit: 10,
        window_ms: 2000,
        body: balance,
    },
    Endpoint {
        path: "/api/v5/account/config",
        private: true,
        limit: 5,
        window_ms: 2000,
        body: config,
    },
    Endpoint {
        path: "/api/v5/asset/balances",
        private: true,
        limit: 6,
        window_ms: 1000,
        body: funding,
    },
    Endpoint {
        path: "/api/v5/finance/savings/balance",
        private: true,
        limit: 6,
        window_ms: 1000,
        body: savings,
    },
];

/// Answers one OKX request (`req.path` without the `/okx` mount).
pub(super) fn answer(sim: &Shared, req: &Req, acct: Option<&SimAccount>) -> Answer {
    let Some(ep) = ENDPOINTS
        .iter()
        .find(|e| e.path == req.path && req.method == Method::GET)
    else {
        return Answer::html(404, String::new());
    };
    let who = if ep.private {
        if matches!(
            acct.and_then(|a| a.fault),
            Some(Fault::RateLimitBurst | Fault::Ban418)
        ) {
            return too_many_requests().with_header("Retry-After", 2);
        }
        match authenticate(sim, req, acct) {
            Ok(a) => a.api_key.clone(),
            Err(refusal) => return refusal,
        }
    } else {
        req.ip.to_string()
    };
    if !sim
        .okx_limits
        .lock()
        .unwrap()
        .allow(who, ep.path, ep.limit, ep.window_ms, now_ms())
    {
        return too_many_requests();
    }
    match (ep.body)(sim, req, acct) {
        Ok(data) => ok(data),
        Err(refusal) => refusal,
    }
}

/// The private-endpoint checks, in OKX's order.
fn authenticate<'a>(
    sim: &Shared,
    req: &Req,
    acct: Option<&'a SimAccount>,
) -> Result<&'a SimAccount, Answer> {
    let header = |name: &str| req.header(name).unwrap_or("");
    let (key, passphrase, sign, ts) = (
        header("ok-access-key"),
        header("ok-access-passphrase"),
        header("ok-access-sign"),
        header("ok-access-timestamp"),
    );
    let empty = |code: &str, name: &str| {
        error(
            401,
            code,
            &format!("Request header {name} cannot be empty."),
        )
    };
    if key.is_empty() {
        return Err(empty("50103", "OK-ACCESS-KEY"));
    }
    if passphrase.is_empty() {
        return Err(empty("50104", "OK-ACCESS-PASSPHRASE"));
    }
    if sign.is_empty() {
        return Err(empty("50106", "OK-ACCESS-SIGN"));
    }
    if ts.is_empty() {
        return Err(empty("50107", "OK-ACCESS-TIMESTAMP"));
    }
    let acct = acct.ok_or_else(|| error(401, "50111", "Invalid OK-ACCESS-KEY"))?;
    if acct.fault == Some(Fault::WrongRegion) {
        // A key from another OKX region (app.okx.com / my.okx.com): HTTP 200.
        return Err(error(200, "50119", "API key doesn't exist"));
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .filter(|_| ts.len() == 24 && ts.ends_with('Z'));
    let ts_ms = parsed
        .ok_or_else(|| error(401, "50112", "Invalid OK-ACCESS-TIMESTAMP"))?
        .timestamp_millis();
    let skew = match acct.fault {
        Some(Fault::ClockSkewMs(ms)) => ms,
        _ => 0,
    };
    if (sim.server_ms() + skew - ts_ms).abs() > 30_000 {
        return Err(error(401, "50102", "Timestamp request expired"));
    }
    if acct.passphrase.as_deref() != Some(passphrase) {
        return Err(error(401, "50105", "OK-ACCESS-PASSPHRASE incorrect"));
    }
    if (req.header("x-simulated-trading") == Some("1")) != acct.demo {
        return Err(error(
            401,
            "50101",
            "APIKey does not match current environment",
        ));
    }
    let ip = req.ip.to_string();
    if acct.fault == Some(Fault::IpNotWhitelisted)
        || (acct.perms.ip_restricted && !acct.perms.ips.contains(&ip))
    {
        let msg = format!("Your IP {ip} is not included in your API key's IP whitelist.");
        return Err(error(401, "50110", &msg));
    }
    let path = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    if okx_signature(&acct.secret, ts, req.method.as_str(), &path, &req.body) != sign {
        return Err(error(401, "50113", "Invalid Sign"));
    }
    Ok(acct)
}

fn time(sim: &Shared, _: &Req, _: Option<&SimAccount>) -> Result<Value, Answer> {
    Ok(json!([{ "ts": sim.server_ms().to_string() }]))
}

const INSTRUMENTS: [(&str, &str, &str, &str, &str); 5] = [
    ("BTC-USDT", "BTC", "USDT", "0.1", "0.00001"),
    ("ETH-USDT", "ETH", "USDT", "0.01", "0.0001"),
    ("ETH-BTC", "ETH", "BTC", "0.00001", "0.0001"),
    ("OKB-USDT", "OKB", "USDT", "0.001", "0.01"),
    ("SOL-USDT", "SOL", "USDT", "0.01", "0.001"),
];

fn instruments(_: &Shared, req: &Req, _: Option<&SimAccount>) -> Result<Value, Answer> {
    let params = parse_query(&req.query);
    let inst_type = params.get("instType").map_or("", String::as_str);
    match inst_type {
        "" => return Err(error(400, "50014", "Parameter instType can not be empty.")),
        "SPOT" => {}
        "MARGIN" | "SWAP" | "FUTURES" | "OPTION" => return Ok(json!([])),
        _ => return Err(error(400, "51000", "Parameter instType error")),
    }
    let list = INSTRUMENTS
        .iter()
        .filter(|i| params.get("instId").is_none_or(|id| id == i.0))
        .map(|(inst_id, base, quote, tick, lot)| {
            json!({
                "instType": "SPOT", "instId": inst_id, "instFamily": "", "uly": "",
                "baseCcy": base, "quoteCcy": quote, "settleCcy": "",
                "ctVal": "", "ctMult": "", "ctValCcy": "", "ctType": "",
                "optType": "", "stk": "", "alias": "", "category": "1",
                "listTime": "1606468572000", "expTime": "", "contTdSwTime": "", "auctionEndTime": "",
                "lever": "10", "tickSz": tick, "lotSz": lot, "minSz": lot,
                "maxLmtSz": "9999999999", "maxMktSz": "1000000", "maxLmtAmt": "20000000",
                "maxMktAmt": "1000000", "maxTwapSz": "9999999999", "maxIcebergSz": "9999999999",
                "maxTriggerSz": "9999999999", "maxStopSz": "1000000",
                "state": "live", "ruleType": "normal", "openType": "", "instIdCode": 1000
            })
        })
        .collect();
    Ok(Value::Array(list))
}

const CURRENCIES: [(&str, &str, &str, &str); 7] = [
    ("BTC", "Bitcoin", "BTC-Bitcoin", "0.0002"),
    ("ETH", "Ethereum", "ETH-ERC20", "0.0015"),
    ("USDT", "Tether", "USDT-TRC20", "1"),
    ("OKB", "OKB", "OKB-X Layer", "0.001"),
    ("SOL", "Solana", "SOL-Solana", "0.008"),
    ("USDC", "USD Coin", "USDC-ERC20", "4"),
    ("PEPE", "Pepe", "PEPE-ERC20", "500000"),
];

fn currencies(_: &Shared, req: &Req, _: Option<&SimAccount>) -> Result<Value, Answer> {
    let params = parse_query(&req.query);
    let wanted = params
        .get("ccy")
        .map(|c| c.split(',').map(str::to_string).collect::<Vec<_>>());
    let list = CURRENCIES
        .iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == c.0)))
        .map(|(ccy, name, chain, fee)| {
            json!({
                "ccy": ccy, "name": name, "chain": chain, "logoLink": "",
                "ctAddr": "", "canDep": true, "canWd": true, "canInternal": true,
                "depEstOpenTime": "", "wdEstOpenTime": "",
                "minDep": "0.00000001", "minWd": fee, "maxWd": "9999999999", "wdTickSz": "8",
                "wdQuota": "10000000", "usedWdQuota": "0", "minFee": fee, "maxFee": fee, "fee": fee,
                "minFeeForCtAddr": fee, "maxFeeForCtAddr": fee, "burningFeeRate": "",
                "mainNet": true, "needTag": false, "minDepArrivalConfirm": "2", "minWdUnlockConfirm": "3",
                "depQuotaFixed": "", "usedDepQuotaFixed": "", "depQuoteDailyLayer2": "", "minInternal": "0.00000001"
            })
        })
        .collect();
    Ok(Value::Array(list))
}

pub(super) fn balance(sim: &Shared, req: &Req, acct: Option<&SimAccount>) -> Result<Value, Answer> {
    let acct = acct.expect("private endpoint");
    let params = parse_query(&req.query);
    let wanted = params
        .get("ccy")
        .map(|c| c.split(',').map(str::to_string).collect::<Vec<_>>());
    let now = sim.server_ms().to_string();
    let mut total_usd = 0.0;
    let details: Vec<Value> = acct
        .balances
        .iter()
        .filter(|(ccy, free, locked)| !(is_zero(free) && is_zero(locked)) && wanted.as_ref().is_none_or(|w| w.contains(ccy)))
        .map(|(ccy, free, locked)| {
            let eq = add_decimal(free, locked);
            let eq_usd = eq.parse::<f64>().unwrap_or(0.0) * usd_price(ccy);
            total_usd += eq_usd;
            json!({
                "ccy": ccy, "eq": eq, "cashBal": eq, "availBal": free, "availEq": free,
                "frozenBal": locked, "ordFrozen": locked, "disEq": format!("{eq_usd:.2}"),
                "eqUsd": format!("{eq_usd:.2}"), "uTime": now, "upl": "0", "uplLiab": "",
                "crossLiab": "", "isoLiab": "", "liab": "", "interest": "", "maxLoan": "",
                "mgnRatio": "", "notionalLever": "", "imr": "", "mmr": "", "isoEq": "0", "isoUpl": "0",
                "fixedBal": "0", "borrowFroz": "", "rewardBal": "0", "spotInUseAmt": "", "clSpotInUseAmt": "",
                "maxSpotInUse": "", "spotIsoBal": "0", "stgyEq": "0", "twap": "0", "spotBal": eq,
                "openAvgPx": "", "accAvgPx": "", "spotUpl": "", "spotUplRatio": "", "totalPnl": "", "totalPnlRatio": ""
            })
        })
        .collect();
    Ok(json!([{
        "adjEq": "", "availEq": "", "borrowFroz": "", "details": details, "imr": "", "isoEq": "0",
        "mgnRatio": "", "mmr": "", "notionalUsd": "", "ordFroz": "", "totalEq": format!("{total_usd:.2}"),
        "uTime": now, "upl": ""
    }]))
}

/// The non-zero holdings of one of the account's wallets beyond the trading account,
/// in the currencies the request's `ccy` (comma-separated) names, all without one.
fn holdings<'a>(
    acct: &'a SimAccount,
    wallet: Wallet,
    req: &Req,
) -> impl Iterator<Item = &'a super::Holding> {
    let wanted: Option<Vec<String>> = parse_query(&req.query)
        .get("ccy")
        .map(|c| c.split(',').map(str::to_string).collect());
    acct.wallets
        .iter()
        .filter(move |(w, _)| *w == wallet)
        .flat_map(|(_, h)| h.iter())
        .filter(move |(ccy, free, locked)| {
            !(is_zero(free) && is_zero(locked)) && wanted.as_ref().is_none_or(|w| w.contains(ccy))
        })
}

/// A key that may not read `wallet` (OKX 50120, HTTP 200).
fn refused(acct: &SimAccount, wallet: Wallet) -> Result<(), Answer> {
    if acct.fault == Some(Fault::WalletRefused(wallet)) {
        return Err(error(
            200,
            "50120",
            "This API key doesn't have permission to use this function",
        ));
    }
    Ok(())
}

/// GET /api/v5/asset/balances: the funding account, non-zero currencies.
fn funding(_: &Shared, req: &Req, acct: Option<&SimAccount>) -> Result<Value, Answer> {
    let acct = acct.expect("private endpoint");
    refused(acct, Wallet::Funding)?;
    let list = holdings(acct, Wallet::Funding, req)
        .map(|(ccy, free, locked)| {
            json!({ "ccy": ccy, "bal": add_decimal(free, locked), "frozenBal": locked, "availBal": free })
        })
        .collect();
    Ok(Value::Array(list))
}

/// GET /api/v5/finance/savings/balance: Simple Earn savings. A holding's free part is
/// waiting to be lent (`pendingAmt`), its locked part lent out (`loanAmt`); `amt` is
/// both, with the interest (`earnings`, here a thousandth of it) already inside.
/// Earn is not offered in demo trading (50038).
fn savings(_: &Shared, req: &Req, acct: Option<&SimAccount>) -> Result<Value, Answer> {
    let acct = acct.expect("private endpoint");
    if acct.demo {
        return Err(error(
            200,
            "50038",
            "This feature is unavailable in demo trading",
        ));
    }
    refused(acct, Wallet::EarnFlexible)?;
    let list = holdings(acct, Wallet::EarnFlexible, req)
        .map(|(ccy, pending, lent)| {
            let amt = add_decimal(pending, lent);
            let earnings = rust_decimal::Decimal::from_str_exact(&amt).map_or_else(
                |_| "0".into(),
                |a| {
                    (a / rust_decimal::Decimal::from(1000))
                        .round_dp(16)
                        .normalize()
                        .to_string()
                },
            );
            json!({
                "ccy": ccy, "amt": amt, "earnings": earnings, "rate": "0.0100000000000000",
                "loanAmt": lent, "pendingAmt": pending, "redemptAmt": ""
            })
        })
        .collect();
    Ok(Value::Array(list))
}

pub(super) fn config(_: &Shared, _: &Req, acct: Option<&SimAccount>) -> Result<Value, Answer> {
    let acct = acct.expect("private endpoint");
    let p = &acct.perms;
    let perm: Vec<&str> = [
        (p.read, "read_only"),
        (p.trade, "trade"),
        (p.withdraw, "withdraw"),
    ]
    .iter()
    .filter_map(|(on, name)| on.then_some(*name))
    .collect();
    let uid = acct.uid().to_string();
    Ok(json!([{
        "acctLv": "1", "acctStpMode": "cancel_maker", "autoLoan": false, "ctIsoMode": "automatic",
        "enableSpotBorrow": false, "greeksType": "PA", "ip": p.ips.join(","), "kycLv": "2",
        "label": format!("keyfolio {}", acct.purpose), "level": "Lv1", "levelTmp": "",
        "liquidationGear": "-1", "mainUid": uid, "mgnIsoMode": "automatic", "opAuth": "0",
        "perm": perm.join(","), "posMode": "net_mode", "roleType": "0", "spotBorrowAutoRepay": false,
        "spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": [], "traderInsts": [],
        "type": "0", "uid": uid, "settleCcy": "USDT", "settleCcyList": ["USD", "USDC", "USDT"]
    }]))
}
