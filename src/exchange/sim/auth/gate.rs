//! How Gate authenticates a private request, from its API v4 documentation:
//! <https://www.gate.io/docs/developers/apiv4/#authentication>.
//!
//! - headers `KEY`, `Timestamp` (Unix seconds) and `SIGN`;
//! - `SIGN`: lower-case hex HMAC-SHA512, keyed by the secret, of the five lines
//!   `METHOD\npath\nquery\nhex(SHA512(body))\ntimestamp`, where path is the API path with
//!   its `/api/v4` prefix (`/api/v4/spot/accounts`), query the query string without URL
//!   encoding ("" when there is none; Python ccxt signs the raw query and sends it
//!   encoded), body the request body as sent ("" for a GET), and timestamp the header's
//!   text;
//! - the timestamp must be within 60 seconds of the server's clock.
//!
//! The path is [`Signed::path`]: the client's base URL ends in `/api/v4` and it signs
//! `/api/v4/<type>/<path>` whatever the host, so the simulator's mount is not part of it.
//! Refusals (`label`, see `errors` in the fixture): MISSING_REQUIRED_HEADER,
//! INVALID_SIGNATURE, REQUEST_EXPIRED (which CCXT maps to AuthenticationError: Gate has
//! no InvalidNonce there).

use super::{Refusal, Signed, hmac_sha512, same, within};
use crate::exchange::sim::SimAccount;
use percent_encoding::percent_decode_str;
use sha2::Digest;

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 60_000;

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(_key), Some(timestamp), Some(signature)) = (
        request.header("key"),
        request.header("timestamp"),
        request.header("sign"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    // Seconds; Gate's own Python example sends `time.time()`, fractions included.
    let sent = timestamp
        .parse::<f64>()
        .map_err(|_| Refusal::StaleTimestamp)?;
    within((sent * 1000.0) as i64, now_ms, WINDOW_MS)?;
    let body_hash = hex::encode(sha2::Sha512::digest(request.body.as_bytes()));
    let signed = format!(
        "{}\n{}\n{}\n{body_hash}\n{timestamp}",
        request.method,
        request.path,
        percent_decode_str(request.query).decode_utf8_lossy()
    );
    let expected = hex::encode(hmac_sha512(account.secret.as_bytes(), signed.as_bytes()));
    if !same(signature, &expected) {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-gate-read-only-7c1e5a9b3d";
    const SECRET: &str = "gate-sim-secret-4f2a9c81e6b07d35";
    const TS: i64 = 1_700_000_000_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.gate({'apiKey': KEY, 'secret':
    /// SECRET})` with `nonce()` and `milliseconds()` fixed at 1700000000000, then
    /// `sign('accounts', ['private', 'spot'], 'GET', {})`: its SIGN header (Timestamp
    /// 1700000000).
    const SIGN: &str = "abb479cca5249ea5997eca5ce872a00686dad473ddd64e6d08c5bee48b3b594511c89b918296588b129f1567d5b63c2f7c18da84e2a78fcc900892c74cdab0d9";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("gate", KEY, secret, None)
    }

    fn verdict(path: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let req = for_test(
            "GET",
            path,
            "",
            "",
            &[
                ("key", KEY),
                ("timestamp", "1700000000"),
                ("sign", SIGN),
                ("content-type", "application/json"),
            ],
        );
        check(&Signed::new("gate", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signature_is_accepted() {
        assert_eq!(
            verdict("/api/v4/spot/accounts", SECRET, TS + 59_000),
            Ok(())
        );
    }

    #[test]
    fn a_wrong_secret_or_path_is_a_bad_signature() {
        assert_eq!(
            verdict("/api/v4/spot/accounts", "another-secret", TS),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verdict("/api/v4/margin/accounts", SECRET, TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_timestamp_beyond_sixty_seconds_is_stale() {
        assert_eq!(
            verdict("/api/v4/spot/accounts", SECRET, TS + 60_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("/api/v4/spot/accounts", SECRET, TS - 60_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_request_without_a_signature_is_refused() {
        let req = for_test(
            "GET",
            "/api/v4/spot/accounts",
            "",
            "",
            &[("key", KEY), ("timestamp", "1700000000")],
        );
        assert_eq!(
            check(&Signed::new("gate", &req), &account(SECRET), TS),
            Err(Refusal::MissingAuth)
        );
    }
}
