//! How KuCoin authenticates a private request, from its API documentation:
//! <https://www.kucoin.com/docs-new/authentication>.
//!
//! - headers `KC-API-KEY`, `KC-API-SIGN`, `KC-API-TIMESTAMP` (milliseconds),
//!   `KC-API-PASSPHRASE` and `KC-API-KEY-VERSION`;
//! - `KC-API-SIGN`: base64 HMAC-SHA256, keyed by the secret, of
//!   `timestamp + METHOD + endpoint + body`, where endpoint is the path with the query
//!   (`/api/v1/accounts?type=trade`) in its original, not URL-encoded, form, and body the
//!   JSON body as sent ("" for a GET);
//! - `KC-API-PASSPHRASE`: for key versions 2 and 3, the base64 HMAC-SHA256 of the
//!   passphrase keyed by the secret. The simulator's keys are version-2 keys (the only
//!   kind KuCoin has issued since 2021, and what CCXT sends), so a plain passphrase or
//!   another version is a wrong passphrase;
//! - the timestamp must be within 5 seconds of the server's clock.
//!
//! The path signed is [`Signed::path`]: CCXT signs the endpoint it builds
//! (`/api/v1/...`), never its base URL, so the simulator's mount is not part of it.
//! Refusals (see `errors` in the fixture): 400001 missing header, 400002 timestamp,
//! 400004 passphrase, 400005 signature.

use super::{Refusal, Signed, b64, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 5_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(_key), Some(signature), Some(timestamp), Some(passphrase)) = (
        request.header("kc-api-key"),
        request.header("kc-api-sign"),
        request.header("kc-api-timestamp"),
        request.header("kc-api-passphrase"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    ms_within(timestamp, now_ms, WINDOW_MS)?;
    let endpoint = request.path_and_query(true);
    let signed = format!("{timestamp}{}{endpoint}{}", request.method, request.body);
    let secret = account.secret.as_bytes();
    if !same(signature, &b64(&hmac_sha256(secret, signed.as_bytes()))) {
        return Err(Refusal::BadSignature);
    }
    let expected = account.passphrase.as_deref().unwrap_or("");
    let version = request.header("kc-api-key-version");
    if !matches!(version, Some("2" | "3"))
        || !same(passphrase, &b64(&hmac_sha256(secret, expected.as_bytes())))
    {
        return Err(Refusal::BadPassphrase);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-kucoin-read-only-7c1e5a9b3d";
    const SECRET: &str = "kucoin-sim-secret-4f2a9c81e6b07d35";
    const PASSPHRASE: &str = "Keyfolio#Replay1";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.kucoin({'apiKey': KEY, 'secret':
    /// SECRET, 'password': PASSPHRASE})` with `nonce()` and `milliseconds()` fixed at
    /// 1700000000000, then `sign('accounts', ['private'], 'GET', {'type': 'trade'})`: its
    /// KC-API-SIGN and KC-API-PASSPHRASE headers (KC-API-KEY-VERSION 2).
    const SIGN: &str = "VKmI9rbu7VwqfUpc3mZMOLZXat2wSq+iL2Tp0kd5aHI=";
    const SIGNED_PASSPHRASE: &str = "sNzs6Sz5MdXXU5KkjEve9BpZyPE6Sm2LIWsbESWRGL0=";

    fn account(secret: &str, passphrase: &str) -> SimAccount {
        super::super::test_account("kucoin", KEY, secret, Some(passphrase))
    }

    fn verdict(
        passphrase_header: &str,
        version: &str,
        account: &SimAccount,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        let ts = TS.to_string();
        let req = for_test(
            "GET",
            "/api/v1/accounts",
            "type=trade",
            "",
            &[
                ("kc-api-key", KEY),
                ("kc-api-sign", SIGN),
                ("kc-api-timestamp", &ts),
                ("kc-api-passphrase", passphrase_header),
                ("kc-api-key-version", version),
            ],
        );
        check(&Signed::new("kucoin", &req), account, now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(verdict(SIGNED_PASSPHRASE, "2", &right, TS + 4_000), Ok(()));
        assert_eq!(verdict(SIGNED_PASSPHRASE, "3", &right, TS - 4_000), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        let other = account("another-secret", PASSPHRASE);
        assert_eq!(
            verdict(SIGNED_PASSPHRASE, "2", &other, TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_wrong_or_unsigned_passphrase_is_refused() {
        let other = account(SECRET, "Keyfolio#Replay2");
        assert_eq!(
            verdict(SIGNED_PASSPHRASE, "2", &other, TS),
            Err(Refusal::BadPassphrase)
        );
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(
            verdict(PASSPHRASE, "2", &right, TS),
            Err(Refusal::BadPassphrase)
        );
        assert_eq!(
            verdict(SIGNED_PASSPHRASE, "1", &right, TS),
            Err(Refusal::BadPassphrase)
        );
    }

    #[test]
    fn a_timestamp_beyond_five_seconds_is_stale() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(
            verdict(SIGNED_PASSPHRASE, "2", &right, TS + 5_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict(SIGNED_PASSPHRASE, "2", &right, TS - 5_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_request_without_a_passphrase_is_refused() {
        let req = for_test(
            "GET",
            "/api/v1/accounts",
            "type=trade",
            "",
            &[
                ("kc-api-key", KEY),
                ("kc-api-sign", SIGN),
                ("kc-api-timestamp", "1700000000000"),
            ],
        );
        assert_eq!(
            check(
                &Signed::new("kucoin", &req),
                &account(SECRET, PASSPHRASE),
                TS
            ),
            Err(Refusal::MissingAuth)
        );
    }
}
