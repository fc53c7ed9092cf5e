//! Binance's wallets beyond spot: the wallet overview names those holding coins, then one
//! request per such wallet (funding, Simple Earn, margin, futures).
//!
//! Portfolio Margin: the overview names no Portfolio Margin wallet (Binance's documented
//! answer lists Spot, Funding, Cross Margin, Isolated Margin, USDⓈ-M and COIN-M Futures,
//! Earn, Options, Trading Bots, Copy Trading), so each round also asks
//! `GET /sapi/v1/account/info` (weight 1), whose documented `isPortfolioMarginRetailEnabled`
//! says whether the account is a Portfolio Margin account. When it is, its cross margin,
//! USDⓈ-M and COIN-M wallets live inside the unified account: `GET /papi/v1/balance`
//! (weight 20) is read in their place, and they are not asked (a Portfolio Margin
//! account's keys lose "Enable Futures" anyway), so no coin is counted twice. The key's
//! `enablePortfolioMarginTrading` (`apiRestrictions`) is no trigger: it tells what the key
//! may trade, and a read-only key of a Portfolio Margin account has it off. Portfolio
//! Margin Pro (`/sapi/v1/portfolio/*`) keeps the classic margin and futures endpoints, so
//! its coins are read as a classic account's.

use super::{Overview, Request, Unified, WalletRead, Wallets};
use crate::exchange::parse::{ParseError, asset, decimal};
use crate::model::{Balance, Wallet};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The overview's names (`walletName` of `GET /sapi/v1/asset/wallet/balance`).
pub const FUNDING: &str = "Funding";
/// Simple Earn, flexible and locked alike.
pub const EARN: &str = "Earn";
pub const CROSS_MARGIN: &str = "Cross Margin";
pub const ISOLATED_MARGIN: &str = "Isolated Margin";
pub const USDM_FUTURES: &str = "USDⓈ-M Futures";
pub const COINM_FUTURES: &str = "COIN-M Futures";
/// Not an overview name: the name of the Portfolio Margin read in the table, read when
/// `GET /sapi/v1/account/info` says the account is one (see [`Unified`]).
pub const PORTFOLIO_MARGIN: &str = "Portfolio Margin";

fn no_params() -> Value {
    json!({})
}

/// Simple Earn's largest page. An account with more than 100 flexible (or locked)
/// positions has the rest unread: one page per round is what keyfolio spends (150 weight
/// a page); the answer's `total` says how many there are, and [`earn_rows`] logs the gap.
fn earn_page() -> Value {
    json!({ "size": 100 })
}

