//! The generic (CCXT unified) exchanges' wallets: which wallet their default
//! `fetch_balance` reads, and the others reached through its `type` / `marginMode`
//! parameters, one small entry per exchange.
//!
//! Every read is CCXT's own `fetch_balance` with the parameters its code for that
//! exchange accepts (ccxt-base 4.5.91, `src/exchanges/<id>.rs`), parsed as the default
//! call is ([`parse::unified_balances`]); margin wallets are counted net of what is
//! borrowed. Where the default call already answers for every wallet (a unified
//! account, Coinbase's account list, Kraken's one balance) nothing more is asked, so
//! nothing is counted twice.

use super::{SPOT_ONLY, WalletRead, Wallets};
use crate::exchange::parse::{self, ParseError};
use crate::model::{Balance, Wallet};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// One further `fetch_balance` call, one request, for `wallet`, parsed as the default
/// call is.
const fn read(wallet: Wallet, params: fn() -> Value) -> WalletRead {
    read_as(wallet, params, parse::unified_balances)
}

/// [`read`] for a margin wallet: its balances net of what is borrowed.
const fn margin(wallet: Wallet, params: fn() -> Value) -> WalletRead {
    read_as(wallet, params, net_of_debt)
}

const fn read_as(
    wallet: Wallet,
    params: fn() -> Value,
    parse: fn(&Value) -> Result<Vec<Balance>, ParseError>,
) -> WalletRead {
    WalletRead {
        wallet,
        request: super::Request {
            method: "fetch_balance",
            params,
            weight: 1,
        },
        overview_name: None,
        parse,
    }
}

/// The balance call's wallet and the reads beyond it, nothing to settle.
const fn wallets(primary: Wallet, reads: &'static [WalletRead]) -> Wallets {
    Wallets {
        primary,
        overview: None,
        reads,
        settle: super::keep,
    }
}

/// Bybit: keyfolio presets the unified trading account (UTA: spot, margin and both
/// futures in one, `GET /v5/account/wallet-balance?accountType=UNIFIED`); the funding
/// wallet is apart (`GET /v5/asset/transfer/query-account-coins-balance?accountType=FUND`).
static BYBIT: Wallets = wallets(
    Wallet::Trading,
    &[read(Wallet::Funding, || json!({ "type": "funding" }))],
);

/// KuCoin: the trade account is the default (`GET /api/v1/accounts?type=trade`); the main
/// account, where deposits land (`type=main`), and the cross (`GET /api/v1/margin/account`)
/// and isolated (`GET /api/v3/isolated/accounts`) margin accounts are one request each. KuCoin's futures
/// are another CCXT exchange (`kucoinfutures`) and another connection.
static KUCOIN: Wallets = wallets(
    Wallet::Spot,
    &[
        read(Wallet::Funding, || json!({ "type": "main" })),
        margin(Wallet::CrossMargin, || json!({ "marginMode": "cross" })),
        margin(
            Wallet::IsolatedMargin,
            || json!({ "marginMode": "isolated" }),
        ),
    ],
);

/// Gate: spot (`GET /spot/accounts`, keyfolio presets the classic account) and the
/// USDT-settled perpetuals account (`GET /futures/usdt/accounts`).
static GATE: Wallets = wallets(
    Wallet::Spot,
    &[read(Wallet::UsdmFutures, || json!({ "type": "swap" }))],
);

/// Bitget: spot (`GET /api/v2/spot/account/assets`) and USDT-M futures
/// (`GET /api/v2/mix/account/accounts?productType=USDT-FUTURES`).
static BITGET: Wallets = wallets(
    Wallet::Spot,
    &[read(Wallet::UsdmFutures, || json!({ "type": "swap" }))],
);

/// HTX: spot (the account list, then its balance) and the USDT-margined swap account
/// (`GET /v5/account/balance` on the contract host).
static HTX: Wallets = wallets(
    Wallet::Spot,
    &[read(
        Wallet::UsdmFutures,
        || json!({ "type": "swap", "subType": "linear" }),
    )],
);

/// Bitfinex: one list of every wallet (`POST /v2/auth/r/wallets`); CCXT's `type` keeps
/// one kind. The exchange wallet is the default; the margin wallet (counted net of its
/// unsettled interest) and the funding wallet are the same request with another `type`.
static BITFINEX: Wallets = wallets(
    Wallet::Spot,
    &[
        margin(Wallet::CrossMargin, || json!({ "type": "margin" })),
        read(Wallet::Funding, || json!({ "type": "funding" })),
    ],
);

/// Kraken: one balance (`POST /0/private/BalanceEx`) that holds the staked and earning
/// assets too, under their own codes; [`kraken_settle`] counts them as their asset.
static KRAKEN: Wallets = Wallets {
    primary: Wallet::Spot,
    overview: None,
    reads: &[],
    settle: kraken_settle,
};

