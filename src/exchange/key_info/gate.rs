//! Gate: Retrieve user account information, `GET /api/v4/account/detail`
//! (<https://www.gate.io/docs/developers/apiv4/en/#retrieve-user-account-information>).
//!
//! Tells `user_id` (the account) and `ip_whitelist` (empty when the key is not bound),
//! plus `currency_pairs` and `key.mode` (1 classic, 2 unified: the account mode, not a
//! permission). It does NOT tell what the key may do. Gate's per-key permissions (`perms`,
//! each with `read_only`) are only in `GET /api/v4/account/main_keys`, a list of every key
//! of the main account from which the key in use could not be picked out here (a parser
//! sees the answer only), so they stay not known.
//!
//! The permissions are therefore `None` ("not known" on the card), and the account id, for
//! the same-account refusal, is the one fact kept.

use super::{KeyFacts, KeyInfoCall};
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_account_get_detail",
    params: super::no_params,
    parse,
    tells_ip_restriction: false,
    then: None,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let detail = body
        .as_object()
        .ok_or("Gate's account detail is not an object")?;
    let account_id =
        super::id_text(detail.get("user_id")).ok_or("Gate's account detail has no user_id")?;
    // Read to refuse a malformed answer; the IP restriction alone is no permission.
    detail
        .get("ip_whitelist")
        .and_then(Value::as_array)
        .ok_or("Gate's account detail has no ip_whitelist list")?;
    Ok(KeyFacts {
        permissions: None,
        account_id: Some(account_id),
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Gate's documented example answer (the page above).
    fn documented() -> Value {
        json!({
            "user_id": 1667201533,
            "ip_whitelist": ["127.0.0.1"],
            "currency_pairs": ["USDT_BTC"],
            "key": {"mode": 1},
            "tier": 2,
            "copy_trading_role": 1
        })
    }

    #[test]
    fn the_documented_answer_names_user_1667201533_and_no_permissions() {
        let f = parse(&documented()).unwrap();
        assert_eq!(f.account_id.as_deref(), Some("1667201533"));
        assert_eq!(
            f.permissions, None,
            "Gate's answer does not say what the key may do"
        );
    }

    #[test]
    fn a_malformed_answer_is_refused_with_its_reason() {
        let mut body = documented();
        body.as_object_mut().unwrap().remove("user_id");
        assert!(parse(&body).unwrap_err().contains("user_id"));
        let mut body = documented();
        body.as_object_mut().unwrap().remove("ip_whitelist");
        assert!(parse(&body).unwrap_err().contains("ip_whitelist"));
        body["ip_whitelist"] = json!("127.0.0.1");
        assert!(parse(&body).unwrap_err().contains("ip_whitelist"));
        assert!(parse(&json!([])).unwrap_err().contains("not an object"));
    }
}
