//! How kraken authenticates a private request, from its API documentation
//! (docs.kraken.com/api/docs/guides/spot-rest-auth, "Spot REST Authentication"):
//!
//! - `API-Key` header: the public key;
//! - `nonce` in the POST data: an always increasing unsigned 64-bit integer, per key
//!   (a repeated or smaller nonce is `EAPI:Invalid nonce`);
//! - `API-Sign` header: base64 of HMAC-SHA512, keyed by the base64-decoded private key,
//!   of the URI path followed by SHA256(nonce + POST data). "The URI path used for
//!   API-Sign should be the part starting with /0/private".
//!
//! The URI path is [`Signed::path`]: the client signs the API path (`/0/private/...`),
//! never the host or the simulator's mount, so the mount changes nothing here.
//!
//! Refusals (docs.kraken.com/api/docs/guides/spot-errors): `EAPI:Invalid signature`,
//! `EAPI:Invalid nonce`, `EAPI:Invalid key` (the fixture's `errors`).

use super::{Refusal, Signed, advance_nonce, b64, hmac_sha512, same};
use crate::exchange::sim::SimAccount;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The `nonce` of the POST data: form-encoded, or JSON for the few endpoints Kraken
/// takes JSON on.
fn nonce_in(body: &str) -> Option<&str> {
    if body.trim_start().starts_with('{') {
        let at = body.find("\"nonce\"")? + "\"nonce\"".len();
        let rest = body[at..].trim_start().strip_prefix(':')?.trim_start();
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
    body.split('&').find_map(|pair| pair.strip_prefix("nonce="))
}

/// Checks the request's authentication for `account` at `now_ms`. Kraken's nonce is a
/// counter, not a clock: there is no time window, only the per-key increase.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let _ = now_ms;
    let (Some(key), Some(sign)) = (request.header("api-key"), request.header("api-sign")) else {
        return Err(Refusal::MissingAuth);
    };
    if key != account.api_key {
        return Err(Refusal::MissingAuth);
    }
    let Some(nonce_text) = nonce_in(request.body) else {
        // No nonce at all: Kraken's answer is `EAPI:Invalid nonce`.
        return Err(Refusal::StaleTimestamp);
    };
    let Ok(nonce) = nonce_text.parse::<u64>() else {
        return Err(Refusal::StaleTimestamp);
    };
    let Ok(secret) = base64::engine::general_purpose::STANDARD.decode(account.secret.trim()) else {
        return Err(Refusal::BadSignature);
    };
    let digest = Sha256::digest(format!("{nonce_text}{}", request.body).as_bytes());
    let mut message = request.path.as_bytes().to_vec();
    message.extend_from_slice(&digest);
    if !same(sign, &b64(&hmac_sha512(&secret, &message))) {
        return Err(Refusal::BadSignature);
    }
    advance_nonce(request, key, nonce)
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-kraken-read-only-0000000000000000000000000000";
    const SECRET: &str = "a2V5Zm9saW8tc2ltdWxhdG9yLWtyYWtlbi1zZWNyZXQta2V5LTAxMjM0NTY3ODk=";
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.kraken({'apiKey': KEY,
    /// 'secret': SECRET})` with `milliseconds()` fixed at 1767225600000 and
    /// `incrementing_nonce = nonce`, then `sign('BalanceEx', ['private'], 'POST', {})`.
    const SIGN: &str =
        "gSgyXhWTWA16G2V6O3eklbVzLIlY73TTyJkMjuVl6UFD/TM4IVoOy1cJde0BF25gBgJsQxbE4Gz522YG8n2yDA==";
    const BODY: &str = "nonce=1767225600000";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("kraken", KEY, secret, None)
    }

    fn request(host: &str, body: &str, sign: &str) -> crate::exchange::sim::Req {
        for_test(
            "POST",
            "/0/private/BalanceEx",
            "",
            body,
            &[
                ("host", host),
                ("api-key", KEY),
                ("api-sign", sign),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        )
    }

    #[test]
    fn the_reference_signature_is_accepted_once() {
        let req = request("kraken-accept.test", BODY, SIGN);
        let signed = Signed::new("kraken", &req);
        assert_eq!(check(&signed, &account(SECRET), 0), Ok(()));
        // The same nonce again is a replay.
        assert_eq!(
            check(&signed, &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn kraken_documentation_example_verifies() {
        // The worked example of docs.kraken.com (Spot REST Authentication, "Examples").
        let secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
        let body =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        let req = for_test(
            "POST",
            "/0/private/AddOrder",
            "",
            body,
            &[
                ("host", "kraken-doc.test"),
                ("api-key", KEY),
                (
                    "api-sign",
                    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==",
                ),
            ],
        );
        let signed = Signed::new("kraken", &req);
        assert_eq!(check(&signed, &account(secret), 0), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        let req = request("kraken-wrong.test", BODY, SIGN);
        let signed = Signed::new("kraken", &req);
        let other = "b3RoZXItc2VjcmV0LW9mLWtleWZvbGlvLXNpbXVsYXRvcg==";
        assert_eq!(
            check(&signed, &account(other), 0),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_smaller_nonce_is_refused() {
        let host = "kraken-smaller.test";
        let newer = "nonce=1767225600001";
        let secret = base64::engine::general_purpose::STANDARD
            .decode(SECRET)
            .unwrap();
        let sign_of = |body: &str| {
            let nonce = nonce_in(body).unwrap();
            let mut m = b"/0/private/BalanceEx".to_vec();
            m.extend_from_slice(&Sha256::digest(format!("{nonce}{body}").as_bytes()));
            b64(&hmac_sha512(&secret, &m))
        };
        let req = request(host, newer, &sign_of(newer));
        assert_eq!(
            check(&Signed::new("kraken", &req), &account(SECRET), 0),
            Ok(())
        );
        let req = request(host, BODY, SIGN);
        assert_eq!(
            check(&Signed::new("kraken", &req), &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn missing_headers_and_nonce_are_refused() {
        let req = for_test(
            "POST",
            "/0/private/BalanceEx",
            "",
            BODY,
            &[("host", "kraken-missing.test"), ("api-key", KEY)],
        );
        assert_eq!(
            check(&Signed::new("kraken", &req), &account(SECRET), 0),
            Err(Refusal::MissingAuth)
        );
        let req = request("kraken-missing.test", "type=spot", SIGN);
        assert_eq!(
            check(&Signed::new("kraken", &req), &account(SECRET), 0),
            Err(Refusal::StaleTimestamp)
        );
    }
}
