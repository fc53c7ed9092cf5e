//! How Bitvavo authenticates a private request, from its API documentation:
//! <https://docs.bitvavo.com/docs/rest-api/introduction/> (Authentication).
//!
//! - headers `Bitvavo-Access-Key`, `Bitvavo-Access-Timestamp` (milliseconds),
//!   `Bitvavo-Access-Signature` and the optional `Bitvavo-Access-Window` (milliseconds,
//!   10000 when absent, at most 60000; error 303 names 100 as its least);
//! - `Bitvavo-Access-Signature`: lower-case hex HMAC-SHA256, keyed by the secret, of
//!   `timestamp + METHOD + url + body`, where url is the API path with its query as sent
//!   (`/v2/balance?symbol=BTC`) and body the request body as sent ("" for a GET);
//! - a request must arrive within the access window of its timestamp (error 304).
//!
//! The url is [`Signed::path`] (`/v2/balance`): the client signs the API path, never its
//! base URL, so the simulator's mount is not part of it. Refusals (see `errors` in the
//! fixture): 300 missing fields (also for a window out of range), 304 window, 309
//! signature. CCXT maps 304 to AuthenticationError: Bitvavo has no InvalidNonce there.

use super::{Refusal, Signed, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;

/// The access window when `Bitvavo-Access-Window` is absent.
const DEFAULT_WINDOW_MS: i64 = 10_000;

/// The access windows Bitvavo allows.
const WINDOWS_MS: std::ops::RangeInclusive<i64> = 100..=60_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(_key), Some(timestamp), Some(signature)) = (
        request.header("bitvavo-access-key"),
        request.header("bitvavo-access-timestamp"),
        request.header("bitvavo-access-signature"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    let window = match request.header("bitvavo-access-window") {
        Some(text) => text.parse::<i64>().map_err(|_| Refusal::MissingAuth)?,
        None => DEFAULT_WINDOW_MS,
    };
    if !WINDOWS_MS.contains(&window) {
        return Err(Refusal::MissingAuth);
    }
    ms_within(timestamp, now_ms, window)?;
    let url = request.path_and_query(false);
    let signed = format!("{timestamp}{}{url}{}", request.method, request.body);
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

    const KEY: &str = "kf-sim-bitvavo-read-only-7c1e5a9b3d";
    const SECRET: &str = "bitvavo-sim-secret-4f2a9c81e6b07d35";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.bitvavo({'apiKey': KEY, 'secret':
    /// SECRET})` with `nonce()` and `milliseconds()` fixed at 1700000000000, then
    /// `sign('balance', ['private'], 'GET', {})`: its BITVAVO-ACCESS-SIGNATURE header
    /// (BITVAVO-ACCESS-WINDOW 10000).
    const SIGN: &str = "d0e0b5e04346bb72796f2a75ab7b0405886364f5eaf61c5ddbb1aea518203aca";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("bitvavo", KEY, secret, None)
    }

    fn verdict(window: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let ts = TS.to_string();
        let req = for_test(
            "GET",
            "/v2/balance",
            "",
            "",
            &[
                ("bitvavo-access-key", KEY),
                ("bitvavo-access-signature", SIGN),
                ("bitvavo-access-timestamp", &ts),
                ("bitvavo-access-window", window),
            ],
        );
        check(&Signed::new("bitvavo", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        assert_eq!(verdict("10000", SECRET, TS + 9_000), Ok(()));
        assert_eq!(verdict("60000", SECRET, TS + 59_000), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        assert_eq!(
            verdict("10000", "another-secret", TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_request_outside_its_access_window_is_stale() {
        assert_eq!(
            verdict("10000", SECRET, TS + 10_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("1000", SECRET, TS + 1_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_window_beyond_a_minute_or_no_signature_is_refused() {
        assert_eq!(verdict("60001", SECRET, TS), Err(Refusal::MissingAuth));
        let req = for_test(
            "GET",
            "/v2/balance",
            "",
            "",
            &[
                ("bitvavo-access-key", KEY),
                ("bitvavo-access-timestamp", "1700000000000"),
            ],
        );
        assert_eq!(
            check(&Signed::new("bitvavo", &req), &account(SECRET), TS),
            Err(Refusal::MissingAuth)
        );
    }
}
