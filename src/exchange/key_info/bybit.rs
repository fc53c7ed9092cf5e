//! Bybit: Get API Key Information, `GET /v5/user/query-api`
//! (<https://bybit-exchange.github.io/docs/v5/user/apikey-info>).
//!
//! `readOnly` (0 read and write, 1 read only), `permissions` (one list per product: a
//! read-and-write key lists what it may do there; `Wallet` carries `Withdraw`), `ips`
//! (`["*"]` when no IP is bound) and `userID`, the account the key belongs to. Bybit
//! documents that any key may call it.
//!
//! Conservative where the answer is open to reading: a list this file does not know
//! (Bybit adds products) counts as trading on a read-and-write key, and `Withdraw` counts
//! wherever it appears, even on a read-only key.

use super::{KeyFacts, KeyInfoCall};
use crate::model::Permissions;
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_get_v5_user_query_api",
    params: super::no_params,
    parse,
    tells_ip_restriction: true,
    then: None,
};

/// Permission lists that move funds without trading: transfers and withdrawals.
const WALLET: &str = "Wallet";

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let result = body
        .get("result")
        .and_then(Value::as_object)
        .ok_or("Bybit's key information has no result object")?;
    let read_only = match result.get("readOnly").and_then(Value::as_i64) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err("Bybit's key information has no readOnly of 0 or 1".into()),
    };
    let permissions = result
        .get("permissions")
        .and_then(Value::as_object)
        .ok_or("Bybit's key information has no permissions object")?;
    let mut lists = Vec::with_capacity(permissions.len());
    for (product, list) in permissions {
        let list = list
            .as_array()
            .ok_or_else(|| format!("Bybit's permission {product:.32} is not a list"))?;
        let names = list
            .iter()
            .map(|name| {
                name.as_str()
                    .ok_or_else(|| format!("Bybit's permission {product:.32} lists a non-text"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        lists.push((product.as_str(), names));
    }
    let ips = result
        .get("ips")
        .and_then(Value::as_array)
        .ok_or("Bybit's key information has no ips list")?;
    let ip_restricted = ips
        .iter()
        .any(|ip| ip.as_str().is_some_and(|ip| !ip.is_empty() && ip != "*"));
    let account_id =
        super::id_text(result.get("userID")).ok_or("Bybit's key information has no userID")?;

    let withdraw = lists
        .iter()
        .any(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case("Withdraw")));
    let trade = !read_only
        && lists
            .iter()
            .any(|(product, names)| *product != WALLET && !names.is_empty());
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: true,
            trade,
            withdraw,
            ip_restricted,
        }),
        account_id: Some(account_id),
        // Bybit ends keys bound to no IP after three months: `expiredAt` says when.
        expiry: crate::model::KeyExpiry {
            key_expires_at: super::time_field(result.get("expiredAt")),
            trading_ends_at: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Bybit's documented example answer (the page above), as it is.
    fn documented() -> Value {
        json!({
            "retCode": 0,
            "retMsg": "",
            "result": {
                "id": "16651472",
                "note": "testxxx",
                "apiKey": "opjSlSOzqIeXROT5rq",
                "readOnly": 0,
                "secret": "",
                "permissions": {
                    "ContractTrade": [],
                    "Spot": [],
                    "Wallet": ["AccountTransfer"],
                    "Options": [],
                    "Derivatives": [],
                    "CopyTrading": [],
                    "BlockTrade": [],
                    "Exchange": [],
                    "NFT": []
                },
                "ips": ["*"],
                "type": 1,
                "deadlineDay": 88,
                "expiredAt": "2023-05-15T03:13:24Z",
                "createdAt": "2023-02-15T03:13:24Z",
                "unified": 0,
                "uta": 0,
                "userID": 53888001,
                "inviterID": 0,
                "vipLevel": "No VIP",
                "mktMakerLevel": "0",
                "affiliateID": 0
            },
            "retExtInfo": {},
            "time": 1676430843547_i64
        })
    }

    fn facts(body: &Value) -> KeyFacts {
        parse(body).unwrap()
    }

    #[test]
    fn the_documented_answer_is_a_transfer_only_key_of_user_53888001() {
        let f = facts(&documented());
        // A key bound to no IP: Bybit says when it ends.
        assert_eq!(
            f.expiry.key_expires_at.map(|t| t.to_rfc3339()),
            Some("2023-05-15T03:13:24+00:00".to_string())
        );
        assert_eq!(
            f.permissions.unwrap(),
            Permissions {
                read: true,
                trade: false,
                withdraw: false,
                ip_restricted: false
            }
        );
        assert_eq!(f.account_id.as_deref(), Some("53888001"));
    }

    #[test]
    fn a_read_only_key_cannot_trade_even_with_default_lists() {
        let mut body = documented();
        body["result"]["readOnly"] = json!(1);
        // Unified accounts carry DerivativesTrade by default.
        body["result"]["permissions"]["Derivatives"] = json!(["DerivativesTrade"]);
        body["result"]["permissions"]["Wallet"] = json!([]);
        let p = facts(&body).permissions.unwrap();
        assert!(
            p.read && !p.trade && !p.withdraw && !p.ip_restricted,
            "{p:?}"
        );
    }

    #[test]
    fn a_trading_key_with_withdraw() {
        let mut body = documented();
        body["result"]["permissions"]["Spot"] = json!(["SpotTrade"]);
        body["result"]["permissions"]["Wallet"] = json!(["AccountTransfer", "Withdraw"]);
        let p = facts(&body).permissions.unwrap();
        assert!(p.trade && p.withdraw, "{p:?}");
    }

    #[test]
    fn an_unknown_product_list_counts_as_trading() {
        let mut body = documented();
        body["result"]["permissions"]["Earn"] = json!(["Earn"]);
        assert!(facts(&body).permissions.unwrap().trade);
    }

    #[test]
    fn bound_ips_restrict_the_key() {
        let mut body = documented();
        body["result"]["ips"] = json!(["192.0.2.1", "198.51.100.7"]);
        assert!(facts(&body).permissions.unwrap().ip_restricted);
        body["result"]["ips"] = json!([]);
        assert!(!facts(&body).permissions.unwrap().ip_restricted);
    }

    #[test]
    fn a_malformed_answer_is_refused_with_its_reason() {
        for (field, value, says) in [
            ("readOnly", Value::Null, "readOnly"),
            ("readOnly", json!(2), "readOnly"),
            ("permissions", Value::Null, "permissions"),
            ("ips", Value::Null, "ips"),
            ("ips", json!("*"), "ips"),
            ("userID", Value::Null, "userID"),
        ] {
            let mut body = documented();
            match value {
                Value::Null => {
                    body["result"].as_object_mut().unwrap().remove(field);
                }
                v => body["result"][field] = v,
            }
            let error = parse(&body).unwrap_err();
            assert!(error.contains(says), "{field}: {error}");
        }
        let mut body = documented();
        body["result"]["permissions"]["Spot"] = json!("SpotTrade");
        assert!(parse(&body).unwrap_err().contains("Spot"));
        assert!(
            parse(&json!({"retCode": 0}))
                .unwrap_err()
                .contains("result")
        );
        assert!(parse(&json!("<html>")).is_err());
    }
}