/// Crypto.com: one unified wallet (`private/user-balance`) for spot, margin and
/// derivatives.
static CRYPTOCOM: Wallets = wallets(Wallet::Trading, &[]);

/// BloFin: the default call reads the futures (USDT-margined) trading account
/// (`GET /api/v1/account/balance`); the funding account is
/// `GET /api/v1/asset/balances?accountType=funding`.
static BLOFIN: Wallets = wallets(
    Wallet::UsdmFutures,
    &[read(
        Wallet::Funding,
        || json!({ "accountType": "funding" }),
    )],
);

/// The wallets of a generic exchange, by CCXT id. Coinbase (its account list already
/// holds the staked accounts, which CCXT adds to their asset), MEXC, Bitstamp, Bitvavo
/// and the rest: the default balance, spot.
pub fn of(id: &str) -> &'static Wallets {
    match id {
        "bybit" => &BYBIT,
        "kucoin" => &KUCOIN,
        "gate" => &GATE,
        "bitget" => &BITGET,
        "htx" => &HTX,
        "bitfinex" => &BITFINEX,
        "kraken" => &KRAKEN,
        "cryptocom" => &CRYPTOCOM,
        "blofin" => &BLOFIN,
        _ => &SPOT_ONLY,
    }
}

/// A margin wallet's balances net of what is borrowed: CCXT's unified balance with its
/// `debt` (borrowed plus interest) taken from each total. A debt with nothing held is a
/// negative row, never dropped.
fn net_of_debt(unified: &Value) -> Result<Vec<Balance>, ParseError> {
    let mut rows = parse::unified_balances(unified)?;
    let Some(debts) = unified.get("debt").and_then(Value::as_object) else {
        return Ok(rows);
    };
    for (code, debt) in debts {
        let Some(debt) = debt.as_f64().filter(|d| *d != 0.0) else {
            continue;
        };
        // An f64 from CCXT prints as the exchange's shortest decimal for it.
        let debt = Decimal::from_str_exact(&debt.to_string())
            .map_err(|_| format!("asset `{code:.40}` owes {debt}, not a decimal"))?;
        match rows.iter_mut().find(|b| &b.asset == code) {
            Some(row) => {
                let total = Decimal::from_str_exact(&row.total).unwrap_or_default() - debt;
                row.total = total.normalize().to_string();
            }
            None => {
                crate::text::check_asset_code(code)
                    .map_err(|why| format!("asset `{code:.40}` is {why}, not an asset code"))?;
                rows.push(Balance {
                    wallet: Wallet::Spot,
                    asset: code.clone(),
                    free: "0".into(),
                    used: "0".into(),
                    total: (-debt).normalize().to_string(),
                    approximate: false,
                });
            }
        }
    }
    rows.retain(|b| b.total != "0");
    rows.sort_by(|a, b| a.asset.cmp(&b.asset));
    Ok(rows)
}

/// Where a Kraken balance code sits: its asset and wallet. Kraken writes staked and
/// earning balances as the asset with a suffix (CCXT keeps it and maps the part before
/// the dot: `XBT.M` -> `BTC.M`): `.S` on-chain staked and `.B` bonded (staking), `.P`
/// bonded to a parachain (locked), `.M` opt-in rewards and `.F` automatic earn
/// (flexible), `.HOLD` funds on hold (the asset itself, where it is). `ETH2` / `ETH2.S`
/// are staked ether.
pub fn kraken_wallet(code: &str, wallet: Wallet) -> (String, Wallet) {
    let (base, suffix) = match code.split_once('.') {
        Some((base, suffix)) => (base, Some(suffix)),
        None => (code, None),
    };
    let (base, staked_eth) = match base {
        "ETH2" => ("ETH", true),
        other => (other, false),
    };
    let wallet = match suffix {
        Some("S" | "B") => Wallet::Staking,
        Some("P") => Wallet::EarnLocked,
        Some("M" | "F") => Wallet::EarnFlexible,
        Some("HOLD") => wallet,
        Some(_) => return (code.to_string(), wallet),
        None if staked_eth => Wallet::Staking,
        None => return (code.to_string(), wallet),
    };
    (base.to_string(), wallet)
}

