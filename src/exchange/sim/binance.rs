//! Binance front-end: Spot `/api/v3` and the SAPI calls CCXT makes, with the key,
//! signature, clock, permission and IP-weight checks Binance documents.

use super::util::{add_decimal, decode, is_zero, now_ms, parse_query};
use super::{Answer, Fault, Req, Shared, SimAccount, binance_sign};
use axum::http::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::IpAddr;

/// REQUEST_WEIGHT per minute per IP on `/api/v3`.
const WEIGHT_LIMIT: u32 = 6000;
/// SAPI IP weight per minute.
const SAPI_LIMIT: u32 = 12000;
/// USDⓈ-M (`/fapi`) and COIN-M (`/dapi`) futures: REQUEST_WEIGHT per minute per IP, each.
const FUTURES_LIMIT: u32 = 2400;
/// Portfolio Margin (`/papi`): REQUEST_WEIGHT per minute per IP.
const PAPI_LIMIT: u32 = 6000;

/// The API families Binance limits separately.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Api {
    /// `/api/v3`.
    Spot,
    Sapi,
    /// USDⓈ-M futures.
    Fapi,
    /// COIN-M futures.
    Dapi,
    /// Portfolio Margin.
    Papi,
}
/// First automated ban for clients that ignore a 429 (Binance starts at 2 minutes).
const BAN_MS: i64 = 120_000;

/// Per-IP weight windows and bans.
#[derive(Default)]
pub(super) struct Limiter {
    ips: HashMap<IpAddr, IpWeight>,
}

#[derive(Default)]
struct IpWeight {
    minute: i64,
    used: u32,
    sapi_used: u32,
    fapi_used: u32,
    dapi_used: u32,
    papi_used: u32,
    /// A 429 told the client to wait until then; asking earlier earns a 418.
    retry_after_until: i64,
    banned_until: i64,
}

/// Weight used so far this minute: (api/v3, or the futures or papi family asked; sapi), plus a
/// refusal if over the limit.
struct Charge {
    used: u32,
    sapi_used: u32,
    refusal: Option<Answer>,
}

impl Limiter {
    fn charge(&mut self, ip: IpAddr, weight: u32, api: Api, now: i64) -> Charge {
        let st = self.ips.entry(ip).or_default();
        let minute = now / 60_000;
        if st.minute != minute {
            st.minute = minute;
            st.used = 0;
            st.sapi_used = 0;
            st.fapi_used = 0;
            st.dapi_used = 0;
            st.papi_used = 0;
        }
        let futures = match api {
            Api::Spot => {
                st.used += weight;
                None
            }
            Api::Sapi => {
                st.sapi_used += weight;
                None
            }
            Api::Fapi => {
                st.fapi_used += weight;
                Some((st.fapi_used, FUTURES_LIMIT))
            }
            Api::Dapi => {
                st.dapi_used += weight;
                Some((st.dapi_used, FUTURES_LIMIT))
            }
            Api::Papi => {
                st.papi_used += weight;
                Some((st.papi_used, PAPI_LIMIT))
            }
        };
        if let Some((used, limit)) = futures {
            return Charge {
                used,
                sapi_used: st.sapi_used,
                refusal: (used > limit)
                    .then(|| too_much_weight(limit, (minute + 1) * 60_000 - now)),
            };
        }
        let refusal = if api == Api::Sapi {
            (st.sapi_used > SAPI_LIMIT)
                .then(|| too_much_weight(SAPI_LIMIT, (minute + 1) * 60_000 - now))
        } else if st.banned_until > now {
            Some(banned(st.banned_until, now))
        } else if st.retry_after_until > now {
            st.banned_until = now + BAN_MS;
            Some(banned(st.banned_until, now))
        } else if st.used > WEIGHT_LIMIT {
            st.retry_after_until = (minute + 1) * 60_000;
            Some(too_much_weight(WEIGHT_LIMIT, st.retry_after_until - now))
        } else {
            None
        };
        Charge {
            used: st.used,
            sapi_used: st.sapi_used,
            refusal,
        }
    }
}

fn retry_secs(ms: i64) -> i64 {
    (ms.max(0) + 999) / 1000
}

pub(super) fn error(status: u16, code: i64, msg: &str) -> Answer {
    Answer::json(status, json!({ "code": code, "msg": msg }))
}

fn too_much_weight(limit: u32, wait_ms: i64) -> Answer {
    let msg = format!(
        "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. \
         Please use WebSocket Streams for live updates to avoid polling the API."
    );
    error(429, -1003, &msg).with_header("Retry-After", retry_secs(wait_ms))
}

