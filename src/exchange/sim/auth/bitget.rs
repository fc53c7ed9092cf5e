//! How Bitget authenticates a private request, from its API documentation:
//! <https://www.bitget.com/api-doc/common/signature>.
//!
//! - headers `ACCESS-KEY`, `ACCESS-SIGN`, `ACCESS-TIMESTAMP` (milliseconds) and
//!   `ACCESS-PASSPHRASE` (the passphrase set with the key, in plain);
//! - `ACCESS-SIGN`: base64 HMAC-SHA256, keyed by the secret, of
//!   `timestamp + METHOD + requestPath + "?" + queryString + body`, the `"?" + queryString`
//!   left out when there is no query; the query is signed as the client wrote it, before
//!   URL encoding (Python ccxt signs the raw query and sends it encoded), and the body is
//!   the JSON body as sent;
//! - the timestamp must be within 30 seconds of the server's clock.
//!
//! requestPath is [`Signed::path`] (`/api/v2/spot/account/assets`): the client signs the
//! API path, never its base URL, so the simulator's mount is not part of it.
//! Refusals (see `errors` in the fixture): 40002 missing header, 40008 timestamp expired,
//! 40009 signature, 40012 passphrase.

use super::{Refusal, Signed, b64, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 30_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(_key), Some(signature), Some(timestamp), Some(passphrase)) = (
        request.header("access-key"),
        request.header("access-sign"),
        request.header("access-timestamp"),
        request.header("access-passphrase"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    ms_within(timestamp, now_ms, WINDOW_MS)?;
    let signed = format!(
        "{timestamp}{}{}{}",
        request.method,
        request.path_and_query(true),
        request.body
    );
    let expected = b64(&hmac_sha256(account.secret.as_bytes(), signed.as_bytes()));
    if !same(signature, &expected) {
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

    const KEY: &str = "kf-sim-bitget-read-only-7c1e5a9b3d";
    const SECRET: &str = "bitget-sim-secret-4f2a9c81e6b07d35";
    const PASSPHRASE: &str = "Keyfolio#Replay1";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.bitget({'apiKey': KEY, 'secret':
    /// SECRET, 'password': PASSPHRASE})` with `nonce()` and `milliseconds()` fixed at
    /// 1700000000000, then `sign('v2/spot/account/assets', ['private', 'spot'], 'GET', {})`:
    /// its ACCESS-SIGN header.
    const SIGN: &str = "n/APO2+24Vt8vrIrYP+SwrBaR7FZky584erTZ5RB7Tg=";

    fn account(secret: &str, passphrase: &str) -> SimAccount {
        super::super::test_account("bitget", KEY, secret, Some(passphrase))
    }

    fn verdict(query: &str, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
        let ts = TS.to_string();
        let req = for_test(
            "GET",
            "/api/v2/spot/account/assets",
            query,
            "",
            &[
                ("access-key", KEY),
                ("access-sign", SIGN),
                ("access-timestamp", &ts),
                ("access-passphrase", PASSPHRASE),
                ("x-channel-api-code", "p4sve"),
            ],
        );
        check(&Signed::new("bitget", &req), account, now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(verdict("", &right, TS + 29_000), Ok(()));
    }

    #[test]
    fn a_wrong_secret_or_another_query_is_a_bad_signature() {
        let other = account("another-secret", PASSPHRASE);
        assert_eq!(verdict("", &other, TS), Err(Refusal::BadSignature));
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(verdict("coin=USDT", &right, TS), Err(Refusal::BadSignature));
    }

    #[test]
    fn a_wrong_passphrase_is_refused() {
        let other = account(SECRET, "Keyfolio#Replay2");
        assert_eq!(verdict("", &other, TS), Err(Refusal::BadPassphrase));
    }

    #[test]
    fn a_timestamp_beyond_thirty_seconds_is_stale() {
        let right = account(SECRET, PASSPHRASE);
        assert_eq!(
            verdict("", &right, TS + 30_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("", &right, TS - 30_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_request_without_a_passphrase_is_refused() {
        let req = for_test(
            "GET",
            "/api/v2/spot/account/assets",
            "",
            "",
            &[
                ("access-key", KEY),
                ("access-sign", SIGN),
                ("access-timestamp", "1700000000000"),
            ],
        );
        assert_eq!(
            check(
                &Signed::new("bitget", &req),
                &account(SECRET, PASSPHRASE),
                TS
            ),
            Err(Refusal::MissingAuth)
        );
    }
}
