//! OKX's wallets beyond the trading account: funding and Simple Earn savings.
//!
//! Nothing is counted twice. OKX keeps three separate accounts a read-only key can see:
//! the trading account (`GET /api/v5/account/balance`, in every account mode: spot,
//! futures, multi-currency and portfolio margin are all this one account, read once), the
//! funding account (where deposits land) and Simple Earn savings. Coins move between them
//! by transfer: a savings subscription takes them out of funding, a transfer to trading
//! takes them out of funding. OKX's own valuation (`/api/v5/asset/asset-valuation`) lists
//! `funding`, `trading` and `earn` side by side as parts of `totalBal`.
//!
//! No overview. OKX's asset valuation names the accounts holding anything, but it is one
//! more request (and the tightest limit of all, 1 per second per user), and it names
//! `earn` for every Earn product (on-chain earn, staking, dual investment), not savings
//! alone. Per round, reading both wallets always costs 2 requests after the balance call;
//! through the valuation it costs 1 + one per non-empty wallet: 1 when both are empty
//! (saves one), 2 when one holds coins (saves nothing), 3 when both do (one more). Funding
//! is where deposits land, so it is rarely empty: the overview would save nothing for most
//! traders and cost one request for those who use savings. Three requests per round it is.

use super::{Request, WalletRead, Wallets};
use crate::exchange::parse::{ParseError, okx_data, okx_rows};
use crate::model::{Balance, Wallet};
use serde_json::{Value, json};

/// OKX: the trading account from `GET /api/v5/account/balance`, the others from the table.
pub static WALLETS: Wallets = Wallets {
    primary: Wallet::Trading,
    overview: None,
    reads: &[
        // GET /api/v5/asset/balances: 6 requests per second per user ID, permission Read.
        WalletRead {
            wallet: Wallet::Funding,
            request: Request {
                method: "private_get_asset_balances",
                params: no_params,
                weight: 1,
            },
            overview_name: None,
            parse: funding_balances,
        },
        // GET /api/v5/finance/savings/balance: 6 requests per second per user ID,
        // permission Read. Refused to demo-trading keys (50038) and where Earn is not
        // offered (50051): the wallet is then unreadable, the rest still counts.
        WalletRead {
            wallet: Wallet::EarnFlexible,
            request: Request {
                method: "private_get_finance_savings_balance",
                params: no_params,
                weight: 1,
            },
            overview_name: None,
            parse: savings_balances,
        },
    ],
    settle: super::keep,
};

/// Every currency: no `ccy` filter.
fn no_params() -> Value {
    json!({})
}

/// `GET /api/v5/asset/balances`: `data[]` of `ccy`, `bal` (the holding), `availBal`,
/// `frozenBal`. Non-zero currencies only.
pub(crate) fn funding_balances(body: &Value) -> Result<Vec<Balance>, ParseError> {
    okx_rows(
        okx_data(body)?,
        Wallet::Funding,
        ("availBal", Some("frozenBal"), "bal"),
    )
}

