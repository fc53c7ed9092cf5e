//! Each generic exchange's own refusal codes, mapped to keyfolio's failure kinds: the
//! authentication, passphrase, IP, permission, clock and rate-limit answers of each
//! exchange's API documentation, cross-read with CCXT's `exceptions` table for it.
//!
//! CCXT's classes stay the fallback ([`super::ccxt::classify`]); this table is finer
//! (a wrong passphrase is not an unknown key) and covers codes CCXT leaves as a plain
//! `ExchangeError`, such as Kraken's `EAPI:Invalid signature`.

use crate::model::FailureKind::{self, *};

/// One exchange's refusals: a code matches a whole token of the error message (numbers,
/// `INVALID_KEY`), a text matches anywhere in it, in any case (CCXT rewrites some, e.g.
/// Bitstamp's "Invalid signature" as "invalid signature, use the uid ..."). The first match wins, so the more
/// specific entries come first.
type Refusals = &'static [(&'static str, FailureKind)];

const TABLE: &[(&str, Refusals)] = &[
    // https://docs.bitfinex.com/docs/abbreviations-glossary#error-codes
    (
        "bitfinex",
        &[
            ("apikey: digest invalid", BadSignature),
            ("nonce: small", ClockSkew),
            ("10114", ClockSkew),
            ("apikey: invalid", InvalidKey),
            ("10100", InvalidKey),
            ("11010", RateLimited),
            ("ERR_RATE_LIMIT", RateLimited),
        ],
    ),
    // https://www.bitget.com/api-doc/common/error-code/restapi
    (
        "bitget",
        &[
            ("40001", InvalidKey),
            ("40002", InvalidKey),
            ("40003", BadSignature),
            ("40004", ClockSkew),
            ("40005", ClockSkew),
            ("40008", ClockSkew),
            ("40006", InvalidKey),
            ("40037", InvalidKey),
            ("40009", BadSignature),
            ("40010", BadSignature),
            ("40011", WrongPassphrase),
            ("40012", WrongPassphrase),
            ("40014", PermissionDenied),
            ("40018", IpNotWhitelisted),
            ("429", RateLimited),
        ],
    ),
    // https://www.bitstamp.net/api/#section/Authentication (error reasons)
    (
        "bitstamp",
        &[
            ("API key not found", InvalidKey),
            ("Wrong API key format", InvalidKey),
            ("Invalid signature", BadSignature),
            ("Invalid nonce", ClockSkew),
            ("Timestamp", ClockSkew),
            ("IP address not allowed", IpNotWhitelisted),
            ("No permission found", PermissionDenied),
            ("Missing key, signature and nonce parameters", InvalidKey),
            ("Authentication failed", InvalidKey),
        ],
    ),
    // https://docs.bitvavo.com/docs/errors
    (
        "bitvavo",
        &[
            ("300", InvalidKey),
            ("301", InvalidKey),
            ("305", InvalidKey),
            ("306", InvalidKey),
            ("302", ClockSkew),
            ("304", ClockSkew),
            ("307", IpNotWhitelisted),
            ("308", BadSignature),
            ("309", BadSignature),
            ("310", PermissionDenied),
            ("311", PermissionDenied),
            ("312", PermissionDenied),
            ("103", RateLimited),
            ("104", RateLimited),
            ("105", RateLimited),
        ],
    ),
    // https://docs.blofin.com/index.html#error-code
    (
        "blofin",
        &[
            ("152401", InvalidKey),
            ("152402", InvalidKey),
            ("152405", ClockSkew),
            ("152406", IpNotWhitelisted),
            ("152408", WrongPassphrase),
            ("152409", BadSignature),
            ("429", RateLimited),
        ],
    ),
    // https://bybit-exchange.github.io/docs/v5/error
    (
        "bybit",
        &[
            ("10002", ClockSkew),
            ("10003", InvalidKey),
            ("33004", InvalidKey),
            ("10004", BadSignature),
            ("10005", PermissionDenied),
            ("10010", IpNotWhitelisted),
            ("10009", Banned),
            ("10006", RateLimited),
            ("10018", RateLimited),
        ],
    ),
    // https://docs.cdp.coinbase.com/coinbase-app/docs/api-errors
    (
        "coinbase",
        &[
            ("request timestamp expired", ClockSkew),
            // A JWT past its `exp` by the server's clock: this computer's clock is off.
            ("expired_token", ClockSkew),
            ("PERMISSION_DENIED", PermissionDenied),
            ("invalid_scope", PermissionDenied),
            ("authentication_error", InvalidKey),
            ("invalid_token", InvalidKey),
            ("revoked_token", InvalidKey),
            ("unauthorized", InvalidKey),
            ("rate_limit_exceeded", RateLimited),
            ("resource_exhausted", RateLimited),
        ],
    ),
    // https://exchange-docs.crypto.com/exchange/v1/rest-ws/index.html#response-and-reason-codes
    (
        "cryptocom",
        &[
            ("40101", InvalidKey),
            ("10002", InvalidKey),
            ("40102", ClockSkew),
            ("10007", ClockSkew),
            ("40103", IpNotWhitelisted),
            ("10003", IpNotWhitelisted),
            ("40104", PermissionDenied),
            ("42901", RateLimited),
            ("10006", RateLimited),
        ],
    ),
    // https://www.gate.io/docs/developers/apiv4/#label-list
    (
        "gate",
        &[
            ("INVALID_SIGNATURE", BadSignature),
            ("INVALID_KEY", InvalidKey),
            ("INVALID_CREDENTIALS", InvalidKey),
            ("MISSING_REQUIRED_HEADER", InvalidKey),
            ("AUTHENTICATION_FAILED", InvalidKey),
            ("REQUEST_EXPIRED", ClockSkew),
            ("IP_FORBIDDEN", IpNotWhitelisted),
            ("READ_ONLY", PermissionDenied),
            ("FORBIDDEN", PermissionDenied),
            ("TOO_MANY_REQUESTS", RateLimited),
            ("TOO_FAST", RateLimited),
        ],
    ),
    // https://www.htx.com/en-us/opend/newApiPages/ (error codes); both a wrong key and
    // a wrong signature are `api-signature-not-valid`, told apart by `err-msg`.
    (
        "htx",
        &[
            ("Invalid submission time", ClockSkew),
            ("Verification failure", BadSignature),
            ("api-signature-check-failed", BadSignature),
            ("Incorrect Access key", InvalidKey),
            ("api-signature-not-valid", InvalidKey),
            ("login-required", InvalidKey),
            ("api-not-support-temp-addr", IpNotWhitelisted),
            ("base-request-exceed-frequency-limit", RateLimited),
            ("rate-too-many-requests", RateLimited),
        ],
    ),
    // https://docs.kraken.com/api/docs/guides/spot-errors
    (
        "kraken",
        &[
            ("EAPI:Invalid signature", BadSignature),
            ("EAPI:Invalid key", InvalidKey),
            ("EAPI:Bad request", InvalidKey),
            ("EAPI:Invalid nonce", ClockSkew),
            ("EGeneral:Permission denied", PermissionDenied),
            ("EAPI:Rate limit exceeded", RateLimited),
            ("EGeneral:Too many requests", RateLimited),
            ("EGeneral:Temporary lockout", RateLimited),
        ],
    ),
    // https://www.kucoin.com/docs/basic-info/request-rate-limit/rest-api (error codes)
    (
        "kucoin",
        &[
            ("400001", InvalidKey),
            ("400002", ClockSkew),
            ("400003", InvalidKey),
            ("400004", WrongPassphrase),
            ("400005", BadSignature),
            ("400006", IpNotWhitelisted),
            ("400007", PermissionDenied),
            ("429000", RateLimited),
        ],
    ),
    // https://mexcdevelop.github.io/apidocs/spot_v3_en/#error-code
    (
        "mexc",
        &[
            ("700001", InvalidKey),
            ("10072", InvalidKey),
            ("700002", BadSignature),
            ("700003", ClockSkew),
            ("700005", ClockSkew),
            ("700006", IpNotWhitelisted),
            ("700007", PermissionDenied),
            ("429", RateLimited),
        ],
    ),
];

