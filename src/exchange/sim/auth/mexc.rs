//! How MEXC authenticates a private spot request, from its spot v3 API documentation:
//! <https://mexcdevelop.github.io/apidocs/spot_v3_en/#signed> (SIGNED endpoint security).
//!
//! - header `X-MEXC-APIKEY`; parameters `timestamp` (milliseconds), `signature` and the
//!   optional `recvWindow` (milliseconds, 5000 when absent, at most 60000);
//! - `signature`: lower-case hex HMAC-SHA256, keyed by the secret, of totalParams: the
//!   query string as sent without its `signature` parameter, followed by the request
//!   body as sent ("" for a GET);
//! - the server processes a request only if
//!   `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow`.
//!
//! Neither path nor host is signed. Refusals (see `errors` in the fixture): 700002
//! signature (also for a missing signature or timestamp: MEXC documents no code of its
//! own for them), 700003 timestamp outside recvWindow.

use super::{Refusal, Signed, hmac_sha256, same};
use crate::exchange::sim::SimAccount;

/// The recv window when `recvWindow` is absent.
const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;

/// The longest recv window MEXC allows (error 700005).
const MAX_RECV_WINDOW_MS: i64 = 60_000;

/// How far ahead of the server's clock a timestamp may be.
const AHEAD_MS: i64 = 1_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let pairs: Vec<&str> = request
        .query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    let (Some(_key), Some(timestamp), Some(signature)) = (
        request.header("x-mexc-apikey"),
        get("timestamp"),
        get("signature"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    let window = match get("recvWindow") {
        Some(text) => text.parse::<i64>().map_err(|_| Refusal::MissingAuth)?,
        None => DEFAULT_RECV_WINDOW_MS,
    };
    let sent = timestamp
        .parse::<i64>()
        .map_err(|_| Refusal::StaleTimestamp)?;
    if window > MAX_RECV_WINDOW_MS || !(sent < now_ms + AHEAD_MS && now_ms - sent <= window) {
        return Err(Refusal::StaleTimestamp);
    }
    let unsigned: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|pair| !pair.starts_with("signature="))
        .collect();
    let total = format!("{}{}", unsigned.join("&"), request.body);
    let expected = hex::encode(hmac_sha256(account.secret.as_bytes(), total.as_bytes()));
    if !same(signature, &expected) {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-mexc-read-only-7c1e5a9b3d";
    const SECRET: &str = "mexc-sim-secret-4f2a9c81e6b07d35";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.mexc({'apiKey': KEY, 'secret':
    /// SECRET})` with `nonce()` and `milliseconds()` fixed at 1700000000000, then
    /// `sign('account', ['spot', 'private'], 'GET', {})`: the query of the URL it returns.
    const QUERY: &str = "timestamp=1700000000000&recvWindow=5000&signature=a18ac9845cef4a7c691252772641ec31dab8b3487e3a57fc7ec774674f3c58bd";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("mexc", KEY, secret, None)
    }

    fn verdict(query: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let req = for_test(
            "GET",
            "/api/v3/account",
            query,
            "",
            &[("x-mexc-apikey", KEY), ("source", "CCXT")],
        );
        check(&Signed::new("mexc", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        assert_eq!(verdict(QUERY, SECRET, TS + 5_000), Ok(()));
        assert_eq!(verdict(QUERY, SECRET, TS - 999), Ok(()));
    }

    #[test]
    fn a_wrong_secret_or_another_window_is_a_bad_signature() {
        assert_eq!(
            verdict(QUERY, "another-secret", TS),
            Err(Refusal::BadSignature)
        );
        let other = QUERY.replace("recvWindow=5000", "recvWindow=6000");
        assert_eq!(verdict(&other, SECRET, TS), Err(Refusal::BadSignature));
    }

    #[test]
    fn a_timestamp_outside_the_recv_window_is_stale() {
        assert_eq!(
            verdict(QUERY, SECRET, TS + 5_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict(QUERY, SECRET, TS - 1_000),
            Err(Refusal::StaleTimestamp)
        );
        let wide = QUERY.replace("recvWindow=5000", "recvWindow=60001");
        assert_eq!(verdict(&wide, SECRET, TS), Err(Refusal::StaleTimestamp));
    }

    #[test]
    fn a_request_without_a_signature_is_refused() {
        assert_eq!(
            verdict("timestamp=1700000000000&recvWindow=5000", SECRET, TS),
            Err(Refusal::MissingAuth)
        );
    }
}
