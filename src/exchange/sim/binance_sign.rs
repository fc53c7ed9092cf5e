//! Pure request-signing functions for Binance (HMAC-SHA256, Ed25519) and OKX.
//!
//! The simulator's verifiers use them; they are plain functions so a client can reuse them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, Verifier};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn hmac_sha256(secret: &str, payload: &str) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Binance HMAC signature: lowercase hex of HMAC-SHA256(secret, totalParams).
pub fn binance_hmac_signature(secret: &str, payload: &str) -> String {
    hex::encode(hmac_sha256(secret, payload))
}

/// Checks a base64 Ed25519 signature (already percent-decoded) against the public half
/// of the PKCS#8 PEM private key. Returns false for any malformed input.
pub fn binance_ed25519_verify(private_key_pem: &str, payload: &str, signature_b64: &str) -> bool {
    let Ok(key) = SigningKey::from_pkcs8_pem(private_key_pem) else {
        return false;
    };
    let Ok(bytes) = B64.decode(signature_b64) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verifying_key().verify(payload.as_bytes(), &sig).is_ok()
}

/// The PKCS#8 v1 PEM (seed only, no public key) of the Ed25519 key with this seed:
/// the 119-character form `openssl genpkey -algorithm ed25519` and Binance's key
/// generator write. CCXT treats any "PRIVATE KEY" secret longer than 120 chars as
/// RSA, so the longer v2 form (with the public key) would not work.
pub fn ed25519_pem_from_seed(seed: [u8; 32]) -> String {
    const V1_PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let der = [&V1_PREFIX[..], &seed[..]].concat();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        B64.encode(der)
    )
}

/// OKX signature: base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body)).
pub fn okx_signature(
    secret: &str,
    ts: &str,
    method: &str,
    path_with_query: &str,
    body: &str,
) -> String {
    B64.encode(hmac_sha256(
        secret,
        &format!("{ts}{method}{path_with_query}{body}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    /// Binance Ed25519 signature: base64 of the Ed25519 signature of totalParams
    /// (still to be percent-encoded when put into a query string).
    fn binance_ed25519_signature(private_key_pem: &str, payload: &str) -> anyhow::Result<String> {
        let key = SigningKey::from_pkcs8_pem(private_key_pem)?;
        Ok(B64.encode(key.sign(payload.as_bytes()).to_bytes()))
    }

    #[test]
    fn binance_documented_hmac_example_verifies() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        assert_eq!(
            binance_hmac_signature(secret, payload),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
    }

    #[test]
    fn ed25519_round_trip_and_tamper() {
        let pem = ed25519_pem_from_seed([7; 32]);
        assert!(
            pem.contains("BEGIN PRIVATE KEY") && pem.len() <= 120,
            "{pem}"
        );
        let sig = binance_ed25519_signature(&pem, "timestamp=1").unwrap();
        assert!(binance_ed25519_verify(&pem, "timestamp=1", &sig));
        assert!(!binance_ed25519_verify(&pem, "timestamp=2", &sig));
    }

    #[test]
    fn okx_signature_is_base64_hmac_of_prehash() {
        let sig = okx_signature(
            "S",
            "2020-12-08T09:08:57.715Z",
            "GET",
            "/api/v5/account/balance?ccy=BTC",
            "",
        );
        assert_eq!(
            sig,
            B64.encode(hmac_sha256(
                "S",
                "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC"
            ))
        );
    }
}