/// The failure kind an exchange's own refusal names, if the message carries one.
pub fn kind_of(exchange: &str, message: &str) -> Option<FailureKind> {
    let (_, refusals) = TABLE.iter().find(|(id, _)| *id == exchange)?;
    refusals
        .iter()
        .find(|(code, _)| names(message, code))
        .map(|(_, kind)| *kind)
}

/// A code (digits, or capitals and underscores) must be a whole token of the message;
/// other text may appear anywhere in it.
fn names(message: &str, code: &str) -> bool {
    let is_code = code
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '_');
    if !is_code {
        return message
            .to_ascii_lowercase()
            .contains(&code.to_ascii_lowercase());
    }
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|token| token == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_whole_tokens_only() {
        let bybit = r#"bybit {"retCode":10004,"retMsg":"error sign!","time":1736866010003}"#;
        assert_eq!(kind_of("bybit", bybit), Some(BadSignature));
        assert_eq!(kind_of("bybit", r#"{"retCode":0,"time":1710003}"#), None);
        assert_eq!(kind_of("gate", r#"{"label":"INVALID_KEY_X"}"#), None);
    }

    #[test]
    fn kraken_refusals_are_named() {
        let kraken = |e: &str| kind_of("kraken", &format!(r#"kraken {{"error":["{e}"]}}"#));
        assert_eq!(kraken("EAPI:Invalid signature"), Some(BadSignature));
        assert_eq!(kraken("EAPI:Invalid key"), Some(InvalidKey));
        assert_eq!(kraken("EAPI:Invalid nonce"), Some(ClockSkew));
        assert_eq!(kraken("EGeneral:Invalid arguments"), None);
    }

    #[test]
    fn a_wrong_passphrase_is_not_a_wrong_key() {
        let kucoin = r#"kucoin {"code":"400004","msg":"Invalid KC-API-PASSPHRASE"}"#;
        assert_eq!(kind_of("kucoin", kucoin), Some(WrongPassphrase));
        let bitget = r#"bitget {"code":"40011","msg":"Invalid ACCESS_PASSPHRASE"}"#;
        assert_eq!(kind_of("bitget", bitget), Some(WrongPassphrase));
    }

    #[test]
    fn htx_tells_a_wrong_key_from_a_wrong_signature_by_its_message() {
        let htx = |msg: &str| {
            kind_of(
                "htx",
                &format!(
                    r#"{{"status":"error","err-code":"api-signature-not-valid","err-msg":"{msg}"}}"#
                ),
            )
        };
        assert_eq!(
            htx("Signature not valid: Verification failure [校验失败]"),
            Some(BadSignature)
        );
        assert_eq!(
            htx("Signature not valid: Incorrect Access key [Access key错误]"),
            Some(InvalidKey)
        );
    }

    #[test]
    fn each_replayed_exchanges_recorded_refusals_are_named() {
        for id in crate::exchange::sim::replay::exchanges() {
            let errors = &crate::exchange::sim::replay::fixture(id).unwrap()["errors"];
            let bad_key = kind_of(id, &errors["bad_key"]["body"].to_string());
            assert!(
                bad_key.is_some_and(FailureKind::needs_trader),
                "{id}: {bad_key:?}"
            );
            let body = &errors["rate_limit"]["body"];
            if !body.is_null() {
                assert_eq!(kind_of(id, &body.to_string()), Some(RateLimited), "{id}");
            }
        }
    }
}
