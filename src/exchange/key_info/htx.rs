//! HTX: Get UID, `GET /v2/user/uid`, then Query API key information, `GET /v2/user/api-key`
//! with that UID and the key's access key (HTX spot API docs,
//! <https://huobiapi.github.io/docs/spot/v1/en/#get-uid> and
//! <https://huobiapi.github.io/docs/spot/v1/en/#api-key-query>).
//!
//! The UID is the account's, shared by every key of it: the same-account refusal. The key's
//! entry tells `permission` (comma-separated: `readOnly`, `trade`, `withdraw`),
//! `ipAddresses` (comma-separated, empty when the key is bound to no IP) and `validDays`:
//! the days the key has left, -1 when it does not expire. HTX ends a key bound to no IP
//! 90 days after it was made; HTX's key page shows the same number as "remaining valid
//! days". A sub-account's key may be refused the second request: then only the account
//! is known.

use super::{FollowUp, KeyFacts, KeyInfoCall, id_text, no_params};
use crate::model::{KeyExpiry, Permissions};
use serde_json::{Value, json};

/// CCXT: `spotPrivateGetV2UserUid`, then `spotPrivateGetV2UserApiKey` (htx
/// `api.spot.private.get`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "spot_private_get_v2_user_uid",
    params: no_params,
    parse,
    tells_ip_restriction: true,
    then: Some(FollowUp {
        method: "spot_private_get_v2_user_api_key",
        params: key_query,
    }),
};

/// The key query's parameters: the UID the first answer gave and the key's access key
/// (without it HTX lists every key of the UID).
fn key_query(uid_answer: &Value, access_key: &str) -> Option<Value> {
    let uid = id_text(uid_answer.get("data"))?;
    Some(json!({ "uid": uid, "accessKey": access_key }))
}

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let uid_answer = &body["first"];
    check_code(uid_answer, "UID")?;
    let uid = id_text(uid_answer.get("data")).ok_or("HTX's UID answer has no `data`")?;
    let (permissions, expiry) = match &body["then"] {
        Value::Null => (None, KeyExpiry::default()),
        answer => key_entry(answer)?,
    };
    Ok(KeyFacts {
        permissions,
        account_id: Some(uid),
        expiry,
    })
}

fn check_code(answer: &Value, what: &str) -> Result<(), String> {
    match answer.get("code").and_then(Value::as_i64) {
        Some(200) => Ok(()),
        Some(code) => Err(format!("HTX answered code {code} to the {what} request")),
        None => Err(format!("HTX's {what} answer has no `code`")),
    }
}

