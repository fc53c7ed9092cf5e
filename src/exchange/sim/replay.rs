//! Replay mounts: every compiled-in exchange beyond Binance and OKX answers the requests
//! CCXT makes for its balance with real answers CCXT recorded from that exchange
//! (`tests/fixtures/replay/<id>.json`, each naming its source and commit), and with the
//! exchange's own error bodies for a bad key and a rate limit.
//!
//! Requests are matched by method and path, and by the query parameters a recorded
//! request names (`query`), so wallets on one path get their own answers
//! (`replay.wallets`). The key is found wherever the exchange puts
//! it (a header, the query, the body); its signature, timestamp and passphrase are then
//! checked as the exchange documents them ([`super::auth`]). One request needs neither:
//! the exchange's public server-time endpoint (`replay.time`, the one CCXT's `fetch_time`
//! calls), answered with the simulator's clock so keyfolio can measure a clock offset.
//! Nor does its public all-tickers endpoint (`replay.tickers`), answered with the
//! fixture's recorded or documented answer.

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
                wallets: Vec::new(),
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
    key_variant: Option<&str>,
    now_ms: i64,
) -> Answer {
    let Some(fixture) = fixture(exchange) else {
        return Answer::json(404, serde_json::json!({"error": "unknown exchange mount"}));
    };
    // The exchange's public time endpoint answers anyone: no key, no signature.
    if let Some(answer) = server_time(fixture, request, now_ms) {
        return answer;
    }
    // So does its public all-tickers endpoint (`replay.tickers`).
    if is_tickers(exchange, request) {
        return Answer::json(200, fixture["replay"]["tickers"]["answer"].clone());
    }
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
    // The key this key is said to be (`replay.key_variants`), for its key-information request.
    if let Some(variant) = key_variant.map(|name| &fixture["replay"]["key_variants"][name])
        && variant["method"].as_str() == Some(request.method.as_str())
        && variant["path"].as_str() == Some(request.path.as_str())
    {
        return Answer::json(200, with_time(&variant["answer"], now_ms));
    }
    // The recorded requests, then those of a variant the fixture adds (HTX's spot account),
    // then the wallets beyond the balance call's.
    let recorded = [
        &fixture["replay"]["requests"],
        &fixture["replay"]["spot_variant"]["requests"],
        &fixture["replay"]["wallets"]["requests"],
    ]
    .into_iter()
    .filter_map(Value::as_array)
    .flatten()
    .find(|r| {
        r["method"].as_str() == Some(request.method.as_str())
            && r["path"].as_str() == Some(request.path.as_str())
            && query_holds(&r["query"], &request.query)
    });
    // A wallet this key may not read (`Fault::WalletRefused`): the exchange's refusal.
    if let (Some(r), Some(super::Fault::WalletRefused(wallet))) = (recorded, account.fault)
        && r["wallet"].as_str() == Some(wallet.code())
        && !fixture["errors"]["permission_denied"].is_null()
    {
        return error(fixture, "permission_denied");
    }
    match recorded {
        Some(r) => {
            let answer = match &r["answer"] {
                Value::String(pointer) if pointer == "balance.answer" => {
                    &fixture["balance"]["answer"]
                }
                other => other,
            };
            Answer::json(200, with_time(answer, now_ms))
        }
        None => Answer::json(
            404,
            serde_json::json!({"error": format!("the replay of {exchange} has no {} {}", request.method, request.path)}),
        ),
    }
}

/// Whether a request's query string carries every parameter a recorded request names
/// (`query`, when present): wallets on one path differ by query (KuCoin's
/// `/api/v1/accounts?type=main` and `?type=trade`).
fn query_holds(recorded: &Value, query: &str) -> bool {
    let Some(wanted) = recorded.as_object() else {
        return true;
    };
    let sent: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    wanted.iter().all(|(key, value)| {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        sent.iter().any(|(k, v)| *k == *key && *v == value)
    })
}

/// The answer of the exchange's public server-time endpoint (`replay.time` of its
/// fixture) when this request is for it: the fixture's answer with the simulator's clock
/// in each placeholder, in the unit and type the exchange documents.
fn server_time(fixture: &Value, request: &super::Req, now_ms: i64) -> Option<Answer> {
    let time = &fixture["replay"]["time"];
    let asked = time["method"].as_str() == Some(request.method.as_str())
        && time["path"].as_str() == Some(request.path.as_str());
    asked.then(|| Answer::json(200, with_time(&time["answer"], now_ms)))
}

