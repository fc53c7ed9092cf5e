//! Replay mounts: every compiled-in exchange beyond Binance and OKX answers the requests
//! CCXT makes for its balance with real answers CCXT recorded from that exchange
//! (`tests/fixtures/replay/<id>.json`, each naming its source and commit), and with the
//! exchange's own error bodies for a bad key and a rate limit.
//!
//! Requests are matched by method and path. The key is found wherever the exchange puts
//! it (a header, the query, the body); its signature, timestamp and passphrase are then
//! checked as the exchange documents them ([`super::auth`]).

use super::{Answer, SimAccount};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The fixture files, compiled in so the demo and `keyfolio sim` carry them.
const FIXTURES: &[(&str, &str)] = &[
    (
        "bitfinex",
        include_str!("../../../tests/fixtures/replay/bitfinex.json"),
    ),
    (
        "bitget",
        include_str!("../../../tests/fixtures/replay/bitget.json"),
    ),
    (
        "bitstamp",
        include_str!("../../../tests/fixtures/replay/bitstamp.json"),
    ),
    (
        "bitvavo",
        include_str!("../../../tests/fixtures/replay/bitvavo.json"),
    ),
    (
        "blofin",
        include_str!("../../../tests/fixtures/replay/blofin.json"),
    ),
    (
        "bybit",
        include_str!("../../../tests/fixtures/replay/bybit.json"),
    ),
    (
        "coinbase",
        include_str!("../../../tests/fixtures/replay/coinbase.json"),
    ),
    (
        "cryptocom",
        include_str!("../../../tests/fixtures/replay/cryptocom.json"),
    ),
    (
        "gate",
        include_str!("../../../tests/fixtures/replay/gate.json"),
    ),
    (
        "htx",
        include_str!("../../../tests/fixtures/replay/htx.json"),
    ),
    (
        "kraken",
        include_str!("../../../tests/fixtures/replay/kraken.json"),
    ),
    (
        "kucoin",
        include_str!("../../../tests/fixtures/replay/kucoin.json"),
    ),
    (
        "mexc",
        include_str!("../../../tests/fixtures/replay/mexc.json"),
    ),
];

/// A parsed fixture of a compiled-in exchange.
pub fn fixture(id: &str) -> Option<&'static Value> {
    static PARSED: OnceLock<HashMap<&'static str, Value>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            FIXTURES
                .iter()
                .filter(|(id, _)| crate::model::ExchangeId::parse(id).is_some())
                .map(|(id, text)| {
                    let value = serde_json::from_str(text).expect("replay fixtures are JSON");
                    (*id, value)
                })
                .collect()
        })
        .get(id)
}

/// The exchanges with a replay mount in this build.
pub fn exchanges() -> Vec<&'static str> {
    FIXTURES
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| fixture(id).is_some())
        .collect()
}

/// A Coinbase Advanced Trade style key: an EC P-256 private key (made for the simulator).
const COINBASE_PEM: &str = "-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEINkplm9PUAr0wHMc0QK1MRDdvlsQIDoiSsCmhvtTEl3+oAoGCCqGSM49\n\
AwEHoUQDQgAEZH4wqqdysAoSbEUyNIvzG7jZ1YoyrkAfNBMBwe4GKicu2LT3tiF8\n\
d/5bevkUxjyqcYGbJrCIjm1VZ9fFXeen8g==\n\
-----END EC PRIVATE KEY-----\n";

/// A CDP Ed25519 key for Coinbase: its name, and base64 of the 64 bytes seed || public
/// key, as CDP issues them (the seed is SHA-256 of "keyfolio simulator coinbase ed25519
/// key", made for the simulator).
const COINBASE_ED25519_KEY: &str = "d2efa49a-5c1e-4b7a-9e3f-keyfolio-ed25519";
const COINBASE_ED25519_SECRET: &str =
    "kl4MJ86dtQtcJASobmhtw3X2W3ZtSg6vfeVaoyG51amKHIRMo4TkU/cUTYf0LEvGfesDCv6RqtGwaMaFBg1Zeg==";

