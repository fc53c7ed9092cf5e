//! Bitget: Get Account Information, `GET /api/v2/spot/account/info`
//! (<https://www.bitget.com/api-doc/spot/account/Get-Account-Info>).
//!
//! `userId` (the account), `ips` (the IP whitelist as one text, empty when none) and
//! `authorities`: codes ending in `r` are read-only, in `w` read-and-write (coow/cpow
//! futures orders and holdings, stow spot, smow margin, ttow copy trading, wtow wallet
//! transfer, wwow withdrawal, chow sub-accounts, p2pw P2P, pllw pledge loans, taxw tax);
//! the documented example still shows the older `trade` / `readonly`. It needs SPOT read or
//! read-and-write permission.
//!
//! Conservative: `wwow` or any code with "withdraw" in it counts as withdrawal, and any
//! read-and-write code this file does not know as trading.

use super::{KeyFacts, KeyInfoCall};
use crate::model::Permissions;
use serde_json::Value;

pub(super) const CALL: KeyInfoCall = KeyInfoCall {
    method: "private_spot_get_v2_spot_account_info",
    params: super::no_params,
    parse,
    tells_ip_restriction: true,
    then: None,
};

/// Read-and-write codes that neither trade nor withdraw: wallet transfers between the
/// account's own wallets, sub-account management, tax.
const NEITHER: &[&str] = &["wtow", "chow", "taxw"];

fn parse(body: &Value) -> Result<KeyFacts, String> {
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or("Bitget's account information has no data object")?;
    let authorities = data
        .get("authorities")
        .and_then(Value::as_array)
        .ok_or("Bitget's account information has no authorities list")?
        .iter()
        .map(|a| {
            a.as_str()
                .map(str::to_ascii_lowercase)
                .ok_or("Bitget's authorities list a non-text")
        })
        .collect::<Result<Vec<_>, _>>()?;
    if authorities.is_empty() {
        return Err("Bitget's account information lists no authority".into());
    }
    let ip_restricted = match data.get("ips") {
        None | Some(Value::Null) => false,
        Some(Value::String(ips)) => ips.split(',').any(|ip| !ip.trim().is_empty()),
        Some(Value::Array(ips)) => ips
            .iter()
            .any(|ip| ip.as_str().is_some_and(|ip| !ip.trim().is_empty())),
        Some(_) => return Err("Bitget's ips is neither text nor a list".into()),
    };
    let withdraw = |a: &str| a == "wwow" || a.contains("withdraw");
    let trade = |a: &str| {
        a == "trade"
            || (a.len() == 4 && a.ends_with('w') && !withdraw(a) && !NEITHER.contains(&a))
            || a == "p2p"
    };
    Ok(KeyFacts {
        permissions: Some(Permissions {
            read: true,
            trade: authorities.iter().any(|a| trade(a)),
            withdraw: authorities.iter().any(|a| withdraw(a)),
            ip_restricted,
        }),
        account_id: super::id_text(data.get("userId")),
        expiry: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Bitget's documented example answer (the page above); its userId is masked there,
    /// an id stands in for it.
    fn documented() -> Value {
        json!({
            "code": "00000",
            "msg": "success",
            "requestTime": 1695808949356_i64,
            "data": {
                "userId": "8765432101",
                "inviterId": "**********",
                "ips": "127.0.0.1",
                "authorities": ["trade", "readonly"],
                "parentId": 1,
                "traderType": "trader",
                "channelCode": "XXX",
                "channel": "YYY",
                "regisTime": "1246566789345"
            }
        })
    }

    #[test]
    fn the_documented_answer_trades_from_one_ip() {
        let f = parse(&documented()).unwrap();
        assert_eq!(
            f.permissions.unwrap(),
            Permissions {
                read: true,
                trade: true,
                withdraw: false,
                ip_restricted: true
            }
        );
        assert_eq!(f.account_id.as_deref(), Some("8765432101"));
    }

    #[test]
    fn read_only_codes_are_read_only() {
        let mut body = documented();
        body["data"]["authorities"] = json!(["readonly"]);
        body["data"]["ips"] = json!("");
        let p = parse(&body).unwrap().permissions.unwrap();
        assert!(
            p.read && !p.trade && !p.withdraw && !p.ip_restricted,
            "{p:?}"
        );
        body["data"]["authorities"] = json!(["coor", "cpor", "stor", "smor", "wtor", "taxr"]);
        let p = parse(&body).unwrap().permissions.unwrap();
        assert!(!p.trade && !p.withdraw, "{p:?}");
    }

    #[test]
    fn read_and_write_codes_and_withdrawal() {
        let mut body = documented();
        for (codes, trade, withdraw) in [
            (json!(["stor", "stow"]), true, false),
            (json!(["wtow", "chow", "taxw"]), false, false),
            (json!(["stor", "wwow"]), false, true),
            (json!(["STOW", "WWOW"]), true, true),
            (json!(["zzzw"]), true, false),
        ] {
            body["data"]["authorities"] = codes.clone();
            let p = parse(&body).unwrap().permissions.unwrap();
            assert_eq!((p.trade, p.withdraw), (trade, withdraw), "{codes}");
        }
    }

    #[test]
    fn a_malformed_answer_is_refused_with_its_reason() {
        let mut body = documented();
        body["data"].as_object_mut().unwrap().remove("authorities");
        assert!(parse(&body).unwrap_err().contains("authorities"));
        body["data"]["authorities"] = json!([]);
        assert!(parse(&body).unwrap_err().contains("no authority"));
        body["data"]["authorities"] = json!([7]);
        assert!(parse(&body).unwrap_err().contains("non-text"));
        let mut body = documented();
        body["data"]["ips"] = json!(true);
        assert!(parse(&body).unwrap_err().contains("ips"));
        assert!(
            parse(&json!({"code": "00000", "data": []}))
                .unwrap_err()
                .contains("data")
        );
    }
}