/// Whether this request is for the exchange's public all-tickers endpoint (method and
/// path of `replay.tickers` in its fixture): answered to anyone, with the fixture's
/// recorded (or documented) answer.
pub(super) fn is_tickers(exchange: &str, request: &super::Req) -> bool {
    let Some(fixture) = fixture(exchange) else {
        return false;
    };
    let tickers = &fixture["replay"]["tickers"];
    tickers["method"].as_str() == Some(request.method.as_str())
        && tickers["path"].as_str() == Some(request.path.as_str())
}

/// `template` with each placeholder string replaced by the time `now_ms`:
/// `{now_ms}` / `{now_s}` / `{now_ns}` as JSON numbers, `{now_ms_string}` /
/// `{now_s_string}` / `{now_ns_string}` as decimal strings, `{now_iso}` as RFC 3339 to the second (Coinbase)
/// and `{now_rfc1123}` as Kraken writes it ("Sun,  7 Jun 20 04:07:53 +0000"); and any of
/// them N days on or back as `{in_N_days_<unit>}` / `{N_days_ago_<unit>}`
/// (`{in_88_days_iso}`: a Bybit key's `expiredAt` when bound to no IP, so the demo's key is
/// as far from its end as Bybit's documented example; `{2_days_ago_ms_string}`: an
/// expired key's end).
fn with_time(template: &Value, now_ms: i64) -> Value {
    let now_s = now_ms.div_euclid(1000);
    if let Some((days, unit)) = template.as_str().and_then(days_away) {
        let at_ms = now_ms.saturating_add(days.saturating_mul(86_400_000));
        let now_form = Value::String(format!("{{now_{unit}}}"));
        let shifted = with_time(&now_form, at_ms);
        if shifted != now_form {
            return shifted;
        }
    }
    match template {
        Value::String(s) => match s.as_str() {
            "{now_ms}" => now_ms.into(),
            "{now_s}" => now_s.into(),
            "{now_ns}" => now_ms.saturating_mul(1_000_000).into(),
            "{now_ms_string}" => now_ms.to_string().into(),
            "{now_s_string}" => now_s.to_string().into(),
            "{now_ns_string}" => (i128::from(now_ms) * 1_000_000).to_string().into(),
            "{now_iso}" | "{now_rfc1123}" => {
                let at = chrono::DateTime::from_timestamp(now_s, 0).unwrap_or_default();
                let format = if s == "{now_iso}" {
                    "%Y-%m-%dT%H:%M:%SZ"
                } else {
                    "%a, %e %b %y %H:%M:%S +0000"
                };
                at.format(format).to_string().into()
            }
            _ => template.clone(),
        },
        Value::Array(items) => items.iter().map(|v| with_time(v, now_ms)).collect(),
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| (k.clone(), with_time(v, now_ms)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other.clone(),
    }
}

/// The days (negative: back) and the `now` unit of a `{in_N_days_<unit>}` or
/// `{N_days_ago_<unit>}` placeholder.
fn days_away(placeholder: &str) -> Option<(i64, &str)> {
    let inner = placeholder.strip_prefix('{')?.strip_suffix('}')?;
    let (days, unit, sign) = match inner.strip_prefix("in_") {
        Some(rest) => rest.split_once("_days_").map(|(d, u)| (d, u, 1))?,
        None => inner.split_once("_days_ago_").map(|(d, u)| (d, u, -1))?,
    };
    Some((sign * days.parse::<i64>().ok()?, unit))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_placeholders_carry_the_given_clock_in_each_unit_and_type() {
        let template = serde_json::json!({
            "ms": "{now_ms}", "s": "{now_s}", "ns": "{now_ns}",
            "ms_text": "{now_ms_string}", "s_text": "{now_s_string}",
            "ns_text": "{now_ns_string}", "iso": "{now_iso}", "rfc": "{now_rfc1123}",
            "in_5": "{in_5_days_iso}", "ago_2": "{2_days_ago_ms_string}",
            "in_5_s": "{in_5_days_s}",
            "kept": ["{other}", 7, "{in_x_days_iso}", "{in_5_days_nope}"],
        });
        // 2020-06-07T04:07:53.123Z, the time of Kraken's documented example.
        let answer = with_time(&template, 1_591_502_873_123);
        assert_eq!(
            answer,
            serde_json::json!({
                "ms": 1_591_502_873_123_i64, "s": 1_591_502_873_i64,
                "ns": 1_591_502_873_123_000_000_i64,
                "ms_text": "1591502873123", "s_text": "1591502873",
                "ns_text": "1591502873123000000", "iso": "2020-06-07T04:07:53Z",
                "rfc": "Sun,  7 Jun 20 04:07:53 +0000",
                "in_5": "2020-06-12T04:07:53Z", "ago_2": "1591330073123",
                "in_5_s": 1_591_934_873_i64,
                "kept": ["{other}", 7, "{in_x_days_iso}", "{in_5_days_nope}"],
            })
        );
    }

    #[test]
    fn a_recorded_query_must_be_part_of_the_request() {
        let main = serde_json::json!({"type": "main"});
        assert!(query_holds(&main, "type=main&currency=BTC"));
        assert!(!query_holds(&main, "type=trade"));
        assert!(!query_holds(&main, ""));
        assert!(!query_holds(&main, "type=mainx"));
        assert!(query_holds(&Value::Null, "type=trade"));
        // Numbers are matched as the query writes them.
        assert!(query_holds(&serde_json::json!({"limit": 250}), "limit=250"));
        assert!(query_holds(
            &serde_json::json!({"productType": "USDT-FUTURES"}),
            "productType=USDT-FUTURES"
        ));
    }

    #[test]
    fn each_wallet_the_replay_serves_is_signed_and_names_its_source() {
        for id in exchanges() {
            let wallets = &fixture(id).unwrap()["replay"]["wallets"];
            for r in wallets["requests"].as_array().into_iter().flatten() {
                assert_eq!(r["signed"], true, "{id}: {r}");
                assert!(
                    crate::model::Wallet::from_code(r["wallet"].as_str().unwrap_or("")).is_some(),
                    "{id}: {r}"
                );
                let recorded = r["recorded"] == true;
                assert_eq!(recorded, r["minimal"] == false, "{id}: {r}");
                if recorded {
                    assert!(r["source"]["commit"].as_str().is_some(), "{id}: {r}");
                } else {
                    assert!(r["notes"].as_str().is_some(), "{id}: {r}");
                }
            }
        }
    }

    #[test]
    fn each_key_variant_answers_a_recorded_request_and_names_its_source() {
        for id in exchanges() {
            let replay = &fixture(id).unwrap()["replay"];
            for (name, variant) in replay["key_variants"].as_object().into_iter().flatten() {
                let replaced = replay["requests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["method"] == variant["method"] && r["path"] == variant["path"]);
                assert!(replaced.is_some(), "{id} {name}: no such request");
                assert!(variant["answer"].is_object() || variant["answer"].is_array());
                assert!(variant["source"].as_str().is_some(), "{id} {name}");
            }
        }
    }

    /// A GET with no key, header or body, from localhost.
    fn unsigned_get(path: &str) -> super::super::Req {
        super::super::Req {
            method: axum::http::Method::GET,
            path: path.to_string(),
            query: String::new(),
            headers: Default::default(),
            body: String::new(),
            ip: std::net::Ipv4Addr::LOCALHOST.into(),
        }
    }

    #[test]
    fn every_tickers_endpoint_answers_without_a_key() {
        for id in exchanges() {
            let tickers = &fixture(id).unwrap()["replay"]["tickers"];
            let request = unsigned_get(tickers["path"].as_str().unwrap());
            let answer = answer(id, &request, None, false, None, 1_591_502_873_123);
            assert_eq!(answer.status, 200, "{id}: {}", answer.body);
            assert_eq!(
                serde_json::from_str::<Value>(&answer.body).unwrap(),
                tickers["answer"],
                "{id}"
            );
            let source = &tickers["source"];
            assert!(
                source["commit"].is_string() || tickers["minimal"] == true,
                "{id}: a recording names its commit, anything else says it is minimal"
            );
        }
    }

    #[test]
    fn every_time_endpoint_answers_without_a_key() {
        for id in exchanges() {
            let Some(path) = fixture(id).unwrap()["replay"]["time"]["path"].as_str() else {
                continue;
            };
            let request = unsigned_get(path);
            let answer = answer(id, &request, None, false, None, 1_591_502_873_123);
            assert_eq!(answer.status, 200, "{id}: {}", answer.body);
            assert!(answer.body.contains("1591502873"), "{id}: {}", answer.body);
        }
    }
}
