//! How bitstamp authenticates a private request, from its API documentation
//! (www.bitstamp.net/api/#section/Authentication, the v2 scheme):
//!
//! - `X-Auth`: `BITSTAMP ` + API key;
//! - `X-Auth-Nonce`: a client-made 36-character lower-case string (a UUID), usable once;
//! - `X-Auth-Timestamp`: departure time, UTC milliseconds; refused when more than
//!   150 seconds from the server's time;
//! - `X-Auth-Version`: `v2`;
//! - `X-Auth-Signature`: hex HMAC-SHA256, keyed by the API secret, of
//!   `BITSTAMP <key>` + method + url host + url path + url query + Content-Type +
//!   nonce + timestamp + `v2` + body, concatenated without separators. Content-Type
//!   (and the header itself) is left out when there is no body.
//!
//! The host and path are those the request was addressed to: the `Host` header and
//! [`Signed::full_path`], mount included, because the client signs the URL it sends to
//! (`url.replace('https://', '')`). One artefact of the simulator is allowed, narrowly:
//! it is served over plain http, and a client that strips only `https://` (CCXT does)
//! leaves `http://` in front of the host. Bitstamp itself is https-only, so that prefix
//! never occurs there; here it is accepted in front of exactly the same host and path.
//!
//! Refusals (the documentation's API00xx reasons, HTTP 403): API0005 `Invalid
//! signature`, API0017 (timestamp out of bounds), API0013 (a required header missing).

use super::{Refusal, Signed, hmac_sha256, ms_within, same};
use crate::exchange::sim::SimAccount;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The timestamp window, either side of the server's clock.
const WINDOW_MS: i64 = 150_000;

/// Nonces seen per (Host, API key, nonce), with the timestamp they came with.
type SeenNonces = Mutex<HashMap<(String, String, String), i64>>;

