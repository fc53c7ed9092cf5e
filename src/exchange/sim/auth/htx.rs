//! How htx authenticates a private request, from its API documentation (Huobi/HTX
//! "Signature Authentication & Verification", signature version 2):
//!
//! - query parameters `AccessKeyId`, `SignatureMethod=HmacSHA256`, `SignatureVersion=2`,
//!   `Timestamp` (UTC, `YYYY-MM-DDThh:mm:ss`) and `Signature`;
//! - `Signature`: base64 HMAC-SHA256, keyed by the secret key, of
//!   `METHOD\nhost\npath\nparams`, where host is the lower-case host the request is
//!   sent to, path the API path (`/v1/account/accounts`), and params every query
//!   parameter but `Signature`, URL-encoded (upper-case hex) and sorted by name in
//!   ASCII order. A POST signs only these four parameters; its own go in the JSON body.
//!
//! The host is [`Signed::host`], as HTX checks the host it was reached at (a client using
//! `api-aws.huobi.pro` must sign that host). The path is [`Signed::path`], without the
//! simulator's mount: the client signs the API path alone, whatever its base URL, so the
//! mount is an artefact no real HTX host has.
//!
//! The timestamp is refused more than five minutes from the server's clock, with
//! `Signature not valid: Invalid submission time or incorrect time format`.
//!
//! Refusals (`status: error`, `err-code` `api-signature-not-valid` told apart by its
//! `err-msg`, HTTP 200): see `errors` in the fixture.

use super::{Refusal, Signed, b64, hmac_sha256, same, within};
use crate::exchange::sim::SimAccount;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The window either side of the server's clock.
const WINDOW_MS: i64 = 5 * 60 * 1000;

/// URL encoding as the signature wants it: everything but the unreserved characters.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The query's parameters, decoded.
fn parameters(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(name), decode(value))
        })
        .collect()
}

/// The signed text's last line: every parameter but `Signature`, encoded, sorted.
fn canonical(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .map(|(name, value)| {
            (
                utf8_percent_encode(name, ENCODE).to_string(),
                utf8_percent_encode(value, ENCODE).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks the request's authentication for `account` at `now_ms`.
pub(super) fn check(request: &Signed, account: &SimAccount, now_ms: i64) -> Result<(), Refusal> {
    let params = parameters(request.query);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(key), Some(method), Some(version), Some(timestamp), Some(signature)) = (
        get("AccessKeyId"),
        get("SignatureMethod"),
        get("SignatureVersion"),
        get("Timestamp"),
        get("Signature"),
    ) else {
        return Err(Refusal::MissingAuth);
    };
    if key != account.api_key || method != "HmacSHA256" || version != "2" {
        return Err(Refusal::MissingAuth);
    }
    let Ok(sent) = chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%dT%H:%M:%S") else {
        return Err(Refusal::StaleTimestamp);
    };
    within(sent.and_utc().timestamp_millis(), now_ms, WINDOW_MS)?;
    let payload = format!(
        "{}\n{}\n{}\n{}",
        request.method,
        request.host.to_ascii_lowercase(),
        request.path,
        canonical(&params)
    );
    let expected = b64(&hmac_sha256(account.secret.as_bytes(), payload.as_bytes()));
    if !same(signature, &expected) {
        return Err(Refusal::BadSignature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Signed, for_test};
    use super::*;

    const KEY: &str = "kf-sim-htx-read-only-7c1e5a9b3d";
    const SECRET: &str = "htx-sim-secret-4f2a9c81e6b07d35";
    /// 2026-01-01T00:00:00 UTC.
    const TS: i64 = 1_767_225_600_000;
    /// Made with Python ccxt 4.5.90 (/tmp/pyccxt): `ccxt.htx({'apiKey': KEY, 'secret':
    /// SECRET})` with `milliseconds()` fixed at 1767225600000, then `sign('account/accounts',
    /// ['private'], 'GET', {})`: the query of the URL it returns (host api.huobi.pro).
    const REAL: &str = "AccessKeyId=kf-sim-htx-read-only-7c1e5a9b3d&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2026-01-01T00%3A00%3A00&Signature=7AQxYrwei5oxgSeMhqLflT0kIQG%2BLjeQP1XEzmTnsw0%3D";
    /// The same after `hostname = '127.0.0.1:8080'`: a client moved to the simulator
    /// that signs the host it sends to.
    const MOVED: &str = "AccessKeyId=kf-sim-htx-read-only-7c1e5a9b3d&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2026-01-01T00%3A00%3A00&Signature=MnULkikNX3npLikSQuEyqgwL4FGPUJBkhvhrYTYKTRA%3D";

    fn account(secret: &str) -> SimAccount {
        super::super::test_account("htx", KEY, secret, None)
    }

    fn verdict(host: &str, query: &str, secret: &str, now_ms: i64) -> Result<(), Refusal> {
        let req = for_test(
            "GET",
            "/v1/account/accounts",
            query,
            "",
            &[
                ("host", host),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        );
        check(&Signed::new("htx", &req), &account(secret), now_ms)
    }

    #[test]
    fn the_reference_signatures_are_accepted_at_the_host_they_name() {
        assert_eq!(verdict("api.huobi.pro", REAL, SECRET, TS + 1_000), Ok(()));
        assert_eq!(verdict("API.Huobi.pro", REAL, SECRET, TS), Ok(()));
        assert_eq!(verdict("127.0.0.1:8080", MOVED, SECRET, TS), Ok(()));
    }

    #[test]
    fn a_signature_for_another_host_is_refused() {
        // What a client moved to the simulator sends when it keeps signing api.huobi.pro.
        assert_eq!(
            verdict("127.0.0.1:8080", REAL, SECRET, TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_wrong_secret_is_a_bad_signature() {
        assert_eq!(
            verdict("api.huobi.pro", REAL, "another-secret", TS),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn a_timestamp_beyond_five_minutes_is_stale() {
        assert_eq!(
            verdict("api.huobi.pro", REAL, SECRET, TS + WINDOW_MS + 1_000),
            Err(Refusal::StaleTimestamp)
        );
        assert_eq!(
            verdict("api.huobi.pro", REAL, SECRET, TS - WINDOW_MS - 1_000),
            Err(Refusal::StaleTimestamp)
        );
    }

    #[test]
    fn missing_or_other_parameters_are_refused() {
        let without = REAL.replace("&SignatureVersion=2", "");
        assert_eq!(
            verdict("api.huobi.pro", &without, SECRET, TS),
            Err(Refusal::MissingAuth)
        );
        let sha1 = REAL.replace("HmacSHA256", "HmacSHA1");
        assert_eq!(
            verdict("api.huobi.pro", &sha1, SECRET, TS),
            Err(Refusal::MissingAuth)
        );
    }
}
