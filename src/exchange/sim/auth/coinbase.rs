//! How coinbase authenticates a private request with a CDP (Advanced Trade) API key,
//! from its documentation (docs.cdp.coinbase.com/get-started/authentication/
//! jwt-authentication, and the CDP SDKs' `generateJwt`):
//!
//! - `Authorization: Bearer <JWT>`, the JWT signed with the key's private half:
//!   ES256 (ECDSA P-256 / SHA-256, the 64-byte `r || s` of JWS) for an EC key issued as
//!   a SEC1 PEM, EdDSA (Ed25519) for an Ed25519 key issued as base64 of its 64 bytes
//!   (seed || public key);
//! - header: `alg`, `kid` = the key name, a `nonce`;
//! - claims: `sub` = the key name, `iss` = `cdp` (the older ES256 keys' tokens say
//!   `coinbase-cloud`, which Coinbase still takes), `nbf` and `exp` - "your JWT expires
//!   after 2 minutes" - and the request, `METHOD host/path` without the query: `uri`
//!   for an ES256 key (the Advanced Trade samples), `uris` (a list) for an Ed25519 key
//!   (the CDP SDK, and CCXT).
//!
//! The signature is verified with the public half of the key the simulator issued.
//!
//! The request named in the token is the one this request is: the `Host` header and
//! [`Signed::full_path`], mount included, since the client names the URL it sends to.
//! One artefact of the simulator is allowed, narrowly: it is served over plain http,
//! and a client that strips only `https://` from its URL (CCXT does) names
//! `GET http://host/path`. Coinbase is https-only, so that form never occurs there;
//! here it is accepted for exactly the same host and path.
//!
//! Refusals (the v2 API's `errors[].id`, HTTP 401): see `errors` in the fixture.

use super::{Refusal, Signed};
use crate::exchange::sim::SimAccount;
use base64::Engine;
use serde_json::Value;

/// The longest life a token may claim, and the window it must be used in.
const LIFETIME_S: i64 = 120;

/// The public half of a key the simulator issued.
enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