/// The nonces seen. A nonce older than the window cannot come back with a valid
/// timestamp, so it is forgotten.
fn seen_nonces() -> &'static SeenNonces {
    static SEEN: OnceLock<SeenNonces> = OnceLock::new();
    SEEN.get_or_init(Mutex::default)
}

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let (Some(x_auth), Some(signature), Some(nonce), Some(timestamp), Some(version)) = (
        request.header("x-auth"),
        request.header("x-auth-signature"),
        request.header("x-auth-nonce"),
        request.header("x-auth-timestamp"),
        request.header("x-auth-version"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    if x_auth.strip_prefix("BITSTAMP ") != Some(account.api_key.as_str()) || version != "v2" {
        return Err(Refusal::MissingAuth);
    }
    // A nonce of another shape is refused as a bad nonce (API0004).
    if nonce.len() != 36 || nonce.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(Refusal::StaleTimestamp);
    }
    let sent_ms = ms_within(timestamp, now_ms, WINDOW_MS)?;
    let content_type = if request.body.is_empty() {
        ""
    } else {
        request.header("content-type").unwrap_or("")
    };
    let host = request.host.to_ascii_lowercase();
    let sign = |address: &str| {
        let message = format!(
            "{x_auth}{}{address}{}{content_type}{nonce}{timestamp}v2{}",
            request.method, request.query, request.body
        );
        hex::encode(hmac_sha256(account.secret.as_bytes(), message.as_bytes()))
    };
    let address = format!("{host}{}", request.full_path);
    // Hex is a number: either case of its digits is the same signature.
    let signature = signature.to_ascii_lowercase();
    if !same(&signature, &sign(&address)) && !same(&signature, &sign(&format!("http://{address}")))
    {
        return Err(Refusal::BadSignature);
    }
    let mut seen = seen_nonces().lock().unwrap();
    seen.retain(|_, at| (now_ms - *at).abs() <= 2 * WINDOW_MS);
    let entry = (host, account.api_key.clone(), nonce.to_string());
    if seen.contains_key(&entry) {
        return Err(Refusal::StaleTimestamp);
    }
    seen.insert(entry, sent_ms);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-bitstamp-read-only-7c1e5a9b3d";
    const SECRET: &str = "bitstamp-sim-secret-4f2a9c81e6b07d35";
    const NONCE: &str = "3f1c2b9e-8d4a-4e6f-9a7b-1c2d3e4f5a6b";
    const TS: i64 = 1_767_225_600_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.bitstamp({'apiKey': KEY,
    /// 'secret': SECRET})` with `milliseconds()` fixed at 1767225600000, `uuid()` fixed
    /// at NONCE and `urls['api']` moved as keyfolio moves it, to
    /// `http://127.0.0.1:8080/bitstamp/api`; then `sign('account_balances/',
    /// ['private'], 'POST', {})` (body `foo=bar`).
    const MOVED: &str = "d90ecf91c54a2e03c91c9e1ae54e922cdadd4611812977811956ae3b2e2cfe98";
    /// The same with `urls['api']` left at `https://www.bitstamp.net/api`.
    const REAL: &str = "8df176dde5f652884886e82ed4631d429fb44100a7156c71dc855f6673722903";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("bitstamp", KEY, secret, None)
    }

    fn request(host: &str, path: &str, nonce: &str, signature: &str) -> crate::exchange::sim::Req {
        let x_auth = format!("BITSTAMP {KEY}");
        let ts = TS.to_string();
        for_test(
            "POST",
            path,
            "",
            "foo=bar",
            &[
                ("host", host),
                ("x-auth", &x_auth),
                ("x-auth-signature", signature),
                ("x-auth-nonce", nonce),
                ("x-auth-timestamp", &ts),
                ("x-auth-version", "v2"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        )
    }

    #[test]
    fn the_reference_signature_at_the_mount_is_accepted_once() {
        let req = request("127.0.0.1:8080", "/api/v2/account_balances/", NONCE, MOVED);
        let signed = Signed::new("bitstamp", &req);
        assert_eq!(check(&signed, &account(SECRET), TS + 2_000), Ok(()));
        // The nonce is single-use.
        assert_eq!(
            check(&signed, &account(SECRET), TS + 3_000),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn a_signature_over_another_host_or_path_is_refused() {
        // Signed for www.bitstamp.net, sent to the simulator.
        let req = request("127.0.0.1:8080", "/api/v2/account_balances/", NONCE, REAL);
        assert_eq!(
            check(&Signed::new("bitstamp", &req), &account(SECRET), TS),
            Err(Refusal::BadSignature)
        );
        // Signed for port 8080, sent to port 8081.
        let req = request("127.0.0.1:8081", "/api/v2/account_balances/", NONCE, MOVED);
        assert_eq!(
            check(&Signed::new("bitstamp", &req), &account(SECRET), TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        let req = request("127.0.0.1:8080", "/api/v2/account_balances/", NONCE, MOVED);
        assert_eq!(
            check(&Signed::new("bitstamp", &req), &account("other"), TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_timestamp_beyond_150_seconds_is_stale() {
        let req = request("127.0.0.1:8080", "/api/v2/account_balances/", NONCE, MOVED);
        let signed = Signed::new("bitstamp", &req);
        assert_eq!(
            check(&signed, &account(SECRET), TS + 150_001),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            check(&signed, &account(SECRET), TS - 150_001),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn missing_headers_and_malformed_nonces_are_refused() {
        let req = for_test(
            "POST",
            "/api/v2/account_balances/",
            "",
            "foo=bar",
            &[("host", "127.0.0.1:8080"), ("x-auth", "BITSTAMP kf")],
        );
        assert_eq!(
            check(&Signed::new("bitstamp", &req), &account(SECRET), TS),
            Err(Refusal::MissingAuth)
        );
        let req = request(
            "127.0.0.1:8080",
            "/api/v2/account_balances/",
            "short",
            MOVED,
        );
        assert_eq!(
            check(&Signed::new("bitstamp", &req), &account(SECRET), TS),
            Err(Refusal::StaleTimestamp)
        );
    }
}
