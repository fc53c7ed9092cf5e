//! MEXC: Account Information, `GET /api/v3/account`
//! (<https://www.mexc.com/api-docs/spot-v3/spot-account-trade#account-information>;
//! needs SPOT_ACCOUNT_READ).
//!
//! The balance request itself, asked once more: `canTrade`, `canWithdraw`, `canDeposit`
//! and `permissions` (`["SPOT"]`). MEXC describes them only as "Can Trade" and "Can
//! Withdraw" and documents no other request about the key in use, so:
//! - whether `canTrade` / `canWithdraw` describe the key or the whole account is not said;
//!   they are taken as they come, which at worst shows a read-only key as able to trade or
//!   withdraw (and asks the withdraw-risk consent): the conservative side;
//! - the IP restriction is not told: written as not restricted (the conservative side);
//! - the account id is not in it (it is in `GET /api/v3/uid`, a second request): not known,
//!   so a second key of one MEXC account cannot be refused.

use super::{KeyFacts, KeyInfoCall};
use crate::model::Permissions;
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "spot_private_get_account",
    params: super::no_params,
    parse,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let flag = |name: &str| {
        body.get(name)
            .and_then(Value::as_bool)
            .ok_or_else(|| format!("MEXC's account information has no {name} flag"))
    };
    let trade = flag("canTrade")?;
    let withdraw = flag("canWithdraw")?;
    Ok(KeyFacts {
        permissions: Permissions {
            read: true,
            trade,
            withdraw,
            ip_restricted: false,
        },
        account_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// MEXC's documented example answer (the page above).
    fn documented() -> Value {
        json!({
            "makerCommission": null,
            "takerCommission": null,
            "buyerCommission": null,
            "sellerCommission": null,
            "canTrade": true,
            "canWithdraw": true,
            "canDeposit": true,
            "updateTime": null,
            "accountType": "SPOT",
            "balances": [
                {"asset": "NBNTEST", "free": "1111078", "locked": "33", "available": "1"},
                {"asset": "MAIN", "free": "1020000", "locked": "0", "available": "102000"}
            ],
            "permissions": ["SPOT"]
        })
    }

    #[test]
    fn the_documented_answer_trades_and_withdraws() {
        let f = parse(&documented()).unwrap();
        assert_eq!(
            f.permissions,
            Permissions {
                read: true,
                trade: true,
                withdraw: true,
                ip_restricted: false
            }
        );
        assert_eq!(f.account_id, None);
    }

    #[test]
    fn a_key_that_can_neither_trade_nor_withdraw_reads_only() {
        let mut body = documented();
        body["canTrade"] = json!(false);
        body["canWithdraw"] = json!(false);
        let p = parse(&body).unwrap().permissions;
        assert!(
            p.read && !p.trade && !p.withdraw && !p.ip_restricted,
            "{p:?}"
        );
        body["canTrade"] = json!(true);
        let p = parse(&body).unwrap().permissions;
        assert!(p.trade && !p.withdraw, "{p:?}");
    }

    #[test]
    fn a_malformed_answer_is_refused_with_its_reason() {
        for name in ["canTrade", "canWithdraw"] {
            let mut body = documented();
            body.as_object_mut().unwrap().remove(name);
            assert!(parse(&body).unwrap_err().contains(name), "{name}");
            body[name] = json!("true");
            assert!(parse(&body).unwrap_err().contains(name), "{name}");
        }
        assert!(parse(&json!("<html>")).is_err());
    }
}