/// One read-only account per replayed exchange, with credentials shaped as the
/// exchange issues them.
pub fn accounts() -> Vec<SimAccount> {
    exchanges()
        .into_iter()
        .map(|id| {
            let fixture = fixture(id).expect("listed exchanges have fixtures");
            let needs = |name: &str| {
                fixture["required_credentials"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|f| f == name))
            };
            let (api_key, secret) = match id {
                "coinbase" => (
                    "organizations/3f6f1d2c-sim/apiKeys/9a4e0c1b-keyfolio-read".to_string(),
                    COINBASE_PEM.to_string(),
                ),
                // Kraken's secret is base64; it signs with the decoded bytes.
                "kraken" => (
                    format!("kf-sim-{id}-read-only-0000000000000000000000000000"),
                    "a2V5Zm9saW8tc2ltdWxhdG9yLWtyYWtlbi1zZWNyZXQta2V5LTAxMjM0NTY3ODk=".to_string(),
                ),
                _ => (
                    format!("kf-sim-{id}-read-only-7c1e5a9b3d"),
                    format!("{id}-sim-secret-4f2a9c81e6b07d35"),
                ),
            };
            SimAccount {
                exchange: id.to_string(),
                api_key,
                secret,
                passphrase: needs("password").then(|| "Keyfolio#Replay1".to_string()),
                purpose: "read-only".into(),
                perms: super::Perms {
                    read: true,
                    ..Default::default()
                },
                balances: Vec::new(),
                fault: None,
                demo: false,
                same_account_as: None,
            }
        })
        .flat_map(|account| {
            // Coinbase issues Ed25519 keys too (CDP's default): a second key, so both
            // kinds of JWT are checked.
            let ed25519 = (account.exchange == "coinbase").then(|| SimAccount {
                api_key: COINBASE_ED25519_KEY.to_string(),
                secret: COINBASE_ED25519_SECRET.to_string(),
                purpose: "read-only-ed25519".into(),
                ..account.clone()
            });
            std::iter::once(account).chain(ed25519)
        })
        .collect()
}

/// The sim account whose key this request carries, wherever the exchange puts it.
pub(super) fn account_in<'a>(
    accounts: &'a [SimAccount],
    exchange: &str,
    request: &super::Req,
) -> Option<&'a SimAccount> {
    let headers: Vec<&str> = request
        .headers
        .values()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let query = percent_encoding::percent_decode_str(&request.query).decode_utf8_lossy();
    accounts.iter().find(|a| {
        a.exchange == exchange
            && (headers.iter().any(|h| h.contains(&a.api_key))
                || query.contains(&a.api_key)
                || request.body.contains(&a.api_key)
                || bearer_names(&headers, &a.api_key))
    })
}

/// Coinbase's JWT carries the key name in its payload (`sub`), base64url-encoded.
fn bearer_names(headers: &[&str], api_key: &str) -> bool {
    use base64::Engine;
    headers.iter().any(|h| {
        h.strip_prefix("Bearer ")
            .and_then(|jwt| jwt.split('.').nth(1))
            .and_then(|payload| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload.trim_end_matches('='))
                    .ok()
            })
            .is_some_and(|payload| String::from_utf8_lossy(&payload).contains(api_key))
    })
}

/// The answer to one request: the recorded answer for a request CCXT makes, the
/// exchange's bad-key refusal for a key it does not know, its rate-limit answer when
/// asked to refuse.
pub(super) fn answer(
    exchange: &str,
    request: &super::Req,
    account: Option<&SimAccount>,
    rate_limited: bool,
    now_ms: i64,
) -> Answer {
    let Some(fixture) = fixture(exchange) else {
        return Answer::json(404, serde_json::json!({"error": "unknown exchange mount"}));
    };
    let Some(account) = account else {
        return error(fixture, "bad_key");
    };
    if let Err(refusal) = super::auth::check(exchange, request, account, now_ms) {
        let kind = refusal.fixture_kind();
        let kind = if fixture["errors"][kind].is_null() {
            "bad_key"
        } else {
            kind
        };
        return error(fixture, kind);
    }
    if rate_limited {
        let mut answer = error(fixture, "rate_limit");
        answer.headers.push(("retry-after", "1".into()));
        return answer;
    }
    // The recorded requests, then those of a variant the fixture adds (HTX's spot account).
    let recorded = [
        &fixture["replay"]["requests"],
        &fixture["replay"]["spot_variant"]["requests"],
    ]
    .into_iter()
    .filter_map(Value::as_array)
    .flatten()
    .find(|r| {
        r["method"].as_str() == Some(request.method.as_str())
            && r["path"].as_str() == Some(request.path.as_str())
    });
    match recorded {
        Some(r) => {
            let answer = match &r["answer"] {
                Value::String(pointer) if pointer == "balance.answer" => {
                    &fixture["balance"]["answer"]
                }
                other => other,
            };
            Answer::json(200, answer.clone())
        }
        None => Answer::json(
            404,
            serde_json::json!({"error": format!("the replay of {exchange} has no {} {}", request.method, request.path)}),
        ),
    }
}

/// The exchange's error answer of this kind, from its fixture.
fn error(fixture: &Value, kind: &str) -> Answer {
    let error = &fixture["errors"][kind];
    let default_status = if kind == "rate_limit" { 429 } else { 401 };
    let status = error["http_status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(default_status);
    Answer::json(status, error["body"].clone())
}
