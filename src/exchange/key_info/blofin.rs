//! BloFin, Get API Key Info: `GET /api/v1/user/query-apikey`
//! (https://docs.blofin.com/index.html#get-api-key-info).
//!
//! `data.readOnly` (1: read only, 0: read and write), `data.ips` (the addresses the key
//! is bound to) and `data.uid` (the account). A key that is not read only may trade,
//! transfer between accounts or more: the answer does not say which, so its permissions
//! stay "not known" rather than a guess; a read-only key is told as such.

use super::{KeyFacts, KeyInfoCall, id_text, no_params};
use crate::model::Permissions;
use serde_json::Value;

/// CCXT: `privateGetUserQueryApikey` (blofin `api.private.get`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_get_user_query_apikey",
    params: no_params,
    parse,
    tells_ip_restriction: true,
    then: None,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    match body.get("code") {
        Some(Value::String(code)) if code == "0" => {}
        Some(code) => return Err(format!("BloFin answered code {code:.40}")),
        None => return Err("BloFin's API key info has no `code`".into()),
    }
    let data = body
        .get("data")
        .filter(|d| d.is_object())
        .ok_or("BloFin's API key info has no `data`")?;
    let read_only = match data.get("readOnly") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) if n.as_u64() == Some(1) => true,
        Some(Value::Number(n)) if n.as_u64() == Some(0) => false,
        _ => return Err("BloFin's API key info has no `readOnly` of 0 or 1".into()),
    };
    let ips = match data.get("ips") {
        Some(Value::Array(list)) => list
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .ok_or("BloFin's `ips` are not addresses")?,
        Some(Value::String(list)) => list.split(',').collect(),
        _ => return Err("BloFin's API key info has no `ips`".into()),
    };
    let uid = id_text(data.get("uid")).ok_or("BloFin's API key info has no `uid`")?;
    Ok(KeyFacts {
        permissions: read_only.then(|| Permissions {
            read: true,
            trade: false,
            withdraw: false,
            ip_restricted: ips.iter().any(|ip| !ip.trim().is_empty()),
        }),
        account_id: Some(uid),
        expiry: crate::model::KeyExpiry {
            key_expires_at: super::time_field(data.get("expireTime")),
            trading_ends_at: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An answer with the documented fields: a read-only key bound to one address.
    fn answer(read_only: Value, ips: Value) -> Value {
        json!({
            "code": "0",
            "msg": "success",
            "data": {
                "uid": "30000000016",
                "apiName": "keyfolio",
                "apiKey": "3e3fa2cc2b5b4b1f8cbf2b3d7e5a1c90",
                "readOnly": read_only,
                "ips": ips,
                "type": 1,
                "expireTime": "1735689600000",
                "createTime": "1704153600000",
                "referralCode": "",
                "parentUid": "0"
            }
        })
    }

    #[test]
    fn a_read_only_key_reads_and_names_its_account() {
        let facts = parse(&answer(json!(1), json!([]))).unwrap();
        assert_eq!(
            facts.permissions,
            Some(Permissions {
                read: true,
                ..Default::default()
            })
        );
        assert_eq!(facts.account_id.as_deref(), Some("30000000016"));
        assert_eq!(
            facts.expiry.key_expires_at.map(|t| t.timestamp_millis()),
            Some(1_735_689_600_000),
            "expireTime in ms"
        );
        assert!(
            !parse(&answer(json!(true), json!([])))
                .unwrap()
                .permissions
                .unwrap()
                .trade
        );
    }

    #[test]
    fn a_read_and_write_key_is_not_told_further() {
        let facts = parse(&answer(json!(0), json!([]))).unwrap();
        assert_eq!(
            facts.permissions, None,
            "trade or withdraw: BloFin does not say"
        );
        assert_eq!(facts.account_id.as_deref(), Some("30000000016"));
    }

    #[test]
    fn bound_addresses_restrict_the_key() {
        let list = parse(&answer(json!(1), json!(["203.0.113.7"]))).unwrap();
        assert!(list.permissions.unwrap().ip_restricted);
        let text = parse(&answer(json!(1), json!("203.0.113.7,198.51.100.2"))).unwrap();
        assert!(text.permissions.unwrap().ip_restricted);
        assert!(
            !parse(&answer(json!(1), json!("")))
                .unwrap()
                .permissions
                .unwrap()
                .ip_restricted
        );
    }

    #[test]
    fn a_malformed_answer_is_refused() {
        for field in ["readOnly", "ips", "uid"] {
            let mut body = answer(json!(1), json!([]));
            body["data"].as_object_mut().unwrap().remove(field);
            let err = parse(&body).unwrap_err();
            assert!(err.contains(field), "{field}: {err}");
        }
        assert!(parse(&answer(json!(2), json!([]))).is_err());
        assert!(parse(&answer(json!("1"), json!([]))).is_err());
        assert!(parse(&answer(json!(1), json!([7]))).is_err());
        let refused = json!({"code": "152409", "msg": "Invalid signature", "data": null});
        assert!(parse(&refused).unwrap_err().contains("152409"));
        assert!(parse(&json!({"code": "0", "msg": "success"})).is_err());
        assert!(parse(&json!({"data": {}})).is_err());
    }
}
