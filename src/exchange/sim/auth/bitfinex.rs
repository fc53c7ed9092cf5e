//! How bitfinex authenticates a private request, from its API documentation
//! (docs.bitfinex.com/docs/rest-auth, "Authenticated Endpoints"):
//!
//! - `bfx-apikey`: the API key;
//! - `bfx-nonce`: a number that must keep increasing for the key (and stay below
//!   9007199254740991, the largest integer JavaScript holds exactly);
//! - `bfx-signature`: the hex HMAC-SHA384, keyed by the API secret, of
//!   `/api/` + the API path (`v2/auth/r/wallets`) + nonce + the JSON body as sent.
//!
//! The path is [`Signed::path`]: the client signs `/api/v2/...` from the API path alone,
//! never the host or the simulator's mount.
//!
//! Refusals (docs.bitfinex.com/docs/abbreviations-glossary#error-codes, answered as
//! `["error", code, text]` with HTTP 500): 10100 `apikey: digest invalid`, 10114
//! `nonce: small`, 10100 `apikey: invalid`.

use super::{Refusal, Signed, advance_nonce, hmac_sha384, same};
use crate::exchange::sim::SimAccount;

/// Bitfinex refuses a nonce above JavaScript's largest exact integer.
const MAX_NONCE: u64 = 9_007_199_254_740_991;

/// Checks the request's authentication for `account` at `now_ms`. The nonce is a
/// counter (milliseconds or microseconds, as the client likes), not a clock: only its
/// increase is checked.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let _ = now_ms;
    let (Some(key), Some(nonce_text), Some(signature)) = (
        request.header("bfx-apikey"),
        request.header("bfx-nonce"),
        request.header("bfx-signature"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    if key != account.api_key {
        return Err(Refusal::MissingAuth);
    }
    let Some(nonce) = nonce_text.parse::<u64>().ok().filter(|n| *n <= MAX_NONCE) else {
        return Err(Refusal::StaleTimestamp);
    };
    let message = format!("/api{}{nonce_text}{}", request.path, request.body);
    let expected = hex::encode(hmac_sha384(account.secret.as_bytes(), message.as_bytes()));
    // The documentation's examples send the digest in lower-case hex; that is what is compared.
    if !same(signature, &expected) {
        return Err(Refusal::BadSignature);
    }
    advance_nonce(request, key, nonce)
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-bitfinex-read-only-7c1e5a9b3d";
    const SECRET: &str = "bitfinex-sim-secret-4f2a9c81e6b07d35";
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.bitfinex({'apiKey': KEY,
    /// 'secret': SECRET})` with `milliseconds()` fixed at 1767225600000 and
    /// `incrementing_nonce = nonce`, then `sign('auth/r/wallets', ['private'], 'POST', {})`.
    const SIGNATURE: &str = "c7e4f84d2ba7bc6e8e8ac08aaacc5faff20d8ef16c540953ed3e27bcea697cfa2765bcd22d45ef926682343735731388";
    const NONCE: &str = "1767225600000";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("bitfinex", KEY, secret, None)
    }

    fn request(host: &str, nonce: &str, signature: &str) -> crate::exchange::sim::Req {
        for_test(
            "POST",
            "/v2/auth/r/wallets",
            "",
            "{}",
            &[
                ("host", host),
                ("bfx-apikey", KEY),
                ("bfx-nonce", nonce),
                ("bfx-signature", signature),
                ("content-type", "application/json"),
            ],
        )
    }

    #[test]
    fn the_reference_signature_is_accepted_once() {
        let req = request("bitfinex-accept.test", NONCE, SIGNATURE);
        let signed = Signed::new("bitfinex", &req);
        assert_eq!(check(&signed, &account(SECRET), 0), Ok(()));
        assert_eq!(
            check(&signed, &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        let req = request("bitfinex-wrong.test", NONCE, SIGNATURE);
        let signed = Signed::new("bitfinex", &req);
        assert_eq!(
            check(&signed, &account("another-secret"), 0),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_smaller_nonce_is_stale() {
        let host = "bitfinex-smaller.test";
        let newer = "1767225600001";
        let sign = |nonce: &str| {
            let m = format!("/api/v2/auth/r/wallets{nonce}{{}}");
            hex::encode(hmac_sha384(SECRET.as_bytes(), m.as_bytes()))
        };
        let req = request(host, newer, &sign(newer));
        assert_eq!(
            check(&Signed::new("bitfinex", &req), &account(SECRET), 0),
            Ok(())
        );
        let req = request(host, NONCE, SIGNATURE);
        assert_eq!(
            check(&Signed::new("bitfinex", &req), &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
        let req = request(host, "9007199254740992", &sign("9007199254740992"));
        assert_eq!(
            check(&Signed::new("bitfinex", &req), &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_missing_header_is_refused() {
        let req = for_test(
            "POST",
            "/v2/auth/r/wallets",
            "",
            "{}",
            &[("bfx-apikey", KEY), ("bfx-nonce", NONCE)],
        );
        assert_eq!(
            check(&Signed::new("bitfinex", &req), &account(SECRET), 0),
            Err(Refusal::MissingAuth)
        );
    }
}