/// The public key of `secret`: an EC PEM, or base64 of an Ed25519 seed and public key.
fn public_key(secret: &str) -> Option<PublicKey> {
    let secret = secret.trim();
    if secret.starts_with("-----BEGIN") {
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::SecretKey::from_sec1_pem(secret)
            .or_else(|_| p256::SecretKey::from_pkcs8_pem(secret))
            .ok()?;
        return Some(PublicKey::Es256(p256::ecdsa::VerifyingKey::from(
            key.public_key(),
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .ok()?;
    let seed: [u8; 32] = bytes.get(..32)?.try_into().ok()?;
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    // A 64-byte secret carries its public half: it must be this seed's.
    if bytes.len() == 64 && bytes[32..] != public.to_bytes() {
        return None;
    }
    Some(PublicKey::EdDsa(public))
}

fn b64url(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()
}

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let Some(token) = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return Err(Refusal::MissingAuth);
    };
    let mut parts = token.trim().split('.');
    let (Some(head64), Some(claims64), Some(sig64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::MissingAuth);
    };
    let json = |part: &str| -> Option<Value> { serde_json::from_slice(&b64url(part)?).ok() };
    let (Some(header), Some(claims), Some(signature)) =
        (json(head64), json(claims64), b64url(sig64))
    else {
        return Err(Refusal::MissingAuth);
    };
    let nonce = header["nonce"].as_str().filter(|n| !n.is_empty());
    if header["kid"].as_str() != Some(account.api_key.as_str()) || nonce.is_none() {
        return Err(Refusal::MissingAuth);
    }

    // The signature, with the key the simulator issued for this key name.
    let signed = format!("{head64}.{claims64}");
    let verified = match (public_key(&account.secret), header["alg"].as_str()) {
        (Some(PublicKey::Es256(key)), Some("ES256")) => {
            use p256::ecdsa::signature::Verifier;
            p256::ecdsa::Signature::from_slice(&signature)
                .is_ok_and(|s| key.verify(signed.as_bytes(), &s).is_ok())
        }
        (Some(PublicKey::EdDsa(key)), Some("EdDSA")) => {
            ed25519_dalek::Signature::from_slice(&signature)
                .is_ok_and(|s| key.verify_strict(signed.as_bytes(), &s).is_ok())
        }
        _ => false,
    };
    if !verified {
        return Err(Refusal::BadSignature);
    }

    // The claims.
    if claims["sub"].as_str() != Some(account.api_key.as_str())
        || !matches!(claims["iss"].as_str(), Some("cdp" | "coinbase-cloud"))
    {
        return Err(Refusal::BadSignature);
    }
    let (Some(nbf), Some(exp)) = (claims["nbf"].as_i64(), claims["exp"].as_i64()) else {
        return Err(Refusal::MissingAuth);
    };
    let now = now_ms.div_euclid(1000);
    if now < nbf || now >= exp || exp - nbf > LIFETIME_S {
        return Err(Refusal::StaleTimestamp);
    }
    let address = format!("{}{}", request.host.to_ascii_lowercase(), request.full_path);
    let names_this_request = |uri: &str| {
        uri.split_once(' ').is_some_and(|(method, target)| {
            method == request.method
                && (target == address || target.strip_prefix("http://") == Some(&address))
        })
    };
    let named = match public_key(&account.secret) {
        Some(PublicKey::Es256(_)) => claims["uri"].as_str().is_some_and(names_this_request),
        _ => claims["uris"].as_array().is_some_and(|uris| {
            uris.iter()
                .any(|u| u.as_str().is_some_and(names_this_request))
        }),
    };
    if !named {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const EC_KEY: &str = "organizations/3f6f1d2c-sim/apiKeys/9a4e0c1b-keyfolio-read";
    const EC_PEM: &str = "-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEINkplm9PUAr0wHMc0QK1MRDdvlsQIDoiSsCmhvtTEl3+oAoGCCqGSM49\n\
AwEHoUQDQgAEZH4wqqdysAoSbEUyNIvzG7jZ1YoyrkAfNBMBwe4GKicu2LT3tiF8\n\
d/5bevkUxjyqcYGbJrCIjm1VZ9fFXeen8g==\n\
-----END EC PRIVATE KEY-----\n";
    const ED_KEY: &str = "d2efa49a-5c1e-4b7a-9e3f-keyfolio-ed25519";
    const ED_SECRET: &str =
        "kl4MJ86dtQtcJASobmhtw3X2W3ZtSg6vfeVaoyG51amKHIRMo4TkU/cUTYf0LEvGfesDCv6RqtGwaMaFBg1Zeg==";
    /// 2026-01-01T00:00:00 UTC, the tokens' `nbf` and `iat`.
    const T0: i64 = 1_767_225_600;

    // The tokens below were made with Python ccxt 4.5.90 (/tmp/pyccxt):
    // `ccxt.coinbase({'apiKey': key, 'secret': secret})` with `random_bytes` fixed at
    // '8c3b7f1e2d4a6b5c9e0f1a2b3c4d5e6f', then `create_auth_token(1767225600, 'GET', url,
    // eddsa)` with url `http://127.0.0.1:8080/coinbase/v2/accounts?limit=250` (the
    // simulator's URL, as keyfolio moves it).

    /// ES256, the simulator's EC key.
    const ES256: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsIm5vbmNlIjoiOGMzYjdmMWUyZDRhNmI1YzllMGYxYTJiM2M0ZDVlNmYifQ.eyJhdWQiOlsicmV0YWlsX3Jlc3RfYXBpX3Byb3h5Il0sImlzcyI6ImNvaW5iYXNlLWNsb3VkIiwibmJmIjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjU3MjAsInN1YiI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsImlhdCI6MTc2NzIyNTYwMCwidXJpIjoiR0VUIGh0dHA6Ly8xMjcuMC4wLjE6ODA4MC9jb2luYmFzZS92Mi9hY2NvdW50cyJ9.Kyoi3E0XklnVhbznBuTX0hgbIpuTflO2F5gbgQWNfYFgyhOBXgMgdYe-JLoHFJZSR_KGzwkjfdtRaTueNynu6Q";
    /// EdDSA, the simulator's Ed25519 key (`uris`, `iss: cdp`).
    const EDDSA: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImQyZWZhNDlhLTVjMWUtNGI3YS05ZTNmLWtleWZvbGlvLWVkMjU1MTkiLCJub25jZSI6IjhjM2I3ZjFlMmQ0YTZiNWM5ZTBmMWEyYjNjNGQ1ZTZmIn0.eyJhdWQiOlsiY2RwX3NlcnZpY2UiXSwiaXNzIjoiY2RwIiwibmJmIjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjU3MjAsInN1YiI6ImQyZWZhNDlhLTVjMWUtNGI3YS05ZTNmLWtleWZvbGlvLWVkMjU1MTkiLCJpYXQiOjE3NjcyMjU2MDAsInVyaXMiOlsiR0VUIGh0dHA6Ly8xMjcuMC4wLjE6ODA4MC9jb2luYmFzZS92Mi9hY2NvdW50cyJdfQ.mYJQ3HKiITEdMJFTpyXjrceef5DHzs3WXHLv_zQIkKPhc5PcOZ_p7nwMGABySrwWlI8iC2okie1Q8dTqNS5kCw";
    /// ES256 with the simulator's key name, signed by another EC key (freshly made).
    const OTHER_KEY: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsIm5vbmNlIjoiOGMzYjdmMWUyZDRhNmI1YzllMGYxYTJiM2M0ZDVlNmYifQ.eyJhdWQiOlsicmV0YWlsX3Jlc3RfYXBpX3Byb3h5Il0sImlzcyI6ImNvaW5iYXNlLWNsb3VkIiwibmJmIjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjU3MjAsInN1YiI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsImlhdCI6MTc2NzIyNTYwMCwidXJpIjoiR0VUIGh0dHA6Ly8xMjcuMC4wLjE6ODA4MC9jb2luYmFzZS92Mi9hY2NvdW50cyJ9.I-5oG0qm3EyLhHOhaF82_X0ZcIe_-dqzhTQvBkeZrVdQKq2_ThALSthBTBv5qNs9HaejohgcEu8V9TbdPQsblA";
    /// ES256 for `https://api.coinbase.com/v2/accounts?limit=250`: `uri` names the real host.
    const REAL_URI: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsIm5vbmNlIjoiOGMzYjdmMWUyZDRhNmI1YzllMGYxYTJiM2M0ZDVlNmYifQ.eyJhdWQiOlsicmV0YWlsX3Jlc3RfYXBpX3Byb3h5Il0sImlzcyI6ImNvaW5iYXNlLWNsb3VkIiwibmJmIjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjU3MjAsInN1YiI6Im9yZ2FuaXphdGlvbnMvM2Y2ZjFkMmMtc2ltL2FwaUtleXMvOWE0ZTBjMWIta2V5Zm9saW8tcmVhZCIsImlhdCI6MTc2NzIyNTYwMCwidXJpIjoiR0VUIGFwaS5jb2luYmFzZS5jb20vdjIvYWNjb3VudHMifQ.kFRHas7jvlalFqOy-cau_IKI8RNyf2RAwBmDSkLVa6IvOZko906Qi2sM3kmPsimueEvr52A1lSAPIvQ32slAew";

    fn account(key: &str, secret: &str) -> SimAccount {
        super::super::test_account("coinbase", key, secret, None)
    }

    fn verdict(host: &str, token: &str, account: &SimAccount, now_s: i64) -> Result<(), Refusal> {
        let bearer = format!("Bearer {token}");
        let req = for_test(
            "GET",
            "/v2/accounts",
            "limit=250",
            "",
            &[("host", host), ("authorization", &bearer)],
        );
        check(&Signed::new("coinbase", &req), account, now_s * 1000)
    }

    #[test]
    fn an_es256_token_from_the_reference_client_is_accepted() {
        let ec = account(EC_KEY, EC_PEM);
        assert_eq!(verdict("127.0.0.1:8080", ES256, &ec, T0), Ok(()));
        assert_eq!(verdict("127.0.0.1:8080", ES256, &ec, T0 + 119), Ok(()));
    }

    #[test]
    fn an_eddsa_token_from_the_reference_client_is_accepted() {
        let ed = account(ED_KEY, ED_SECRET);
        assert_eq!(verdict("127.0.0.1:8080", EDDSA, &ed, T0 + 1), Ok(()));
    }

    #[test]
    fn a_token_signed_by_another_key_is_a_bad_signature() {
        let ec = account(EC_KEY, EC_PEM);
        assert_eq!(
            verdict("127.0.0.1:8080", OTHER_KEY, &ec, T0),
            Err(Refusal::BadSignature)
        );
        // The Ed25519 token offered for the EC key, and the other way round.
        let ed = account(ED_KEY, ED_SECRET);
        assert_eq!(
            verdict("127.0.0.1:8080", ES256, &account(EC_KEY, ED_SECRET), T0),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verdict("127.0.0.1:8080", EDDSA, &account(ED_KEY, EC_PEM), T0),
            Err(Refusal::BadSignature)
        );
        // A key name the token's `kid` does not carry.
        assert_eq!(
            verdict("127.0.0.1:8080", EDDSA, &account(EC_KEY, ED_SECRET), T0),
            Err(Refusal::MissingAuth)
        );
        assert_eq!(verdict("127.0.0.1:8080", EDDSA, &ed, T0), Ok(()));
    }

    #[test]
    fn an_expired_or_early_token_is_stale() {
        let ec = account(EC_KEY, EC_PEM);
        assert_eq!(
            verdict("127.0.0.1:8080", ES256, &ec, T0 + 120),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("127.0.0.1:8080", ES256, &ec, T0 - 1),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_token_for_another_request_is_refused() {
        let ec = account(EC_KEY, EC_PEM);
        // Signed for api.coinbase.com, sent to the simulator.
        assert_eq!(
            verdict("127.0.0.1:8080", REAL_URI, &ec, T0),
            Err(Refusal::BadSignature)
        );
        // Signed for port 8080, sent to port 8081.
        assert_eq!(
            verdict("127.0.0.1:8081", ES256, &ec, T0),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_missing_or_malformed_token_is_refused() {
        let ec = account(EC_KEY, EC_PEM);
        assert_eq!(
            verdict("127.0.0.1:8080", "not-a-jwt", &ec, T0),
            Err(Refusal::MissingAuth)
        );
        let req = for_test("GET", "/v2/accounts", "", "", &[("host", "127.0.0.1:8080")]);
        assert_eq!(
            check(&Signed::new("coinbase", &req), &ec, T0 * 1000),
            Err(Refusal::MissingAuth)
        );
    }
}
