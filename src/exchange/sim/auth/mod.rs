//! Authentication of the replayed exchanges, checked as each exchange's API documentation
//! describes it (written from the documentation, never by calling CCXT): the signed
//! string, its hash and encoding, the timestamp window, passphrases. One file per
//! exchange; a request that fails gets that exchange's own refusal (`errors.<kind>` in
//! its fixture).
//!
//! What the simulator cannot be: the exchange's host. A request reaches the mount at
//! `{base_url}/{id}/...`; [`Signed::path`] is the path as the exchange would receive it
//! (without the mount), [`Signed::full_path`] the path as sent (with it), and
//! [`Signed::host`] the `Host` header. Each verifier says which it signs and why.

mod bitfinex;
mod bitget;
mod bitstamp;
mod bitvavo;
mod blofin;
mod bybit;
mod coinbase;
mod cryptocom;
mod gate;
mod htx;
mod kraken;
mod kucoin;
mod mexc;

use super::{Req, SimAccount};
use base64::Engine;
use hmac::{Hmac, Mac};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Why an exchange refuses a request. Each names an error answer of the exchange's fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No or malformed authentication fields.
    MissingAuth,
    /// The signature does not match the key's secret.
    BadSignature,
    /// The passphrase (or its signed form) is wrong.
    BadPassphrase,
    /// The timestamp or nonce is outside the exchange's window.
    StaleTimestamp,
}

impl Refusal {
    /// The fixture's error answer for this refusal (`errors.<kind>`); `bad_key` is used
    /// where the fixture has no answer of its own for it.
    pub(super) fn fixture_kind(self) -> &'static str {
        match self {
            Refusal::MissingAuth => "missing_auth",
            Refusal::BadSignature => "bad_signature",
            Refusal::BadPassphrase => "bad_passphrase",
            Refusal::StaleTimestamp => "stale_timestamp",
        }
    }
}

/// The parts of a request a verifier reads.
pub(super) struct Signed<'a> {
    pub method: &'a str,
    /// The path as the exchange receives it, without the simulator's mount: `/v5/account/wallet-balance`.
    pub path: &'a str,
    /// The path as sent, with the mount: `/bybit/v5/account/wallet-balance`.
    pub full_path: String,
    /// The raw query string, without `?`, as sent.
    pub query: &'a str,
    pub body: &'a str,
    /// The `Host` header.
    pub host: &'a str,
    req: &'a Req,
}