fn banned(until: i64, now: i64) -> Answer {
    let msg = format!(
        "Way too much request weight used; IP banned until {until}. \
         Please use WebSocket Streams for live updates to avoid bans."
    );
    error(418, -1003, &msg).with_header("Retry-After", retry_secs(until - now))
}

pub(super) fn invalid_key() -> Answer {
    error(
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    )
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Security {
    /// NONE: no key needed.
    Public,
    /// MARKET_DATA: key header only.
    ApiKey,
    /// USER_DATA: key, timestamp and signature.
    Signed,
}

pub(super) type Body = fn(&Shared, &Req, Option<&SimAccount>) -> Value;

pub(super) struct Endpoint {
    pub(super) security: Security,
    pub(super) weight: u32,
    pub(super) api: Api,
    pub(super) body: Body,
    /// The wallet this endpoint reads, refused for a key that may not read it.
    pub(super) wallet: Option<crate::model::Wallet>,
}

fn endpoint(method: &Method, path: &str) -> Option<Endpoint> {
    use Security::*;
    let ep = |security, weight, sapi: bool, body: Body| {
        Some(Endpoint {
            security,
            weight,
            api: if sapi { Api::Sapi } else { Api::Spot },
            body,
            wallet: None,
        })
    };
    if let Some(ep) = super::binance_wallets::endpoint(method, path) {
        return Some(ep);
    }
    if method != Method::GET {
        return None;
    }
    match path {
        "/api/v3/ping" => ep(Public, 1, false, |_, _, _| json!({})),
        "/api/v3/time" => ep(
            Public,
            1,
            false,
            |sim, _, _| json!({ "serverTime": sim.server_ms() }),
        ),
        "/api/v3/exchangeInfo" => ep(Public, 20, false, exchange_info),
        // Without a symbol: every pair, weight 4.
        "/api/v3/ticker/price" => ep(Public, 4, false, |sim, _, _| {
            super::prices::binance(sim.server_ms(), sim.ticker_state().0)
        }),
        "/api/v3/account" => ep(Signed, 20, false, account),
        "/sapi/v1/account/apiRestrictions" => ep(Signed, 1, true, api_restrictions),
        "/sapi/v1/capital/config/getall" => ep(Signed, 10, true, capital_config),
        "/sapi/v1/margin/allPairs" => ep(ApiKey, 1, true, |_, _, _| margin_pairs(true)),
        "/sapi/v1/margin/isolated/allPairs" => ep(Signed, 10, true, |_, _, _| margin_pairs(false)),
        // Only reached when the app also points fapi/dapi at the simulator.
        "/fapi/v1/exchangeInfo" | "/dapi/v1/exchangeInfo" => ep(
            Public,
            1,
            false,
            |sim, _, _| json!({ "timezone": "UTC", "serverTime": sim.server_ms(), "rateLimits": [], "exchangeFilters": [], "assets": [], "symbols": [] }),
        ),
        _ => None,
    }
}

/// Answers one Binance request (`req.path` without the `/binance` mount).
pub(super) fn answer(sim: &Shared, req: &Req, acct: Option<&SimAccount>) -> Answer {
    let Some(ep) = endpoint(&req.method, &req.path) else {
        return Answer::html(404, String::new());
    };
    let charge = sim
        .binance_limits
        .lock()
        .unwrap()
        .charge(req.ip, ep.weight, ep.api, now_ms());
    let answer = charge.refusal.unwrap_or_else(|| {
        let fault = acct.and_then(|a| a.fault);
        match (fault, ep.security) {
            (_, Security::Public) => Answer::json(200, (ep.body)(sim, req, acct)),
            (Some(Fault::RateLimitBurst), _) => {
                too_much_weight(WEIGHT_LIMIT, 60_000 - now_ms() % 60_000)
            }
            (Some(Fault::Ban418), _) if ep.api == Api::Sapi => {
                too_much_weight(SAPI_LIMIT, 60_000 - now_ms() % 60_000)
            }
            (Some(Fault::Ban418), _) => banned(now_ms() + BAN_MS, now_ms()),
            _ => match authenticate(sim, req, acct, ep.security) {
                Ok(a) => match super::binance_wallets::refusal(req, a, &ep) {
                    Some(refusal) => refusal,
                    None => Answer::json(200, (ep.body)(sim, req, Some(a))),
                },
                Err(refusal) => refusal,
            },
        }
    });
    let answer = answer.with_header("X-MBX-USED-WEIGHT-1M", charge.used);
    if ep.api == Api::Sapi {
        answer.with_header("X-SAPI-USED-IP-WEIGHT-1M", charge.sapi_used)
    } else {
        answer
    }
}

/// Key, IP, clock and signature checks, in Binance's order.
fn authenticate<'a>(
    sim: &Shared,
    req: &Req,
    acct: Option<&'a SimAccount>,
    security: Security,
) -> Result<&'a SimAccount, Answer> {
    let key = req.header("x-mbx-apikey").unwrap_or("");
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(error(401, -2014, "API-key format invalid."));
    }
    let acct = acct.ok_or_else(invalid_key)?;
    let ip_refused = acct.perms.ip_restricted && !acct.perms.ips.contains(&req.ip.to_string());
    if matches!(
        acct.fault,
        Some(Fault::WrongRegion | Fault::IpNotWhitelisted)
    ) || ip_refused
    {
        return Err(invalid_key());
    }
    if security == Security::Signed {
        check_clock(sim, req, acct)?;
        check_signature(req, acct)?;
    }
    if !acct.perms.read {
        return Err(invalid_key());
    }
    Ok(acct)
}