/// The key's permissions and expiry from its entry; more than one entry (the answer did
/// not pick the key in use) tells nothing about this key.
fn key_entry(answer: &Value) -> Result<(Option<Permissions>, KeyExpiry), String> {
    check_code(answer, "API key")?;
    let entries = answer
        .get("data")
        .and_then(Value::as_array)
        .ok_or("HTX's API key answer has no `data` list")?;
    let [entry] = entries.as_slice() else {
        return Ok((None, KeyExpiry::default()));
    };
    let permission = entry
        .get("permission")
        .and_then(Value::as_str)
        .ok_or("HTX's API key entry has no `permission` text")?;
    let names: Vec<&str> = permission
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let ip_restricted = entry
        .get("ipAddresses")
        .and_then(Value::as_str)
        .is_some_and(|ips| ips.split(',').any(|ip| !ip.trim().is_empty()));
    // Any name beyond readOnly and withdraw counts as trading: never less than it may do.
    let permissions = Permissions {
        read: true,
        trade: names
            .iter()
            .any(|n| !n.eq_ignore_ascii_case("readOnly") && !n.eq_ignore_ascii_case("withdraw")),
        withdraw: names.iter().any(|n| n.eq_ignore_ascii_case("withdraw")),
        ip_restricted,
    };
    let expired = entry.get("status").and_then(Value::as_str) == Some("expired");
    let days_left = entry.get("validDays").and_then(|d| match d {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let now = chrono::Utc::now();
    let key_expires_at = match days_left {
        _ if expired => Some(now),
        Some(days) if days >= 0 => Some(now + chrono::Duration::days(days)),
        _ => None,
    };
    Ok((
        Some(permissions),
        KeyExpiry {
            key_expires_at,
            trading_ends_at: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(entry: Value) -> Value {
        json!({
            "first": {"code": 200, "data": 63628520},
            "then": {"code": 200, "data": [entry], "ok": true},
        })
    }

    #[test]
    fn the_uid_names_the_account_and_the_key_query_asks_for_it() {
        let first = json!({"code": 200, "data": 63628520});
        assert_eq!(
            key_query(&first, "ak-1"),
            Some(json!({"uid": "63628520", "accessKey": "ak-1"}))
        );
        assert_eq!(key_query(&json!({"code": 200}), "ak-1"), None);
        let facts = parse(&json!({"first": first, "then": null})).unwrap();
        assert_eq!(facts.account_id.as_deref(), Some("63628520"));
        assert_eq!(facts.permissions, None, "a refused key query tells nothing");
        assert_eq!(facts.expiry, KeyExpiry::default());
    }

    #[test]
    fn a_key_bound_to_no_ip_reads_its_rights_and_the_days_it_has_left() {
        let facts = parse(&answers(json!({
            "accessKey": "4e8cd6c5-ab12cd34-ef56gh78-90ab1",
            "note": "keyfolio",
            "permission": "readOnly,trade,withdraw",
            "ipAddresses": "",
            "validDays": 12,
            "status": "normal",
            "createTime": 1591924914000_i64,
            "updateTime": 1591924914000_i64
        })))
        .unwrap();
        let p = facts.permissions.unwrap();
        assert!(p.read && p.trade && p.withdraw && !p.ip_restricted);
        let days = (facts.expiry.key_expires_at.unwrap() - chrono::Utc::now()).num_hours();
        assert!((12 * 24 - 1..=12 * 24).contains(&days), "{days} hours");
    }

    #[test]
    fn a_read_only_ip_bound_key_never_expires() {
        let facts = parse(&answers(json!({
            "permission": "readOnly",
            "ipAddresses": "202.106.196.115,202.106.96.0/24",
            "validDays": -1,
            "status": "normal"
        })))
        .unwrap();
        let p = facts.permissions.unwrap();
        assert!(p.read && !p.trade && !p.withdraw && p.ip_restricted);
        assert_eq!(facts.expiry.key_expires_at, None);
    }

    #[test]
    fn an_expired_key_or_an_unknown_right_is_read_the_cautious_way() {
        let facts = parse(&answers(json!({
            "permission": "readOnly,margin",
            "validDays": "0",
            "status": "expired"
        })))
        .unwrap();
        assert!(facts.permissions.unwrap().trade);
        assert!(facts.expiry.key_expires_at.unwrap() <= chrono::Utc::now());
    }

    #[test]
    fn several_entries_tell_nothing_of_this_key() {
        let two = json!({
            "first": {"code": 200, "data": 1},
            "then": {"code": 200, "data": [{"permission": "readOnly"}, {"permission": "trade"}]},
        });
        assert_eq!(parse(&two).unwrap().permissions, None);
    }

    #[test]
    fn a_refusal_or_a_malformed_answer_is_refused() {
        let uid = |first: Value| parse(&json!({"first": first, "then": null}));
        assert!(uid(json!({"code": 500})).unwrap_err().contains("500"));
        assert!(uid(json!({"code": 200})).unwrap_err().contains("data"));
        assert!(uid(json!({"data": 1})).unwrap_err().contains("code"));
        let key = |then: Value| parse(&json!({"first": {"code": 200, "data": 1}, "then": then}));
        assert!(key(json!({"code": 1003})).unwrap_err().contains("1003"));
        assert!(
            key(json!({"code": 200, "data": {}}))
                .unwrap_err()
                .contains("data")
        );
        assert!(
            key(json!({"code": 200, "data": [{}]}))
                .unwrap_err()
                .contains("permission")
        );
    }
}
