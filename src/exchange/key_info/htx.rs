//! HTX, Get UID: `GET /v2/user/uid`
//! (https://huobiapi.github.io/docs/spot/v1/en/#get-uid).
//!
//! `data` is the account's UID, shared by every key of the account: the same-account
//! refusal. The key's permissions and IP addresses are in `GET /v2/user/api-key`, which
//! needs that UID as a parameter (a second request, not made): they stay "not known".

use super::{KeyFacts, KeyInfoCall, id_text, no_params};
use serde_json::Value;

/// CCXT: `spotPrivateGetV2UserUid` (htx `api.spot.private.get`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "spot_private_get_v2_user_uid",
    params: no_params,
    parse,
    tells_ip_restriction: false,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    match body.get("code").and_then(Value::as_i64) {
        Some(200) => {}
        Some(code) => return Err(format!("HTX answered code {code}")),
        None => return Err("HTX's UID answer has no `code`".into()),
    }
    let uid = id_text(body.get("data")).ok_or("HTX's UID answer has no `data`")?;
    Ok(KeyFacts {
        permissions: None,
        account_id: Some(uid),
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_answer_names_the_account() {
        let facts = parse(&json!({"code": 200, "data": 63628520})).unwrap();
        assert_eq!(facts.account_id.as_deref(), Some("63628520"));
        assert_eq!(facts.permissions, None);
    }

    #[test]
    fn a_refusal_or_a_malformed_answer_is_refused() {
        assert!(
            parse(&json!({"code": 500, "message": "error"}))
                .unwrap_err()
                .contains("500")
        );
        assert!(parse(&json!({"code": 200})).unwrap_err().contains("data"));
        assert!(parse(&json!({"data": 1})).unwrap_err().contains("code"));
    }
}