fn check_clock(sim: &Shared, req: &Req, acct: &SimAccount) -> Result<(), Answer> {
    let params = parse_query(&format!("{}&{}", req.query, req.body));
    let mandatory = |name: &str| {
        error(
            400,
            -1102,
            &format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    };
    let timestamp: i64 = params
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| mandatory("timestamp"))?;
    let recv_window: i64 = match params.get("recvWindow") {
        None => 5000,
        Some(w) => w.parse().map_err(|_| mandatory("recvWindow"))?,
    };
    if recv_window > 60_000 {
        return Err(error(400, -1131, "recvWindow must be less than 60000"));
    }
    let skew = match acct.fault {
        Some(Fault::ClockSkewMs(ms)) => ms,
        _ => 0,
    };
    let server = sim.server_ms() + skew;
    if timestamp >= server + 1000 {
        return Err(error(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if server - timestamp > recv_window {
        return Err(error(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

/// Removes the `signature` parameter from a query string or form body.
fn strip_signature(params: &str) -> (String, Option<String>) {
    let mut signature = None;
    let rest: Vec<&str> = params
        .split('&')
        .filter(|p| match p.strip_prefix("signature=") {
            Some(v) => {
                signature = Some(decode(v));
                false
            }
            None => !p.is_empty(),
        })
        .collect();
    (rest.join("&"), signature)
}

/// totalParams = query string followed by the body; HMAC keys sign it as hex,
/// Ed25519 keys as (percent-encoded) base64.
fn check_signature(req: &Req, acct: &SimAccount) -> Result<(), Answer> {
    let (query, sig_q) = strip_signature(&req.query);
    let (body, sig_b) = strip_signature(&req.body);
    let signature = sig_q.or(sig_b).ok_or_else(|| {
        error(
            400,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        )
    })?;
    let payload = format!("{query}{body}");
    let valid = if acct.secret.contains("PRIVATE KEY") {
        binance_sign::binance_ed25519_verify(&acct.secret, &payload, &signature)
    } else {
        binance_sign::binance_hmac_signature(&acct.secret, &payload)
            .eq_ignore_ascii_case(&signature)
    };
    if valid {
        Ok(())
    } else {
        Err(error(
            400,
            -1022,
            "Signature for this request is not valid.",
        ))
    }
}

const SYMBOLS: [(&str, &str, &str, &str, &str); 5] = [
    ("BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000"),
    ("ETHUSDT", "ETH", "USDT", "0.01000000", "0.00010000"),
    ("ETHBTC", "ETH", "BTC", "0.00001000", "0.00010000"),
    ("BNBUSDT", "BNB", "USDT", "0.01000000", "0.00100000"),
    ("SOLUSDT", "SOL", "USDT", "0.01000000", "0.00100000"),
];

fn exchange_info(sim: &Shared, _: &Req, _: Option<&SimAccount>) -> Value {
    let symbols: Vec<Value> = SYMBOLS
        .iter()
        .map(|(symbol, base, quote, tick, step)| {
            json!({
                "symbol": symbol, "status": "TRADING",
                "baseAsset": base, "baseAssetPrecision": 8,
                "quoteAsset": quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": true, "ocoAllowed": true, "otoAllowed": true,
                "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true, "cancelReplaceAllowed": true,
                "amendAllowed": true, "pegInstructionsAllowed": true,
                "isSpotTradingAllowed": true, "isMarginTradingAllowed": true,
                "filters": [
                    { "filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick },
                    { "filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000", "stepSize": step },
                    { "filterType": "ICEBERG_PARTS", "limit": 10 },
                    { "filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0.00000000" },
                    { "filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000 },
                    { "filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5 },
                    { "filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5 },
                    { "filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200 },
                    { "filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5 }
                ],
                "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"]
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": sim.server_ms(),
        "rateLimits": [
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": WEIGHT_LIMIT },
            { "rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100 },
            { "rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000 },
            { "rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000 }
        ],
        "exchangeFilters": [],
        "symbols": symbols
    })
}

pub(super) fn account(sim: &Shared, req: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let omit_zero = parse_query(&req.query)
        .get("omitZeroBalances")
        .is_some_and(|v| v == "true");
    let balances: Vec<Value> = acct
        .balances
        .iter()
        .filter(|(_, free, locked)| !(omit_zero && is_zero(free) && is_zero(locked)))
        .map(|(asset, free, locked)| json!({ "asset": asset, "free": free, "locked": locked }))
        .collect();
    json!({
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": { "maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000" },
        "canTrade": acct.perms.trade, "canWithdraw": acct.perms.withdraw, "canDeposit": true,
        "brokered": false, "requireSelfTradePrevention": false, "preventSor": false,
        "updateTime": sim.server_ms() - 86_400_000,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": acct.uid()
    })
}

pub(super) fn api_restrictions(sim: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let p = &acct.perms;
    let mut answer = json!({
        "ipRestrict": p.ip_restricted,
        "createTime": 1_698_645_219_000i64,
        "enableReading": p.read,
        "enableSpotAndMarginTrading": p.trade,
        "enableWithdrawals": p.withdraw,
        "enableInternalTransfer": false,
        "enableMargin": false,
        "enableFutures": super::binance_wallets::futures_enabled(acct),
        "permitsUniversalTransfer": false,
        "enableVanillaOptions": false,
        "enableFixApiTrade": false,
        "enableFixReadOnly": false,
        "enablePortfolioMarginTrading": false
    });
    // Binance ends spot and margin trading on a key without an IP restriction 90 days
    // after it was enabled, and says when: here 60 days from the sim's now, or as set.
    if p.trade && !p.ip_restricted {
        let days = sim.trading_ends_in_days(&acct.api_key);
        answer["tradingAuthorityExpirationTime"] = json!(sim.server_ms() + days * 86_400_000);
    }
    answer
}

const COINS: [(&str, &str, &str, &str); 7] = [
    ("BTC", "Bitcoin", "BTC", "0.0002"),
    ("ETH", "Ethereum", "ETH", "0.0012"),
    ("USDT", "TetherUS", "ETH", "4.5"),
    ("BNB", "BNB", "BSC", "0.0005"),
    ("SOL", "Solana", "SOL", "0.008"),
    ("LTC", "Litecoin", "LTC", "0.001"),
    ("USDC", "USD Coin", "ETH", "4"),
];

fn capital_config(_: &Shared, _: &Req, acct: Option<&SimAccount>) -> Value {
    let acct = acct.expect("signed endpoint");
    let coins: Vec<Value> = COINS
        .iter()
        .map(|(coin, name, network, fee)| {
            let (free, locked) = acct
                .balances
                .iter()
                .find(|b| b.0 == *coin)
                .map_or(("0".into(), "0".into()), |b| (b.1.clone(), b.2.clone()));
            json!({
                "coin": coin, "name": name,
                "depositAllEnable": true, "withdrawAllEnable": true,
                "free": free, "locked": locked, "freeze": "0", "withdrawing": "0",
                "ipoing": "0", "ipoable": "0", "storage": "0",
                "isLegalMoney": false, "trading": true,
                "networkList": [{
                    "network": network, "coin": coin, "name": name,
                    "withdrawIntegerMultiple": "0.00000001", "isDefault": true,
                    "depositEnable": true, "withdrawEnable": true,
                    "depositDesc": "", "withdrawDesc": "", "specialTips": "",
                    "resetAddressStatus": false, "addressRegex": "^[0-9a-zA-Z]{26,64}$", "memoRegex": "",
                    "withdrawFee": fee, "withdrawMin": add_decimal(fee, fee), "withdrawMax": "9999999999.99999999",
                    "minConfirm": 1, "unLockConfirm": 2, "sameAddress": false,
                    "estimatedArrivalTime": 5, "busy": false,
                    "contractAddressUrl": "", "contractAddress": ""
                }]
            })
        })
        .collect();
    Value::Array(coins)
}

fn margin_pairs(cross: bool) -> Value {
    let pairs: Vec<Value> = SYMBOLS
        .iter()
        .enumerate()
        .map(|(i, (symbol, base, quote, _, _))| {
            let mut pair = json!({
                "symbol": symbol, "base": base, "quote": quote,
                "isMarginTrade": true, "isBuyAllowed": true, "isSellAllowed": true
            });
            if cross {
                pair["id"] = json!((351_637_150_141_315_861u64 + i as u64).to_string());
            }
            pair
        })
        .collect();
    Value::Array(pairs)
}
