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
