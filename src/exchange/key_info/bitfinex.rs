//! Bitfinex v2, Key Permissions: `POST /v2/auth/r/permissions`
//! (https://docs.bitfinex.com/reference/key-permissions).
//!
//! One `[SCOPE, READ, WRITE]` row per scope (`account`, `history`, `orders`, `positions`,
//! `funding`, `settings`, `wallets`, `withdraw`, `ui_withdraw`, `bfxpay`), READ and WRITE
//! 0 or 1. The answer names neither an IP restriction (`ip_restricted` stays false) nor
//! the user: the user id is `POST /v2/auth/r/info/user`, a second request, so the account
//! is not known.

use super::{KeyFacts, KeyInfoCall, no_params};
use crate::model::Permissions;
use serde_json::Value;

/// CCXT: `privatePostAuthRPermissions` (bitfinex `api.private.post`).
pub const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_post_auth_r_permissions",
    params: no_params,
    parse,
    tells_ip_restriction: false,
    then: None,
};

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let rows = body
        .as_array()
        .filter(|rows| !rows.is_empty())
        .ok_or("Bitfinex key permissions are not a list of scopes")?;
    let mut scopes = Vec::with_capacity(rows.len());
    for row in rows {
        let scope = row.get(0).and_then(Value::as_str);
        let flag = |i: usize| match row.get(i).and_then(Value::as_u64) {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        };
        match (scope, flag(1), flag(2)) {
            (Some(scope), Some(read), Some(write)) => scopes.push((scope, read, write)),
            _ => {
                return Err(format!(
                    "Bitfinex key permission {row:.60} is not [scope, 0|1, 0|1]"
                ));
            }
        }
    }
    let can = |wanted: &[&str], write: bool| {
        scopes
            .iter()
            .any(|(s, r, w)| wanted.contains(s) && if write { *w } else { *r })
    };
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: can(&["wallets"], false),
            trade: can(&["orders", "positions", "funding"], true),
            withdraw: can(&["withdraw", "ui_withdraw"], true),
            ip_restricted: false,
        }),
        account_id: None,
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every documented scope, readable, none writable: a read-only key.
    fn read_only() -> Value {
        json!([
            ["account", 1, 0],
            ["history", 1, 0],
            ["orders", 1, 0],
            ["positions", 1, 0],
            ["funding", 1, 0],
            ["settings", 1, 0],
            ["wallets", 1, 0],
            ["withdraw", 1, 0],
            ["ui_withdraw", 0, 0],
            ["bfxpay", 0, 0]
        ])
    }

    #[test]
    fn a_key_that_writes_nothing_is_read_only() {
        let facts = parse(&read_only()).unwrap();
        assert_eq!(
            facts.permissions.unwrap(),
            Permissions {
                read: true,
                ..Default::default()
            }
        );
        assert_eq!(facts.account_id, None, "the user id is another request");
    }

    #[test]
    fn writing_orders_trades_and_writing_withdraw_withdraws() {
        let mut body = read_only();
        body[2] = json!(["orders", 1, 1]);
        let facts = parse(&body).unwrap();
        assert!(facts.permissions.unwrap().trade && !facts.permissions.unwrap().withdraw);
        body[7] = json!(["withdraw", 1, 1]);
        assert!(parse(&body).unwrap().permissions.unwrap().withdraw);
        let mut ui = read_only();
        ui[8] = json!(["ui_withdraw", 1, 1]);
        assert!(parse(&ui).unwrap().permissions.unwrap().withdraw);
        // Reading the withdraw scope is not withdrawing.
        assert!(!parse(&read_only()).unwrap().permissions.unwrap().withdraw);
    }

    #[test]
    fn a_key_that_cannot_read_wallets_does_not_read() {
        let mut body = read_only();
        body[6] = json!(["wallets", 0, 0]);
        assert!(!parse(&body).unwrap().permissions.unwrap().read);
    }

    #[test]
    fn a_malformed_answer_is_refused() {
        for bad in [
            json!({}),
            json!([]),
            json!([["orders", 1]]),
            json!([["orders", "1", 0]]),
            json!([["orders", 1, 2]]),
            json!([[7, 1, 0]]),
            json!(["error", 10100, "apikey: invalid"]),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}
