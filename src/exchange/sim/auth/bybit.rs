//! How Bybit authenticates a private request, from its V5 API documentation:
//! <https://bybit-exchange.github.io/docs/v5/guide> (Authentication).
//!
//! - headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (UTC milliseconds), `X-BAPI-SIGN`, and
//!   the optional `X-BAPI-RECV-WINDOW` (milliseconds, 5000 when absent);
//! - `X-BAPI-SIGN`: lower-case hex HMAC-SHA256, keyed by the secret, of
//!   `timestamp + api_key + recv_window + payload`, where payload is the query string as
//!   sent (GET) or the JSON body as sent (POST); recv_window is the header's text, or
//!   nothing when the header is absent;
//! - the timestamp must satisfy `server_time - recv_window <= timestamp < server_time + 1000`.
//!
//! The path and host are not signed. Refusals (`retCode`, see `errors` in the fixture):
//! 10001 missing fields, 10004 bad signature, 10002 timestamp outside recv_window.

use super::{Refusal, Signed, hmac_sha256, same};
use crate::exchange::sim::SimAccount;

/// The recv window when `X-BAPI-RECV-WINDOW` is absent.
const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// How far ahead of the server's clock a timestamp may be.
const AHEAD_MS: i64 = 1_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(key), Some(timestamp), Some(signature)) = (
        request.header("x-bapi-api-key"),
        request.header("x-bapi-timestamp"),
        request.header("x-bapi-sign"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    let recv_window = request.header("x-bapi-recv-window");
    let window = match recv_window {
        Some(text) => text.parse::<i64>().map_err(|_| Refusal::MissingAuth)?,
        None => DEFAULT_RECV_WINDOW_MS,
    };
    let sent = timestamp
        .parse::<i64>()
        .map_err(|_| Refusal::StaleTimestamp)?;
    if !(now_ms - window <= sent && sent < now_ms + AHEAD_MS) {
        return Err(Refusal::StaleTimestamp);
    }
    let payload = if request.method == "POST" {
        request.body
    } else {
        request.query
    };
    let signed = format!("{timestamp}{key}{}{payload}", recv_window.unwrap_or(""));
    let expected = hex::encode(hmac_sha256(account.secret.as_bytes(), signed.as_bytes()));
    if !same(signature, &expected) {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-bybit-read-only-7c1e5a9b3d";
    const SECRET: &str = "bybit-sim-secret-4f2a9c81e6b07d35";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.bybit({'apiKey': KEY, 'secret':
    /// SECRET})` with `nonce()` and `milliseconds()` fixed at 1700000000000, then
    /// `sign('v5/account/wallet-balance', ['private'], 'GET', {'accountType': 'UNIFIED'})`:
    /// its X-BAPI-SIGN header (X-BAPI-RECV-WINDOW 5000).
    const SIGN: &str = "54dac391faaf9e3c109c8d20fd089b5a81b215d3432088799e134cfb930d4e0f";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("bybit", KEY, secret, None)
    }

    fn verdict(query: &str, sign: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let ts = TS.to_string();
        let req = for_test(
            "GET",
            "/v5/account/wallet-balance",
            query,
            "",
            &[
                ("x-bapi-api-key", KEY),
                ("x-bapi-timestamp", &ts),
                ("x-bapi-recv-window", "5000"),
                ("x-bapi-sign", sign),
            ],
        );
        check(&Signed::new("bybit", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        assert_eq!(
            verdict("accountType=UNIFIED", SIGN, SECRET, TS + 100),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_secret_or_query_is_a_bad_signature() {
        assert_eq!(
            verdict("accountType=UNIFIED", SIGN, "another-secret", TS),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verdict("accountType=SPOT", SIGN, SECRET, TS),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verdict("accountType=UNIFIED", &SIGN.to_uppercase(), SECRET, TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_timestamp_outside_the_recv_window_is_stale() {
        assert_eq!(
            verdict("accountType=UNIFIED", SIGN, SECRET, TS + 5_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("accountType=UNIFIED", SIGN, SECRET, TS - 1_000),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("accountType=UNIFIED", SIGN, SECRET, TS - 999),
            Ok(())
        );
    }

    #[test]
    fn a_request_without_a_signature_is_refused() {
        let req = for_test(
            "GET",
            "/v5/account/wallet-balance",
            "accountType=UNIFIED",
            "",
            &[
                ("x-bapi-api-key", KEY),
                ("x-bapi-timestamp", "1700000000000"),
            ],
        );
        assert_eq!(
            check(&Signed::new("bybit", &req), &account(SECRET), TS),
            Err(Refusal::MissingAuth)
        );
    }
}