/// Binance: spot from `GET /api/v3/account`, the others from the table.
pub static WALLETS: Wallets = Wallets {
    primary: Wallet::Spot,
    overview: Some(Overview {
        request: Request {
            method: "sapi_get_asset_wallet_balance",
            params: no_params,
            weight: 60,
        },
        parse: overview,
        unified: Some(Unified {
            request: Request {
                method: "sapi_get_account_info",
                params: no_params,
                weight: 1,
            },
            parse: is_portfolio_margin,
            name: PORTFOLIO_MARGIN,
            holds: &[CROSS_MARGIN, USDM_FUTURES, COINM_FUTURES],
        }),
    }),
    reads: &[
        WalletRead {
            wallet: Wallet::Funding,
            request: Request {
                method: "sapi_post_asset_get_funding_asset",
                params: no_params,
                weight: 1,
            },
            overview_name: Some(FUNDING),
            parse: funding,
        },
        WalletRead {
            wallet: Wallet::EarnFlexible,
            request: Request {
                method: "sapi_get_simple_earn_flexible_position",
                params: earn_page,
                weight: 150,
            },
            overview_name: Some(EARN),
            parse: earn_flexible,
        },
        WalletRead {
            wallet: Wallet::EarnLocked,
            request: Request {
                method: "sapi_get_simple_earn_locked_position",
                params: earn_page,
                weight: 150,
            },
            overview_name: Some(EARN),
            parse: earn_locked,
        },
        WalletRead {
            wallet: Wallet::CrossMargin,
            request: Request {
                method: "sapi_get_margin_account",
                params: no_params,
                weight: 10,
            },
            overview_name: Some(CROSS_MARGIN),
            parse: cross_margin,
        },
        WalletRead {
            wallet: Wallet::IsolatedMargin,
            request: Request {
                method: "sapi_get_margin_isolated_account",
                params: no_params,
                weight: 10,
            },
            overview_name: Some(ISOLATED_MARGIN),
            parse: isolated_margin,
        },
        WalletRead {
            wallet: Wallet::UsdmFutures,
            // `GET /fapi/v3/account`, what CCXT's own fetchBalance({type: 'swap'}) reads
            // (so CCXT's recording of a live answer tests this parser); weight 5, as
            // `/fapi/v3/balance`.
            request: Request {
                method: "fapi_private_v3_get_account",
                params: no_params,
                weight: 5,
            },
            overview_name: Some(USDM_FUTURES),
            parse: usdm_futures,
        },
        WalletRead {
            wallet: Wallet::CoinmFutures,
            request: Request {
                method: "dapi_private_get_balance",
                params: no_params,
                weight: 1,
            },
            overview_name: Some(COINM_FUTURES),
            parse: coinm_futures,
        },
        WalletRead {
            wallet: Wallet::PortfolioMargin,
            request: Request {
                method: "papi_get_balance",
                params: no_params,
                weight: 20,
            },
            overview_name: Some(PORTFOLIO_MARGIN),
            parse: portfolio_margin,
        },
    ],
    settle,
};

/// A list at the top of the answer (or under `field`).
fn list<'a>(body: &'a Value, field: Option<&str>) -> Result<&'a Vec<Value>, ParseError> {
    let v = match field {
        Some(f) => body.get(f),
        None => Some(body),
    };
    v.and_then(Value::as_array).ok_or_else(|| match field {
        Some(f) => format!("Binance answer has no `{f}` list"),
        None => "Binance answer is not a list".to_string(),
    })
}

/// One wallet's rows, one per asset (amounts of the same asset summed: isolated pairs
/// share a quote asset, locked positions an asset), zero rows left out. A negative
/// total (a margin debt) is kept.
#[derive(Default)]
struct Rows(BTreeMap<String, (Decimal, Decimal, Decimal)>);

impl Rows {
    fn add(&mut self, asset: String, free: Decimal, used: Decimal, total: Decimal) {
        let row = self.0.entry(asset).or_default();
        row.0 += free;
        row.1 += used;
        row.2 += total;
    }

    fn done(self) -> Vec<Balance> {
        self.0
            .into_iter()
            .filter(|(_, (f, u, t))| !(f.is_zero() && u.is_zero() && t.is_zero()))
            .map(|(asset, (free, used, total))| Balance {
                // The caller sets the wallet of the read.
                wallet: Wallet::Spot,
                asset,
                free: free.to_string(),
                used: used.to_string(),
                total: total.to_string(),
                approximate: false,
            })
            .collect()
    }
}