/// `GET /api/v5/finance/savings/balance`: `data[]` of `ccy` and `amt`, the holding. `amt`
/// is `loanAmt` (lent out) plus `pendingAmt` (waiting to be lent), and the interest
/// (`earnings`) is already inside it: OKX compounds it hourly into the lent amount. In
/// OKX's own example `amt` 11.0010737453457821 = `loanAmt` 11.0010630707982819 +
/// `pendingAmt` 0.0000106745475002 to the last digit, and exceeds a round 11 by the
/// `earnings` 0.00107373...; adding `earnings` would count the interest twice. All of
/// `amt` can be redeemed at any time, so it is all free.
pub(crate) fn savings_balances(body: &Value) -> Result<Vec<Balance>, ParseError> {
    okx_rows(okx_data(body)?, Wallet::EarnFlexible, ("amt", None, "amt"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::parse::decimal;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn fixture() -> Value {
        let text = include_str!("../../../tests/fixtures/wallets/okx.json");
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_table_names_methods_ccxt_has() {
        // The names `call_dynamic` dispatches on (ccxt-base's okx_api.rs).
        let methods: Vec<_> = WALLETS.reads.iter().map(|r| r.request.method).collect();
        assert_eq!(
            methods,
            [
                "private_get_asset_balances",
                "private_get_finance_savings_balance"
            ]
        );
        assert!(WALLETS.overview.is_none());
        assert_eq!(WALLETS.primary, Wallet::Trading);
    }

    #[test]
    fn funding_matches_ccxts_totals_on_the_recorded_answers() {
        let fixture = fixture();
        for case in fixture["funding"].as_array().unwrap() {
            let rows = funding_balances(&case["httpResponse"]).unwrap();
            let expected = case["ccxt_total"].as_object().unwrap();
            assert_eq!(rows.len(), expected.len(), "{}", case["description"]);
            for row in &rows {
                assert_eq!(row.wallet, Wallet::Funding);
                let ccxt = expected[&row.asset].as_f64().unwrap();
                assert_eq!(
                    Decimal::from_str(&row.total).unwrap(),
                    Decimal::try_from(ccxt).unwrap(),
                    "{}",
                    row.asset
                );
            }
        }
        let rows = funding_balances(&fixture["funding"][0]["httpResponse"]).unwrap();
        assert_eq!(
            rows,
            vec![Balance {
                wallet: Wallet::Funding,
                asset: "TUSD".into(),
                free: "100".into(),
                used: "0".into(),
                total: "100".into(),
                approximate: false,
            }]
        );
    }

    #[test]
    fn savings_count_amt_once_with_its_interest_inside() {
        let fixture = fixture();
        let answer = &fixture["savings"][0]["httpResponse"];
        let rows = savings_balances(answer).unwrap();
        assert_eq!(
            rows,
            vec![Balance {
                wallet: Wallet::EarnFlexible,
                asset: "USDT".into(),
                free: "11.0010737453457821".into(),
                used: "0".into(),
                total: "11.0010737453457821".into(),
                approximate: false,
            }]
        );
        // The holding is what is lent plus what waits, to the last digit: `earnings`
        // is inside it, not beside it.
        let entry = &answer["data"][0];
        let d = |f: &str| decimal(entry, f).unwrap();
        assert_eq!(d("loanAmt") + d("pendingAmt"), d("amt"));
        assert!(d("amt") - d("earnings") < Decimal::from(11) + Decimal::new(1, 6));
    }

    #[test]
    fn empty_and_zero_rows_are_skipped_and_malformed_answers_refused() {
        let zero = json!({"code": "0", "msg": "", "data": [
            {"ccy": "BTC", "bal": "0", "availBal": "0", "frozenBal": "0"},
            {"ccy": "ETH", "bal": "", "availBal": "", "frozenBal": ""}
        ]});
        assert!(funding_balances(&zero).unwrap().is_empty());
        let saving_zero = json!({"code": "0", "msg": "", "data": [
            {"ccy": "BTC", "amt": "0", "earnings": "0", "loanAmt": "0", "pendingAmt": "0"}
        ]});
        assert!(savings_balances(&saving_zero).unwrap().is_empty());
        // A refusal is an error, never an empty wallet.
        let refused = json!({"code": "50120", "msg": "no permission", "data": []});
        assert!(funding_balances(&refused).is_err());
        assert!(savings_balances(&refused).is_err());
        assert!(
            funding_balances(&json!({"code": "0", "data": [{"ccy": "BTC", "bal": 1}]})).is_err()
        );
        assert!(savings_balances(&json!({"code": "0", "data": [{"ccy": "BTC"}]})).is_err());
        // Asset codes are checked where they enter.
        let hostile = json!({"code": "0", "data": [
            {"ccy": "\u{1b}]0;x\u{7}", "bal": "1", "availBal": "1", "frozenBal": "0"}
        ]});
        assert!(funding_balances(&hostile).is_err());
        let hostile = json!({"code": "0", "data": [{"ccy": "BTC\u{202e}", "amt": "1"}]});
        assert!(savings_balances(&hostile).is_err());
    }

    #[test]
    fn every_digit_is_kept() {
        let body = json!({"code": "0", "data": [
            {"ccy": "USDT", "bal": "123456789012.123456789", "availBal": "123456789011.123456789", "frozenBal": "1"}
        ]});
        let rows = funding_balances(&body).unwrap();
        assert_eq!(rows[0].total, "123456789012.123456789");
        assert_eq!(rows[0].free, "123456789011.123456789");
    }
}
