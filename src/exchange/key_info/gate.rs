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
//! `Permissions` has only yes/no fields, so "not known" is written conservatively: a Gate
//! key MAY trade and withdraw (`trade` and `withdraw` true, withdraw-risk consent asked),
//! and `read` is true since the key just read its account. Only the IP restriction and the
//! account id are facts here.

use super::{KeyFacts, KeyInfoCall};
use crate::model::Permissions;
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_account_get_detail",
    params: super::no_params,
    parse,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let detail = body
        .as_object()
        .ok_or("Gate's account detail is not an object")?;
    let account_id =
        super::id_text(detail.get("user_id")).ok_or("Gate's account detail has no user_id")?;
    let ips = detail
        .get("ip_whitelist")
        .and_then(Value::as_array)
        .ok_or("Gate's account detail has no ip_whitelist list")?;
    let ip_restricted = ips
        .iter()
        .any(|ip| ip.as_str().is_some_and(|ip| !ip.trim().is_empty()));
    Ok(KeyFacts {
        permissions: Permissions {
            read: true,
            // Not known from this answer: assumed possible (see above).
            trade: true,
            withdraw: true,
            ip_restricted,
        },
        account_id: Some(account_id),
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
    fn the_documented_answer_is_an_ip_bound_key_of_user_1667201533() {
        let f = parse(&documented()).unwrap();
        assert!(f.permissions.ip_restricted);
        assert_eq!(f.account_id.as_deref(), Some("1667201533"));
    }

    #[test]
    fn permissions_are_not_told_so_trading_and_withdrawal_are_assumed() {
        let mut body = documented();
        body["ip_whitelist"] = json!([]);
        let p = parse(&body).unwrap().permissions;
        assert_eq!(
            p,
            Permissions {
                read: true,
                trade: true,
                withdraw: true,
                ip_restricted: false
            }
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