/// `GET /sapi/v1/asset/wallet/balance`: the names of the active wallets whose value
/// (in BTC, 8 decimals) is not zero. Not zero rather than above zero: a margin wallet
/// whose debt outweighs its assets is still read, so the debt is counted.
pub fn overview(body: &Value) -> Result<Vec<String>, ParseError> {
    let mut names = Vec::new();
    for entry in list(body, None)? {
        let name = entry
            .get("walletName")
            .and_then(Value::as_str)
            .ok_or("Binance wallet overview entry has no `walletName`")?;
        if entry.get("activate").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        if !decimal(entry, "balance")?.is_zero() {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// `POST /sapi/v1/asset/get-funding-asset`: everything the Funding wallet holds is the
/// holding. `free` is free; locked (P2P orders, ads), frozen and withdrawing amounts are
/// the account's but not usable now, so they are `used`.
pub fn funding(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in list(body, None)? {
        let free = decimal(entry, "free")?;
        let used =
            decimal(entry, "locked")? + decimal(entry, "freeze")? + decimal(entry, "withdrawing")?;
        rows.add(asset(entry, "asset")?, free, used, free + used);
    }
    Ok(rows.done())
}

/// The `rows` of a Simple Earn answer, with a warning when the page did not hold them all.
fn earn_rows<'a>(body: &'a Value, what: &str) -> Result<&'a Vec<Value>, ParseError> {
    let rows = list(body, Some("rows"))?;
    if let Some(total) = body.get("total").and_then(Value::as_u64)
        && total > rows.len() as u64
    {
        tracing::warn!(
            positions = total,
            read = rows.len(),
            "Binance Simple Earn {what}: more positions than one page holds; the rest are not counted"
        );
    }
    Ok(rows)
}

/// `GET /sapi/v1/simple-earn/flexible/position`: `totalAmount` per asset, redeemable at
/// any time, so free.
pub fn earn_flexible(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in earn_rows(body, "flexible")? {
        let amount = decimal(entry, "totalAmount")?;
        rows.add(asset(entry, "asset")?, amount, Decimal::ZERO, amount);
    }
    Ok(rows.done())
}

/// `GET /sapi/v1/simple-earn/locked/position`: `amount` per position, locked until its
/// term ends, so used.
pub fn earn_locked(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in earn_rows(body, "locked")? {
        let amount = decimal(entry, "amount")?;
        rows.add(asset(entry, "asset")?, Decimal::ZERO, amount, amount);
    }
    Ok(rows.done())
}

/// One margin asset: free and locked as they are, the total `netAsset` (free + locked −
/// borrowed − interest), negative when the debt is larger.
fn margin_asset(rows: &mut Rows, entry: &Value) -> Result<(), ParseError> {
    rows.add(
        asset(entry, "asset")?,
        decimal(entry, "free")?,
        decimal(entry, "locked")?,
        decimal(entry, "netAsset")?,
    );
    Ok(())
}

/// `GET /sapi/v1/margin/account`: `userAssets`, net of what is borrowed and its interest.
pub fn cross_margin(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in list(body, Some("userAssets"))? {
        margin_asset(&mut rows, entry)?;
    }
    Ok(rows.done())
}

/// `GET /sapi/v1/margin/isolated/account`: each pair's base and quote asset, net; the
/// same asset in several pairs is one row.
pub fn isolated_margin(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for pair in list(body, Some("assets"))? {
        for side in ["baseAsset", "quoteAsset"] {
            let entry = pair
                .get(side)
                .ok_or_else(|| format!("Binance isolated pair has no `{side}`"))?;
            margin_asset(&mut rows, entry)?;
        }
    }
    Ok(rows.done())
}

/// Free out of a wallet balance: what may be withdrawn, never more than the balance nor
/// less than zero; the rest is used (margin held by positions and orders).
fn split(balance: Decimal, withdrawable: Decimal) -> (Decimal, Decimal) {
    let free = withdrawable.min(balance).max(Decimal::ZERO);
    (free, balance - free)
}

/// `GET /fapi/v3/account`: each asset's `walletBalance`. Unrealised PnL is left out: it
/// is not the trader's until the position closes and moves with every tick, and the
/// wallet balance is what the exchange's own wallet view and transfers count.
pub fn usdm_futures(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in list(body, Some("assets"))? {
        let balance = decimal(entry, "walletBalance")?;
        let (free, used) = split(balance, decimal(entry, "maxWithdrawAmount")?);
        rows.add(asset(entry, "asset")?, free, used, balance);
    }
    Ok(rows.done())
}

/// `GET /dapi/v1/balance`: each asset's `balance` (wallet balance, unrealised PnL left
/// out as for USDⓈ-M).
pub fn coinm_futures(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in list(body, None)? {
        let balance = decimal(entry, "balance")?;
        let (free, used) = split(balance, decimal(entry, "withdrawAvailable")?);
        rows.add(asset(entry, "asset")?, free, used, balance);
    }
    Ok(rows.done())
}

/// `GET /sapi/v1/account/info`: `isPortfolioMarginRetailEnabled`, absent read as false
/// (an account Binance does not say is one is read as a classic account).
pub fn is_portfolio_margin(body: &Value) -> Result<bool, ParseError> {
    if !body.is_object() {
        return Err("Binance account info is not an object".into());
    }
    match body.get("isPortfolioMarginRetailEnabled") {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| "Binance `isPortfolioMarginRetailEnabled` is not a boolean".into()),
    }
}

