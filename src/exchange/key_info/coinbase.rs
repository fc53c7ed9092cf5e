//! Coinbase Advanced Trade, Get API Key Permissions: `GET /api/v3/brokerage/key_permissions`
//! (https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/data-api/get-api-key-permissions).
//!
//! `can_view`, `can_trade`, `can_transfer` ("deposit/withdrawal permissions") and the
//! portfolio the key is scoped to (`portfolio_uuid`). The answer does not say whether the
//! key has an IP allowlist: `ip_restricted` stays false. The account is the key's
//! portfolio: two keys of one portfolio are one account; keys of two portfolios of the
//! same Coinbase user are told apart.

use super::{KeyFacts, KeyInfoCall, id_text, no_params};
use crate::model::Permissions;
use serde_json::Value;

/// CCXT: `v3PrivateGetBrokerageKeyPermissions` (coinbase `api.v3.private.get`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "v3_private_get_brokerage_key_permissions",
    params: no_params,
    parse,
    tells_ip_restriction: false,
    then: None,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let flag = |name: &str| -> Result<bool, String> {
        body.get(name)
            .and_then(Value::as_bool)
            .ok_or_else(|| format!("Coinbase key permissions have no `{name}`"))
    };
    let portfolio = id_text(body.get("portfolio_uuid"))
        .ok_or("Coinbase key permissions have no `portfolio_uuid`")?;
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: flag("can_view")?,
            trade: flag("can_trade")?,
            withdraw: flag("can_transfer")?,
            ip_restricted: false,
        }),
        account_id: Some(portfolio),
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented example answer, with a portfolio id in place of `<string>`.
    fn documented(view: bool, trade: bool, transfer: bool) -> Value {
        json!({
            "can_view": view,
            "can_trade": trade,
            "can_transfer": transfer,
            "portfolio_uuid": "b87a2d3f-8a1e-49b3-a4ea-402d8c389aca",
            "portfolio_type": "DEFAULT"
        })
    }

    #[test]
    fn a_view_only_key_reads_and_names_its_portfolio() {
        let facts = parse(&documented(true, false, false)).unwrap();
        assert_eq!(
            facts.permissions.unwrap(),
            Permissions {
                read: true,
                ..Default::default()
            }
        );
        assert_eq!(
            facts.account_id.as_deref(),
            Some("b87a2d3f-8a1e-49b3-a4ea-402d8c389aca")
        );
    }

    #[test]
    fn a_key_that_can_transfer_can_withdraw() {
        // The documented example: every permission.
        let facts = parse(&documented(true, true, true)).unwrap();
        assert!(facts.permissions.unwrap().read && facts.permissions.unwrap().trade);
        assert!(facts.permissions.unwrap().withdraw);
        assert!(
            !facts.permissions.unwrap().ip_restricted,
            "not told: stays false"
        );
    }

    #[test]
    fn a_missing_or_mistyped_field_is_refused() {
        for field in ["can_view", "can_trade", "can_transfer", "portfolio_uuid"] {
            let mut body = documented(true, false, false);
            body.as_object_mut().unwrap().remove(field);
            let err = parse(&body).unwrap_err();
            assert!(err.contains(field), "{field}: {err}");
        }
        let mut body = documented(true, false, false);
        body["can_transfer"] = json!("false");
        assert!(parse(&body).unwrap_err().contains("can_transfer"));
        body = documented(true, false, false);
        body["portfolio_uuid"] = json!("");
        assert!(parse(&body).is_err());
        assert!(parse(&json!({"errors": [{"id": "invalid_token"}]})).is_err());
    }
}