impl<'a> Signed<'a> {
    /// The view of `req` as it reached the mount of `exchange`.
    pub(super) fn new(exchange: &str, req: &'a Req) -> Signed<'a> {
        Signed {
            method: req.method.as_str(),
            path: &req.path,
            full_path: format!("/{exchange}{}", req.path),
            query: &req.query,
            body: &req.body,
            host: req.header("host").unwrap_or(""),
            req,
        }
    }

    /// The host and mount this request reached: nonces are kept apart by it.
    fn full_path_host(&self) -> String {
        let mount = self.full_path.split('/').nth(1).unwrap_or("");
        format!("{}/{mount}", self.host.to_ascii_lowercase())
    }

    /// The path, with `?` and the query when there is one: as sent, or percent-decoded
    /// (where the exchange signs the query before encoding it).
    pub fn path_and_query(&self, decoded: bool) -> String {
        if self.query.is_empty() {
            return self.path.to_string();
        }
        let query = if decoded {
            percent_encoding::percent_decode_str(self.query).decode_utf8_lossy()
        } else {
            self.query.into()
        };
        format!("{}?{query}", self.path)
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.header(name)
    }
}

/// A request as a verifier's tests build it: `headers` as (name, value) pairs, `Host`
/// among them when the test needs one.
#[cfg(test)]
pub(super) fn for_test(
    method: &str,
    path: &str,
    query: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Req {
    let mut map = axum::http::HeaderMap::new();
    for (name, value) in headers {
        map.append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            axum::http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    Req {
        method: method.parse().expect("an HTTP method"),
        path: path.to_string(),
        query: query.to_string(),
        headers: map,
        body: body.to_string(),
        ip: std::net::IpAddr::from([127, 0, 0, 1]),
    }
}

/// A read-only account of `exchange`, as a verifier's tests need one.
#[cfg(test)]
pub(super) fn test_account(
    exchange: &str,
    api_key: &str,
    secret: &str,
    passphrase: Option<&str>,
) -> SimAccount {
    SimAccount {
        exchange: exchange.into(),
        api_key: api_key.into(),
        secret: secret.into(),
        passphrase: passphrase.map(Into::into),
        purpose: "read-only".into(),
        perms: Default::default(),
        balances: Vec::new(),
        fault: None,
        demo: false,
        same_account_as: None,
        wallets: Vec::new(),
    }
}

/// Checks a request's authentication for `account` on `exchange`, at the simulator's
/// time `now_ms`. An exchange without a verifier refuses everything: a simulator that
/// says yes to anything hides the bugs that matter.
pub(super) fn check(
    exchange: &str,
    req: &Req,
    account: &SimAccount,
    now_ms: i64,
) -> Result<(), Refusal> {
    let signed = Signed::new(exchange, req);
    match exchange {
        "bitfinex" => bitfinex::check(&signed, account, now_ms),
        "bitget" => bitget::check(&signed, account, now_ms),
        "bitstamp" => bitstamp::check(&signed, account, now_ms),
        "bitvavo" => bitvavo::check(&signed, account, now_ms),
        "blofin" => blofin::check(&signed, account, now_ms),
        "bybit" => bybit::check(&signed, account, now_ms),
        "coinbase" => coinbase::check(&signed, account, now_ms),
        "cryptocom" => cryptocom::check(&signed, account, now_ms),
        "gate" => gate::check(&signed, account, now_ms),
        "htx" => htx::check(&signed, account, now_ms),
        "kraken" => kraken::check(&signed, account, now_ms),
        "kucoin" => kucoin::check(&signed, account, now_ms),
        "mexc" => mexc::check(&signed, account, now_ms),
        _ => Err(Refusal::MissingAuth),
    }
}

/// HMAC of `message` keyed by `secret`, with SHA-256.
pub(super) fn hmac_sha256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC of `message` keyed by `secret`, with SHA-384.
pub(super) fn hmac_sha384(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha384>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC of `message` keyed by `secret`, with SHA-512.
pub(super) fn hmac_sha512(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Standard base64 with padding.
pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Equal without an early exit on the first differing byte.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Accepts `nonce` for `key` only if it is above the last one accepted for that key on
/// this exchange and host (each simulator listens on its own port, so two simulators in
/// one process do not share nonces, as two exchanges would not). Call it only after the
/// signature verified: only a verified request moves the key's nonce forward.
pub(super) fn advance_nonce(request: &Signed, key: &str, nonce: u64) -> Result<(), Refusal> {
    type Last = Mutex<HashMap<(String, String), u64>>;
    static LAST: OnceLock<Last> = OnceLock::new();
    let mut last = LAST.get_or_init(Mutex::default).lock().unwrap();
    let slot = last
        .entry((request.full_path_host(), key.to_string()))
        .or_insert(0);
    if nonce <= *slot {
        return Err(Refusal::StaleTimestamp);
    }
    *slot = nonce;
    Ok(())
}

/// The milliseconds a request carries as text, if within `window_ms` of `now_ms`: text
/// that is no number is as stale as an old time.
pub(super) fn ms_within(text: &str, now_ms: i64, window_ms: i64) -> Result<i64, Refusal> {
    let sent = text.parse::<i64>().map_err(|_| Refusal::StaleTimestamp)?;
    within(sent, now_ms, window_ms)?;
    Ok(sent)
}

/// `Ok` when `sent_ms` is within `window_ms` of `now_ms` (either side).
pub(super) fn within(sent_ms: i64, now_ms: i64, window_ms: i64) -> Result<(), Refusal> {
    if (now_ms - sent_ms).abs() <= window_ms {
        Ok(())
    } else {
        Err(Refusal::StaleTimestamp)
    }
}
