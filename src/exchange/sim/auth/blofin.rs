//! How BloFin authenticates a private request, from its API documentation:
//! <https://docs.blofin.com/index.html> (Authentication, Signature).
//!
//! - headers `ACCESS-KEY`, `ACCESS-SIGN`, `ACCESS-TIMESTAMP` (milliseconds),
//!   `ACCESS-NONCE` and `ACCESS-PASSPHRASE` (the passphrase set with the key, in plain);
//! - `ACCESS-SIGN`: the HMAC-SHA256, keyed by the secret, of
//!   `requestPath + METHOD + timestamp + nonce + body`, written as lower-case hex, and
//!   that hex text base64-encoded; requestPath carries the query as sent
//!   (`/api/v1/asset/balances?accountType=futures`), body is the JSON body as sent;
//! - the timestamp must be within 60 seconds of the server's clock (error 152405).
//!
//! requestPath is [`Signed::path`] (`/api/v1/account/balance`): the client signs the API
//! path, never its base URL, so the simulator's mount is not part of it. BloFin also
//! refuses a nonce reused within 60 seconds (152407); the simulator does not keep nonces.
//! Refusals (see `errors` in the fixture): 152409 signature (also for missing headers),
//! 152408 passphrase, 152405 timestamp.

use super::{Refusal, Signed, b64, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 60_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(_key), Some(signature), Some(timestamp), Some(nonce), Some(passphrase)) = (
        request.header("access-key"),
        request.header("access-sign"),
        request.header("access-timestamp"),
        request.header("access-nonce"),
        request.header("access-passphrase"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    ms_within(timestamp, now_ms, WINDOW_MS)?;
    let path = request.path_and_query(false);
    let signed = format!("{path}{}{timestamp}{nonce}{}", request.method, request.body);
    let digest = hex::encode(hmac_sha256(account.secret.as_bytes(), signed.as_bytes()));
    if !same(signature, &b64(digest.as_bytes())) {
        return Err(Refusal::BadSignature);
    }
    if !same(passphrase, account.passphrase.as_deref().unwrap_or("")) {
        return Err(Refusal::BadPassphrase);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-blofin-read-only-7c1e5a9b3d";
    const SECRET: &str = "blofin-sim-secret-4f2a9c81e6b07d35";
    const PASSPHRASE: &str = "Keyfolio#Replay1";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.blofin({'apiKey': KEY, 'secret':
    /// SECRET, 'password': PASSPHRASE})` with `nonce()` and `milliseconds()` fixed at
    /// 1700000000000, then `sign('account/balance', ['private'], 'GET', {})`: its
    /// ACCESS-SIGN header (ACCESS-TIMESTAMP and ACCESS-NONCE both 1700000000000).
    const SIGN: &str =
        "MWI2OGYzOTAyYmM1NmM4ZmQyNDIyNmViZGU0NzI2MzM5MDM4ZDYyODVjYjVmMmQ4MGQ3NzVkNmY5YWFmYjc1Nw==";

    fn account(secret: &str, passphrase: &str) -> SimAccount {
        super::super::test_account("blofin", KEY, secret, Some(passphrase))
    }

    fn verdict(nonce: &str, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
        let ts = TS.to_string();
        let req = for_test(
            "GET",
            "/api/v1/account/balance",
            "",
            "",
            &[
                ("access-key", KEY),
                ("access-sign", SIGN),
                ("access-timestamp", &ts),
                ("access-nonce", nonce),
                ("access-passphrase", PASSPHRASE),
            ],
        );
        check(&Signed::new("blofin", &req), account, now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(verdict("1700000000000", &right, TS + 59_000), Ok(()));
    }

    #[test]
    fn a_wrong_secret_or_another_nonce_is_a_bad_signature() {
        let other = account("another-secret", PASSPHRASE);
        assert_eq!(
            verdict("1700000000000", &other, TS),
            Err(Refusal::BadSignature)
        );
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(
            verdict("1700000000001", &right, TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_wrong_passphrase_is_refused() {
        let other = account(SECRET, "Keyfolio#Replay2");
        assert_eq!(
            verdict("1700000000000", &other, TS),
            Err(Refusal::BadPassphrase)
        );
    }

    #[test]
    fn a_timestamp_beyond_sixty_seconds_is_stale() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(
            verdict("1700000000000", &right, TS + 60_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("1700000000000", &right, TS - 60_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_request_without_a_nonce_is_refused() {
        let req = for_test(
            "GET",
            "/api/v1/account/balance",
            "",
            "",
            &[
                ("access-key", KEY),
                ("access-sign", SIGN),
                ("access-timestamp", "1700000000000"),
                ("access-passphrase", PASSPHRASE),
            ],
        );
        assert_eq!(
            check(
                &Signed::new("blofin", &req),
                &account(SECRET, PASSPHRASE),
                TS
            ),
            Err(Refusal::MissingAuth)
        );
    }
}
