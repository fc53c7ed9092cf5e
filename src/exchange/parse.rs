//! Turns the exchanges' raw JSON answers into balances and permissions.
//!
//! Amounts stay the exchange's decimal strings (CCXT's typed balances are f64 and would
//! round them). Anything malformed is an error, never an empty portfolio.

use crate::model::{AccountSnapshot, Balance, ExchangeId, Failure, FailureKind, Permissions};
use rust_decimal::Decimal;
use serde_json::Value;

/// Why a body could not be read.
pub type ParseError = String;

pub(crate) fn decimal(v: &Value, field: &str) -> Result<Decimal, ParseError> {
    let text = match v.get(field) {
        Some(Value::String(s)) if s.is_empty() => "0",
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(format!(
                "field `{field}` is missing or not a decimal string"
            ));
        }
    };
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| format!("field `{field}` is not a decimal"))
}

pub(crate) fn text(v: &Value, field: &str) -> Result<String, ParseError> {
    match v.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(format!("field `{field}` is missing")),
    }
}

/// An asset code from an answer, checked: anything that does not look like an asset code
/// (see [`crate::text::check_asset_code`]) makes the whole answer unexpected.
pub(crate) fn asset(v: &Value, field: &str) -> Result<String, ParseError> {
    let code = text(v, field)?;
    crate::text::check_asset_code(&code)
        .map_err(|why| format!("field `{field}` is {why}, not an asset code"))?;
    Ok(code)
}

/// The snapshot of one sync: the balance answer, and the permissions answer when it was
/// asked for.
pub fn snapshot(
    exchange: ExchangeId,
    balance_body: &Value,
    permissions_body: Option<&Value>,
) -> Result<AccountSnapshot, Failure> {
    let balances = balances(exchange, balance_body)?;
    if exchange.is_generic() {
        // One read of the key information tells permissions, account and expiry.
        let facts = permissions_body
            .map(|body| key_facts(exchange, body))
            .transpose()?;
        return Ok(AccountSnapshot {
            balances,
            permissions: facts.as_ref().and_then(|f| f.permissions),
            account_id: facts.as_ref().and_then(|f| f.account_id.clone()),
            expiry: facts.map(|f| f.expiry).unwrap_or_default(),
            ..Default::default()
        });
    }
    Ok(AccountSnapshot {
        balances,
        permissions: permissions_body
            .map(|body| permissions(exchange, body))
            .transpose()?
            .flatten(),
        account_id: account_id(exchange, balance_body, permissions_body),
        expiry: match (exchange, permissions_body) {
            (ExchangeId::Binance, Some(body)) => binance_expiry(body),
            _ => Default::default(),
        },
        ..Default::default()
    })
}

/// When trading stops on a Binance key: `tradingAuthorityExpirationTime` (ms; trading ends
/// on keys without an IP restriction).
fn binance_expiry(permissions_body: &Value) -> crate::model::KeyExpiry {
    crate::model::KeyExpiry {
        key_expires_at: None,
        trading_ends_at: crate::exchange::key_info::time_field(
            permissions_body.get("tradingAuthorityExpirationTime"),
        ),
    }
}

/// A generic exchange's key information, read by its own parser.
fn key_facts(
    exchange: ExchangeId,
    body: &Value,
) -> Result<crate::exchange::key_info::KeyFacts, Failure> {
    crate::exchange::key_info::call_for(exchange.id())
        .ok_or_else(|| format!("{exchange} permissions are not read"))
        .and_then(|info| (info.parse)(body))
        .map_err(|e| Failure::new(FailureKind::UnexpectedResponse, e))
}