/// Kraken's staked and earning codes counted as their asset in their wallet; two codes
/// that land on one asset and wallet (`XBT.M` and `XBT.F`) become one row.
fn kraken_settle(rows: &mut Vec<Balance>) {
    let mut settled: Vec<Balance> = Vec::with_capacity(rows.len());
    for mut row in rows.drain(..) {
        let (asset, wallet) = kraken_wallet(&row.asset, row.wallet);
        row.asset = asset;
        row.wallet = wallet;
        match settled
            .iter_mut()
            .find(|b| b.asset == row.asset && b.wallet == row.wallet)
        {
            Some(same) => {
                let add = |a: &str, b: &str| {
                    crate::model::add_decimals([a, b]).unwrap_or_else(|| a.to_string())
                };
                same.free = add(&same.free, &row.free);
                same.used = add(&same.used, &row.used);
                same.total = add(&same.total, &row.total);
                same.approximate |= row.approximate;
            }
            None => settled.push(row),
        }
    }
    settled.sort_by(|a, b| (&a.asset, a.wallet).cmp(&(&b.asset, b.wallet)));
    *rows = settled;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as the default call parses them: CCXT's unified balance of these totals.
    fn parsed(totals: &[(&str, f64)]) -> Vec<Balance> {
        let total: serde_json::Map<String, Value> = totals
            .iter()
            .map(|(c, t)| (c.to_string(), json!(t)))
            .collect();
        let unified = json!({ "info": {}, "total": total, "free": total, "used": {} });
        parse::unified_balances(&unified).unwrap()
    }

    /// Kraken's documented example answer of `POST /0/private/Balance` (docs.kraken.com,
    /// "Get Account Balance": `ETH2.S`, `ETH2`, `USD.M` among plain codes), with one code
    /// of each other suffix added, as CCXT's kraken `safe_currency_code` names them
    /// (`XXBT` -> `BTC`, `XBT.M` -> `BTC.M`). No Kraken balance is recorded by CCXT.
    #[test]
    fn kraken_staked_and_earning_codes_count_as_their_asset() {
        let mut rows = parsed(&[
            ("USD", 171288.6158),
            ("EUR", 504861.8946),
            ("BTC", 1011.19088779),
            ("ETH", 818.55),
            ("USDT", 500000.0),
            ("DAI", 9999.9999999999),
            ("DOT", 2.5),
            ("ETH2.S", 198.39708),
            ("ETH2", 2.588557433),
            ("USD.M", 1213029.278),
            ("DOT.S", 10.0),
            ("DOT.P", 1.5),
            ("BTC.M", 0.25),
            ("BTC.F", 0.5),
            ("SOL.B", 3.0),
            ("USD.HOLD", 40.0),
        ]);
        kraken_settle(&mut rows);
        let got: Vec<(&str, Wallet, &str)> = rows
            .iter()
            .map(|b| (b.asset.as_str(), b.wallet, b.total.as_str()))
            .collect();
        use Wallet::*;
        assert_eq!(
            got,
            [
                ("BTC", Spot, "1011.19088779"),
                ("BTC", EarnFlexible, "0.75"),
                ("DAI", Spot, "9999.9999999999"),
                ("DOT", Spot, "2.5"),
                ("DOT", EarnLocked, "1.5"),
                ("DOT", Staking, "10"),
                ("ETH", Spot, "818.55"),
                ("ETH", Staking, "200.985637433"),
                ("EUR", Spot, "504861.8946"),
                ("SOL", Staking, "3"),
                ("USD", Spot, "171328.6158"),
                ("USD", EarnFlexible, "1213029.278"),
                ("USDT", Spot, "500000"),
            ]
        );
    }

    #[test]
    fn an_unknown_kraken_suffix_stays_as_written() {
        assert_eq!(
            kraken_wallet("ABC.XYZ", Wallet::Spot),
            ("ABC.XYZ".to_string(), Wallet::Spot)
        );
    }

    #[test]
    fn margin_rows_are_net_of_debt_and_a_bare_debt_is_negative() {
        let unified = json!({
            "info": {"data": [{"currency": "USDT", "totalBalance": "200.00005568"}]},
            "USDT": {"free": 200.00005568, "used": 0, "total": 200.00005568, "debt": 200.0008391},
            "total": {"USDT": 200.00005568, "BTC": 0},
            "free": {"USDT": 200.00005568, "BTC": 0},
            "used": {"USDT": 0, "BTC": 0},
            "debt": {"USDT": 200.0008391, "BTC": 0.001},
        });
        let rows = net_of_debt(&unified).unwrap();
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|b| (b.asset.as_str(), b.total.as_str()))
            .collect();
        assert_eq!(got, [("BTC", "-0.001"), ("USDT", "-0.00078342")]);
    }

    #[test]
    fn every_read_is_one_fetch_balance_request() {
        for id in [
            "bybit",
            "kucoin",
            "gate",
            "bitget",
            "htx",
            "bitfinex",
            "kraken",
            "cryptocom",
            "blofin",
            "coinbase",
            "mexc",
            "bitstamp",
            "bitvavo",
        ] {
            for read in of(id).reads {
                assert_eq!(read.request.method, "fetch_balance", "{id}");
                assert_eq!(read.request.weight, 1, "{id}");
                assert_ne!(read.wallet, of(id).primary, "{id}: a wallet read twice");
            }
        }
    }
}
