//! What a generic exchange says of an API key: its permissions, IP restriction and the
//! account it belongs to, from one signed request through CCXT's implicit API (one file
//! per exchange that exposes it). Exchanges without such a request keep "not known".

mod bitfinex;
mod bitget;
mod blofin;
mod bybit;
mod coinbase;
mod gate;
mod htx;
mod kraken;
mod kucoin;

use crate::model::Permissions;
use serde_json::Value;

/// What one key-information answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// `None` where the answer does not say what the key may do: the card keeps "not
    /// known" rather than a guess either way.
    pub permissions: Option<Permissions>,
    /// The exchange's account (user) id, shared by every key of one account.
    pub account_id: Option<String>,
    /// When the key stops working, where the answer says.
    pub expiry: crate::model::KeyExpiry,
}

/// A time from a field holding Unix seconds or milliseconds (as a number or a
/// decimal string) or RFC 3339 text; 0, empty or unreadable: none.
pub fn time_field(value: Option<&Value>) -> Option<chrono::DateTime<chrono::Utc>> {
    let value = value?;
    let number = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n <= 0 => None,
        // Beyond year 5138 in seconds: milliseconds.
        Some(n) if n > 100_000_000_000 => chrono::DateTime::from_timestamp_millis(n),
        Some(n) => chrono::DateTime::from_timestamp(n, 0),
        None => chrono::DateTime::parse_from_rfc3339(value.as_str()?.trim())
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc)),
    }
}

/// How to ask one exchange about the key in use.
pub struct KeyInfoCall {
    /// CCXT's implicit API method, snake_case: `private_get_v5_user_query_api`.
    pub method: &'static str,
    /// The request's parameters.
    pub params: fn() -> Value,
    /// Reads the answer; an error text makes it an unexpected response.
    pub parse: fn(&Value) -> Result<KeyFacts, String>,
    /// The answer says whether the key is IP-restricted (where it does not, the
    /// permissions' `ip_restricted` is false for want of knowing).
    pub tells_ip_restriction: bool,
    /// A second request that needs the first answer (HTX's key details need the
    /// account's UID); `parse` then reads `{"first": .., "then": ..}`, `then` null where
    /// the second request was refused.
    pub then: Option<FollowUp>,
}

/// A key-information request made with what the first one answered.
pub struct FollowUp {
    /// CCXT's implicit API method, snake_case.
    pub method: &'static str,
    /// Its parameters from the first answer and the key's public part (the API key);
    /// `None`: not asked.
    pub params: fn(&Value, &str) -> Option<Value>,
}

/// How many requests reading this exchange's key information takes (0: not read).
pub fn requests(exchange: &str) -> u32 {
    call_for(exchange).map_or(0, |call| 1 + u32::from(call.then.is_some()))
}

/// The key-information request of a compiled-in generic exchange, if it has one.
pub fn call_for(exchange: &str) -> Option<&'static KeyInfoCall> {
    CALLS
        .iter()
        .find(|(id, _)| *id == exchange)
        .map(|(_, call)| *call)
}

/// One line per exchange that tells.
const CALLS: &[(&str, &KeyInfoCall)] = &[
    ("bybit", &bybit::CALL),
    ("kucoin", &kucoin::CALL),
    ("bitget", &bitget::CALL),
    ("gate", &gate::CALL),
    ("htx", &htx::CALL),
    ("coinbase", &coinbase::CALL),
    ("bitfinex", &bitfinex::CALL),
    ("kraken", &kraken::CALL),
    ("blofin", &blofin::CALL),
];

/// Whether the exchange tells if a key is IP-restricted: Binance and OKX do, and the
/// generic exchanges whose key information says so.
pub fn tells_ip_restriction(exchange: crate::model::ExchangeId) -> bool {
    use crate::model::ExchangeId;
    match exchange {
        ExchangeId::Binance | ExchangeId::Okx => true,
        ExchangeId::Ccxt(_) => call_for(exchange.id()).is_some_and(|c| c.tells_ip_restriction),
        ExchangeId::Absent(_) => false,
    }
}

/// No parameters.
pub fn no_params() -> Value {
    Value::Object(serde_json::Map::new())
}

/// An account id from a string or a number field, checked as text from outside.
pub fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(crate::text::free_text(s, 64)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::time_field;
    use serde_json::json;

    #[test]
    fn times_read_in_seconds_milliseconds_or_rfc_3339_and_zero_is_none() {
        let at = |v: serde_json::Value| time_field(Some(&v)).map(|t| t.timestamp());
        assert_eq!(at(json!(1_735_689_600)), Some(1_735_689_600));
        assert_eq!(at(json!("1735689600")), Some(1_735_689_600));
        assert_eq!(at(json!(1_735_689_600_000_i64)), Some(1_735_689_600));
        assert_eq!(at(json!("2025-01-01T00:00:00Z")), Some(1_735_689_600));
        assert_eq!(at(json!(0)), None);
        assert_eq!(at(json!("0")), None);
        assert_eq!(at(json!("")), None);
        assert_eq!(at(json!("soon")), None);
        assert_eq!(time_field(None), None);
    }
}