/// The account number: Binance `uid` in the account answer, OKX `uid` in the config
/// (a generic exchange's comes with its [`key_facts`]).
fn account_id(
    exchange: ExchangeId,
    balance_body: &Value,
    permissions_body: Option<&Value>,
) -> Option<String> {
    let uid = match exchange {
        ExchangeId::Binance => balance_body.get("uid"),
        ExchangeId::Okx => permissions_body?.pointer("/data/0/uid"),
        ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => None,
    };
    match uid? {
        Value::String(s) if !s.is_empty() => Some(crate::text::free_text(s, 64)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An exchange's balance answer, or an "unexpected response" failure.
pub fn balances(exchange: ExchangeId, body: &Value) -> Result<Vec<Balance>, Failure> {
    match exchange {
        ExchangeId::Binance => binance_balances(body),
        ExchangeId::Okx => okx_balances(body),
        ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => unified_balances(body),
    }
    .map_err(|e| Failure::new(FailureKind::UnexpectedResponse, e))
}

/// An exchange's permission answer (`None`: the answer does not say what the key may
/// do), or an "unexpected response" failure.
pub fn permissions(exchange: ExchangeId, body: &Value) -> Result<Option<Permissions>, Failure> {
    let unexpected = |e| Failure::new(FailureKind::UnexpectedResponse, e);
    match exchange {
        ExchangeId::Binance => binance_permissions(body).map(Some).map_err(unexpected),
        ExchangeId::Okx => okx_permissions(body).map(Some).map_err(unexpected),
        ExchangeId::Ccxt(_) => key_facts(exchange, body).map(|facts| facts.permissions),
        ExchangeId::Absent(_) => Err(unexpected(format!("{exchange} permissions are not read"))),
    }
}

/// CCXT's unified balance (`fetch_balance`): every asset with a non-zero total.
///
/// CCXT's amounts are f64. Each is written as the exchange's own string from `info`
/// when one there is the same number (the exchange's digits, exactly), else as the
/// f64's shortest decimal; one with 16 or more significant digits and no such string
/// may have lost digits and is marked approximate. An answer whose `info` is not JSON
/// (an HTML page, plain text: CCXT hands those on as an empty balance) is unexpected.
pub fn unified_balances(unified: &Value) -> Result<Vec<Balance>, ParseError> {
    let info = unified.get("info").unwrap_or(&Value::Null);
    if !(info.is_object() || info.is_array()) {
        return Err("the exchange's answer is not the JSON it documents".into());
    }
    let totals = unified
        .get("total")
        .and_then(Value::as_object)
        .ok_or("CCXT's balance has no `total`")?;
    let mut exact = std::collections::HashMap::new();
    decimal_strings(info, &mut exact);
    let amount = |part: &str, code: &str| -> Option<f64> { unified.get(part)?.get(code)?.as_f64() };
    let mut out = Vec::new();
    for (code, total) in totals {
        let Some(total) = total.as_f64() else {
            continue;
        };
        if total == 0.0 {
            continue;
        }
        crate::text::check_asset_code(code)
            .map_err(|why| format!("asset `{code:.40}` is {why}, not an asset code"))?;
        let free = amount("free", code).unwrap_or(0.0);
        let used = amount("used", code).unwrap_or(0.0);
        let mut written = [free, used, total].map(|x| written_amount(x, &exact));
        if written[2].1 && !written[0].1 && !written[1].1 {
            // No string is the total, but free and used are exact: their sum is, when it
            // is the number CCXT added up.
            let sum = [&written[0].0, &written[1].0]
                .map(|s| Decimal::from_str_exact(s).unwrap_or_default());
            let sum = sum[0] + sum[1];
            if sum.to_string().parse::<f64>().ok() == Some(total) {
                written[2] = (sum.to_string(), false);
            }
        }
        // An f64 beyond a decimal's 28 digits (a corrupt or hostile answer) would be a
        // total nothing can add up: the answer is unexpected, as Binance's and OKX's are.
        if let Some((s, _)) = written
            .iter()
            .find(|(s, _)| crate::model::add_decimals([s.as_str()]).is_none())
        {
            return Err(format!(
                "asset `{code}` has the amount {s:.40}, not a decimal"
            ));
        }
        out.push(Balance {
            wallet: crate::model::Wallet::Spot,
            asset: code.clone(),
            free: written[0].0.clone(),
            used: written[1].0.clone(),
            total: written[2].0.clone(),
            approximate: written.iter().any(|(_, approximate)| *approximate),
        });
    }
    out.sort_by(|a, b| a.asset.cmp(&b.asset));
    Ok(out)
}

/// Every decimal string in an answer, by the f64 it reads as. Where two strings of
/// different value read as one f64 (Blofin's `equity` and `available` differ in the 18th
/// decimal), neither can be told to be the amount: `None`.
fn decimal_strings(value: &Value, found: &mut std::collections::HashMap<u64, Option<String>>) {
    match value {
        Value::String(s) => {
            let looks_decimal = !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
            if looks_decimal && let Ok(x) = s.parse::<f64>() {
                let value = Decimal::from_str_exact(s).ok();
                found
                    .entry(x.to_bits())
                    .and_modify(|known| {
                        let same = known
                            .as_deref()
                            .is_some_and(|k| Decimal::from_str_exact(k).ok() == value);
                        if !same {
                            *known = None;
                        }
                    })
                    .or_insert_with(|| Some(s.clone()));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| decimal_strings(v, found)),
        Value::Object(map) => map.values().for_each(|v| decimal_strings(v, found)),
        _ => {}
    }
}

/// An f64 amount as a decimal string, and whether it may have lost digits.
fn written_amount(
    x: f64,
    exact: &std::collections::HashMap<u64, Option<String>>,
) -> (String, bool) {
    if x == 0.0 {
        return ("0".into(), false);
    }
    match exact.get(&x.to_bits()) {
        Some(Some(s)) => return (s.clone(), false),
        Some(None) => return (format!("{x}"), true),
        None => {}
    }
    let shortest = format!("{x}");
    let significant = shortest
        .trim_start_matches(['-', '0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    (shortest, significant >= 16)
}

/// Binance GET /api/v3/account: non-zero balances.
pub fn binance_balances(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let list = body
        .get("balances")
        .and_then(Value::as_array)
        .ok_or("Binance answer has no `balances` list")?;
    let mut out = Vec::new();
    for entry in list {
        let free = decimal(entry, "free")?;
        let locked = decimal(entry, "locked")?;
        if free.is_zero() && locked.is_zero() {
            continue;
        }
        out.push(Balance {
            wallet: crate::model::Wallet::Spot,
            asset: asset(entry, "asset")?,
            free: text(entry, "free")?,
            used: text(entry, "locked")?,
            total: (free + locked).to_string(),
            approximate: false,
        });
    }
    out.sort_by(|a, b| a.asset.cmp(&b.asset));
    Ok(out)
}

/// Binance GET /sapi/v1/account/apiRestrictions.
pub fn binance_permissions(body: &Value) -> Result<Permissions, ParseError> {
    let flag = |name: &str| -> Result<bool, ParseError> {
        body.get(name)
            .and_then(Value::as_bool)
            .ok_or_else(|| format!("Binance answer has no `{name}`"))
    };
    Ok(Permissions {
        read: flag("enableReading")?,
        trade: flag("enableSpotAndMarginTrading")?,
        withdraw: flag("enableWithdrawals")?,
        ip_restricted: flag("ipRestrict")?,
    })
}

/// The `data[0]` object of an OKX v5 answer whose `code` is "0".
fn okx_first(body: &Value) -> Result<&Value, ParseError> {
    okx_data(body)?
        .first()
        .ok_or_else(|| "OKX answer has no `data`".to_string())
}

/// The `data` list of an OKX v5 answer whose `code` is "0".
pub(crate) fn okx_data(body: &Value) -> Result<&Vec<Value>, ParseError> {
    match body.get("code").and_then(Value::as_str) {
        Some("0") => {}
        Some(code) => return Err(format!("OKX answered code {code}")),
        None => return Err("OKX answer has no `code`".into()),
    }
    body.get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| "OKX answer has no `data`".to_string())
}

/// OKX GET /api/v5/account/balance: the trading account's non-zero currencies.
pub fn okx_balances(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let details = okx_first(body)?
        .get("details")
        .and_then(Value::as_array)
        .ok_or("OKX answer has no `details`")?;
    okx_rows(
        details,
        crate::model::Wallet::Spot,
        ("availBal", Some("frozenBal"), "cashBal"),
    )
}

/// OKX's per-currency rows: `ccy` and the fields named for free, used (none: zero) and
/// total; the non-zero ones, by asset.
pub(crate) fn okx_rows(
    entries: &[Value],
    wallet: crate::model::Wallet,
    (free, used, total): (&str, Option<&str>, &str),
) -> Result<Vec<Balance>, ParseError> {
    let mut out = Vec::new();
    for entry in entries {
        let free = decimal(entry, free)?;
        let used = match used {
            None => Decimal::ZERO,
            Some(field) => decimal(entry, field)?,
        };
        let total = decimal(entry, total)?;
        if total.is_zero() && free.is_zero() && used.is_zero() {
            continue;
        }
        out.push(Balance {
            wallet,
            asset: asset(entry, "ccy")?,
            free: free.to_string(),
            used: used.to_string(),
            total: total.to_string(),
            approximate: false,
        });
    }
    out.sort_by(|a, b| a.asset.cmp(&b.asset));
    Ok(out)
}

/// OKX GET /api/v5/account/config: `perm` and `ip`.
pub fn okx_permissions(body: &Value) -> Result<Permissions, ParseError> {
    let config = okx_first(body)?;
    let perm = text(config, "perm")?;
    let has = |p: &str| perm.split(',').any(|x| x.trim() == p);
    Ok(Permissions {
        read: has("read_only") || has("trade") || has("withdraw"),
        trade: has("trade"),
        withdraw: has("withdraw"),
        ip_restricted: config
            .get("ip")
            .and_then(Value::as_str)
            .is_some_and(|ip| !ip.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::add_decimals;
    use serde_json::json;

    #[test]
    fn binance_keeps_every_digit_and_skips_zero() {
        let body = json!({"balances": [
            {"asset": "BTC", "free": "123456789012.12345678", "locked": "0.00000001"},
            {"asset": "XRP", "free": "0.00000000", "locked": "0.00000000"},
            {"asset": "ETH", "free": "0.5", "locked": "1.25"}
        ]});
        let b = binance_balances(&body).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].asset, "BTC");
        assert_eq!(b[0].free, "123456789012.12345678");
        assert_eq!(b[0].total, "123456789012.12345679");
        assert_eq!(b[1].total, "1.75");
    }

    #[test]
    fn the_account_number_comes_from_the_answers_that_carry_it() {
        let binance = json!({"balances": [], "uid": 354937868});
        let id = |e, b: &Value, p: Option<&Value>| snapshot(e, b, p).unwrap().account_id;
        assert_eq!(
            id(ExchangeId::Binance, &binance, None).as_deref(),
            Some("354937868")
        );
        let okx = json!({"code": "0", "data": [{"details": []}]});
        let config = json!({"code": "0", "data": [{"uid": "44705892343619584", "perm": "read_only", "ip": ""}]});
        assert_eq!(
            id(ExchangeId::Okx, &okx, None),
            None,
            "OKX: only the config has it"
        );
        assert_eq!(
            id(ExchangeId::Okx, &okx, Some(&config)).as_deref(),
            Some("44705892343619584")
        );
        assert_eq!(
            id(
                ExchangeId::Binance,
                &json!({"balances": [], "uid": ""}),
                None
            ),
            None
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_empty_portfolios() {
        assert!(binance_balances(&json!({})).is_err());
        assert!(binance_balances(&json!({"balances": [{"asset": "BTC", "free": 1}]})).is_err());
        assert!(okx_balances(&json!({"code": "0", "data": []})).is_err());
        assert!(okx_balances(&json!({"code": "50111", "data": []})).is_err());
        assert!(binance_permissions(&json!({"enableReading": true})).is_err());
    }

    #[test]
    fn okx_balances_and_permissions() {
        let body = json!({"code": "0", "msg": "", "data": [{"details": [
            {"ccy": "USDT", "availBal": "10.5", "frozenBal": "2", "cashBal": "12.5"},
            {"ccy": "DOGE", "availBal": "", "frozenBal": "0", "cashBal": "0"}
        ]}]});
        let b = okx_balances(&body).unwrap();
        assert_eq!(
            b,
            vec![Balance {
                wallet: crate::model::Wallet::Spot,
                asset: "USDT".into(),
                free: "10.5".into(),
                used: "2".into(),
                total: "12.5".into(),
                approximate: false,
            }]
        );
        let p = okx_permissions(
            &json!({"code": "0", "data": [{"perm": "read_only,withdraw", "ip": "1.2.3.4"}]}),
        )
        .unwrap();
        assert_eq!(
            p,
            Permissions {
                read: true,
                trade: false,
                withdraw: true,
                ip_restricted: true
            }
        );
    }

    #[test]
    fn sums_decimals_exactly() {
        assert_eq!(add_decimals(["0.1", "0.2"]).as_deref(), Some("0.3"));
        assert_eq!(
            add_decimals(["123456789012.12345678", "1"]).as_deref(),
            Some("123456789013.12345678")
        );
        assert_eq!(add_decimals(["x"]), None);
    }
}
