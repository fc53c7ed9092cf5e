//! How Crypto.com Exchange authenticates a private request, from its v1 API
//! documentation: <https://exchange-docs.crypto.com/exchange/v1/rest-ws/index.html#digital-signature>.
//!
//! - a JSON body `{id, method, params, api_key, sig, nonce}`;
//! - `sig`: lower-case hex HMAC-SHA256, keyed by the secret, of
//!   `method + id + api_key + parameter string + nonce`, where the parameter string is
//!   `params`' keys in ascending order, each followed by its value (null as `null`, a list
//!   as its members' own strings, at most three levels deep);
//! - the nonce (milliseconds) must be within 60 seconds of the server's clock (40102).
//!
//! Neither path nor host is signed: the body's `method` names the call. `id` and `nonce`
//! are signed as the body writes them, a JSON number or (as Python ccxt sends them) a
//! string. Refusals (see `errors` in the fixture): 40101 missing fields or bad
//! signature, 40102 nonce.

use super::{Refusal, Signed, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;
use serde_json::Value;

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 60_000;

/// The deepest level of `params` the parameter string spells out.
const MAX_LEVEL: usize = 3;

/// A scalar as the signature spells it: a string without its quotes, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The documentation's `params_to_str`: keys sorted, each followed by its value.
fn parameter_string(value: &Value, level: usize) -> String {
    let Value::Object(map) = value else {
        return text(value);
    };
    if level >= MAX_LEVEL {
        return value.to_string();
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut out = String::new();
    for key in keys {
        out.push_str(key);
        match &map[key] {
            Value::Array(items) => {
                for item in items {
                    out.push_str(&parameter_string(item, level + 1));
                }
            }
            other => out.push_str(&text(other)),
        }
    }
    out
}

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let body: Value = serde_json::from_str(request.body).map_err(|_| Refusal::MissingAuth)?;
    let field = |name: &str| body.get(name).filter(|v| v.is_string() || v.is_number());
    let (Some(id), Some(method), Some(key), Some(sig), Some(nonce)) = (
        field("id"),
        field("method"),
        field("api_key"),
        field("sig"),
        field("nonce"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    let nonce = text(nonce);
    ms_within(&nonce, now_ms, WINDOW_MS)?;
    let params = body
        .get("params")
        .map_or_else(String::new, |p| parameter_string(p, 0));
    let signed = format!("{}{}{}{params}{nonce}", text(method), text(id), text(key));
    let expected = hex::encode(hmac_sha256(account.secret.as_bytes(), signed.as_bytes()));
    if !same(&text(sig), &expected) {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const SECRET: &str = "cryptocom-sim-secret-4f2a9c81e6b07d35";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.cryptocom({'apiKey':
    /// 'kf-sim-cryptocom-read-only-7c1e5a9b3d', 'secret': SECRET})` with `nonce()` and
    /// `milliseconds()` fixed at 1700000000000, then `sign('private/user-balance', ['v1',
    /// 'private'], 'POST', {})`: the body it returns.
    const BODY: &str = r#"{"id":"1700000000000","method":"private/user-balance","params":{},"api_key":"kf-sim-cryptocom-read-only-7c1e5a9b3d","sig":"c3b5ab9e1d779eced19498cb78fb0375de6a615ea4f1d4c3c612176413f752ec","nonce":"1700000000000"}"#;

    fn account(secret: &str) -> SimAccount {
        super::super::test_account(
            "cryptocom",
            "kf-sim-cryptocom-read-only-7c1e5a9b3d",
            secret,
            None,
        )
    }

    fn verdict(body: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let req = for_test(
            "POST",
            "/exchange/v1/private/user-balance",
            "",
            body,
            &[("content-type", "application/json")],
        );
        check(&Signed::new("cryptocom", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        assert_eq!(verdict(BODY, SECRET, TS + 59_000), Ok(()));
        // The documentation's form: id and nonce as numbers, signed the same.
        let numbers = BODY
            .replace(r#""id":"1700000000000""#, r#""id":1700000000000"#)
            .replace(r#""nonce":"1700000000000""#, r#""nonce":1700000000000"#);
        assert_eq!(verdict(&numbers, SECRET, TS), Ok(()));
    }

    #[test]
    fn a_wrong_secret_or_other_params_is_a_bad_signature() {
        assert_eq!(
            verdict(BODY, "another-secret", TS),
            Err(Refusal::BadSignature)
        );
        let other = BODY.replace(r#""params":{}"#, r#""params":{"currency":"BTC"}"#);
        assert_eq!(verdict(&other, SECRET, TS), Err(Refusal::BadSignature));
    }

    #[test]
    fn a_nonce_beyond_sixty_seconds_is_stale() {
        assert_eq!(
            verdict(BODY, SECRET, TS + 60_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict(BODY, SECRET, TS - 60_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_body_without_a_signature_is_refused() {
        let unsigned = BODY.replace(
            r#""sig":"c3b5ab9e1d779eced19498cb78fb0375de6a615ea4f1d4c3c612176413f752ec","#,
            "",
        );
        assert_eq!(verdict(&unsigned, SECRET, TS), Err(Refusal::MissingAuth));
        assert_eq!(verdict("", SECRET, TS), Err(Refusal::MissingAuth));
    }

    #[test]
    fn the_parameter_string_follows_the_documentation() {
        let params: Value = serde_json::from_str(
            r#"{"side":"BUY","instrument_name":"BTC_USD","price":"50000.00","quantity":1,"note":null}"#,
        )
        .unwrap();
        assert_eq!(
            parameter_string(&params, 0),
            "instrument_nameBTC_USDnotenullprice50000.00quantity1sideBUY"
        );
    }
}