/// `GET /papi/v1/balance`, one entry per asset of the unified account: its cross margin
/// net of what is borrowed and its interest, plus its USDⓈ-M and COIN-M wallet balances
/// (crossMarginFree + crossMarginLocked − crossMarginBorrowed − crossMarginInterest +
/// umWalletBalance + cmWalletBalance; Binance's `totalWalletBalance` is the same less
/// the debt). A debt larger than the asset held is a negative total, kept. Unrealised
/// PnL is left out as for the futures wallets. Free is the cross margin's free amount;
/// the rest (locked, futures wallet balances) is used. `negativeBalance` is not counted:
/// Binance documents no sum it belongs to, and a non-zero one is logged.
pub fn portfolio_margin(body: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = Rows::default();
    for entry in list(body, None)? {
        let asset = asset(entry, "asset")?;
        let free = decimal(entry, "crossMarginFree")?;
        let used = decimal(entry, "crossMarginLocked")?
            + decimal(entry, "umWalletBalance")?
            + decimal(entry, "cmWalletBalance")?;
        let debt = decimal(entry, "crossMarginBorrowed")? + decimal(entry, "crossMarginInterest")?;
        if entry.get("negativeBalance").is_some() && !decimal(entry, "negativeBalance")?.is_zero() {
            tracing::warn!(
                asset,
                "Binance Portfolio Margin: a negative balance, not counted"
            );
        }
        rows.add(asset, free, used, free + used - debt);
    }
    Ok(rows.done())
}

/// Real assets whose code starts with `LD` that are not Simple Earn wrappers (Lido DAO).
const LD_ASSETS: &[&str] = &["LDO"];

