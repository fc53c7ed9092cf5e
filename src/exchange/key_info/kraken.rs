//! Kraken Spot REST, Get API Key Info: `POST /0/private/GetApiKeyInfo`
//! (https://docs.kraken.com/api-reference/account-data/get-api-key-info; no permission
//! needed).
//!
//! `result.permissions` names what the key may do (`query-funds`, `query-open-trades`,
//! `modify-trades`, `withdraw-funds`, ...), `result.ipAllowlist` the addresses it is
//! bound to, `result.iban` the account's IIBAN (Kraken's account identifier, shared by
//! every key of the account), `validUntil` when the key stops working (Unix seconds; 0:
//! never).

use super::{KeyFacts, KeyInfoCall, id_text, no_params};
use crate::model::Permissions;
use serde_json::Value;

/// CCXT: `privatePostGetApiKeyInfo` (kraken `api.private.post`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_post_get_api_key_info",
    params: no_params,
    parse,
    tells_ip_restriction: true,
    then: None,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    match body.get("error").map(|e| e.as_array().map(Vec::len)) {
        None | Some(Some(0)) => {}
        Some(_) => return Err(format!("Kraken answered the error {:.80}", body["error"])),
    }
    let result = body
        .get("result")
        .filter(|r| r.is_object())
        .ok_or("Kraken's API key info has no `result`")?;
    let permissions = strings(result, "permissions")?;
    let allowlist = strings(result, "ipAllowlist")?;
    let has = |name: &str| permissions.contains(&name);
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: permissions.iter().any(|p| p.starts_with("query-")),
            trade: has("modify-trades"),
            withdraw: has("withdraw-funds"),
            ip_restricted: allowlist.iter().any(|ip| !ip.trim().is_empty()),
        }),
        account_id: id_text(result.get("iban")),
        expiry: crate::model::KeyExpiry {
            key_expires_at: super::time_field(result.get("validUntil")),
            trading_ends_at: None,
        },
    })
}

/// A list of strings at `result.<name>`, or why not.
fn strings<'a>(result: &'a Value, name: &str) -> Result<Vec<&'a str>, String> {
    result
        .get(name)
        .and_then(Value::as_array)
        .and_then(|list| list.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .ok_or_else(|| format!("Kraken's API key info has no list of `{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented example answer (a key that can withdraw and trade, no allowlist).
    fn documented() -> Value {
        json!({
            "error": [],
            "result": {
                "apiKeyName": "my-api-key",
                "apiKey": "4/SDrDBcOOPnm3nPlNfEMMJDeRcIVqPz+QhRxIodyZbI9po/aVRiHsgX",
                "nonce": "1772627060997",
                "nonceWindow": 0,
                "permissions": [
                    "query-funds",
                    "withdraw-funds",
                    "query-open-trades",
                    "modify-trades"
                ],
                "iban": "AA88 N84G WOAK NMOI",
                "validUntil": "0",
                "queryFrom": "0",
                "queryTo": "0",
                "createdTime": "1772542900",
                "modifiedTime": "1772543095",
                "ipAllowlist": [],
                "lastUsed": "1772627061"
            }
        })
    }

    #[test]
    fn the_documented_key_can_trade_and_withdraw_from_anywhere() {
        let facts = parse(&documented()).unwrap();
        assert_eq!(
            facts.permissions.unwrap(),
            Permissions {
                read: true,
                trade: true,
                withdraw: true,
                ip_restricted: false,
            }
        );
        assert_eq!(facts.account_id.as_deref(), Some("AA88 N84G WOAK NMOI"));
        assert_eq!(facts.expiry, Default::default(), "validUntil 0: no expiry");
    }

    #[test]
    fn a_query_only_key_is_read_only_and_an_allowlist_restricts_it() {
        let mut body = documented();
        body["result"]["permissions"] = json!(["query-funds", "query-open-trades"]);
        let facts = parse(&body).unwrap();
        assert_eq!(
            facts.permissions.unwrap(),
            Permissions {
                read: true,
                ..Default::default()
            }
        );
        body["result"]["ipAllowlist"] = json!(["203.0.113.7", "198.51.100.0/24"]);
        assert!(parse(&body).unwrap().permissions.unwrap().ip_restricted);
    }

    #[test]
    fn a_malformed_answer_is_refused() {
        for field in ["permissions", "ipAllowlist"] {
            let mut body = documented();
            body["result"].as_object_mut().unwrap().remove(field);
            let err = parse(&body).unwrap_err();
            assert!(err.contains(field), "{field}: {err}");
        }
        let mut body = documented();
        body["result"]["permissions"] = json!("query-funds");
        assert!(parse(&body).is_err());
        body = documented();
        body["result"]["permissions"] = json!(["query-funds", 7]);
        assert!(parse(&body).is_err());
        assert!(parse(&json!({"error": []})).unwrap_err().contains("result"));
        let refused = json!({"error": ["EGeneral:Permission denied"]});
        assert!(parse(&refused).unwrap_err().contains("Permission denied"));
        // No account id is no failure: the key's permissions still stand.
        body = documented();
        body["result"].as_object_mut().unwrap().remove("iban");
        assert_eq!(parse(&body).unwrap().account_id, None);
    }
}
