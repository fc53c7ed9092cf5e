//! KuCoin: Get Apikey Info, `GET /api/v1/user/api-key` (KuCoin API docs, Account Info >
//! Account & Funding, <https://www.kucoin.com/docs-new>; its response example as KuCoin's
//! own generated SDK tests carry it: Kucoin/kucoin-universal-sdk, account `GetApikeyInfo`).
//!
//! `permission` is one comma-separated text (`General,Futures,Spot,Earn,InnerTransfer,
//! Transfer,Margin` in the documented example), `ipWhitelist` one comma-separated text
//! (empty or absent when the key is not bound to an IP), `uid` the account. Signed like
//! every KuCoin request: KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, KC-API-PASSPHRASE
//! (the passphrase HMAC-signed with the secret, key version 2).
//!
//! KuCoin's permissions: General (read), Spot, Margin, Futures (trading), Earn,
//! InnerTransfer (between the account's own accounts), Transfer (transfers out,
//! withdrawals included: KuCoin's API-key guide). Conservative: `Transfer` or any name
//! with "withdraw" in it counts as withdrawal, and any name this file does not know
//! counts as trading.

use super::{KeyFacts, KeyInfoCall};
use crate::model::Permissions;
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_get_user_api_key",
    params: super::no_params,
    parse,
    tells_ip_restriction: true,
    then: None,
};

/// Names that neither trade nor withdraw.
const NEITHER: &[&str] = &["General", "InnerTransfer"];

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or("KuCoin's key information has no data object")?;
    let permission = data
        .get("permission")
        .and_then(Value::as_str)
        .ok_or("KuCoin's key information has no permission text")?;
    let names: Vec<&str> = permission
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return Err("KuCoin's key information lists no permission".into());
    }
    let ip_restricted = match data.get("ipWhitelist") {
        None | Some(Value::Null) => false,
        Some(Value::String(ips)) => ips.split(',').any(|ip| !ip.trim().is_empty()),
        Some(Value::Array(ips)) => ips
            .iter()
            .any(|ip| ip.as_str().is_some_and(|ip| !ip.trim().is_empty())),
        Some(_) => return Err("KuCoin's ipWhitelist is neither text nor a list".into()),
    };
    let withdraw = |name: &str| {
        name.eq_ignore_ascii_case("Transfer") || name.to_ascii_lowercase().contains("withdraw")
    };
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: true,
            trade: names
                .iter()
                .any(|n| !withdraw(n) && !NEITHER.iter().any(|k| k.eq_ignore_ascii_case(n))),
            withdraw: names.iter().any(|n| withdraw(n)),
            ip_restricted,
        }),
        account_id: super::id_text(data.get("uid")),
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// KuCoin's documented example answer (the response example of the page above, as
    /// KuCoin's own universal SDK carries it in its generated tests).
    fn documented() -> Value {
        json!({
            "code": "200000",
            "data": {
                "remark": "account1",
                "apiKey": "6705f5c311545b000157d3eb",
                "apiVersion": 3,
                "permission": "General,Futures,Spot,Earn,InnerTransfer,Transfer,Margin",
                "ipWhitelist": "203.**.154,103.**.34",
                "createdAt": 1728443843000_i64,
                "uid": 165111215,
                "isMaster": true
            }
        })
    }

    #[test]
    fn the_documented_answer_trades_withdraws_and_is_ip_bound() {
        let f = parse(&documented()).unwrap();
        assert_eq!(
            f.permissions.unwrap(),
            Permissions {
                read: true,
                trade: true,
                withdraw: true,
                ip_restricted: true
            }
        );
        assert_eq!(f.account_id.as_deref(), Some("165111215"));
    }

    #[test]
    fn a_general_only_key_is_read_only() {
        let mut body = documented();
        body["data"]["permission"] = json!("General");
        body["data"]["ipWhitelist"] = json!("");
        let p = parse(&body).unwrap().permissions.unwrap();
        assert!(
            p.read && !p.trade && !p.withdraw && !p.ip_restricted,
            "{p:?}"
        );
        body["data"].as_object_mut().unwrap().remove("ipWhitelist");
        assert!(!parse(&body).unwrap().permissions.unwrap().ip_restricted);
    }

    #[test]
    fn withdrawal_is_read_from_transfer_and_any_withdraw_name() {
        let mut body = documented();
        for (permission, trade, withdraw) in [
            ("General,Spot", true, false),
            ("General,InnerTransfer", false, false),
            ("General,Transfer", false, true),
            ("General, Withdrawal", false, true),
            ("General,SomethingNew", true, false),
        ] {
            body["data"]["permission"] = json!(permission);
            let p = parse(&body).unwrap().permissions.unwrap();
            assert_eq!((p.trade, p.withdraw), (trade, withdraw), "{permission}");
        }
    }

    #[test]
    fn a_malformed_answer_is_refused_with_its_reason() {
        let mut body = documented();
        body["data"].as_object_mut().unwrap().remove("permission");
        assert!(parse(&body).unwrap_err().contains("permission"));
        body["data"]["permission"] = json!(" , ");
        assert!(parse(&body).unwrap_err().contains("no permission"));
        body["data"]["permission"] = json!(["General"]);
        assert!(parse(&body).unwrap_err().contains("permission"));
        let mut body = documented();
        body["data"]["ipWhitelist"] = json!(7);
        assert!(parse(&body).unwrap_err().contains("ipWhitelist"));
        assert!(
            parse(&json!({"code": "200000"}))
                .unwrap_err()
                .contains("data")
        );
        let mut body = documented();
        body["data"].as_object_mut().unwrap().remove("uid");
        assert_eq!(parse(&body).unwrap().account_id, None);
    }
}