/// Spot rows named `LD<asset>` are Simple Earn flexible holdings. Where the flexible read
/// counted `<asset>` they are dropped (counted once); otherwise (the read did not run,
/// or the key could not read it) they are counted as `<asset>` in the flexible wallet.
pub fn settle(rows: &mut Vec<Balance>) {
    let counted: Vec<String> = rows
        .iter()
        .filter(|b| b.wallet == Wallet::EarnFlexible)
        .map(|b| b.asset.clone())
        .collect();
    rows.retain_mut(|b| {
        if b.wallet != Wallet::Spot || LD_ASSETS.contains(&b.asset.as_str()) {
            return true;
        }
        let Some(underlying) = b.asset.strip_prefix("LD").filter(|u| !u.is_empty()) else {
            return true;
        };
        if counted.iter().any(|c| c == underlying) {
            return false;
        }
        b.asset = underlying.to_string();
        b.wallet = Wallet::EarnFlexible;
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn fixture() -> Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/wallets/binance.json"
        ))
        .expect("fixture");
        serde_json::from_str(&text).expect("fixture is JSON")
    }

    fn answer(name: &str) -> Value {
        fixture()["answers"][name]["httpResponse"].clone()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn sum(rows: &[Balance]) -> Decimal {
        rows.iter().map(|b| dec(&b.total)).sum()
    }

    fn row<'a>(rows: &'a [Balance], asset: &str) -> &'a Balance {
        rows.iter().find(|b| b.asset == asset).expect(asset)
    }

    #[test]
    fn overview_names_the_non_empty_active_wallets() {
        let names = overview(&answer("overview")).unwrap();
        assert_eq!(names, vec![USDM_FUTURES.to_string()]);
        let negative = json!([
            { "activate": true, "balance": "-0.001", "walletName": "Cross Margin" },
            { "activate": false, "balance": "1", "walletName": "Options" },
            { "activate": true, "balance": "0.5", "walletName": "Funding" }
        ]);
        assert_eq!(overview(&negative).unwrap(), vec![CROSS_MARGIN, FUNDING]);
        assert!(overview(&json!({ "code": -2015 })).is_err());
        // Every name the table asks for is one the documented answer lists.
        let listed: Vec<String> = list(&answer("overview"), None)
            .unwrap()
            .iter()
            .map(|e| e["walletName"].as_str().unwrap().to_string())
            .collect();
        // Every name the table asks for is one the documented answer lists, but the
        // Portfolio Margin read's, which the account info decides; the wallets it holds
        // are listed.
        let unified = WALLETS.overview.as_ref().unwrap().unified.as_ref().unwrap();
        for read in WALLETS.reads {
            let name = read.overview_name.unwrap();
            assert_eq!(
                listed.iter().any(|l| l == name),
                name != unified.name,
                "{name}"
            );
        }
        for name in unified.holds {
            assert!(listed.iter().any(|l| l == name), "{name}");
        }
    }

    #[test]
    fn account_info_tells_a_portfolio_margin_account() {
        assert!(is_portfolio_margin(&answer("account_info")).unwrap());
        let classic = json!({ "vipLevel": 0, "isMarginEnabled": true, "isFutureEnabled": true,
            "isOptionsEnabled": false, "isPortfolioMarginRetailEnabled": false });
        assert!(!is_portfolio_margin(&classic).unwrap());
        // An answer without the field (an older or regional API) is a classic account.
        assert!(!is_portfolio_margin(&json!({ "vipLevel": 0 })).unwrap());
        assert!(is_portfolio_margin(&json!({ "isPortfolioMarginRetailEnabled": "true" })).is_err());
        assert!(is_portfolio_margin(&json!([])).is_err());
    }

    #[test]
    fn portfolio_margin_is_net_of_debt_and_keeps_it() {
        let rows = portfolio_margin(&answer("portfolio_margin")).unwrap();
        // By hand from CCXT's recorded answer, per asset: cross margin free + locked −
        // borrowed − interest + UM wallet + CM wallet.
        //   ETH   0 + 0 − 0 − 0 + 0 + 0.00057786                            =   0.00057786
        //   USDT  30.6003261 + 0 − 0.00011146 − 0.00007902 + 105.43419058 + 0 = 136.0343262
        //   LTC   0.000636                                                   =   0.000636
        //   USDC  0 + 0 − 0.00014784 − 0.00002402 + 0 + 0                    =  −0.00017186
        //   ADA   10.0325                                                    =  10.0325
        // Sum: 0.00057786 + 136.0343262 + 0.000636 − 0.00017186 + 10.0325 = 146.0678682,
        // which is Binance's totalWalletBalance sum (146.06823054) less the debts
        // (0.00019048 USDT + 0.00017186 USDC).
        assert_eq!(sum(&rows), dec("146.0678682"));
        assert_eq!(dec(&row(&rows, "USDT").total), dec("136.0343262"));
        assert_eq!(dec(&row(&rows, "USDT").free), dec("30.6003261"));
        assert_eq!(dec(&row(&rows, "USDT").used), dec("105.43419058"));
        assert_eq!(row(&rows, "USDC").total, "-0.00017186", "a debt is kept");
        assert_eq!(dec(&row(&rows, "ETH").total), dec("0.00057786"));
        assert_eq!(rows.len(), 5);
        // The recorded totals, less each asset's debt, are the same numbers.
        for entry in answer("portfolio_margin").as_array().unwrap() {
            let f = |k: &str| dec(entry[k].as_str().unwrap());
            let net = f("totalWalletBalance") - f("crossMarginBorrowed") - f("crossMarginInterest");
            assert_eq!(
                dec(&row(&rows, entry["asset"].as_str().unwrap()).total),
                net
            );
        }
        assert!(portfolio_margin(&json!({ "code": -2015, "msg": "x" })).is_err());
        assert!(portfolio_margin(&json!([{ "asset": "BTC", "crossMarginFree": "1" }])).is_err());
    }

    #[test]
    fn funding_counts_locked_frozen_and_withdrawing_as_used() {
        let rows = funding(&answer("funding")).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].asset.as_str(), rows[0].total.as_str()),
            ("USDT", "1")
        );
        let more = json!([{ "asset": "BTC", "free": "0.1", "locked": "0.2", "freeze": "0.3",
            "withdrawing": "0.4", "btcValuation": "1" }]);
        let rows = funding(&more).unwrap();
        assert_eq!(
            (
                rows[0].free.as_str(),
                rows[0].used.as_str(),
                rows[0].total.as_str()
            ),
            ("0.1", "0.9", "1.0")
        );
    }

    #[test]
    fn earn_positions_sum_per_asset() {
        let flexible = earn_flexible(&answer("earn_flexible")).unwrap();
        assert_eq!(flexible.len(), 1);
        assert_eq!(
            (
                row(&flexible, "USDT").free.as_str(),
                row(&flexible, "USDT").total.as_str()
            ),
            ("75.46000000", "75.46000000")
        );
        let locked = earn_locked(&answer("earn_locked")).unwrap();
        assert_eq!(row(&locked, "AXS").used, "122.09202928");
        assert_eq!(row(&locked, "AXS").free, "0");
        let two = json!({ "rows": [ { "asset": "DOT", "amount": "1.5" }, { "asset": "DOT", "amount": "2" } ], "total": 2 });
        assert_eq!(row(&earn_locked(&two).unwrap(), "DOT").total, "3.5");
        // A page short of `total` still counts what it holds.
        let short = json!({ "rows": [ { "asset": "BNB", "totalAmount": "1" } ], "total": 150 });
        assert_eq!(earn_flexible(&short).unwrap().len(), 1);
    }

    #[test]
    fn cross_margin_is_net_and_keeps_debts() {
        let body = answer("cross_margin");
        let rows = cross_margin(&body).unwrap();
        for entry in body["userAssets"].as_array().unwrap() {
            let net = dec(entry["free"].as_str().unwrap()) + dec(entry["locked"].as_str().unwrap())
                - dec(entry["borrowed"].as_str().unwrap())
                - dec(entry["interest"].as_str().unwrap());
            assert_eq!(net, dec(entry["netAsset"].as_str().unwrap()));
        }
        assert_eq!(row(&rows, "BNB").total, "2144.83333328");
        assert_eq!(row(&rows, "BTC").total, "0.00499500");
        assert!(rows.iter().all(|b| b.asset != "ETH"), "empty rows left out");
        let debt = json!({ "userAssets": [ { "asset": "USDC", "borrowed": "0.00014784",
            "free": "0", "interest": "0.00002402", "locked": "0", "netAsset": "-0.00017186" } ] });
        let rows = cross_margin(&debt).unwrap();
        assert_eq!(row(&rows, "USDC").total, "-0.00017186");
    }

    #[test]
    fn isolated_margin_sums_each_asset_over_its_pairs() {
        let rows = isolated_margin(&answer("isolated_margin")).unwrap();
        assert!(rows.is_empty(), "the documented answer holds nothing");
        let pair = |sym: &str, base: &str, b: &str, q: &str| {
            json!({
                "symbol": sym,
                "baseAsset": { "asset": base, "borrowed": "0", "free": b, "interest": "0", "locked": "0", "netAsset": b },
                "quoteAsset": { "asset": "USDT", "borrowed": "10", "free": q, "interest": "0.5", "locked": "0",
                    "netAsset": (dec(q) - dec("10.5")).to_string() }
            })
        };
        let body = json!({ "assets": [pair("BTCUSDT", "BTC", "0.1", "20"), pair("ETHUSDT", "ETH", "2", "5")] });
        let rows = isolated_margin(&body).unwrap();
        assert_eq!(row(&rows, "USDT").total, "4.0");
        assert_eq!(row(&rows, "BTC").total, "0.1");
    }

    #[test]
    fn usdm_futures_sum_equals_the_recorded_wallet_total() {
        let body = answer("usdm_futures");
        let rows = usdm_futures(&body).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(row(&rows, "USDT").total, "31.02261200");
        assert_eq!(
            sum(&rows),
            dec(body["totalWalletBalance"].as_str().unwrap())
        );
        // Wallet balance, not margin balance: unrealised PnL is not in the total.
        let pnl = fixture()["answers"]["usdm_futures_with_position"]["httpResponse"].clone();
        let rows = usdm_futures(&pnl).unwrap();
        assert_eq!(row(&rows, "USDT").total, "3.72964781");
        assert_eq!(row(&rows, "USDC").total, "22.00000000");
        assert!(rows.iter().all(|b| b.asset != "BNB"), "empty rows left out");
    }

    #[test]
    fn coinm_futures_read_the_wallet_balance() {
        let rows = coinm_futures(&answer("coinm_futures")).unwrap();
        assert_eq!(row(&rows, "BTC").total, "0.00250000");
        assert_eq!(row(&rows, "BTC").free, "0.00250000");
        let negative = json!([{ "asset": "ETH", "balance": "-0.1", "withdrawAvailable": "0" }]);
        let rows = coinm_futures(&negative).unwrap();
        assert_eq!(
            (rows[0].free.as_str(), rows[0].total.as_str()),
            ("0", "-0.1")
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_empty_wallets() {
        assert!(funding(&json!({ "code": -1, "msg": "x" })).is_err());
        assert!(earn_flexible(&json!([])).is_err());
        assert!(cross_margin(&json!({ "userAssets": [ { "asset": "BTC", "free": 1 } ] })).is_err());
        assert!(usdm_futures(&json!({ "assets": [ { "asset": "\u{1b}[2J", "walletBalance": "1", "maxWithdrawAmount": "1" } ] })).is_err());
    }

    fn bal(wallet: Wallet, asset: &str, total: &str) -> Balance {
        Balance {
            wallet,
            asset: asset.into(),
            free: total.into(),
            used: "0".into(),
            total: total.into(),
            approximate: false,
        }
    }

    #[test]
    fn settle_counts_ld_assets_once_and_leaves_lido_alone() {
        // The flexible read ran and counted BTC: LDBTC is the same coins.
        let mut rows = vec![
            bal(Wallet::Spot, "LDBTC", "0.5"),
            bal(Wallet::Spot, "LDO", "10"),
            bal(Wallet::Spot, "LDUSDT", "7"),
            bal(Wallet::Spot, "BTC", "1"),
            bal(Wallet::EarnFlexible, "BTC", "0.5"),
        ];
        settle(&mut rows);
        assert_eq!(
            rows,
            vec![
                bal(Wallet::Spot, "LDO", "10"),
                bal(Wallet::EarnFlexible, "USDT", "7"),
                bal(Wallet::Spot, "BTC", "1"),
                bal(Wallet::EarnFlexible, "BTC", "0.5"),
            ]
        );
        // The flexible read did not run: LD rows are earn holdings of their asset.
        let mut rows = vec![
            bal(Wallet::Spot, "LDLDO", "3"),
            bal(Wallet::Spot, "LD", "1"),
        ];
        settle(&mut rows);
        assert_eq!(
            rows,
            vec![
                bal(Wallet::EarnFlexible, "LDO", "3"),
                bal(Wallet::Spot, "LD", "1")
            ]
        );
    }
}
